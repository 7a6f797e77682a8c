"""The booking lifecycle's pages: ask for a place, follow a booking, and answer, cancel or record it.

Every page that names a booking fetches it through `booking_get_for_user` (404 for anyone who may
not see it) and then asks a predicate from `placements.permissions` whether this person may act
(403 if they may see it but not do this). Whether the booking's state allows the move is the
service's call: its refusal is shown on the page, in its own words.
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
from connecting.accounts.roles import role_required
from connecting.forms import posted_data, render_form_page
from placements.forms.bookings import (
    BookingAnswerForm,
    BookingAnswerManyForm,
    BookingAttendanceForm,
    BookingCancelForm,
    BookingRequestForm,
    ManagerDecisionForm,
)
from placements.models import Booking, BookingStatus, ManagerApproval
from placements.permissions import (
    can_accept_offer,
    can_answer_booking,
    can_cancel_booking,
    can_record_attendance,
)
from placements.selectors.bookings import (
    booking_cancel_would_be_late,
    booking_get_for_user,
    booking_list_awaiting_answer,
    booking_waitlist_position,
)
from placements.selectors.opportunities import slot_get_for_user
from placements.services.bookings import (
    ApprovalLinkExpired,
    ApprovalLinkInvalid,
    BookingRefused,
    booking_answer_many,
    booking_cancel,
    booking_confirm,
    booking_decline,
    booking_for_manager_token,
    booking_manager_decide,
    booking_offer_accept,
    booking_programme_for,
    booking_record_attendance,
    booking_request,
)

PAGE_SIZE = 25
ANYONE_SIGNED_IN = (Role.PARTICIPANT, Role.PARTNER_CONTACT, Role.PROGRAMME_TEAM)
# Refusals about the line manager's address belong next to that field; the rest go on top.
LINE_MANAGER_CODES = {"line_manager_required", "line_manager_self"}
# The line manager's answer is already in (or no longer wanted): the form is not shown again.
MANAGER_ANSWERED_CODES = {"already_approved", "already_declined", "not_pending", "illegal_transition"}


def _day(moment) -> str:
    return timezone.localtime(moment).strftime("%-d %B %Y")


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
        message = _(
            "You are on the waiting list, at position %(position)d. If a place comes free, we will "
            "e-mail you and hold it for you for up to %(hours)d hours."
        ) % {"position": booking_waitlist_position(booking=booking), "hours": settings.BOOKING_OFFER_HOURS}
        if manager_first:
            message += " " + _("Your line manager (%(email)s) must approve your request first.") % {
                "email": booking.line_manager_email
            }
        return message
    if manager_first:
        return _(
            "Your request has been sent to your line manager (%(email)s) first. Once they approve it, "
            "%(partner)s will confirm or decline it. Your place is held meanwhile."
        ) % {"email": booking.line_manager_email, "partner": partner}
    return _("Your request has been sent to %(partner)s. Your place is held while they confirm.") % {
        "partner": partner
    }


@role_required(Role.PARTICIPANT)
def booking_request_view(request, slot_id: int):
    slot = slot_get_for_user(slot_id=slot_id, user=request.user)
    programme = booking_programme_for(slot=slot, participant=request.user)
    full = slot.places_held >= slot.capacity
    form = BookingRequestForm(
        posted_data(request),
        line_manager_required=bool(programme and programme.line_manager_approval_required),
        full=full,
    )
    if request.method == "POST" and form.is_valid():
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
                    line_manager_email=form.cleaned_data.get("line_manager_email", ""),
                    join_waitlist=form.cleaned_data.get("join_waitlist", False),
                )
            except BookingRefused as refused:
                _add_refusal(form, refused, {"line_manager_email": LINE_MANAGER_CODES})
            else:
                messages.success(request, _request_outcome(booking))
                return redirect("bookings:detail", booking_id=booking.pk)
    context = {
        "slot": slot,
        "opportunity": slot.opportunity,
        "programme": programme,
        "full": full,
        "form": form,
    }
    return render_form_page(request, "placements/booking_request.html", context)


# --- One booking ----------------------------------------------------------------------------------


def _actions_for(user, booking: Booking) -> dict[str, bool]:
    """Which actions the booking page offers: the person may take them, and the state allows them."""
    status = booking.status
    visit_started = booking.slot.starts_at <= timezone.now()
    return {
        "can_accept": status == BookingStatus.OFFERED and can_accept_offer(user, booking),
        "can_answer": status == BookingStatus.REQUESTED and can_answer_booking(user, booking),
        "can_record_attendance": (
            status in (BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)
            and visit_started
            and can_record_attendance(user, booking)
        ),
        "can_cancel": booking.is_active and can_cancel_booking(user, booking),
    }


@role_required(*ANYONE_SIGNED_IN)
def booking_detail(request, booking_id: int):
    booking = booking_get_for_user(booking_id=booking_id, user=request.user)
    context = {"booking": booking, "events": booking.events.all(), **_actions_for(request.user, booking)}
    return render(request, "placements/booking_detail.html", context)


@role_required(*ANYONE_SIGNED_IN)
def booking_cancel_view(request, booking_id: int):
    booking = _booking_for(request, booking_id, can_cancel_booking)
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
    context = {"booking": booking, "form": form, "late": booking_cancel_would_be_late(booking=booking)}
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
    return render_form_page(request, "placements/booking_answer.html", {"booking": booking, "form": form})


@role_required(Role.PARTNER_CONTACT, Role.PROGRAMME_TEAM)
def booking_attendance(request, booking_id: int):
    booking = _booking_for(request, booking_id, can_record_attendance)
    name = str(booking.participant)
    initial = {}
    if booking.status in (BookingStatus.ATTENDED, BookingStatus.NO_SHOW):
        initial["attended"] = str(booking.status == BookingStatus.ATTENDED)
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
    return render_form_page(request, "placements/booking_attendance.html", {"booking": booking, "form": form})


# --- Requests waiting for an answer ---------------------------------------------------------------


def _requests_page(request, form: BookingAnswerManyForm):
    page = Paginator(booking_list_awaiting_answer(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    selected = set(getattr(form, "cleaned_data", {}).get("bookings", []))
    context = {"page": page, "form": form, "selected": selected}
    return render(request, "placements/booking_requests.html", context, status=400 if form.errors else 200)


@role_required(Role.PARTNER_CONTACT, Role.PROGRAMME_TEAM)
def booking_requests(request):
    return _requests_page(request, BookingAnswerManyForm())


def _after_answering(request, form: BookingAnswerManyForm):
    target = form.cleaned_data.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("bookings:requests")


@require_POST
@role_required(Role.PARTNER_CONTACT, Role.PROGRAMME_TEAM)
def booking_answer_many_view(request):
    """Confirm or decline the ticked requests. Only the ids this person may answer, and that still
    wait for an answer, are acted on: any other id posted is counted and reported, never touched."""
    form = BookingAnswerManyForm(request.POST)
    if not form.is_valid():
        return _requests_page(request, form)
    ids = form.cleaned_data["bookings"]
    bookings = list(booking_list_awaiting_answer(user=request.user).filter(pk__in=ids))
    results = booking_answer_many(
        bookings=bookings, by=request.user, confirm=form.confirm, reason=form.cleaned_data["reason"]
    )
    done = [result.booking for result in results if not result.error]
    if done:
        names = ", ".join(str(booking.participant) for booking in done)
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
        messages.success(request, message % {"count": len(done), "names": names})
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
    return _after_answering(request, form)


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
