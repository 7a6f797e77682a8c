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
from dataclasses import dataclass

from django.db.models import (
    Case,
    CharField,
    DateField,
    DateTimeField,
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
from django.db.models.functions import Cast, Coalesce, Concat, TruncMonth, TruncWeek
from django.db.models.lookups import In
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from connecting.working_days import add_working_days
from partners.models import REGION_NATION, Nation, PartnerBlackout
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

    `booking_request` refuses when `working_days_between(today, visit_day, nation) < notice`; that
    count only grows with the visit day and reaches `notice` first on this day.
    """
    return add_working_days(today, notice, nation)


def _nation_of(region: str) -> str:
    return REGION_NATION.get(region, Nation.ENGLAND)


def notice_earliest_day_expression(*, today: datetime.date) -> Expression:
    """For a `Slot` query: the first date its opportunity's notice allows, as a Case on the
    opportunity's notice and its partner's region.

    One small query reads the (notice, region) pairs in use; the dates are worked out in Python,
    where the bank-holiday calendars are. An opportunity that appears after that query has no
    date (NULL), so its slots count as not bookable until the next page load.
    """
    pairs = (
        Opportunity.objects.order_by()
        .values_list("minimum_notice_working_days", "partner__region")
        .distinct()
    )
    # Nested by notice, then region: a slot is matched with a few integer and one IN comparison
    # instead of walking an OR of every (notice, region) pair.
    by_notice: dict[int, dict[datetime.date, list[str]]] = {}
    for notice, region in pairs:
        day = notice_earliest_day(today=today, notice=notice, nation=_nation_of(region))
        by_notice.setdefault(notice, {}).setdefault(day, []).append(region)
    return Case(
        *(
            When(
                opportunity__minimum_notice_working_days=notice,
                then=Case(
                    *(
                        When(opportunity__partner__region__in=sorted(regions), then=Value(day))
                        for day, regions in sorted(days.items())
                    ),
                    default=Value(None),
                    output_field=DateField(),
                ),
            )
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


def _places_taken_in_same(trunc) -> Expression:
    """Places held on all the partner's slots that start in the slot's local week or month."""
    slot_start = ExpressionWrapper(OuterRef("starts_at"), output_field=DateTimeField())
    taken = (
        Slot.objects.filter(opportunity__partner=OuterRef("opportunity__partner"))
        .annotate(period=trunc("starts_at"))
        .filter(period=trunc(slot_start))
        .order_by()
        .values("opportunity__partner")
        .annotate(total=Sum("places_held"))
        .values("total")
    )
    return Coalesce(Subquery(taken), Value(0), output_field=IntegerField())


def _places_taken_in_same_week() -> Expression:
    return _places_taken_in_same(TruncWeek)


def _places_taken_in_same_month() -> Expression:
    return _places_taken_in_same(TruncMonth)


def _period_key(partner, trunc) -> Expression:
    """For a Slot query: "<partner id>/<first local day of the slot's week or month>", one value
    per (partner, period) that the database can compare against a list (PostgreSQL hashes it)."""
    return Concat(
        Cast(partner, CharField()),
        Value("/"),
        Cast(Cast(trunc("starts_at"), DateField()), CharField()),
        output_field=CharField(),
    )


def full_period_keys(*, now: datetime.datetime, partner=None) -> tuple[list[str], list[str]]:
    """The weeks and months (keys as `_period_key`) in which a capped partner's slots already hold
    as many places as its cap: one grouped query over the capped partners' slots from the start of
    this week or month on (earlier periods cannot hold a future slot), instead of a sum of the
    partner's slots for every slot looked at. Given a partner, only theirs."""
    today = timezone.localdate(now)
    since_day = min(today - datetime.timedelta(days=today.weekday()), today.replace(day=1))
    since = timezone.make_aware(datetime.datetime.combine(since_day, datetime.time()))

    def full(trunc, cap_field: str, kind: str):
        # Slots with no place held add nothing to a sum.
        slots = Slot.objects.filter(
            **{f"opportunity__partner__{cap_field}__isnull": False}, starts_at__gte=since, places_held__gt=0
        )
        if partner is not None:
            slots = slots.filter(opportunity__partner=partner)
        return (
            slots.order_by()
            .values(
                kind=Value(kind),
                key=_period_key(F("opportunity__partner"), trunc),
                cap=F(f"opportunity__partner__{cap_field}"),
            )
            .annotate(total=Sum("places_held"))
            .filter(total__gte=F("cap"))
            .values_list("kind", "key")
        )

    weeks, months = [], []
    for kind, key in full(TruncWeek, "max_visitors_per_week", "w").union(
        full(TruncMonth, "max_visitors_per_month", "m"), all=True
    ):
        (weeks if kind == "w" else months).append(key)
    return weeks, months


def _active_bookings_of(participant) -> QuerySet[Booking]:
    return Booking.objects.filter(slot=OuterRef("pk"), participant=participant, status__in=ACTIVE_STATUSES)


# --- (a) The filter -----------------------------------------------------------------------------


def slot_bookable_filter(
    *,
    now: datetime.datetime | None = None,
    participant=None,
    earliest_day: datetime.date | Expression | None = None,
    partner=None,
) -> Q:
    """A `Q` on `Slot`: the slot is bookable (see the module docstring), and, given a participant,
    not already asked for by them.

    Usable in subqueries (`Slot.objects.filter(slot_bookable_filter(...), opportunity=OuterRef("pk"))`).
    Build it once per request and reuse it: unless `earliest_day` is given (a date, when all the
    slots are of one opportunity), it runs one small query for the notice dates.
    """
    now = now or timezone.now()
    if earliest_day is None:
        earliest_day = notice_earliest_day_expression(today=timezone.localdate(now))
    bookable = (
        Q(starts_at__gt=now)
        & Q(places_held__lt=F("capacity"))
        & Q(starts_at__date__gte=earliest_day)
        & ~Q(Exists(_blackouts_on_slot_day()))
    )
    full_weeks, full_months = full_period_keys(now=now, partner=partner)
    if full_weeks:
        bookable &= ~Q(In(_period_key(F("opportunity__partner"), TruncWeek), full_weeks))
    if full_months:
        bookable &= ~Q(In(_period_key(F("opportunity__partner"), TruncMonth), full_months))
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


def _why_not(slot: Slot, *, opportunity: Opportunity, earliest_day: datetime.date) -> tuple[str, str]:
    partner = opportunity.partner
    notice = opportunity.minimum_notice_working_days
    if slot.own_booking_status:
        return Unavailable.ALREADY_ASKED, _("You have asked for this date")
    if slot.places_held >= slot.capacity:
        return Unavailable.FULL, _("Full")
    if slot.blackout_reason is not None:
        return Unavailable.BLACKOUT, _("Not taking visitors: %(reason)s") % {"reason": slot.blackout_reason}
    if timezone.localdate(slot.starts_at) < earliest_day:
        return Unavailable.NOTICE, ngettext(
            "Too soon: needs %(days)d working day's notice",
            "Too soon: needs %(days)d working days' notice",
            notice,
        ) % {"days": notice}
    if partner.max_visitors_per_week is not None and slot.week_taken >= partner.max_visitors_per_week:
        return Unavailable.WEEK_FULL, _("This week is full")
    if partner.max_visitors_per_month is not None and slot.month_taken >= partner.max_visitors_per_month:
        return Unavailable.MONTH_FULL, _("This month is full")
    return Unavailable.OTHER, _("Not available")


def slot_availability_list(
    *, opportunity: Opportunity, participant=None, now: datetime.datetime | None = None
) -> list[SlotAvailability]:
    """Every upcoming slot of the opportunity, soonest first, with whether the participant can ask
    for it and, when not, why in a few words. Two queries, whatever the number of slots.

    `can_request` is membership of `slot_bookable_filter`, so this page and the browse list never
    disagree; the reason is read from the same pieces. Pass `participant=None` for people who do
    not book (partner contacts, the programme team): no "you have asked" then.
    """
    now = now or timezone.now()
    earliest_day = notice_earliest_day(
        today=timezone.localdate(now),
        notice=opportunity.minimum_notice_working_days,
        nation=opportunity.partner.nation,
    )
    slots = opportunity.slots.filter(starts_at__gt=now).order_by("starts_at", "pk")
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
    annotated = list(
        slots.annotate(
            own_booking_status=own_status,
            own_booking_id=own_id,
            blackout_reason=Subquery(
                _blackouts_on_slot_day().order_by("starts_on", "pk").values("reason")[:1]
            ),
            week_taken=_places_taken_in_same_week(),
            month_taken=_places_taken_in_same_month(),
        )
    )
    bookable_ids = set(
        slots.filter(
            slot_bookable_filter(
                now=now, participant=participant, earliest_day=earliest_day, partner=opportunity.partner
            )
        ).values_list("pk", flat=True)
    )
    rows = []
    for slot in annotated:
        slot.opportunity = opportunity  # already loaded: no query per row for `slot.opportunity`
        if slot.pk in bookable_ids:
            rows.append(SlotAvailability(slot=slot, places_left=slot.places_left, can_request=True))
            continue
        code, reason = _why_not(slot, opportunity=opportunity, earliest_day=earliest_day)
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
