"""The booking lifecycle's pages: ask for a place, follow a booking, and answer, cancel or record it.

Every page that names a booking fetches it through `booking_get_for_user` (404 for anyone who may
not see it) and then asks a predicate from `placements.permissions` whether this person may act
(403 if they may see it but not do this). Whether the booking's state allows the move is the
service's call: its refusal is shown on the page, in its own words. A form page asked for when its
action cannot succeed (the request was answered, the visit has not started) is not shown: the person
goes back to the booking, told why.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from connecting.accounts.models import Role
from connecting.accounts.roles import is_programme_team, role_required
from connecting.forms import posted_data, render_form_page
from debriefs.selectors.visit_records import booking_visit_records
from placements.forms.bookings import (
    BookingAnswerForm,
    BookingAnswerManyForm,
    BookingAttendanceForm,
    BookingCancelForm,
    BookingFilterForm,
    BookingRequestForm,
    ManagerDecisionForm,
)
from placements.models import Booking, BookingStatus, ManagerApproval, Programme, Slot
from placements.permissions import (
    can_accept_offer,
    can_answer_booking,
    can_cancel_booking,
    can_record_attendance,
    can_see_line_manager_email,
)
from placements.selectors.availability import (
    Unavailable,
    notice_earliest_day,
    slot_availability_list,
    slot_partner_takes_visitors,
)
from placements.selectors.bookings import (
    booking_cancel_would_be_late,
    booking_get_for_user,
    booking_list_awaiting_answer,
    booking_list_awaiting_manager,
    booking_list_filtered,
    booking_programme_choices,
    booking_waitlist_position,
)
from placements.selectors.opportunities import slot_get_for_user
from placements.services.bookings import (
    REFUSALS_OF_THE_PERSON,
    ApprovalLinkExpired,
    ApprovalLinkInvalid,
    BookingRefused,
    booking_answer_many,
    booking_cancel,
    booking_cancel_check,
    booking_confirm,
    booking_decline,
    booking_for_manager_token,
    booking_manager_decide,
    booking_offer_accept,
    booking_record_attendance,
    booking_request,
)

PAGE_SIZE = 25
# The bulk success message names this many people, then says how many more.
NAMES_IN_MESSAGE = 5
ANYONE_SIGNED_IN = (Role.PARTICIPANT, Role.PARTNER_CONTACT, Role.PROGRAMME_TEAM)
# Refusals about the line manager's address belong next to that field; the rest go on top.
LINE_MANAGER_CODES = {"line_manager_required", "line_manager_self", "line_manager_domain"}
# The line manager's answer is already in (or no longer wanted): the form is not shown again.
MANAGER_ANSWERED_CODES = {"already_approved", "already_declined", "not_pending", "illegal_transition"}


def _day(moment) -> str:
    return timezone.localtime(moment).strftime("%-d %B %Y")


def _day_and_time(moment) -> str:
    return timezone.localtime(moment).strftime("%-d %B %Y, %H:%M")


def _booking_for(request, booking_id: int, may) -> Booking:
    """The booking in the URL: 404 if the user cannot see it, 403 if `may(user, booking)` is false."""
    booking = booking_get_for_user(booking_id=booking_id, user=request.user)
    if not may(request.user, booking):
        raise PermissionDenied
    return booking


def _add_refusal(form, refused: BookingRefused, field_codes: dict[str, set[str]]) -> None:
    field = next((name for name, codes in field_codes.items() if refused.code in codes), None)
    form.add_error(field if field in form.fields else None, refused)


# --- Asking for a place ---------------------------------------------------------------------------


def _what_happens(programme: Programme, partner, *, full: bool) -> str:
    """What happens after asking, through this programme: the request page says it, and so do
    the programme choices' hints."""
    approval = programme.line_manager_approval_required
    automatic = programme.bookings_confirmed_automatically
    if full:
        # A place on the waiting list holds none: nothing is "held" until a place is offered.
        if approval:
            return _(
                "Your line manager must approve this visit: we will e-mail them now. You can be offered a "
                "place only once they approve."
            )
        return ""
    if approval and automatic:
        return _(
            "Your line manager must approve this visit: we will e-mail them first. Once your line manager "
            "approves, your place is confirmed."
        )
    if approval:
        return _(
            "Your line manager must approve this visit: we will e-mail them first, then %(partner)s will "
            "confirm or decline it. We hold your place meanwhile."
        ) % {"partner": partner}
    if automatic:
        return _("Your place is confirmed as soon as you ask.")
    return _("%(partner)s will confirm or decline your request. We hold your place while they decide.") % {
        "partner": partner
    }


