"""Writes for opportunities and their slots. Partners publish what they offer here."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from connecting.working_days import bank_holiday_name
from partners.models import Partner, PartnerBlackout
from partners.selectors import partner_blackout_on
from placements.models import Opportunity, OpportunityStatus, Programme, Slot, Theme

S = OpportunityStatus
OPPORTUNITY_MOVES: dict[str, set[str]] = {
    S.DRAFT: {S.PUBLISHED, S.CLOSED},
    S.PUBLISHED: {S.PAUSED, S.CLOSED},
    S.PAUSED: {S.PUBLISHED, S.CLOSED},
    S.CLOSED: {S.DRAFT},
}
# Fields a partner edits on the opportunity form; programmes and policy areas are set separately.
OPPORTUNITY_FIELDS = (
    "title",
    "summary",
    "what_you_will_do",
    "is_remote",
    "site_address",
    "site_postcode",
    "duration",
    "vetting_level",
    "ppe",
    "dress_code",
    "minimum_notice_working_days",
    "accessibility",
    "host_name",
    "host_email",
    "host_phone",
)
MAX_SERIES_WEEKS = 52


def _check_opportunity(values: dict, partner: Partner, programmes: list[Programme]) -> None:
    if not programmes:
        raise ValidationError({"programmes": _("Select at least one programme")})
    if not values.get("is_remote") and not values.get("site_address") and not partner.address_line_1:
        raise ValidationError(
            {"site_address": _("Enter the site address, or say the visit is remote")}, code="required"
        )


@transaction.atomic
def opportunity_create(
    *,
    partner: Partner,
    by,
    programmes: Iterable[Programme],
    policy_areas: Iterable[Theme] = (),
    **values,
) -> Opportunity:
    """Create an opportunity as a draft: the partner publishes it when its slots are ready."""
    programmes = list(programmes)
    _check_opportunity(values, partner, programmes)
    opportunity = Opportunity.objects.create(
        partner=partner,
        created_by=by,
        status=OpportunityStatus.DRAFT,
        **{name: values[name] for name in OPPORTUNITY_FIELDS if name in values},
    )
    opportunity.programmes.set(programmes)
    opportunity.policy_areas.set(list(policy_areas))
    return opportunity


@transaction.atomic
def opportunity_update(
    *,
    opportunity: Opportunity,
    programmes: Iterable[Programme],
    policy_areas: Iterable[Theme] = (),
    **values,
) -> Opportunity:
    programmes = list(programmes)
    _check_opportunity(values, opportunity.partner, programmes)
    for name in OPPORTUNITY_FIELDS:
        if name in values:
            setattr(opportunity, name, values[name])
    opportunity.save()
    opportunity.programmes.set(programmes)
    opportunity.policy_areas.set(list(policy_areas))
    return opportunity


@transaction.atomic
def opportunity_status_set(*, opportunity: Opportunity, to: str) -> Opportunity:
    """Move an opportunity between draft, published, paused and closed.

    Publishing needs at least one programme. Setting the state it is already in does nothing, so a
    double click is harmless.
    """
    locked = Opportunity.objects.select_for_update(no_key=True).get(pk=opportunity.pk)
    if locked.status == to:
        return locked
    if to not in OPPORTUNITY_MOVES.get(locked.status, set()):
        raise ValidationError(
            _("A %(current)s opportunity cannot be made %(target)s.")
            % {"current": locked.get_status_display().lower(), "target": S(to).label.lower()},
            code="illegal_move",
        )
    if to == S.PUBLISHED and not locked.programmes.exists():
        raise ValidationError(_("Add the opportunity to a programme before publishing it."))
    locked.status = to
    update_fields = ["status", "updated_at"]
    if to == S.PUBLISHED and locked.published_at is None:
        locked.published_at = timezone.now()
        update_fields.append("published_at")
    locked.save(update_fields=update_fields)
    return locked


# --- Slots ----------------------------------------------------------------------------------------


def slot_capacity_limit(opportunity: Opportunity) -> int | None:
    """The most places one slot may have: the strictest limit of the opportunity's programmes."""
    return opportunity.programmes.aggregate(limit=Min("max_places_per_slot"))["limit"]


def _check_capacity(opportunity: Opportunity, capacity: int, places_held: int = 0) -> None:
    if capacity < 1:
        raise ValidationError({"capacity": _("A slot needs at least 1 place")})
    limit = slot_capacity_limit(opportunity)
    if limit is not None and capacity > limit:
        raise ValidationError(
            {"capacity": _("A slot can have at most %(limit)d places in this programme") % {"limit": limit}}
        )
    if capacity < places_held:
        raise ValidationError(
            {
                "capacity": _("%(held)d places are already taken: the slot needs at least %(held)d places")
                % {"held": places_held}
            }
        )


def _check_times(starts_at: datetime.datetime, ends_at: datetime.datetime, *, now: datetime.datetime) -> None:
    if starts_at <= now:
        if timezone.localdate(starts_at) == timezone.localdate(now):
            raise ValidationError({"start_time": _("The start time must be in the future")})
        raise ValidationError({"date": _("The date must be in the future")})
    if ends_at <= starts_at:
        raise ValidationError({"end_time": _("The end time must be after the start time")})


def _overlapping_slot(opportunity: Opportunity, starts_at, ends_at, exclude_pk=None) -> Slot | None:
    overlapping = opportunity.slots.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude_pk is not None:
        overlapping = overlapping.exclude(pk=exclude_pk)
    return overlapping.first()


def _overlap_message(slot: Slot) -> str:
    start = timezone.localtime(slot.starts_at)
    return _("This overlaps the slot on %(day)s from %(start)s to %(end)s") % {
        "day": start.strftime("%-d %B %Y"),
        "start": start.strftime("%H:%M"),
        "end": timezone.localtime(slot.ends_at).strftime("%H:%M"),
    }


