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


def test_booking_request_takes_a_place_in_eleven_statements(programme):
    slot = SlotFactory(opportunity=OpportunityFactory(programmes=[programme]))
    participant = EnrolmentFactory(programme=programme).participant

    with CaptureQueriesContext(connection) as queries:
        booking_request(slot=slot, participant=participant, programme=programme)

    # Three locks; one read for programme, enrolment and an existing booking; the overlap, the
    # bookings in hand and the blackouts; the booking, its event and audit entry, the slot's count.
    assert len(_statements(queries)) == 11
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