def _waiting_list_promise() -> str:
    return _(
        "If a place comes free, we will e-mail you. You then have up to %(hours)d hours to accept it."
    ) % {"hours": settings.BOOKING_OFFER_HOURS}


def _request_outcome(booking: Booking) -> str:
    """What happens next, in the words of the success message."""
    partner = booking.slot.opportunity.partner
    manager_first = booking.manager_approval == ManagerApproval.PENDING
    if booking.status == BookingStatus.CONFIRMED:
        return _("Your place is confirmed. %(partner)s expects you on %(day)s.") % {
            "partner": partner,
            "day": _day(booking.slot.starts_at),
        }
    if booking.status == BookingStatus.WAITLISTED:
        message = _("You are on the waiting list, at position %(position)d.") % {
            "position": booking_waitlist_position(booking=booking)
        }
        message += " " + _waiting_list_promise()
        if manager_first:
            message += " " + _(
                "Your line manager (%(email)s) must approve your request before you can be offered a place."
            ) % {"email": booking.line_manager_email}
        return message
    if manager_first and booking.programme.bookings_confirmed_automatically:
        return _(
            "Your request has been sent to your line manager (%(email)s) first. Your place is held "
            "meanwhile. Once your line manager approves, your place is confirmed."
        ) % {"email": booking.line_manager_email}
    if manager_first:
        return _(
            "Your request has been sent to your line manager (%(email)s) first. Once they approve it, "
            "%(partner)s will confirm or decline it. Your place is held meanwhile."
        ) % {"email": booking.line_manager_email, "partner": partner}
    return _("Your request has been sent to %(partner)s. Your place is held while they confirm.") % {
        "partner": partner
    }


def _request_blocked(slot: Slot, participant) -> tuple[str, int | None]:
    """Why this participant cannot ask for `slot` now, in the availability selector's words, and
    the id of their own booking of it if that is why; ("", None) when they can ask, or join the
    waiting list of a full slot. The service stays the judge when the form is posted."""
    opportunity = slot.opportunity
    row = next(
        iter(slot_availability_list(opportunity=opportunity, participant=participant, only_slot=slot.pk)),
        None,
    )
    if row is None:  # only upcoming slots are listed
        return _("This date has passed. Choose another date."), None
    if row.can_request:
        return "", None
    if row.reason_code == Unavailable.FULL:
        # The waiting list is open to a full slot, but not inside the notice period: the service
        # checks the notice first, and the availability row stops at "full".
        earliest = notice_earliest_day(
            today=timezone.localdate(),
            notice=opportunity.minimum_notice_working_days,
            nation=opportunity.partner.nation,
        )
        if timezone.localdate(slot.starts_at) < earliest:
            days = opportunity.minimum_notice_working_days
            message = ngettext(
                "This date is too soon: %(partner)s needs at least %(days)d working day's notice. "
                "Choose a later date.",
                "This date is too soon: %(partner)s needs at least %(days)d working days' notice. "
                "Choose a later date.",
                days,
            )
            return message % {"partner": opportunity.partner, "days": days}, None
        return "", None
    return row.reason, row.booking_id


def _request_form(request, *, programmes, partner, full: bool) -> BookingRequestForm:
    return BookingRequestForm(
        posted_data(request),
        programmes=programmes,
        full=full,
        programme_hints={p.pk: _what_happens(p, partner, full=full) for p in programmes},
    )


