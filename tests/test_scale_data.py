"""The scale-data generator of the performance benchmark (issue 9), at a tiny scale."""

import pytest
from django.db.models import Count, F, Q

from connecting.accounts.models import Role, User
from connecting.reminders import reminders_schedule
from connecting.scale import ScaleRefused, scale_data_build
from debriefs.models import Debrief, DebriefStatus, Insight, SharingConsent, ThemeRollup
from debriefs.services.rollup import theme_rollup_refresh
from partners.models import Partner
from placements.models import PLACE_TAKING_STATUSES, Booking, BookingStatus, Opportunity, Slot

SCALE = 0.001


@pytest.fixture
def scale_counts(postgres):
    # The policy areas come from a migration; a transactional test elsewhere may have emptied the
    # table since, so seed them as the migration does.
    from placements.taxonomy import policy_areas_seed

    policy_areas_seed()
    return scale_data_build(scale=SCALE, seed=7, allow_any_database=True)


def test_scale_data_counts_match_the_requested_size(scale_counts):
    assert {
        "partners": Partner.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "slots": Slot.objects.count(),
        "participants": User.objects.filter(role=Role.PARTICIPANT).count(),
        "bookings": Booking.objects.count(),
        "debriefs": Debrief.objects.count(),
    } == {
        "partners": 3,
        "opportunities": 20,
        "slots": 200,
        "participants": 50,
        "bookings": 300,
        "debriefs": 150,
    }
    assert scale_counts["insights"] == Insight.objects.count() > 0


def test_scale_data_places_held_equal_the_place_taking_bookings(scale_counts):
    slots = Slot.objects.annotate(
        taking=Count("bookings", filter=Q(bookings__status__in=PLACE_TAKING_STATUSES))
    )
    assert list(slots.exclude(places_held=F("taking")).values_list("pk", flat=True)) == []
    assert list(slots.filter(places_held__gt=F("capacity")).values_list("pk", flat=True)) == []


def test_scale_data_has_bookings_in_every_state_and_debriefs_only_after_visits(scale_counts):
    assert set(Booking.objects.values_list("status", flat=True)) == set(BookingStatus.values)
    visits = Debrief.objects.exclude(
        booking__status__in=[BookingStatus.ATTENDED, BookingStatus.CONFIRMED]
    ) | Debrief.objects.filter(booking__slot__ends_at__gt=F("created_at"))
    assert list(visits.values_list("pk", flat=True)) == []
    published = Debrief.objects.filter(status=DebriefStatus.PUBLISHED)
    assert published.filter(consent=SharingConsent.TEAM_ONLY).count() == 0
    assert published.count() == Insight.objects.count()


def test_scale_data_runs_the_rollup_and_the_reminder_scan(scale_counts):
    result = theme_rollup_refresh(full=True)
    assert result.debriefs_reprocessed == Debrief.objects.exclude(status=DebriefStatus.DRAFT).count()
    assert ThemeRollup.objects.exists()
    first = reminders_schedule()
    assert sum(first.values()) > 0
    assert reminders_schedule() == dict.fromkeys(first, 0)


def test_scale_data_refuses_a_database_not_named_bench(postgres):
    with pytest.raises(ScaleRefused, match="_bench"):
        scale_data_build(scale=SCALE)


@pytest.mark.parametrize("seed", range(1, 13))
def test_every_booking_state_is_made_whatever_the_draw(seed, postgres):
    # The draws depend on the seed and on the day of the build: a small build gives each state
    # once before the weights take over (seeds 9 and 10 once had no waiting-list booking).
    from placements.taxonomy import policy_areas_seed

    policy_areas_seed()
    scale_data_build(scale=SCALE, seed=seed, allow_any_database=True)

    assert set(Booking.objects.values_list("status", flat=True)) == set(BookingStatus.values)
    slots = Slot.objects.annotate(
        taking=Count("bookings", filter=Q(bookings__status__in=PLACE_TAKING_STATUSES))
    )
    assert not slots.exclude(places_held=F("taking")).exists()
    waiting_on_free_slots = Booking.objects.filter(
        status=BookingStatus.WAITLISTED, slot__places_held__lt=F("slot__capacity")
    )
    assert not waiting_on_free_slots.exists()
