"""Asking for a place at scale (issue 9): the checks made under the partner, slot and participant
locks read what they need in as few statements as they can, and still refuse in the same order."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from placements.models import Booking
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

    # Three locks (partner, slot, participant, in that order); one prepared read of every check
    # (programme, enrolment, an existing booking, an overlapping visit, bookings in hand, a
    # blackout); the booking, its event and audit entry, the slot's count.
    statements = _statements(queries)
    assert [sql.split()[0] for sql in statements] == ["SELECT"] * 3 + ["EXECUTE"] + ["INSERT"] * 3 + [
        "UPDATE"
    ]
    locks = statements[:3]
    assert all(sql.endswith("FOR NO KEY UPDATE") or "FOR NO KEY UPDATE OF" in sql for sql in locks)
    tables = ["partners_partner", "placements_slot", "accounts_user"]
    assert [table in sql for table, sql in zip(tables, locks, strict=True)] == [True] * 3
    assert statements[3].startswith("EXECUTE connecting_booking_request_facts_")
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
