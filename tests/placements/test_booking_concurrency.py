"""Capacity under fire: many people booking one slot at once, on the real PostgreSQL server.

Each thread has its own database connection, so these are real concurrent transactions contending
for the same row locks, exactly as gunicorn workers would.
"""

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from placements.models import PLACE_TAKING_STATUSES, Booking, BookingStatus, Slot
from placements.services.bookings import (
    BookingRefused,
    booking_cancel,
    booking_offer_accept,
    booking_request,
)
from tests.factories import (
    EnrolmentFactory,
    OpportunityFactory,
    ParticipantFactory,
    ProgrammeFactory,
    SlotFactory,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 32
CAPACITY = 10
PEOPLE = 48
ROUNDS = 5


def _run_storm(slot, programme, people, seed: int) -> Counter:
    """Fire every person at the slot from 32 threads at once; some cancel their place and rebook.

    Returns a count of outcomes. Any exception other than a clear refusal is an outcome too
    ("error: ...") so the test sees it instead of losing it in a thread.
    """
    rng = random.Random(seed)
    # Each person tries once, a quarter try twice (double clicks), and a third of those who get
    # a place give it up and ask again straight away: cancel-and-rebook interleavings.
    attempts = [(person, rng.choice(["book", "book-or-wait"])) for person in people]
    attempts += [(person, "book-or-wait") for person in rng.sample(people, len(people) // 4)]
    attempts += [(person, "cancel-and-rebook") for person in rng.sample(people, len(people) // 3)]
    rng.shuffle(attempts)
    outcomes: Counter = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)
    queue = iter(attempts)

    def note(outcome: str) -> None:
        with lock:
            outcomes[outcome] += 1

    def book(person, join_waitlist: bool) -> None:
        try:
            booking = booking_request(
                slot=slot, participant=person, programme=programme, join_waitlist=join_waitlist
            )
        except BookingRefused as refused:
            note(f"refused: {refused.code}")
        else:
            note(booking.status)

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            while True:
                with lock:
                    item = next(queue, None)
                if item is None:
                    return
                person, kind = item
                if kind in ("book", "book-or-wait"):
                    book(person, join_waitlist=kind == "book-or-wait")
                    continue
                held = Booking.objects.filter(
                    slot=slot, participant=person, status__in=PLACE_TAKING_STATUSES
                ).first()
                if held is None:
                    book(person, join_waitlist=True)
                    continue
                try:
                    booking_cancel(booking=held, by=person, reason="Something came up")
                    note("cancelled")
                except BookingRefused as refused:
                    note(f"refused: {refused.code}")
                book(person, join_waitlist=True)
        except Exception as error:  # noqa: BLE001 - reported as an outcome and failed on below
            note(f"error: {type(error).__name__}: {error}")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for future in [pool.submit(worker) for _ in range(THREADS)]:
            future.result()
    return outcomes


def _attempt_count(outcomes: Counter) -> int:
    return sum(count for outcome, count in outcomes.items() if outcome != "cancelled")


@pytest.mark.parametrize("confirmed_automatically", [False, True], ids=["partner-confirms", "automatic"])
def test_slot_of_ten_holds_exactly_ten_under_32_concurrent_connections(postgres, confirmed_automatically):
    programme = ProgrammeFactory(bookings_confirmed_automatically=confirmed_automatically)
    opportunity = OpportunityFactory(programmes=[programme], minimum_notice_working_days=0)
    people = [ParticipantFactory() for _ in range(PEOPLE)]
    for person in people:
        EnrolmentFactory(programme=programme, participant=person)
    total_attempts = 0
    for round_number in range(ROUNDS):
        slot = SlotFactory(opportunity=opportunity, capacity=CAPACITY, days_ahead=20 + round_number)

        outcomes = _run_storm(slot, programme, people, seed=round_number)

        total_attempts += _attempt_count(outcomes)
        errors = {outcome: n for outcome, n in outcomes.items() if outcome.startswith("error")}
        assert errors == {}, f"round {round_number}: {errors}"
        slot.refresh_from_db()
        statuses = Counter(Booking.objects.filter(slot=slot).values_list("status", flat=True))
        holding = sum(statuses[status] for status in PLACE_TAKING_STATUSES)
        assert (holding, slot.places_held) == (CAPACITY, CAPACITY), f"round {round_number}: {statuses}"
        # Everyone else is waiting, refused, or has cancelled; nobody holds two bookings.
        active_per_person = Counter(
            Booking.objects.filter(
                slot=slot, status__in=[*PLACE_TAKING_STATUSES, BookingStatus.WAITLISTED]
            ).values_list("participant_id", flat=True)
        )
        assert max(active_per_person.values()) == 1
        assert set(statuses) <= {
            BookingStatus.REQUESTED,
            BookingStatus.CONFIRMED,
            BookingStatus.OFFERED,
            BookingStatus.WAITLISTED,
            BookingStatus.CANCELLED,
        }
        # Places freed by cancellations went to people waiting; they take them up.
        for offered in Booking.objects.filter(slot=slot, status=BookingStatus.OFFERED):
            booking_offer_accept(booking=offered, by=offered.participant)
        slot.refresh_from_db()
        assert (
            slot.places_held
            == Booking.objects.filter(slot=slot, status__in=PLACE_TAKING_STATUSES).count()
            == 10
        )
    assert total_attempts >= 300


def test_two_overlapping_visits_for_one_person_at_once_confirm_only_one(postgres):
    programme = ProgrammeFactory(bookings_confirmed_automatically=True)
    person = ParticipantFactory()
    EnrolmentFactory(programme=programme, participant=person)
    # Two partners, two slots at the same time: only the participant's own row lock links them.
    slots = [
        SlotFactory(opportunity=OpportunityFactory(programmes=[programme], minimum_notice_working_days=0))
        for _ in range(2)
    ]
    results: list[str] = []
    barrier = threading.Barrier(len(slots))

    def attempt(slot: Slot) -> None:
        try:
            barrier.wait(timeout=10)
            booking = booking_request(slot=slot, participant=person, programme=programme)
            results.append(booking.status)
        except BookingRefused as refused:
            results.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(slot,)) for slot in slots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["confirmed", "overlap"]
    assert Booking.objects.filter(participant=person, status=BookingStatus.CONFIRMED).count() == 1