def _blackout_message(blackout: PartnerBlackout) -> str:
    return _("%(partner)s takes no visitors from %(first)s to %(last)s (%(reason)s)") % {
        "partner": blackout.partner,
        "first": blackout.starts_on.strftime("%-d %B %Y"),
        "last": blackout.ends_on.strftime("%-d %B %Y"),
        "reason": blackout.reason,
    }


def _lock_opportunity(opportunity: Opportunity) -> Opportunity:
    # Slots of one opportunity are written one transaction at a time, so two partners adding slots
    # at once cannot both pass the overlap check.
    return Opportunity.objects.select_for_update(no_key=True).select_related("partner").get(pk=opportunity.pk)


@transaction.atomic
def slot_create(
    *, opportunity: Opportunity, starts_at: datetime.datetime, ends_at: datetime.datetime, capacity: int
) -> Slot:
    opportunity = _lock_opportunity(opportunity)
    _check_times(starts_at, ends_at, now=timezone.now())
    _check_capacity(opportunity, capacity)
    if clash := _overlapping_slot(opportunity, starts_at, ends_at):
        raise ValidationError({"start_time": _overlap_message(clash)})
    if blackout := partner_blackout_on(partner_id=opportunity.partner_id, day=timezone.localdate(starts_at)):
        raise ValidationError({"date": _blackout_message(blackout)})
    return Slot.objects.create(
        opportunity=opportunity, starts_at=starts_at, ends_at=ends_at, capacity=capacity
    )


@transaction.atomic
def slot_update(
    *, slot: Slot, starts_at: datetime.datetime, ends_at: datetime.datetime, capacity: int, by=None
) -> Slot:
    """Change a slot's times or places.

    Moving a slot that people have booked tells each of them (an updated calendar invite for
    confirmed visits), and is refused if the new time clashes with another confirmed visit of theirs.
    """
    # Partner first, as every booking does, so a move and a booking never wait on each other.
    Partner.objects.select_for_update(no_key=True).get(pk=slot.opportunity.partner_id)
    opportunity = _lock_opportunity(slot.opportunity)
    slot = Slot.objects.select_for_update(no_key=True).get(pk=slot.pk)
    previous_starts_at = slot.starts_at
    times_changed = (starts_at, ends_at) != (slot.starts_at, slot.ends_at)
    if times_changed:
        _check_times(starts_at, ends_at, now=timezone.now())
        if clash := _overlapping_slot(opportunity, starts_at, ends_at, exclude_pk=slot.pk):
            raise ValidationError({"start_time": _overlap_message(clash)})
        if blackout := partner_blackout_on(
            partner_id=opportunity.partner_id, day=timezone.localdate(starts_at)
        ):
            raise ValidationError({"date": _blackout_message(blackout)})
    _check_capacity(opportunity, capacity, places_held=slot.places_held)
    slot.starts_at, slot.ends_at, slot.capacity = starts_at, ends_at, capacity
    slot.save(update_fields=["starts_at", "ends_at", "capacity"])
    if times_changed:
        from placements.services.bookings import bookings_follow_moved_slot

        slot.opportunity = opportunity
        bookings_follow_moved_slot(slot=slot, previous_starts_at=previous_starts_at, by=by)
    return slot


@transaction.atomic
def slot_delete(*, slot: Slot) -> None:
    slot = Slot.objects.select_for_update().get(pk=slot.pk)
    if slot.bookings.exists():
        raise ValidationError(_("People have booked this slot, so it cannot be removed."))
    slot.delete()


@dataclass
class SeriesResult:
    created: list[Slot] = field(default_factory=list)
    skipped: list[tuple[datetime.date, str]] = field(default_factory=list)


def _at(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, time))


@transaction.atomic
def slot_series_create(
    *,
    opportunity: Opportunity,
    first_day: datetime.date,
    start_time: datetime.time,
    end_time: datetime.time,
    weeks: int,
    capacity: int,
    skip_bank_holidays: bool = True,
) -> SeriesResult:
    """Add one slot a week on the weekday of `first_day`, for `weeks` weeks.

    Bank holidays of the partner's nation (when asked) and the partner's blackout periods are
    skipped and reported. A clash with an existing slot, or a date in the past, refuses the whole
    series: nothing is saved, so the partner never has to tidy up half a series.
    """
    opportunity = _lock_opportunity(opportunity)
    if not 1 <= weeks <= MAX_SERIES_WEEKS:
        raise ValidationError(
            {"weeks": _("Enter a number of weeks from 1 to %(max)d") % {"max": MAX_SERIES_WEEKS}}
        )
    if end_time <= start_time:
        raise ValidationError({"end_time": _("The end time must be after the start time")})
    _check_capacity(opportunity, capacity)
    now = timezone.now()
    nation = opportunity.partner.nation
    result = SeriesResult()
    for week in range(weeks):
        day = first_day + datetime.timedelta(weeks=week)
        starts_at, ends_at = _at(day, start_time), _at(day, end_time)
        if starts_at <= now:
            raise ValidationError({"first_day": _("The first date must be in the future")})
        if skip_bank_holidays and (holiday := bank_holiday_name(day, nation)):
            result.skipped.append((day, holiday))
            continue
        if blackout := partner_blackout_on(partner_id=opportunity.partner_id, day=day):
            result.skipped.append((day, blackout.reason))
            continue
        if clash := _overlapping_slot(opportunity, starts_at, ends_at):
            raise ValidationError({"first_day": _overlap_message(clash)})
        result.created.append(
            Slot.objects.create(
                opportunity=opportunity, starts_at=starts_at, ends_at=ends_at, capacity=capacity
            )
        )
    return result
