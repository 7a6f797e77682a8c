"""Reminders about bookings, chosen from the database by the scheduler (`connecting.reminders`).

Each reminder is an outbox message whose key names the booking and the occasion, so the
scheduler can run as often as it likes, twice at once, or after an outage: a key taken is a
reminder already written. Bookings are claimed with SKIP LOCKED, so two schedulers running at
once split the work rather than both rendering it. Times of day are London's; "working day"
skips weekends and the bank holidays of the partner's nation.
"""

import datetime
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from connecting.working_days import add_working_days, is_working_day, london_at, subtract_working_days
from partners.models import PartnerMembership
from placements.models import Booking, BookingAction, BookingStatus, ManagerApproval
from placements.notifications import reminder_enqueue, reminder_keys_taken

BATCH = 200
VISIT_REMINDER_HOUR = 9  # the day-before reminder, and the chasers, go at 9am London time
REQUEST_UNANSWERED_WORKING_DAYS = 2


def _url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def _visit_day(booking: Booking) -> datetime.date:
    return timezone.localtime(booking.slot.starts_at).date()


def _details(booking: Booking) -> list[tuple[str, str]]:
    start = timezone.localtime(booking.slot.starts_at)
    return [
        (_("Opportunity"), booking.slot.opportunity.title),
        (_("Partner"), booking.slot.opportunity.partner.name),
        (_("When"), start.strftime("%A %-d %B %Y, %H:%M")),
    ]


