"""Asking for a place at scale (issue 9): the checks made under the partner, slot and participant
locks read what they need in as few statements as they can, and still refuse in the same order."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from placements.models import Booking, BookingStatus, Slot
from placements.services.bookings import BookingRefused, booking_request
from tests.factories import (
    EnrolmentFactory,
    OpportunityFactory,
    ProgrammeFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme():
    return ProgrammeFactory()


def _statements(queries) -> list[str]:
    return [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_booking_request_takes_a_place_in_eight_statements(programme):
    opportunity = OpportunityFactory(programmes=[programme])
    slot, earlier = SlotFactory(opportunity=opportunity), SlotFactory(opportunity=opportunity)
    participant = EnrolmentFactory(programme=programme).participant
    # The connection's first request prepares the checks' statement; later ones only execute it.
    booking_request(slot=earlier, participant=participant, programme=programme)

    with CaptureQueriesContext(connection) as queries:
        booking_request(slot=slot, participant=participant, programme=programme)

    # Three locks, in order: partner, slot (with a fresh read of what the rules need of it, its
    # opportunity and partner), participant; one read of every check (programme, enrolment, an
    # existing booking, an overlapping visit, bookings in hand, a blackout); the booking, its event
    # and audit entry, the slot's count. The two reads are prepared statements.
    statements = _statements(queries)
    assert [sql.split()[0] for sql in statements] == ["SELECT", "EXECUTE", "SELECT", "EXECUTE"] + [
        "INSERT"
    ] * 3 + ["UPDATE"]
    partner_lock, slot_lock, participant_lock, facts = statements[:4]
    assert partner_lock.startswith("SELECT id FROM partners_partner WHERE") and partner_lock.endswith(
        "FOR NO KEY UPDATE"
    )
    assert participant_lock.startswith("SELECT id FROM accounts_user WHERE") and participant_lock.endswith(
        "FOR NO KEY UPDATE"
    )
    assert facts.startswith("EXECUTE connecting_booking_request_facts_")
    name = slot_lock.split()[1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [name])
        (prepared,) = cursor.fetchone()
    assert prepared.endswith(
        "FROM placements_slot s JOIN placements_opportunity o ON o.id = s.opportunity_id "
        "JOIN partners_partner p ON p.id = o.partner_id WHERE s.id = $1 FOR NO KEY UPDATE OF s"
    )
    slot.refresh_from_db()
    assert slot.places_held == 1


@pytest.mark.parametrize(
    ("offered", "enrolled", "code"),
    [(False, False, "wrong_programme"), (True, False, "not_enrolled"), (True, True, "duplicate")],
)
def test_booking_request_refuses_programme_enrolment_and_duplicate_in_that_order(
    programme, offered, enrolled, code
):
    # The participant already holds the slot through another programme: always a duplicate.
    other = ProgrammeFactory()
    slot = SlotFactory(opportunity=OpportunityFactory(programmes=[other, programme] if offered else [other]))
    participant = EnrolmentFactory(programme=other).participant
    booking_request(slot=slot, participant=participant, programme=other)
    if enrolled:
        EnrolmentFactory(programme=programme, participant=participant)

    with pytest.raises(BookingRefused) as refused:
        booking_request(slot=slot, participant=participant, programme=programme)

    assert (refused.value.code, Booking.objects.filter(participant=participant).count()) == (code, 1)


def test_a_slot_read_before_its_last_place_went_is_read_again_under_the_lock(programme):
    slot = SlotFactory(opportunity=OpportunityFactory(programmes=[programme]), capacity=1)
    read_earlier = Slot.objects.select_related("opportunity__partner").get(pk=slot.pk)
    booking_request(
        slot=slot, participant=EnrolmentFactory(programme=programme).participant, programme=programme
    )
    participant = EnrolmentFactory(programme=programme).participant

    with pytest.raises(BookingRefused) as refused:
        booking_request(slot=read_earlier, participant=participant, programme=programme)
    waiting = booking_request(
        slot=read_earlier, participant=participant, programme=programme, join_waitlist=True
    )

    assert refused.value.code == "full"
    assert (read_earlier.places_held, waiting.status) == (1, BookingStatus.WAITLISTED)
