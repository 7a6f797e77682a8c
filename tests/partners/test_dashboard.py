import datetime
from html import escape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from placements.models import BookingStatus, OpportunityStatus
from placements.services.bookings import booking_request
from tests.factories import (
    EnrolmentFactory,
    OpportunityFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    return PartnerMembershipFactory(partner=PartnerFactory(name="Oakfield Care Home")).user


def _request_place(slot):
    programme = slot.opportunity.programmes.get()
    participant = EnrolmentFactory(programme=programme).participant
    return booking_request(slot=slot, participant=participant, programme=programme)


def test_dashboard_shows_own_requests_waiting_slots_with_places_left_and_opportunities(client, contact):
    partner = contact.partner_memberships.get().partner
    opportunity = OpportunityFactory(partner=partner, title="A day in a care home")
    soon = SlotFactory(opportunity=opportunity, capacity=3, days_ahead=20)
    later = SlotFactory(opportunity=opportunity, capacity=1, days_ahead=40)
    draft = OpportunityFactory(partner=partner, title="Night shift", status=OpportunityStatus.DRAFT)
    OpportunityFactory(partner=partner, title="Old pilot", status=OpportunityStatus.CLOSED)
    first, second = _request_place(soon), _request_place(later)
    other_partners_request = _request_place(SlotFactory())
    client.force_login(contact)

    response = client.get(reverse("partners:dashboard"))

    assert list(response.context["requests_waiting"]) == [first, second]
    assert other_partners_request not in response.context["requests_waiting"]
    assert [(s.pk, s.places_left) for s in response.context["upcoming_slots"]] == [
        (soon.pk, 2),
        (later.pk, 0),
    ]
    assert sorted(o.title for o in response.context["opportunities"]) == ["A day in a care home", draft.title]
    page = response.content.decode()
    # Escaped as the page prints it: a name like O'Connor is O&#x27;Connor in the HTML.
    assert "Requests waiting for you" in page and escape(first.participant.full_name) in page


def test_dashboard_drops_a_request_once_it_is_no_longer_waiting(client, contact):
    slot = SlotFactory(opportunity=OpportunityFactory(partner=contact.partner_memberships.get().partner))
    booking = _request_place(slot)
    booking.status = BookingStatus.CONFIRMED
    booking.save()
    client.force_login(contact)

    response = client.get(reverse("partners:dashboard"))

    assert list(response.context["requests_waiting"]) == []
    assert "No requests are waiting for a decision." in response.content.decode()


def test_dashboard_query_count_does_not_grow_with_rows(client, contact):
    partner = contact.partner_memberships.get().partner
    client.force_login(contact)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("partners:dashboard")).status_code == 200
        return len(captured)

    _request_place(SlotFactory(opportunity=OpportunityFactory(partner=partner)))
    one = queries()
    for days in (25, 35):
        _request_place(SlotFactory(opportunity=OpportunityFactory(partner=partner), days_ahead=days))
    three = queries()

    assert one == three


def test_slots_in_the_past_are_not_coming_up(client, contact):
    opportunity = OpportunityFactory(partner=contact.partner_memberships.get().partner)
    past = SlotFactory(opportunity=opportunity)
    past.starts_at = timezone.now() - datetime.timedelta(days=2)
    past.ends_at = past.starts_at + datetime.timedelta(hours=3)
    past.save()
    client.force_login(contact)

    response = client.get(reverse("partners:dashboard"))

    assert list(response.context["upcoming_slots"]) == []