def reminders_claim_and_write(
    queryset: QuerySet,
    *,
    planned: Callable[[object], Iterable[tuple[str, Callable[[], bool]]]],
) -> int:
    """For each row of `queryset` (claimed in batches with SKIP LOCKED), `planned(row)` names the
    reminders due now as (key, write) pairs; the writes whose key is not yet taken are run."""
    written = 0
    ids = list(queryset.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        with transaction.atomic():
            locked = queryset.model.objects.filter(pk__in=ids[start : start + BATCH]).select_for_update(
                skip_locked=True
            )
            rows = list(queryset.filter(pk__in=list(locked.values_list("pk", flat=True))))
            plans = [plan for row in rows for plan in planned(row)]
            taken = reminder_keys_taken(key for key, _write in plans)
            written += sum(write() for key, write in plans if key not in taken)
    return written


def _bookings() -> QuerySet:
    return Booking.objects.select_related("participant", "programme", "slot__opportunity__partner")


def _preparation_lines(booking: Booking) -> tuple[list[str], str, str]:
    from debriefs.models import PreparationStatus

    preparation = getattr(booking, "preparation", None)
    if preparation is None or preparation.status != PreparationStatus.SUBMITTED:
        return (
            [
                _(
                    "You have not sent your preparation yet: your objectives and questions help your host plan the day."
                )
            ],
            _url("preparation:preparation", booking.pk),
            _("Prepare for your visit"),
        )
    return [], _url("bookings:detail", booking.pk), _("See your booking")


def _visit_reminder(booking: Booking, *, kind: str, when: str) -> Callable[[], bool]:
    def write() -> bool:
        preparation, link_url, link_label = _preparation_lines(booking)
        return reminder_enqueue(
            key=_visit_key(booking, kind),
            kind=f"reminder.{kind}",
            recipient=booking.participant,
            subject=_("Your visit to %(partner)s is %(when)s")
            % {"partner": booking.slot.opportunity.partner.name, "when": when},
            lines=[
                _("This is a reminder of your visit to %(partner)s %(when)s.")
                % {"partner": booking.slot.opportunity.partner.name, "when": when},
                *preparation,
            ],
            details=_details(booking),
            link_url=link_url,
            link_label=link_label,
        )

    return write


def _visit_key(booking: Booking, kind: str) -> str:
    # The date is part of the key: a visit moved to another day is reminded of again.
    return f"reminder.{kind}:{booking.pk}:{_visit_day(booking).isoformat()}"


def visit_reminders_write(*, now: datetime.datetime) -> int:
    """A week before a confirmed visit, and at 9am on the working day before it (the partner's
    nation), the participant is reminded, with a link to the preparation form if not sent."""

    def planned(booking: Booking):
        starts_at = booking.slot.starts_at
        if starts_at - datetime.timedelta(days=7) <= now < starts_at - datetime.timedelta(days=6):
            yield (
                _visit_key(booking, "visit_week"),
                _visit_reminder(booking, kind="visit_week", when=_("in a week")),
            )
        day_before = subtract_working_days(_visit_day(booking), 1, booking.slot.opportunity.partner.nation)
        if london_at(day_before, VISIT_REMINDER_HOUR) <= now < starts_at:
            when = (
                _("tomorrow")
                if (_visit_day(booking) - day_before).days == 1
                else _("on the next working day")
            )
            yield (
                _visit_key(booking, "visit_day_before"),
                _visit_reminder(booking, kind="visit_day_before", when=when),
            )

    # Christmas and a weekend can put the working day before a visit six days ahead of it.
    candidates = (
        _bookings()
        .select_related("preparation")
        .filter(status=BookingStatus.CONFIRMED, slot__starts_at__gt=now)
        .filter(slot__starts_at__lte=now + datetime.timedelta(days=7))
        .order_by("slot__starts_at", "pk")
    )
    return reminders_claim_and_write(candidates, planned=planned)


def _request_asked_at(booking: Booking) -> datetime.datetime:
    # With a line manager in the loop, the partner was asked when the manager approved.
    return booking.manager_approved_at or booking.created_at


def request_unanswered_due_at(booking: Booking) -> datetime.datetime:
    asked = timezone.localtime(_request_asked_at(booking))
    nation = booking.slot.opportunity.partner.nation
    day = add_working_days(asked.date(), REQUEST_UNANSWERED_WORKING_DAYS, nation)
    if not is_working_day(asked.date(), nation):
        # Asked on a Saturday: the clock starts on the next working day, at the start of it.
        return london_at(day, VISIT_REMINDER_HOUR)
    return timezone.make_aware(
        datetime.datetime.combine(day, asked.time().replace(tzinfo=None)), asked.tzinfo
    )


def request_reminders_write(*, now: datetime.datetime) -> int:
    """A request the partner has not answered 2 working days after it reached them: each of the
    partner's active contacts is asked once to confirm or decline it."""

    def planned(booking: Booking):
        if request_unanswered_due_at(booking) > now:
            return
        for membership in booking.slot.opportunity.partner.active_memberships:
            contact = membership.user
            key = f"reminder.request_unanswered:{booking.pk}:{contact.pk}"
            yield key, _request_reminder(booking, contact, key)

    candidates = (
        _bookings()
        .filter(status=BookingStatus.REQUESTED)
        .exclude(manager_approval=ManagerApproval.PENDING)
        .filter(created_at__lte=now - datetime.timedelta(days=REQUEST_UNANSWERED_WORKING_DAYS))
        .filter(slot__starts_at__gt=now)
        .annotate(
            manager_approved_at=Max(
                "events__created_at", filter=Q(events__action=BookingAction.MANAGER_APPROVED)
            )
        )
        # Each batch reads its partners' contacts in one query, not one per booking.
        .prefetch_related(
            Prefetch(
                "slot__opportunity__partner__memberships",
                queryset=PartnerMembership.objects.filter(user__is_active=True)
                .select_related("user")
                .order_by("user__email"),
                to_attr="active_memberships",
            )
        )
        .order_by("created_at", "pk")
    )
    return reminders_claim_and_write(candidates, planned=planned)


def _request_reminder(booking: Booking, contact, key: str) -> Callable[[], bool]:
    visitor = booking.participant.full_name or booking.participant.email

    def write() -> bool:
        return reminder_enqueue(
            key=key,
            kind="reminder.request_unanswered",
            recipient=contact,
            subject=_("Please answer %(visitor)s's request") % {"visitor": visitor},
            lines=[
                _("%(visitor)s asked to visit %(partner)s and is still waiting for an answer.")
                % {"visitor": visitor, "partner": booking.slot.opportunity.partner.name},
                _("Please confirm or decline the request, so they can plan."),
            ],
            details=_details(booking),
            link_url=_url("bookings:answer", booking.pk),
            link_label=_("Confirm or decline"),
        )

    return write


def offer_reminders_write(*, now: datetime.datetime) -> int:
    """A waiting-list offer with less than OFFER_LAST_CHANCE_HOURS to run: a last-chance e-mail."""
    hours = settings.OFFER_LAST_CHANCE_HOURS

    def planned(booking: Booking):
        key = f"reminder.offer_expiring:{booking.pk}:{booking.offer_expires_at.isoformat()}"
        yield key, _offer_reminder(booking, key)

    candidates = (
        _bookings()
        .filter(status=BookingStatus.OFFERED, offer_expires_at__gt=now)
        .filter(offer_expires_at__lte=now + datetime.timedelta(hours=hours))
        .order_by("offer_expires_at", "pk")
    )
    return reminders_claim_and_write(candidates, planned=planned)


def _offer_reminder(booking: Booking, key: str) -> Callable[[], bool]:
    def write() -> bool:
        until = timezone.localtime(booking.offer_expires_at).strftime("%H:%M on %A %-d %B")
        return reminder_enqueue(
            key=key,
            kind="reminder.offer_expiring",
            recipient=booking.participant,
            subject=_("Last chance: your place at %(partner)s")
            % {"partner": booking.slot.opportunity.partner.name},
            lines=[
                _(
                    "The place we offered you is held until %(until)s. After that it goes to the next person waiting."
                )
                % {"until": until}
            ],
            details=_details(booking),
            link_url=_url("bookings:detail", booking.pk),
            link_label=_("Accept or turn down the place"),
        )

    return write
