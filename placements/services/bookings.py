"""Taking a place on a slot, guarded by the slot's capacity and the partner's protection rules.

Every booking that takes a place goes through `booking_request`, which holds a row lock on the
partner and then the slot for the whole check-and-write. The partner lock serialises everything
that counts against the partner's weekly and monthly caps; the slot's CHECK constraint
(`places_held <= capacity`) is the last line of defence should any code path forget the lock.
"""

import calendar
import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from connecting.working_days import working_days_between
from partners.models import Partner, PartnerStatus
from partners.selectors import partner_blackout_on
from placements.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    Enrolment,
    OpportunityStatus,
    Programme,
    Slot,
)


class BookingRefused(ValidationError):
    """A booking the rules do not allow; the message says why, in words for the participant."""


def _local_range(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min))
    return start, end


def partner_places_taken(*, partner: Partner, first: datetime.date, last: datetime.date) -> int:
    """Places taken on the partner's slots that start between two local dates, inclusive."""
    start, end = _local_range(first, last)
    total = Slot.objects.filter(
        opportunity__partner=partner, starts_at__gte=start, starts_at__lt=end
    ).aggregate(total=Sum("places_held"))["total"]
    return total or 0


def _week_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    monday = day - datetime.timedelta(days=day.weekday())
    return monday, monday + datetime.timedelta(days=6)


def _month_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def partner_capacity_check(*, partner: Partner, day: datetime.date) -> None:
    """Refuse one more visitor on `day` if it breaks a blackout or the weekly or monthly cap.

    Call it with the partner row locked, or the count can change under you.
    """
    if blackout := partner_blackout_on(partner_id=partner.pk, day=day):
        raise BookingRefused(
            _("%(partner)s is not taking visitors from %(first)s to %(last)s (%(reason)s).")
            % {
                "partner": partner,
                "first": blackout.starts_on.strftime("%-d %B %Y"),
                "last": blackout.ends_on.strftime("%-d %B %Y"),
                "reason": blackout.reason,
            },
            code="blackout",
        )
    caps = [
        (partner.max_visitors_per_week, _week_of(day), _("week")),
        (partner.max_visitors_per_month, _month_of(day), _("month")),
    ]
    for cap, (first, last), period in caps:
        if cap is not None and partner_places_taken(partner=partner, first=first, last=last) >= cap:
            raise BookingRefused(
                _(
                    "%(partner)s hosts at most %(cap)d visitors a %(period)s and that %(period)s is full. "
                    "Choose a date in another %(period)s."
                )
                % {"partner": partner, "cap": cap, "period": period},
                code=f"partner_{period}_full",
            )


def _check_bookable(*, slot: Slot, participant, programme: Programme) -> None:
    opportunity = slot.opportunity
    if (
        opportunity.status != OpportunityStatus.PUBLISHED
        or opportunity.partner.status != PartnerStatus.ACTIVE
    ):
        raise BookingRefused(_("This opportunity is not taking bookings."), code="not_published")
    if not opportunity.programmes.filter(pk=programme.pk).exists():
        raise BookingRefused(_("This opportunity is not part of that programme."), code="wrong_programme")
    if not Enrolment.objects.filter(programme=programme, participant=participant).exists():
        raise BookingRefused(
            _("You are not enrolled on %(programme)s. Ask the programme team to enrol you.")
            % {"programme": programme},
            code="not_enrolled",
        )
    today = timezone.localdate()
    visit_day = timezone.localdate(slot.starts_at)
    if slot.starts_at <= timezone.now():
        raise BookingRefused(_("This slot has already started."), code="past")
    notice = opportunity.minimum_notice_working_days
    if working_days_between(today, visit_day, opportunity.partner.nation) < notice:
        raise BookingRefused(
            _("%(partner)s needs at least %(days)d working days' notice. Choose a later date.")
            % {"partner": opportunity.partner, "days": notice},
            code="notice",
        )
    if Booking.objects.filter(slot=slot, participant=participant, status__in=ACTIVE_STATUSES).exists():
        raise BookingRefused(_("You already have a booking for this slot."), code="duplicate")


@transaction.atomic
def booking_request(*, slot: Slot, participant, programme: Programme) -> Booking:
    """Take one place on `slot` for `participant`, through `programme`.

    The booking is confirmed at once when the programme confirms automatically; otherwise it is a
    request that holds its place while the partner decides. Refused (BookingRefused, nothing
    written) when the slot is full, the partner's cap or a blackout forbids it, the notice period
    is too short, or the participant is not enrolled.
    """
    # Lock order is always partner, then slot: two bookings can never wait on each other.
    partner = Partner.objects.select_for_update(no_key=True).get(pk=slot.opportunity.partner_id)
    slot = (
        Slot.objects.select_for_update(no_key=True, of=("self",))
        .select_related("opportunity__partner")
        .get(pk=slot.pk)
    )
    _check_bookable(slot=slot, participant=participant, programme=programme)
    if slot.places_held >= slot.capacity:
        raise BookingRefused(_("This slot is full. Choose another date."), code="full")
    partner_capacity_check(partner=partner, day=timezone.localdate(slot.starts_at))
    status = (
        BookingStatus.CONFIRMED if programme.bookings_confirmed_automatically else BookingStatus.REQUESTED
    )
    booking = Booking.objects.create(slot=slot, participant=participant, programme=programme, status=status)
    Slot.objects.filter(pk=slot.pk).update(places_held=F("places_held") + 1)
    return booking


def booking_programme_for(*, slot: Slot, participant) -> Programme | None:
    """The programme a participant books this slot through: the first they share with it, by name."""
    return (
        Programme.objects.filter(opportunities=slot.opportunity_id, enrolments__participant=participant)
        .order_by("name")
        .first()
    )