@role_required(Role.PARTICIPANT)
def booking_request_view(request, slot_id: int):
    slot = slot_get_for_user(slot_id=slot_id, user=request.user)
    opportunity = slot.opportunity
    programmes = booking_programme_choices(slot=slot, participant=request.user)
    full = slot.places_held >= slot.capacity
    form = _request_form(request, programmes=programmes, partner=opportunity.partner, full=full)
    refused_as_full = refused_for_the_person = False
    if request.method == "POST" and form.is_valid():
        programme = form.cleaned_data["programme"]
        if programme is None:
            form.add_error(
                None,
                _(
                    "You are not enrolled on a programme that offers this opportunity. "
                    "Ask the programme team to enrol you."
                ),
            )
        else:
            try:
                booking = booking_request(
                    slot=slot,
                    participant=request.user,
                    programme=programme,
                    line_manager_email=form.cleaned_data["line_manager_email"],
                    join_waitlist=form.cleaned_data.get("join_waitlist", False),
                )
            except BookingRefused as refused:
                refused_as_full = refused.code == "full"
                refused_for_the_person = refused.code in REFUSALS_OF_THE_PERSON
                if refused_as_full and not full:
                    # The last place went since the page was shown: offer the waiting list now.
                    full = True
                    form = _request_form(
                        request, programmes=programmes, partner=opportunity.partner, full=full
                    )
                    form.is_valid()
                _add_refusal(form, refused, {"line_manager_email": LINE_MANAGER_CODES})
            else:
                messages.success(request, _request_outcome(booking))
                return redirect("bookings:detail", booking_id=booking.pk)
    if refused_as_full or not programmes or (refused_for_the_person and slot_partner_takes_visitors(slot)):
        # Refused as full, the request passed every check made before that one (notice, an earlier
        # booking), which are all `_request_blocked` adds to "full": nothing stops the waiting list.
        # Refused for the person alone, it passed those too, and with no cap or blackout to add
        # only its places are left: the form is shown again with why, without working that out.
        blocked, own_booking_id = "", None
    else:
        blocked, own_booking_id = _request_blocked(slot, request.user)
    programme = programmes[0] if len(programmes) == 1 else None
    context = {
        "slot": slot,
        "opportunity": opportunity,
        "programmes": programmes,
        "programme": programme,
        "what_happens": _what_happens(programme, opportunity.partner, full=full) if programme else "",
        "waiting_list_promise": _waiting_list_promise(),
        "blocked": blocked,
        "own_booking_id": own_booking_id,
        "full": full,
        "form": form,
    }
    return render_form_page(request, "placements/booking_request.html", context)


# --- One booking ----------------------------------------------------------------------------------
# Each action has a "blocked" helper: why the booking's state rules it out now, or "". The booking
# page offers only unblocked actions, and a form page asked for (GET) while blocked sends the person
# back to the booking with the reason. A POST still goes to the service, which has the last word.

S = BookingStatus


def _answer_blocked(booking: Booking) -> str:
    if booking.status == S.REQUESTED:
        if booking.manager_approval == ManagerApproval.PENDING:
            return _(
                "This request is waiting for %(name)s’s line manager to approve it. You can answer it "
                "once they do."
            ) % {"name": booking.participant}
        return ""
    messages_by_status = {
        S.CONFIRMED: _("This request has already been confirmed."),
        S.DECLINED: _("This request has already been declined."),
        S.CANCELLED: _("This booking has been cancelled, so there is no request to answer."),
        S.WAITLISTED: _("This booking is on the waiting list, so there is no request to answer."),
        S.OFFERED: _(
            "This booking has been offered a place from the waiting list: it is for the participant to accept."
        ),
        S.EXPIRED: _("This offer has expired, so there is no request to answer."),
        S.ATTENDED: _("This visit has already taken place."),
        S.NO_SHOW: _("This visit has already taken place."),
    }
    return messages_by_status[booking.status]


def _attendance_blocked(booking: Booking, now) -> str:
    if booking.status not in (S.CONFIRMED, S.ATTENDED, S.NO_SHOW):
        return _(
            "You can record attendance only for a confirmed visit. This booking’s status is “%(status)s”."
        ) % {"status": booking.get_status_display()}
    if booking.slot.starts_at > now:
        return _("You can record attendance from %(when)s, when the visit starts.") % {
            "when": _day_and_time(booking.slot.starts_at)
        }
    return ""


