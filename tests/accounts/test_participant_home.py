import datetime

import pytest
from django.urls import reverse

from tests.factories import BookingFactory, ParticipantFactory, SlotFactory


@pytest.mark.django_db
def test_participant_home_shows_the_next_five_visits_soonest_first_linking_to_each_booking(client):
    person = ParticipantFactory()
    upcoming = [BookingFactory(participant=person, slot=SlotFactory(days_ahead=60 - 7 * n)) for n in range(6)]
    BookingFactory(participant=person, slot=SlotFactory(days_ahead=-10), status="attended")
    client.force_login(person)

    response = client.get(reverse("accounts:participant_home"))

    shown = list(response.context["bookings"])
    soonest_first = sorted(upcoming, key=lambda b: b.slot.starts_at)[:5]
    assert shown == soonest_first
    html = response.content.decode()
    assert all(f'href="/bookings/{b.pk}/"' in html for b in soonest_first)
    assert 'href="/visits/"' in html
    assert soonest_first[0].slot.starts_at < soonest_first[-1].slot.starts_at - datetime.timedelta(days=20)
