"""Who hears about each step of a booking, and what they are told.

`booking_event_notices` turns one BookingEvent into the e-mails it causes; the Celery task in
`placements.tasks` sends them once. Every message uses the same three templates
(`placements/email/booking_*`), so the wording lives here and the layout there.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import PartnerMembership
from placements.calendar import booking_ics
from placements.models import BookingAction, BookingEvent, BookingStatus, ManagerApproval

A = BookingAction


@dataclass
class Notice:
    to: list[str]
    subject: str
    lines: list[str]
    link_url: str = ""
    link_label: str = ""
    calendar_method: str = ""  # REQUEST or CANCEL: attach an invite for the booking's event
    details: list[tuple[str, str]] = field(default_factory=list)


def _url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def _when(booking) -> str:
    start = timezone.localtime(booking.slot.starts_at)
    end = timezone.localtime(booking.slot.ends_at)
    day = start.strftime("%A %-d %B %Y")
    if start.date() == end.date():
        return f"{day}, {start:%H:%M} to {end:%H:%M}"
    return f"{day} {start:%H:%M} to {end.strftime('%A %-d %B %Y')} {end:%H:%M}"


def _details(booking) -> list[tuple[str, str]]:
    opportunity = booking.slot.opportunity
    return [
        (_("Opportunity"), opportunity.title),
        (_("Partner"), opportunity.partner.name),
        (_("When"), _when(booking)),
        (_("Visitor"), booking.participant.full_name or booking.participant.email),
        (_("Programme"), booking.programme.name),
    ]


def _partner_contact_emails(booking) -> list[str]:
    return list(
        PartnerMembership.objects.filter(partner_id=booking.slot.opportunity.partner_id, user__is_active=True)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def booking_event_notices(event: BookingEvent) -> list[Notice]:
    """The e-mails one step of a booking causes, to the participant, partner contacts and line manager."""
    booking = event.booking
    participant = booking.participant
    opportunity = booking.slot.opportunity
    partner = opportunity.partner.name
    visitor = participant.full_name or participant.email
    booking_url = _url("bookings:detail", booking.pk)
    why = [_("Reason given: %(reason)s") % {"reason": event.reason}] if event.reason else []
    by_partner = event.actor_id is not None and event.actor_id != participant.pk
    notices: list[Notice] = []

    def to_participant(subject, lines, **extra):
        extra.setdefault("link_url", booking_url)
        extra.setdefault("link_label", _("See your booking"))
        notices.append(Notice(to=[participant.email], subject=subject, lines=lines, **extra))

    def to_partner(subject, lines, **extra):
        if emails := _partner_contact_emails(booking):
            extra.setdefault("link_url", booking_url)
            extra.setdefault("link_label", _("See the booking"))
            notices.append(Notice(to=emails, subject=subject, lines=lines, **extra))

    def to_manager(subject, lines, **extra):
        if booking.line_manager_email:
            notices.append(Notice(to=[booking.line_manager_email], subject=subject, lines=lines, **extra))

    waiting_for_manager = booking.manager_approval == ManagerApproval.PENDING
    if event.action in (A.REQUESTED, A.WAITLISTED):
        if booking.status != event.to_status:
            return []  # already moved on (confirmed automatically): the later step speaks for itself
        if event.action == A.WAITLISTED:
            to_participant(
                _("You are on the waiting list for %(title)s") % {"title": opportunity.title},
                [
                    _(
                        "The slot is full. If a place frees up, we will offer it to the people waiting, in turn, by e-mail."
                    )
                ],
            )
        elif waiting_for_manager:
            to_participant(
                _("Your request is with your line manager"),
                [
                    _("We have asked %(manager)s to approve your visit. Then %(partner)s will confirm it.")
                    % {"manager": booking.line_manager_email, "partner": partner}
                ],
            )
        else:
            to_participant(
                _("Your request has been sent to %(partner)s") % {"partner": partner},
                [_("Your place is held while %(partner)s confirms it.") % {"partner": partner}],
            )
            to_partner(
                _("New request from %(visitor)s") % {"visitor": visitor},
                [
                    _("%(visitor)s would like to visit. Please confirm or decline the request.")
                    % {"visitor": visitor}
                ],
                link_url=_url("bookings:answer", booking.pk),
                link_label=_("Confirm or decline"),
            )
        if waiting_for_manager:
            from placements.services.bookings import manager_approval_token

            to_manager(
                _("%(visitor)s asks your approval for a visit") % {"visitor": visitor},
                [
                    _(
                        "%(visitor)s has asked to visit %(partner)s through %(programme)s, and needs your approval."
                    )
                    % {"visitor": visitor, "partner": partner, "programme": booking.programme.name},
                    _("You do not need an account. The link works for %(days)d days.")
                    % {"days": settings.MANAGER_APPROVAL_LINK_DAYS},
                ],
                link_url=_url("bookings:manager", manager_approval_token(booking=booking)),
                link_label=_("Approve or decline"),
            )
    elif event.action == A.MANAGER_APPROVED:
        to_participant(
            _("Your line manager approved your visit"),
            [
                _("%(partner)s will now confirm it.") % {"partner": partner}
                if booking.status == BookingStatus.REQUESTED
                else _("You keep your place in the waiting list.")
                if booking.status == BookingStatus.WAITLISTED
                else _("The booking is now %(status)s.") % {"status": booking.get_status_display().lower()}
            ],
        )
        if booking.status == BookingStatus.REQUESTED:
            to_partner(
                _("New request from %(visitor)s") % {"visitor": visitor},
                [
                    _("%(visitor)s's line manager has approved this visit. Please confirm or decline it.")
                    % {"visitor": visitor}
                ],
                link_url=_url("bookings:answer", booking.pk),
                link_label=_("Confirm or decline"),
            )
    elif event.action == A.MANAGER_DECLINED:
        to_participant(_("Your line manager declined your visit"), why or [_("No reason was given.")])
    elif event.action in (A.CONFIRMED, A.OFFER_ACCEPTED):
        to_participant(
            _("Your visit to %(partner)s is confirmed") % {"partner": partner},
            [_("The calendar invite is attached. Prepare for the visit from your booking page.")],
            calendar_method="REQUEST",
        )
        if event.action == A.OFFER_ACCEPTED or not by_partner:
            to_partner(
                _("%(visitor)s is confirmed for %(title)s")
                % {"visitor": visitor, "title": opportunity.title},
                [_("The place is confirmed. You will see their objectives before the visit.")],
            )
        if booking.line_manager_email:
            to_manager(
                _("%(visitor)s's visit is confirmed") % {"visitor": visitor},
                [_("%(partner)s has confirmed the visit you approved.") % {"partner": partner}],
            )
    elif event.action == A.DECLINED:
        to_participant(
            _("%(partner)s cannot host you on this date") % {"partner": partner},
            [*why, _("Your place has been released. You can choose another date.")],
            link_url=_url("browse:detail", opportunity.pk),
            link_label=_("Choose another date"),
        )
    elif event.action == A.CANCELLED:
        late = (
            [_("This was inside the notice period, so it is recorded as a late cancellation.")]
            if event.late
            else []
        )
        was_confirmed = event.from_status == BookingStatus.CONFIRMED
        to_participant(
            _("Your booking with %(partner)s is cancelled") % {"partner": partner},
            [*why, *late],
            calendar_method="CANCEL" if was_confirmed else "",
        )
        if event.from_status in (
            BookingStatus.REQUESTED,
            BookingStatus.CONFIRMED,
            BookingStatus.OFFERED,
        ) and (not by_partner or event.from_status != BookingStatus.REQUESTED):
            to_partner(
                _("%(visitor)s's booking is cancelled") % {"visitor": visitor},
                [*why, *late, _("The place is free again.")],
            )
        if booking.line_manager_email and booking.manager_approval == ManagerApproval.APPROVED:
            to_manager(_("%(visitor)s's visit is cancelled") % {"visitor": visitor}, why)
    elif event.action == A.OFFERED:
        deadline = timezone.localtime(booking.offer_expires_at).strftime("%-d %B %Y at %H:%M")
        to_participant(
            _("A place is free: %(title)s") % {"title": opportunity.title},
            [
                _(
                    "A place has come up from the waiting list. It is yours if you accept it by %(deadline)s; "
                    "after that it goes to the next person waiting."
                )
                % {"deadline": deadline}
            ],
            link_label=_("Accept or decline the place"),
        )
    elif event.action == A.EXPIRED:
        to_participant(
            _("Your offer of a place has expired"),
            [_("You did not accept the place in time, so it has gone to the next person waiting.")],
        )
    elif event.action == A.RESCHEDULED:
        confirmed = booking.status == BookingStatus.CONFIRMED
        to_participant(
            _("Your visit to %(partner)s has moved") % {"partner": partner},
            [
                _("%(partner)s has moved the visit to %(when)s.")
                % {"partner": partner, "when": _when(booking)},
                *why,
                _(
                    "The updated calendar invite is attached. If the new time does not suit you, cancel from your booking page."
                )
                if confirmed
                else _("Nothing else about your booking has changed."),
            ],
            calendar_method="REQUEST" if confirmed else "",
        )
        if booking.line_manager_email and booking.manager_approval == ManagerApproval.APPROVED:
            to_manager(_("%(visitor)s's visit has moved") % {"visitor": visitor}, why)
    elif event.action in (A.ATTENDED, A.NO_SHOW):
        to_participant(
            _("Thank you for visiting %(partner)s") % {"partner": partner}
            if event.action == A.ATTENDED
            else _("%(partner)s recorded that you did not attend") % {"partner": partner},
            [_("Write your debrief while the visit is fresh in your mind.")]
            if event.action == A.ATTENDED
            else [_("If this is wrong, reply to this e-mail or contact %(partner)s.") % {"partner": partner}],
        )
    details = _details(booking)
    for notice in notices:
        notice.details = details
    return notices


def notice_calendar_attachment(notice: Notice, booking) -> bytes | None:
    return booking_ics(booking=booking, method=notice.calendar_method) if notice.calendar_method else None
