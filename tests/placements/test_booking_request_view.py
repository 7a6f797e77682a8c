import re

import pytest
from django.urls import reverse

from placements.models import Booking, BookingStatus, OpportunityStatus
from placements.services.bookings import booking_request
from tests.factories import (
    EnrolmentFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_participant_requests_a_place_and_the_place_is_held(client):
    slot = SlotFactory(
        opportunity=OpportunityFactory(partner=PartnerFactory(name="Oakfield Care Home")), capacity=2
    )
    participant = EnrolmentFactory(programme=slot.opportunity.programmes.get()).participant
    client.force_login(participant)

    response = client.post(reverse("bookings:request", args=[slot.pk]), follow=True)

    booking = Booking.objects.get()
    assert response.redirect_chain == [(reverse("bookings:detail", args=[booking.pk]), 302)]
    assert _messages(response) == [
        "Your request has been sent to Oakfield Care Home. Your place is held while they confirm."
    ]
    assert list(Booking.objects.values_list("participant", "status")) == [
        (participant.pk, BookingStatus.REQUESTED)
    ]
    slot.refresh_from_db()
    assert slot.places_left == 1


def test_participant_not_enrolled_is_told_why_and_nothing_is_booked(client):
    slot = SlotFactory()
    client.force_login(ParticipantFactory())

    page = client.get(reverse("bookings:request", args=[slot.pk]))
    response = client.post(reverse("bookings:request", args=[slot.pk]))

    message = "You are not enrolled on a programme that offers this opportunity. Ask the programme team to enrol you."
    assert (page.status_code, page.context["programme"]) == (200, None)
    assert message in page.content.decode()
    assert '<form method="post"' not in page.content.decode()
    assert (response.status_code, response.context["form"].errors) == (400, {"__all__": [message]})
    assert Booking.objects.count() == 0


def test_a_full_slot_is_refused_with_a_clear_message(client):
    slot = SlotFactory(capacity=1)
    programme = slot.opportunity.programmes.get()
    booking_request(
        slot=slot, participant=EnrolmentFactory(programme=programme).participant, programme=programme
    )
    client.force_login(EnrolmentFactory(programme=programme).participant)

    response = client.post(reverse("bookings:request", args=[slot.pk]))

    assert (response.status_code, response.context["form"].errors) == (
        400,
        {"__all__": ["This slot is full. You can join its waiting list or choose another date."]},
    )
    assert Booking.objects.count() == 1


def test_requesting_a_slot_of_an_unpublished_opportunity_answers_404(client):
    slot = SlotFactory(opportunity=OpportunityFactory(status=OpportunityStatus.DRAFT))
    client.force_login(EnrolmentFactory(programme=slot.opportunity.programmes.get()).participant)

    response = client.post(reverse("bookings:request", args=[slot.pk]))

    assert response.status_code == 404
    assert client.get(reverse("bookings:request", args=[slot.pk])).status_code == 404
    assert Booking.objects.count() == 0


def test_only_participants_request_places(client):
    slot = SlotFactory()
    client.force_login(PartnerMembershipFactory(partner=slot.opportunity.partner).user)

    response = client.post(reverse("bookings:request", args=[slot.pk]))

    assert response.status_code == 403
    assert client.get(reverse("bookings:request", args=[slot.pk])).status_code == 403
    assert Booking.objects.count() == 0


def _request_links(html: str) -> list[tuple[str, str]]:
    """Each link to the request page as (address, words shown)."""
    return [
        (href, re.sub(r"<[^>]+>.*?</[^>]+>", "", label).strip())
        for href, label in re.findall(r'<a [^>]*href="(/bookings/request/[^"]+)"[^>]*>(.*?)</a>', html, re.S)
    ]


def test_detail_page_offers_request_links_only_to_participants_and_the_waiting_list_for_full_slots(client):
    opportunity = OpportunityFactory()
    free, full = (
        SlotFactory(opportunity=opportunity, capacity=2),
        SlotFactory(opportunity=opportunity, days_ahead=40),
    )
    full.places_held = full.capacity
    full.save()
    participant = ParticipantFactory()
    url = reverse("browse:detail", args=[opportunity.pk])

    client.force_login(participant)
    as_participant = client.get(url).content.decode()
    client.force_login(PartnerMembershipFactory(partner=opportunity.partner).user)
    as_contact = client.get(url).content.decode()

    assert _request_links(as_participant) == [
        (reverse("bookings:request", args=[free.pk]), "Request a place"),
        (reverse("bookings:request", args=[full.pk]), "Join the waiting list"),
    ]
    assert 'action="/bookings/request/' not in as_participant  # a GET link to a page, not a POST
    assert "/bookings/request/" not in as_contact


def test_participant_home_lists_their_own_requests_soonest_first(client):
    later = SlotFactory(days_ahead=50)
    sooner = SlotFactory(days_ahead=25)
    participant = ParticipantFactory()
    for slot in (later, sooner):
        programme = slot.opportunity.programmes.get()
        EnrolmentFactory(programme=programme, participant=participant)
        booking_request(slot=slot, participant=participant, programme=programme)
    someone_else = EnrolmentFactory(programme=later.opportunity.programmes.get()).participant
    booking_request(slot=later, participant=someone_else, programme=later.opportunity.programmes.get())
    client.force_login(participant)

    response = client.get(reverse("accounts:participant_home"))

    assert [(b.slot, b.status) for b in response.context["bookings"]] == [
        (sooner, BookingStatus.REQUESTED),
        (later, BookingStatus.REQUESTED),
    ]