def _cancel_blocked(booking: Booking, user) -> str:
    if booking.is_active:
        try:
            booking_cancel_check(booking=booking, by=user)
        except BookingRefused as refused:
            return " ".join(refused.messages)
        return ""
    messages_by_status = {
        S.CANCELLED: _("This booking has already been cancelled."),
        S.DECLINED: _("This request was declined, so there is nothing to cancel."),
        S.EXPIRED: _("This offer has expired, so there is nothing to cancel."),
        S.ATTENDED: _("This visit has already taken place, so it can no longer be cancelled."),
        S.NO_SHOW: _("This visit has already taken place, so it can no longer be cancelled."),
    }
    return messages_by_status[booking.status]


def _back_to_booking(request, booking: Booking, message: str):
    messages.info(request, message)
    return redirect("bookings:detail", booking_id=booking.pk)


def _actions_for(user, booking: Booking) -> dict[str, bool]:
    """Which actions the booking page offers: the person may take them, and the state allows them."""
    return {
        "can_accept": booking.status == S.OFFERED and can_accept_offer(user, booking),
        "can_answer": not _answer_blocked(booking) and can_answer_booking(user, booking),
        "can_record_attendance": (
            not _attendance_blocked(booking, timezone.now()) and can_record_attendance(user, booking)
        ),
        "can_cancel": not _cancel_blocked(booking, user) and can_cancel_booking(user, booking),
    }


def _booking_context(request, booking: Booking, **more) -> dict:
    """What every page showing the booking's summary needs."""
    return {
        "booking": booking,
        "show_line_manager_email": can_see_line_manager_email(request.user, booking),
        **more,
    }


@role_required(*ANYONE_SIGNED_IN)
def booking_detail(request, booking_id: int):
    booking = booking_get_for_user(booking_id=booking_id, user=request.user)
    waiting = booking.status == S.WAITLISTED
    context = _booking_context(
        request,
        booking,
        events=booking.events.all(),
        waitlist_position=booking_waitlist_position(booking=booking) if waiting else None,
        own_booking=booking.participant_id == request.user.pk,
        visit_records=booking_visit_records(booking=booking, user=request.user),
        **_actions_for(request.user, booking),
    )
    return render(request, "placements/booking_detail.html", context)


