"""Who hears about each step of a booking, and what they are told.

`booking_event_notices` turns one BookingEvent into the e-mails it causes; the Celery task in
`placements.tasks` sends them once. Every message uses the same three templates
(`placements/email/booking_*`), so the wording lives here and the layout there.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from connecting.accounts.roles import is_partner_contact
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
    recipient: object = None  # the User, when the notice is for one person (their reminder choice)
    essential: bool = True


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


def partner_contact_emails(booking) -> list[str]:
    """The addresses of the booking's partner's active contacts, in order."""
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
    by_partner = is_partner_contact(event.actor)
    automatic = booking.programme.bookings_confirmed_automatically
    visit = _("%(title)s on %(day)s") % {
        "title": opportunity.title,
        "day": timezone.localtime(booking.slot.starts_at).strftime("%-d %B %Y"),
    }
    notices: list[Notice] = []

    def to_participant(subject, lines, **extra):
        extra.setdefault("link_url", booking_url)
        extra.setdefault("link_label", _("See your booking"))
        notices.append(Notice(to=[participant.email], subject=subject, lines=lines, **extra))

    def to_partner(subject, lines, **extra):
        if emails := partner_contact_emails(booking):
            extra.setdefault("link_url", booking_url)
            extra.setdefault("link_label", _("See the booking"))
            notices.append(Notice(to=emails, subject=subject, lines=lines, **extra))

    def to_manager(subject, lines, **extra):
        if booking.line_manager_email:
            notices.append(Notice(to=[booking.line_manager_email], subject=subject, lines=lines, **extra))

    def ask_partner(lines):
        to_partner(
            _("New request from %(visitor)s: %(visit)s") % {"visitor": visitor, "visit": visit},
            lines,
            link_url=_url("bookings:answer", booking.pk),
            link_label=_("Confirm or decline"),
        )

    waiting_for_manager = booking.manager_approval == ManagerApproval.PENDING
    if event.action in (A.REQUESTED, A.WAITLISTED):
        if booking.status != event.to_status:
            return []  # already moved on (confirmed automatically): the later step speaks for itself
        if event.action == A.WAITLISTED:
            to_participant(
                _("You are on the waiting list for %(title)s") % {"title": opportunity.title},
                [
                    _(
                        "The slot is full. If a place comes free, we will offer it to the people waiting, in turn, by e-mail."
                    )
                ],
            )
        elif waiting_for_manager:
            to_participant(
                _("Your request is with your line manager"),
                [
                    _("We have asked %(manager)s to approve your visit.")
                    % {"manager": booking.line_manager_email},
                    _("Once they approve, your place is confirmed.")
                    if automatic
                    else _("Once they approve, %(partner)s will confirm or decline it.")
                    % {"partner": partner},
                ],
            )
        else:
            to_participant(
                _("Your request has been sent to %(partner)s") % {"partner": partner},
                [_("Your place is held while %(partner)s confirms it.") % {"partner": partner}],
            )
            ask_partner(
                [
                    _("%(visitor)s would like to visit. Please confirm or decline the request.")
                    % {"visitor": visitor}
                ]
            )
        if waiting_for_manager:
            from placements.services.bookings import manager_approval_token

            waitlisted = [
                _(
                    "The slot is full, so they are on its waiting list: they will be offered a place if one comes free."
                )
            ]
            to_manager(
                _("%(visitor)s asks your approval for a visit") % {"visitor": visitor},
                [
                    _(
                        "%(visitor)s has asked to visit %(partner)s through %(programme)s, and needs your approval."
                    )
                    % {"visitor": visitor, "partner": partner, "programme": booking.programme.name},
                    *(waitlisted if event.action == A.WAITLISTED else []),
                    _("You do not need an account. The link works for %(days)d days.")
                    % {"days": settings.MANAGER_APPROVAL_LINK_DAYS},
                ],
                link_url=_url("bookings:manager", manager_approval_token(booking=booking)),
                link_label=_("Approve or decline"),
            )
    elif event.action == A.MANAGER_APPROVED:
        # Told as things stood at the approval; an automatic confirmation sends its own e-mail.
        if event.to_status == BookingStatus.WAITLISTED:
            to_participant(
                _("Your line manager approved your visit"),
                [_("You stay on the waiting list. If a place comes free, we will offer it to you in turn.")],
            )
        elif not automatic:
            to_participant(
                _("Your line manager approved your visit"),
                [_("%(partner)s will now confirm or decline it.") % {"partner": partner}],
            )
            ask_partner(
                [
                    _("%(visitor)s's line manager has approved this visit. Please confirm or decline it.")
                    % {"visitor": visitor}
                ]
            )
    elif event.action == A.MANAGER_DECLINED:
        to_participant(_("Your line manager declined your visit"), why or [_("No reason was given.")])
    elif event.action in (A.CONFIRMED, A.OFFER_ACCEPTED):
        to_participant(
            _("Your visit to %(partner)s is confirmed") % {"partner": partner},
            [_("The calendar invite is attached. Prepare for the visit from your booking page.")],
            calendar_method="REQUEST",
        )
        if not by_partner:
            to_partner(
                _("%(visitor)s is confirmed: %(visit)s") % {"visitor": visitor, "visit": visit},
                [_("The place is confirmed. You will see their objectives before the visit.")],
            )
        to_manager(
            _("%(visitor)s's visit is confirmed") % {"visitor": visitor},
            [_("The visit you approved, to %(partner)s, is confirmed.") % {"partner": partner}],
        )
    elif event.action == A.DECLINED:
        to_participant(
            _("%(partner)s cannot host you on this date") % {"partner": partner}
            if by_partner
            else _("Your request for %(visit)s was declined") % {"visit": visit},
            [*why, _("You can choose another date.")],
            link_url=_url("browse:detail", opportunity.pk),
            link_label=_("Choose another date"),
        )
    elif event.action == A.CANCELLED:
        late = (
            [_("This was inside the notice period, so it is recorded as a late cancellation.")]
            if event.late
            else []
        )
        to_participant(
            _("Your booking with %(partner)s is cancelled") % {"partner": partner},
            [*why, *late],
            calendar_method="CANCEL" if event.from_status == BookingStatus.CONFIRMED else "",
        )
        partner_was_asked = booking.manager_approval != ManagerApproval.PENDING
        if (
            not by_partner
            and partner_was_asked
            and event.from_status in (BookingStatus.REQUESTED, BookingStatus.CONFIRMED)
        ):
            to_partner(
                _("%(visitor)s's booking is cancelled: %(visit)s") % {"visitor": visitor, "visit": visit},
                [*why, *late, _("The place has been released.")],
            )
        if booking.manager_approval == ManagerApproval.APPROVED:
            to_manager(_("%(visitor)s's visit is cancelled") % {"visitor": visitor}, why)
        elif booking.manager_approval == ManagerApproval.PENDING:
            to_manager(
                _("%(visitor)s's request no longer needs your approval") % {"visitor": visitor},
                [
                    *why,
                    _("%(visitor)s has cancelled the request you were asked to approve.")
                    % {"visitor": visitor},
                ],
            )
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
            [_("You did not accept the place in time, so it has been released.")],
        )
    elif event.action == A.RESCHEDULED:
        confirmed = event.to_status == BookingStatus.CONFIRMED
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
        if booking.manager_approval == ManagerApproval.APPROVED:
            to_manager(_("%(visitor)s's visit has moved") % {"visitor": visitor}, why)
    elif event.action in (A.ATTENDED, A.NO_SHOW):
        attended = event.action == A.ATTENDED
        to_participant(
            _("Thank you for visiting %(partner)s") % {"partner": partner}
            if attended
            else _("%(partner)s recorded that you did not attend") % {"partner": partner},
            [_("Write your debrief while the visit is fresh in your mind.")]
            if attended
            else [_("If this is wrong, contact %(partner)s or the programme team.") % {"partner": partner}],
        )
    details = _details(booking)
    for notice in notices:
        notice.details = details
    return notices


def notice_calendar_attachment(notice: Notice, booking) -> bytes | None:
    return booking_ics(booking=booking, method=notice.calendar_method) if notice.calendar_method else None


def notices_enqueue(*, notices: list[Notice], key: str, kind: str, booking=None) -> int:
    """Write each notice into the outbox under `key:<n>`; a calendar invite rides along when the
    notice asks for one. Booking steps are essential: they go to people who turned reminders off."""
    from connecting.outbox import calendar_attachment, outbox_enqueue

    written = 0
    for number, notice in enumerate(notices):
        ics = notice_calendar_attachment(notice, booking) if booking is not None else None
        message = outbox_enqueue(
            key=f"{key}:{number}",
            kind=kind,
            to=notice.to,
            template_prefix="placements/email/booking",
            context={"notice": notice},
            attachments=[calendar_attachment(ics, notice.calendar_method)] if ics else [],
            recipient=notice.recipient,
            essential=notice.essential,
        )
        written += message is not None
    return written


def reminder_keys_taken(keys: Iterable[str]) -> set[str]:
    """Which of `keys` already have their outbox message: one query, so a scheduler run renders
    only the reminders that are new."""
    from connecting.models import OutboxMessage

    return set(
        OutboxMessage.objects.filter(idempotency_key__in=list(keys)).values_list("idempotency_key", flat=True)
    )


def reminder_enqueue(*, key: str, kind: str, recipient, subject: str, lines: list[str], **extra) -> bool:
    """Write one non-essential reminder to one person into the outbox (it carries their
    unsubscribe link); False when the key was taken or the person has no active account."""
    from connecting.outbox import outbox_enqueue

    if not recipient.is_active:
        return False
    notice = Notice(
        to=[recipient.email], subject=subject, lines=lines, recipient=recipient, essential=False, **extra
    )
    message = outbox_enqueue(
        key=key,
        kind=kind,
        to=notice.to,
        template_prefix="placements/email/booking",
        context={"notice": notice},
        recipient=recipient,
        essential=False,
    )
    return message is not None and message.status != "skipped"
