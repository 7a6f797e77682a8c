"""What "available" means: one definition of a slot a participant can ask for.

A slot is **bookable** when it starts in the future, has a place left, its local date leaves the
opportunity's minimum notice in working days (in the partner's nation), it falls in none of the
partner's blackouts, and neither the partner's weekly nor monthly cap is reached for its week
(Monday to Sunday) or calendar month, both in Europe/London. For a participant it must also be a
slot they have not already asked for.

`placements.services.bookings.booking_request` stays the authority: it checks the same rules under
the partner's row lock. This module only lets the pages show what that service would accept, so a
participant is not offered a place that will be refused (tests/placements/test_availability.py
checks the two agree slot by slot).

- `slot_bookable_filter` is a `Q` on `Slot` for querysets and subqueries (browse cards, filters and
  recommendations).
- `slot_availability_list` explains each upcoming slot of one opportunity for its detail page.
"""

import datetime
import operator
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import reduce

from django.db.models import (
    BooleanField,
    Case,
    DateField,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from connecting.working_days import add_working_days
from partners.models import REGION_NATION, Nation, PartnerBlackout
from partners.selectors import partner_blackout_on
from placements.models import ACTIVE_STATUSES, Booking, BookingStatus, Opportunity, Slot


class Unavailable:
    """Why a slot cannot be asked for, most useful to the participant first."""

    ALREADY_ASKED = "already_asked"
    FULL = "full"
    BLACKOUT = "blackout"
    NOTICE = "notice"
    WEEK_FULL = "week_full"
    MONTH_FULL = "month_full"
    OTHER = "other"


# --- Notice -------------------------------------------------------------------------------------


def notice_earliest_day(*, today: datetime.date, notice: int, nation: str) -> datetime.date:
    """The first local date a visit may be on, asked for `today`: `notice` working days later.

    `booking_request` refuses a visit before this day: the working days from today to the visit
    (`working_days_between`) only grow with the visit day, and reach `notice` first on this day.
    """
    return add_working_days(today, notice, nation)


def _nation_of(region: str) -> str:
    return REGION_NATION.get(region, Nation.ENGLAND)


def notice_earliest_day_expression(
    *, today: datetime.date, pairs: Iterable[tuple[int, str]] | None = None
) -> Expression:
    """For a `Slot` query: the first date its opportunity's notice allows, as a Case on the
    opportunity's notice and its partner's region.

    `pairs` are the (notice, partner region) pairs of the opportunities whose slots will be looked
    at, when the caller has read them already: a notice whose regions all give the same date then
    needs no test of the region. Without them, one small query reads the pairs in use; an
    opportunity that appears after that query has no date (NULL), so its slots count as not
    bookable until the next page load. The dates are worked out in Python, where the bank-holiday
    calendars are.
    """
    every_pair_given = pairs is not None
    if pairs is None:
        pairs = (
            Opportunity.objects.order_by()
            .values_list("minimum_notice_working_days", "partner__region")
            .distinct()
        )
    # Nested by notice, then region: a slot is matched with a few integer and one IN comparison
    # instead of walking an OR of every (notice, region) pair.
    by_notice: dict[int, dict[datetime.date, set[str]]] = {}
    for notice, region in pairs:
        day = notice_earliest_day(today=today, notice=notice, nation=_nation_of(region))
        by_notice.setdefault(notice, {}).setdefault(day, set()).add(region)

    def by_region(days: dict[datetime.date, set[str]]) -> Expression:
        if every_pair_given and len(days) == 1:
            return Value(next(iter(days)))
        return Case(
            *(
                When(opportunity__partner__region__in=sorted(regions), then=Value(day))
                for day, regions in sorted(days.items())
            ),
            default=Value(None),
            output_field=DateField(),
        )

    return Case(
        *(
            When(opportunity__minimum_notice_working_days=notice, then=by_region(days))
            for notice, days in sorted(by_notice.items())
        ),
        default=Value(None),
        output_field=DateField(),
    )


# --- Blackouts and caps, for a Slot query ---------------------------------------------------------


def _blackouts_on_slot_day() -> QuerySet[PartnerBlackout]:
    # `starts_at__date` is the date in the current time zone (Europe/London), as the service uses.
    return PartnerBlackout.objects.filter(
        partner=OuterRef("opportunity__partner"),
        starts_on__lte=OuterRef("starts_at__date"),
        ends_on__gte=OuterRef("starts_at__date"),
    )


def slot_partner_takes_visitors(slot: Slot) -> bool:
    """Whether the slot's partner has no cap on visitors and no blackout on the slot's (London) day:
    then only its places and the person asking decide whether it can be asked for."""
    partner = slot.opportunity.partner
    if partner.max_visitors_per_week is not None or partner.max_visitors_per_month is not None:
        return False
    return partner_blackout_on(partner_id=partner.pk, day=timezone.localdate(slot.starts_at)) is None


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _week_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The Monday starting `day`'s week and the Monday after."""
    monday = day - datetime.timedelta(days=day.weekday())
    return monday, monday + datetime.timedelta(days=7)


def _month_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first of `day`'s month and the first of the next."""
    first = day.replace(day=1)
    return first, (first + datetime.timedelta(days=32)).replace(day=1)


@dataclass(frozen=True)
class PartnerLoad:
    """Places held on capped partners' slots from the start of this week or month on, by local
    week (Monday to Sunday) and calendar month: `weeks[(partner id, Monday)]`,
    `months[(partner id, first of the month)]`, and each partner's (weekly, monthly) cap."""

    weeks: dict[tuple[int, datetime.date], int]
    months: dict[tuple[int, datetime.date], int]
    caps: dict[int, tuple[int | None, int | None]]

    def full_periods(self) -> list[tuple[int, datetime.date, datetime.date]]:
        """(partner id, first day, first day after) of every week and month already at its cap."""
        full = []
        for taken, week in ((self.weeks, True), (self.months, False)):
            for (partner, first), held in taken.items():
                cap = self.caps[partner][0 if week else 1]
                if cap is not None and held >= cap:
                    full.append((partner, first, (_week_of if week else _month_of)(first)[1]))
        return sorted(full)

    def week_taken(self, partner_id: int, day: datetime.date) -> int:
        return self.weeks.get((partner_id, _week_of(day)[0]), 0)

    def month_taken(self, partner_id: int, day: datetime.date) -> int:
        return self.months.get((partner_id, _month_of(day)[0]), 0)


def partner_load_since(today: datetime.date) -> datetime.datetime:
    """The first moment whose places can count against a cap today: the start of this week or of
    this month, whichever is earlier (earlier periods cannot hold a future slot)."""
    return _local_midnight(min(_week_of(today)[0], _month_of(today)[0]))


def partner_load(*, now: datetime.datetime, partners: Collection[int] | None = None) -> PartnerLoad:
    """Places held on the capped partners' slots (given partner ids, only theirs), by week and
    month. One query: the places held per partner and local day, from the start of this week or
    month on (earlier periods cannot hold a future slot) and only on days with a place held; the
    days are added up into weeks and months here. A page that looks at a few partners' slots so
    reads only theirs, not every capped partner's, and no slot is summed once per slot looked at."""
    weeks: dict[tuple[int, datetime.date], int] = {}
    months: dict[tuple[int, datetime.date], int] = {}
    caps: dict[int, tuple[int | None, int | None]] = {}
    if partners is not None and not partners:
        return PartnerLoad(weeks=weeks, months=months, caps=caps)
    since = partner_load_since(timezone.localdate(now))
    slots = Slot.objects.filter(
        Q(opportunity__partner__max_visitors_per_week__isnull=False)
        | Q(opportunity__partner__max_visitors_per_month__isnull=False),
        starts_at__gte=since,
        places_held__gt=0,
    )
    if partners is not None:
        slots = slots.filter(opportunity__partner__in=sorted(partners))
    days = (
        slots.order_by()
        .values(
            "opportunity__partner",
            "opportunity__partner__max_visitors_per_week",
            "opportunity__partner__max_visitors_per_month",
            # The local date (Europe/London), as the booking service counts.
            day=TruncDate("starts_at"),
        )
        .annotate(held=Sum("places_held"))
        .values_list(
            "opportunity__partner",
            "opportunity__partner__max_visitors_per_week",
            "opportunity__partner__max_visitors_per_month",
            "day",
            "held",
        )
    )
    for partner, week_cap, month_cap, day, held in days:
        caps[partner] = (week_cap, month_cap)
        if week_cap is not None:
            key = (partner, _week_of(day)[0])
            weeks[key] = weeks.get(key, 0) + held
        if month_cap is not None:
            key = (partner, _month_of(day)[0])
            months[key] = months.get(key, 0) + held
    return PartnerLoad(weeks=weeks, months=months, caps=caps)


def _in_full_period(load: PartnerLoad) -> Q | None:
    """For a Slot query: the slot starts in one of its partner's full weeks or months, as time
    ranges per partner (local midnight to local midnight), or None when nothing is full."""
    ranges: dict[int, Q] = {}
    for partner, first, after in load.full_periods():
        within = Q(starts_at__gte=_local_midnight(first), starts_at__lt=_local_midnight(after))
        ranges[partner] = ranges[partner] | within if partner in ranges else within
    if not ranges:
        return None
    return reduce(
        operator.or_, (Q(opportunity__partner=partner) & within for partner, within in ranges.items())
    )


def _active_bookings_of(participant) -> QuerySet[Booking]:
    return Booking.objects.filter(slot=OuterRef("pk"), participant=participant, status__in=ACTIVE_STATUSES)


# --- (a) The filter -----------------------------------------------------------------------------


def slot_bookable_filter(
    *,
    now: datetime.datetime | None = None,
    participant=None,
    earliest_day: datetime.date | Expression | None = None,
    partners: Collection[int] | None = None,
    notice_pairs: Iterable[tuple[int, str]] | None = None,
    load: PartnerLoad | None = None,
) -> Q:
    """A `Q` on `Slot`: the slot is bookable (see the module docstring), and, given a participant,
    not already asked for by them.

    Usable in subqueries (`Slot.objects.filter(slot_bookable_filter(...), opportunity=OuterRef("pk"))`).
    Build it once per request and reuse it. It runs one query for the full weeks and months and,
    unless `earliest_day` (a date, when all the slots are of one opportunity) or `notice_pairs`
    (see `notice_earliest_day_expression`) is given, one for the notice dates.

    Given `partners` (ids), it reads only those partners' caps, so it is right only for their
    slots and for slots of partners with no cap: the caller must look at no other slots through it.
    Given `load` (`partner_load`, already read), it reads none, and the same holds for the
    partners `load` was read for.
    """
    now = now or timezone.now()
    if earliest_day is None:
        earliest_day = notice_earliest_day_expression(today=timezone.localdate(now), pairs=notice_pairs)
    bookable = (
        Q(starts_at__gt=now)
        & Q(places_held__lt=F("capacity"))
        & Q(starts_at__date__gte=earliest_day)
        & ~Q(Exists(_blackouts_on_slot_day()))
    )
    if load is None:
        load = partner_load(now=now, partners=partners)
    full = _in_full_period(load)
    if full is not None:
        bookable &= ~full
    if participant is not None:
        bookable &= ~Q(Exists(_active_bookings_of(participant)))
    return bookable


def slot_list_bookable(*, now: datetime.datetime | None = None, participant=None) -> QuerySet[Slot]:
    return Slot.objects.filter(slot_bookable_filter(now=now, participant=participant))


# --- (b) One opportunity's slots, explained -----------------------------------------------------


@dataclass(frozen=True)
class SlotAvailability:
    slot: Slot
    places_left: int
    can_request: bool
    reason: str = ""
    reason_code: str = ""
    booking_status: str = ""  # the participant's own active booking on this slot, if any
    booking_id: int | None = None  # and its id, to link to it

    @property
    def booking_status_label(self) -> str:
        return BookingStatus(self.booking_status).label if self.booking_status else ""


def _why_not(
    slot: Slot, *, opportunity: Opportunity, earliest_day: datetime.date, load: PartnerLoad
) -> tuple[str, str]:
    partner = opportunity.partner
    notice = opportunity.minimum_notice_working_days
    day = timezone.localdate(slot.starts_at)
    if slot.own_booking_status:
        return Unavailable.ALREADY_ASKED, _("You have asked for this date")
    if slot.places_held >= slot.capacity:
        return Unavailable.FULL, _("Full")
    if slot.blackout_reason is not None:
        return Unavailable.BLACKOUT, _("Not taking visitors: %(reason)s") % {"reason": slot.blackout_reason}
    if day < earliest_day:
        return Unavailable.NOTICE, ngettext(
            "Too soon: needs %(days)d working day's notice",
            "Too soon: needs %(days)d working days' notice",
            notice,
        ) % {"days": notice}
    week_cap, month_cap = partner.max_visitors_per_week, partner.max_visitors_per_month
    if week_cap is not None and load.week_taken(partner.pk, day) >= week_cap:
        return Unavailable.WEEK_FULL, _("This week is full")
    if month_cap is not None and load.month_taken(partner.pk, day) >= month_cap:
        return Unavailable.MONTH_FULL, _("This month is full")
    return Unavailable.OTHER, _("Not available")


def slot_availability_list(
    *,
    opportunity: Opportunity,
    participant=None,
    now: datetime.datetime | None = None,
    only_slot: int | None = None,
) -> list[SlotAvailability]:
    """Every upcoming slot of the opportunity, soonest first, with whether the participant can ask
    for it and, when not, why in a few words. One query for the slots, and one for the partner's
    full weeks and months when it has a cap, whatever the number of slots.

    `can_request` is `slot_bookable_filter` itself, read as a column of the same query, so this
    page and the browse list never disagree; the reason is read from the same pieces. Pass
    `participant=None` for people who do not book (partner contacts, the programme team): no "you
    have asked" then. `only_slot` (an id) reads that one slot, if it is still to come.
    """
    now = now or timezone.now()
    partner = opportunity.partner
    earliest_day = notice_earliest_day(
        today=timezone.localdate(now),
        notice=opportunity.minimum_notice_working_days,
        nation=partner.nation,
    )
    capped = partner.max_visitors_per_week is not None or partner.max_visitors_per_month is not None
    load = partner_load(now=now, partners=[partner.pk] if capped else [])
    bookable = slot_bookable_filter(now=now, participant=participant, earliest_day=earliest_day, load=load)
    own_status = (
        Subquery(_active_bookings_of(participant).order_by("-created_at").values("status")[:1])
        if participant is not None
        else Value("")
    )
    own_id = (
        Subquery(_active_bookings_of(participant).order_by("-created_at").values("pk")[:1])
        if participant is not None
        else Value(None, output_field=IntegerField())
    )
    upcoming = opportunity.slots.filter(starts_at__gt=now)
    if only_slot is not None:
        upcoming = upcoming.filter(pk=only_slot)
    slots = upcoming.order_by("starts_at", "pk").annotate(
        own_booking_status=own_status,
        own_booking_id=own_id,
        blackout_reason=Subquery(_blackouts_on_slot_day().order_by("starts_on", "pk").values("reason")[:1]),
        bookable=ExpressionWrapper(bookable, output_field=BooleanField()),
    )
    rows = []
    for slot in slots:
        slot.opportunity = opportunity  # already loaded: no query per row for `slot.opportunity`
        if slot.bookable:
            rows.append(SlotAvailability(slot=slot, places_left=slot.places_left, can_request=True))
            continue
        code, reason = _why_not(slot, opportunity=opportunity, earliest_day=earliest_day, load=load)
        rows.append(
            SlotAvailability(
                slot=slot,
                places_left=slot.places_left,
                can_request=False,
                reason=reason,
                reason_code=code,
                booking_status=slot.own_booking_status or "",
                booking_id=slot.own_booking_id,
            )
        )
    return rows