@role_required(*ANYONE_SIGNED_IN)
def booking_cancel_view(request, booking_id: int):
    booking = _booking_for(request, booking_id, can_cancel_booking)
    if request.method != "POST" and (blocked := _cancel_blocked(booking, request.user)):
        return _back_to_booking(request, booking, blocked)
    form = BookingCancelForm(posted_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            booking = booking_cancel(booking=booking, by=request.user, reason=form.cleaned_data["reason"])
        except BookingRefused as refused:
            _add_refusal(form, refused, {"reason": {"reason_required"}})
        else:
            if booking.cancelled_late:
                message = _(
                    "The booking is cancelled. It was inside %(partner)s’s notice period, so it is "
                    "recorded as a late cancellation."
                ) % {"partner": booking.slot.opportunity.partner}
            else:
                message = _("The booking is cancelled.")
            messages.success(request, message)
            return redirect("bookings:detail", booking_id=booking.pk)
    late = booking_cancel_would_be_late(booking=booking, by=request.user)
    context = _booking_context(request, booking, form=form, late=late)
    return render_form_page(request, "placements/booking_cancel.html", context)


@require_POST
@role_required(Role.PARTICIPANT)
def booking_accept(request, booking_id: int):
    booking = _booking_for(request, booking_id, can_accept_offer)
    try:
        booking = booking_offer_accept(booking=booking, by=request.user)
    except BookingRefused as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        messages.success(
            request,
            _("You have accepted the place. %(partner)s expects you on %(day)s.")
            % {"partner": booking.slot.opportunity.partner, "day": _day(booking.slot.starts_at)},
        )
    return redirect("bookings:detail", booking_id=booking.pk)


@role_required(Role.PARTNER_CONTACT, Role.PROGRAMME_TEAM)
def booking_answer(request, booking_id: int):
    booking = _booking_for(request, booking_id, can_answer_booking)
    if request.method != "POST" and (blocked := _answer_blocked(booking)):
        return _back_to_booking(request, booking, blocked)
    name = str(booking.participant)
    form = BookingAnswerForm(posted_data(request), participant_name=name)
    if request.method == "POST" and form.is_valid():
        try:
            if form.says_yes:
                booking_confirm(booking=booking, by=request.user)
                message = _("You have confirmed the visit of %(name)s on %(day)s.")
            else:
                booking_decline(booking=booking, by=request.user, reason=form.cleaned_data["reason"])
                message = _("You have declined the request of %(name)s for %(day)s.")
        except BookingRefused as refused:
            _add_refusal(form, refused, {"reason": {"reason_required"}})
        else:
            messages.success(request, message % {"name": name, "day": _day(booking.slot.starts_at)})
            return redirect("bookings:detail", booking_id=booking.pk)
    return render_form_page(
        request, "placements/booking_answer.html", _booking_context(request, booking, form=form)
    )


@role_required(Role.PARTNER_CONTACT, Role.PROGRAMME_TEAM)
def booking_attendance(request, booking_id: int):
    booking = _booking_for(request, booking_id, can_record_attendance)
    if request.method != "POST" and (blocked := _attendance_blocked(booking, timezone.now())):
        return _back_to_booking(request, booking, blocked)
    name = str(booking.participant)
    initial = {}
    if booking.status in (S.ATTENDED, S.NO_SHOW):
        initial["attended"] = str(booking.status == S.ATTENDED)
    form = BookingAttendanceForm(posted_data(request), initial=initial, participant_name=name)
    if request.method == "POST" and form.is_valid():
        attended = form.cleaned_data["attended"]
        try:
            booking_record_attendance(booking=booking, by=request.user, attended=attended)
        except BookingRefused as refused:
            form.add_error(None, refused)
        else:
            message = (
                _("You have recorded that %(name)s came to the visit.")
                if attended
                else _("You have recorded that %(name)s did not come to the visit.")
            )
            messages.success(request, message % {"name": name})
            return redirect("bookings:detail", booking_id=booking.pk)
    return render_form_page(
        request, "placements/booking_attendance.html", _booking_context(request, booking, form=form)
    )


# --- Every booking the person may see -------------------------------------------------------------


@role_required(Role.PARTNER_CONTACT, Role.PROGRAMME_TEAM)
def booking_list(request):
    """Partners' and the team's way to find any booking; participants have "My visits"."""
    form = BookingFilterForm(request.GET)
    filters = form.filters()
    page = Paginator(booking_list_filtered(user=request.user, **filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "form": form,
        "filtered": any(filters.values()),
        "show_partner": is_programme_team(request.user),
    }
    return render(request, "placements/booking_list.html", context, status=400 if form.errors else 200)


# --- Requests waiting for an answer ---------------------------------------------------------------


def _requests_page(request, form: BookingAnswerManyForm):
    page = Paginator(booking_list_awaiting_answer(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # The team also sees the requests the partner has not been asked about yet, to chase them.
    manager_page = Paginator(booking_list_awaiting_manager(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("manager_page")
    )
    selected = set(getattr(form, "cleaned_data", {}).get("bookings", []))
    context = {"page": page, "manager_page": manager_page, "form": form, "selected": selected}
    return render(request, "placements/booking_requests.html", context, status=400 if form.errors else 200)


@role_required(Role.PARTNER_CONTACT, Role.PROGRAMME_TEAM)
def booking_requests(request):
    return _requests_page(request, BookingAnswerManyForm())


def _safe_next(request, target: str) -> str:
    """`target` if it is an address on this site, else ""."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _answered_names(bookings: list[Booking]) -> str:
    """Who, with the visit date, five at most: "Ada Lovelace (12 March 2026), ... and 3 more"."""
    names = ", ".join(
        _("%(name)s (%(day)s)") % {"name": booking.participant, "day": _day(booking.slot.starts_at)}
        for booking in bookings[:NAMES_IN_MESSAGE]
    )
    more = len(bookings) - NAMES_IN_MESSAGE
    if more > 0:
        names = _("%(names)s and %(more)d more") % {"names": names, "more": more}
    return names


@require_POST
@role_required(Role.PARTNER_CONTACT, Role.PROGRAMME_TEAM)
def booking_answer_many_view(request):
    """Confirm or decline the ticked requests. Only the ids this person may answer, and that still
    wait for an answer, are acted on: any other id posted is counted and reported, never touched.

    Posted from another page (the partner dashboard names itself in `next`), the answer, and any
    problem with the form, go back there; from the requests page, a problem is shown on it."""
    form = BookingAnswerManyForm(request.POST)
    if not form.is_valid():
        back_to = _safe_next(request, form.cleaned_data.get("next", ""))
        if not back_to:
            return _requests_page(request, form)
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back_to)
    ids = form.cleaned_data["bookings"]
    bookings = list(booking_list_awaiting_answer(user=request.user).filter(pk__in=ids))
    results = booking_answer_many(
        bookings=bookings, by=request.user, confirm=form.confirm, reason=form.cleaned_data["reason"]
    )
    done = [result.booking for result in results if not result.error]
    if done:
        if form.confirm:
            message = ngettext(
                "You have confirmed %(count)d request: %(names)s.",
                "You have confirmed %(count)d requests: %(names)s.",
                len(done),
            )
        else:
            message = ngettext(
                "You have declined %(count)d request: %(names)s.",
                "You have declined %(count)d requests: %(names)s.",
                len(done),
            )
        messages.success(request, message % {"count": len(done), "names": _answered_names(done)})
    for result in results:
        if result.error:
            message = (
                _("The request of %(name)s for %(day)s was not confirmed. %(why)s")
                if form.confirm
                else _("The request of %(name)s for %(day)s was not declined. %(why)s")
            )
            messages.error(
                request,
                message
                % {
                    "name": result.booking.participant,
                    "day": _day(result.booking.slot.starts_at),
                    "why": result.error,
                },
            )
    skipped = len(ids) - len(bookings)
    if skipped:
        messages.error(
            request,
            ngettext(
                "%(count)d selected request was left alone: it no longer waits for an answer, or it is "
                "not yours to answer.",
                "%(count)d selected requests were left alone: they no longer wait for an answer, or they "
                "are not yours to answer.",
                skipped,
            )
            % {"count": skipped},
        )
    return redirect(_safe_next(request, form.cleaned_data["next"]) or "bookings:requests")


# --- The line manager's link ----------------------------------------------------------------------


def _manager_awaited(booking: Booking) -> bool:
    return booking.manager_approval == ManagerApproval.PENDING and booking.status in (
        BookingStatus.REQUESTED,
        BookingStatus.WAITLISTED,
    )


def _manager_answered_message(booking: Booking) -> str:
    if booking.manager_approval == ManagerApproval.APPROVED:
        return _("You have approved this request.")
    if booking.manager_approval == ManagerApproval.DECLINED:
        return _("You have declined this request.")
    return _("This request is %(status)s, so it no longer needs your answer.") % {
        "status": booking.get_status_display().lower()
    }


def _manager_answered(request, booking: Booking, message: str, status: int):
    context = {"booking": booking, "message": message}
    return render(request, "placements/booking_manager_answered.html", context, status=status)


@login_not_required
@never_cache
def booking_manager(request, token: str):
    """The line manager's page, open to whoever holds the link: the signed token is the credential.

    A GET only shows the request (mail scanners follow links); the answer is a POST.
    """
    try:
        booking = booking_for_manager_token(token)
    except ApprovalLinkInvalid:
        return render(request, "placements/booking_manager_invalid.html", status=404)
    except ApprovalLinkExpired as expired:
        context = {"participant": expired.booking.participant if expired.booking else None}
        return render(request, "placements/booking_manager_expired.html", context, status=410)
    name = str(booking.participant)
    form = ManagerDecisionForm(posted_data(request), participant_name=name)
    if request.method == "POST" and form.is_valid():
        try:
            booking_manager_decide(booking=booking, approve=form.says_yes, reason=form.cleaned_data["reason"])
        except BookingRefused as refused:
            if refused.code in MANAGER_ANSWERED_CODES:
                return _manager_answered(request, booking, " ".join(refused.messages), status=409)
            _add_refusal(form, refused, {"reason": {"reason_required"}})
        else:
            return redirect("bookings:manager", token=token)
    if not _manager_awaited(booking):
        status = 409 if request.method == "POST" else 200
        return _manager_answered(request, booking, _manager_answered_message(booking), status=status)
    return render_form_page(request, "placements/booking_manager.html", {"booking": booking, "form": form})
