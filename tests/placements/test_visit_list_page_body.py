""" "My visits" is rendered again only when a row it shows has changed (connecting/page_bodies.py),
and one participant's page is never anyone else's.

Each change is written with `QuerySet.update` or a factory: no service or signal a cache could
have been told by. The page must show it at once.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from debriefs.models import Debrief, Preparation
from partners.models import Partner
from placements.models import Booking, BookingStatus, Opportunity, Programme, Slot
from tests.factories import (
    BookingFactory,
    EnrolmentFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerFactory,
    PreparationFactory,
    ProgrammeFactory,
    SlotFactory,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the fingerprints are PostgreSQL's"),
]

VISITS = reverse("visits:list")


@pytest.fixture
def programme():
    return ProgrammeFactory(name="Connecting 2026", target_days_per_participant=10)


@pytest.fixture
def participant(programme):
    person = ParticipantFactory()
    EnrolmentFactory(participant=person, programme=programme)
    return person


@pytest.fixture
def booking(participant, programme):
    opportunity = OpportunityFactory(
        title="A day on the ward", partner=PartnerFactory(name="Riverside Hospice"), programmes=[programme]
    )
    slot = SlotFactory(opportunity=opportunity, days_ahead=20)
    return BookingFactory(
        slot=slot, participant=participant, programme=programme, status=BookingStatus.CONFIRMED
    )


def _page(client, person, path=VISITS):
    client.force_login(person)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return response, len(queries)


def _body(response) -> str:
    return response.content.decode().split('id="main-content"', 1)[1]


def test_a_second_view_is_the_kept_body_and_reads_only_its_fingerprint(client, participant, booking):
    first, fresh_queries = _page(client, participant)
    second, kept_queries = _page(client, participant)

    assert "summaries" in first.context and "summaries" not in second.context
    assert kept_queries < fresh_queries
    assert _body(first) == _body(second)
    assert "A day on the ward" in _body(second)


def test_one_participants_page_is_never_anothers(client, participant, booking, programme):
    other = ParticipantFactory()
    EnrolmentFactory(participant=other, programme=programme)

    mine, _ = _page(client, participant)
    theirs, _ = _page(client, other)

    assert "A day on the ward" in _body(mine)
    assert "A day on the ward" not in _body(theirs)
    assert "You have no upcoming visits." in _body(theirs)


def _status_changes(booking):
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.CANCELLED)
    return "Cancelled"


def _visit_ends(booking):
    # What time passing does: the visit is over, and moves to the past table.
    Slot.objects.filter(pk=booking.slot_id).update(
        starts_at=timezone.now() - datetime.timedelta(hours=3),
        ends_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    return "You have no upcoming visits."


def _opportunity_renamed(booking):
    Opportunity.objects.filter(pk=booking.slot.opportunity_id).update(title="A night in A&E")
    return "A night in A&amp;E"


def _partner_renamed(booking):
    Partner.objects.filter(pk=booking.slot.opportunity.partner_id).update(name="Hillside Hospice")
    return "Hillside Hospice"


def _programme_renamed(booking):
    Programme.objects.filter(pk=booking.programme_id).update(name="Connecting 2027")
    return "Connecting 2027"


def _preparation_submitted(booking):
    PreparationFactory(booking=booking)
    Preparation.objects.filter(booking=booking).update(
        status="submitted",
        submitted_at=timezone.now(),
        confidentiality_acknowledged=True,
        personal_data_confirmed=True,
    )
    return "Submitted"


def _debrief_moves_on(booking):
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.ATTENDED)
    Slot.objects.filter(pk=booking.slot_id).update(
        starts_at=timezone.now() - datetime.timedelta(days=3),
        ends_at=timezone.now() - datetime.timedelta(days=3),
    )
    booking.refresh_from_db()
    Debrief.objects.create(booking=booking)
    Debrief.objects.filter(booking=booking).update(status="in_review", submitted_at=timezone.now())
    return "In review"


def _enrolled_on_another_programme(booking):
    EnrolmentFactory(
        participant=booking.participant, programme=ProgrammeFactory(name="Leaders Collaborative")
    )
    return "Leaders Collaborative"


CHANGES = [
    _status_changes,
    _visit_ends,
    _opportunity_renamed,
    _partner_renamed,
    _programme_renamed,
    _preparation_submitted,
    _debrief_moves_on,
    _enrolled_on_another_programme,
]


@pytest.mark.parametrize("change", CHANGES, ids=[change.__name__.strip("_") for change in CHANGES])
def test_a_change_to_any_row_the_page_shows_is_shown_at_once(client, participant, booking, change):
    before, _ = _page(client, participant)
    kept, _ = _page(client, participant)
    assert "summaries" not in kept.context

    expected = change(booking)
    after, _ = _page(client, participant)

    assert expected not in _body(before)
    assert expected in _body(after)


def test_an_address_with_anything_but_page_numbers_is_rendered_afresh_and_not_kept(
    client, participant, booking
):
    odd = f"{VISITS}?upcoming_page=1&utm_source=%3Cb%3E"
    first, _ = _page(client, participant, odd)
    second, _ = _page(client, participant, odd)

    assert "summaries" in first.context and "summaries" in second.context
    assert _body(first) == _body(second)
