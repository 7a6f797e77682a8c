import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from placements.calendar import booking_ics, calendar_feed_ics
from placements.models import BookingStatus, CalendarFeed
from placements.selectors.calendar import calendar_booking_list_for_user
from placements.services.calendar import calendar_feed_get_or_create, calendar_feed_reset
from tests.factories import (
    BookingFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeTeamFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
UTC = datetime.UTC


def _booking_on_the_ward(**booking_fields):
    """A visit on 10 June 2026, 09:00-17:00 London time (BST), so 08:00-16:00 UTC."""
    opportunity = OpportunityFactory(
        partner=PartnerFactory(name="Oakfield Care Home"),
        title="A day on the ward",
        summary="See how the ward runs, from handover to discharge.",
        site_address="Oakfield House\n1 High Street",
        site_postcode="OA1 1AA",
        host_name="Sam Host",
        host_email="sam.host@oakfield.example.org",
        host_phone="01234 567890",
    )
    slot = SlotFactory(
        opportunity=opportunity,
        starts_at=datetime.datetime(2026, 6, 10, 9, tzinfo=LONDON),
        ends_at=datetime.datetime(2026, 6, 10, 17, tzinfo=LONDON),
    )
    participant = ParticipantFactory(full_name="Alex Doe", email="alex.doe@dhsc.gov.uk")
    return BookingFactory(slot=slot, participant=participant, **booking_fields)


def _only_event(ics: bytes):
    events = Calendar.from_ical(ics).walk("VEVENT")
    assert len(events) == 1
    return events[0]


def _feed_uids(user) -> list[str]:
    return [str(event["UID"]) for event in Calendar.from_ical(calendar_feed_ics(user=user)).walk("VEVENT")]


def _uid(booking) -> str:
    return f"booking-{booking.pk}@testserver"


# --- booking_ics ----------------------------------------------------------------------------------


def test_booking_ics_request_describes_the_visit(monkeypatch):
    booking = _booking_on_the_ward(status=BookingStatus.CONFIRMED, calendar_sequence=2)
    now = datetime.datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)

    calendar = Calendar.from_ical(booking_ics(booking=booking, method="REQUEST"))

    assert (str(calendar["PRODID"]), str(calendar["VERSION"]), str(calendar["METHOD"])) == (
        "-//Connecting//Bookings//EN",
        "2.0",
        "REQUEST",
    )
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == _uid(booking)
    assert event.decoded("SEQUENCE") == 2
    assert event.decoded("DTSTAMP") == now
    assert event.decoded("DTSTART") == datetime.datetime(2026, 6, 10, 8, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime.datetime(2026, 6, 10, 16, tzinfo=UTC)
    assert (event["DTSTART"].to_ical(), event["DTEND"].to_ical()) == (
        b"20260610T080000Z",
        b"20260610T160000Z",
    )
    assert str(event["SUMMARY"]) == "A day on the ward with Oakfield Care Home"
    assert str(event["LOCATION"]) == "Oakfield House, 1 High Street, OA1 1AA"
    assert str(event["DESCRIPTION"]) == (
        "See how the ward runs, from handover to discharge.\n"
        "\n"
        "Your host: Sam Host\n"
        "E-mail: sam.host@oakfield.example.org\n"
        "Telephone: 01234 567890\n"
        "\n"
        f"Booking details: http://testserver/bookings/{booking.pk}/"
    )
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:sam.host@oakfield.example.org"
    assert dict(event["ORGANIZER"].params) == {"CN": "Sam Host"}
    assert str(event["ATTENDEE"]) == "mailto:alex.doe@dhsc.gov.uk"
    assert dict(event["ATTENDEE"].params) == {
        "CN": "Alex Doe",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "ACCEPTED",
    }


def test_booking_ics_cancel_replaces_the_same_event():
    booking = _booking_on_the_ward(status=BookingStatus.CANCELLED, calendar_sequence=3)

    calendar = Calendar.from_ical(booking_ics(booking=booking, method="CANCEL"))

    assert str(calendar["METHOD"]) == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert (str(event["UID"]), event.decoded("SEQUENCE"), str(event["STATUS"])) == (
        _uid(booking),
        3,
        "CANCELLED",
    )
    assert event.decoded("DTSTART") == datetime.datetime(2026, 6, 10, 8, tzinfo=UTC)
    assert str(event["ATTENDEE"]) == "mailto:alex.doe@dhsc.gov.uk"
    assert dict(event["ATTENDEE"].params) == {"CN": "Alex Doe", "ROLE": "REQ-PARTICIPANT"}
    assert str(event["ORGANIZER"]) == "mailto:sam.host@oakfield.example.org"


def test_booking_ics_refuses_an_unknown_method():
    booking = _booking_on_the_ward(status=BookingStatus.CONFIRMED)

    with pytest.raises(ValueError, match="method must be REQUEST or CANCEL"):
        booking_ics(booking=booking, method="PUBLISH")


def test_booking_ics_lines_are_folded_and_text_escaped():
    booking = BookingFactory(
        status=BookingStatus.CONFIRMED,
        slot=SlotFactory(
            opportunity=OpportunityFactory(
                title="Shadowing; the community, mental-health & crisis team " * 2,
                host_name="O'Brien, Pat\nNurse lead",
            )
        ),
    )

    ics = booking_ics(booking=booking, method="REQUEST")

    lines = ics.split(b"\r\n")
    assert lines[-1] == b""
    assert max(len(line) for line in lines) <= 75
    assert b"\n" not in ics.replace(b"\r\n", b"")
    event = _only_event(ics)
    assert str(event["SUMMARY"]) == (
        f"{'Shadowing; the community, mental-health & crisis team ' * 2} with {booking.slot.opportunity.partner.name}"
    )
    assert event["ORGANIZER"].params["CN"] == "O'Brien, Pat Nurse lead"


@pytest.mark.parametrize(
    ("opportunity_fields", "partner_fields", "expected"),
    [
        ({"is_remote": True, "site_address": "Ignored"}, {}, "Online"),
        (
            {"site_address": "", "site_postcode": ""},
            {"address_line_1": "Trust HQ", "address_line_2": "", "town": "Leeds", "postcode": "LS1 4AP"},
            "Trust HQ, Leeds, LS1 4AP",
        ),
    ],
)
def test_booking_ics_location_online_or_partner_address(opportunity_fields, partner_fields, expected):
    opportunity = OpportunityFactory(partner=PartnerFactory(**partner_fields), **opportunity_fields)
    booking = BookingFactory(slot=SlotFactory(opportunity=opportunity), status=BookingStatus.CONFIRMED)

    event = _only_event(booking_ics(booking=booking, method="REQUEST"))

    assert str(event["LOCATION"]) == expected


# --- The feed's contents --------------------------------------------------------------------------


def test_calendar_feed_ics_is_a_published_calendar_of_the_participants_visits():
    booking = _booking_on_the_ward(status=BookingStatus.CONFIRMED, calendar_sequence=1)

    calendar = Calendar.from_ical(calendar_feed_ics(user=booking.participant))

    assert "METHOD" not in calendar
    assert (str(calendar["PRODID"]), str(calendar["X-WR-CALNAME"])) == (
        "-//Connecting//Bookings//EN",
        "Connecting visits",
    )
    [event] = calendar.walk("VEVENT")
    assert (str(event["UID"]), event.decoded("SEQUENCE"), str(event["STATUS"])) == (
        _uid(booking),
        1,
        "CONFIRMED",
    )
    assert event.decoded("DTSTART") == datetime.datetime(2026, 6, 10, 8, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "A day on the ward with Oakfield Care Home"


def test_calendar_feed_of_a_participant_never_shows_another_participants_visits():
    participant_a, participant_b = ParticipantFactory(), ParticipantFactory()
    a_first = BookingFactory(participant=participant_a, status=BookingStatus.CONFIRMED, slot__days_ahead=5)
    a_second = BookingFactory(participant=participant_a, status=BookingStatus.CONFIRMED, slot__days_ahead=9)
    b_booking = BookingFactory(participant=participant_b, status=BookingStatus.CONFIRMED)

    assert _feed_uids(participant_a) == [_uid(a_first), _uid(a_second)]
    assert _feed_uids(participant_b) == [_uid(b_booking)]


def test_calendar_feed_of_a_partner_contact_shows_only_their_partners_visits():
    partner_x, partner_y = PartnerFactory(), PartnerFactory()
    contact_of_x = PartnerMembershipFactory(partner=partner_x).user
    x_booking = BookingFactory(slot__opportunity__partner=partner_x, status=BookingStatus.CONFIRMED)
    x_attended = BookingFactory(
        slot__opportunity__partner=partner_x, status=BookingStatus.ATTENDED, slot__days_ahead=-20
    )
    BookingFactory(slot__opportunity__partner=partner_x, status=BookingStatus.REQUESTED)
    BookingFactory(slot__opportunity__partner=partner_y, status=BookingStatus.CONFIRMED)

    assert list(calendar_booking_list_for_user(user=contact_of_x)) == [x_attended, x_booking]
    assert _feed_uids(contact_of_x) == [_uid(x_attended), _uid(x_booking)]


def test_calendar_feed_leaves_out_bookings_that_are_not_going_ahead():
    participant = ParticipantFactory()
    shown = {
        status: BookingFactory(participant=participant, status=status, slot__days_ahead=days)
        for status, days in [
            (BookingStatus.CONFIRMED, 10),
            (BookingStatus.ATTENDED, -10),
            (BookingStatus.NO_SHOW, -5),
        ]
    }
    for status in (
        BookingStatus.REQUESTED,
        BookingStatus.DECLINED,
        BookingStatus.CANCELLED,
        BookingStatus.WAITLISTED,
        BookingStatus.EXPIRED,
    ):
        BookingFactory(participant=participant, status=status)
    BookingFactory(
        participant=participant,
        status=BookingStatus.OFFERED,
        offer_expires_at=datetime.datetime(2030, 1, 1, tzinfo=UTC),
    )

    assert list(calendar_booking_list_for_user(user=participant)) == [
        shown[BookingStatus.ATTENDED],
        shown[BookingStatus.NO_SHOW],
        shown[BookingStatus.CONFIRMED],
    ]


def test_calendar_feed_reaches_back_twelve_months_only():
    participant = ParticipantFactory()
    BookingFactory(participant=participant, status=BookingStatus.ATTENDED, slot__days_ahead=-400)
    recent = BookingFactory(participant=participant, status=BookingStatus.ATTENDED, slot__days_ahead=-300)
    upcoming = BookingFactory(participant=participant, status=BookingStatus.CONFIRMED, slot__days_ahead=400)

    assert list(calendar_booking_list_for_user(user=participant)) == [recent, upcoming]


def test_calendar_feed_of_the_programme_team_holds_only_their_own_bookings():
    member = ProgrammeTeamFactory()
    BookingFactory(status=BookingStatus.CONFIRMED)
    own = BookingFactory(participant=member, status=BookingStatus.CONFIRMED)

    assert list(calendar_booking_list_for_user(user=member)) == [own]


# --- Feed tokens ----------------------------------------------------------------------------------


def test_calendar_feed_get_or_create_keeps_one_token_per_person():
    participant = ParticipantFactory()

    first = calendar_feed_get_or_create(user=participant)
    again = calendar_feed_get_or_create(user=participant)

    assert (again.pk, again.token) == (first.pk, first.token)
    assert len(first.token) == 43  # 32 random bytes, URL-safe base64
    assert CalendarFeed.objects.count() == 1


def test_calendar_feed_reset_replaces_the_token():
    participant = ParticipantFactory()
    old_token = calendar_feed_get_or_create(user=participant).token

    feed = calendar_feed_reset(user=participant)

    assert feed.token != old_token
    assert list(CalendarFeed.objects.values_list("user", "token")) == [(participant.pk, feed.token)]


# --- Views ----------------------------------------------------------------------------------------


def test_calendar_settings_shows_the_private_address(client):
    participant = ParticipantFactory()
    client.force_login(participant)

    response = client.get(reverse("calendar:settings"))

    token = CalendarFeed.objects.get(user=participant).token
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["feed_url"] == f"http://testserver/calendar/{token}.ics"
    assert (
        f'<input class="govuk-input" id="calendar-feed-url" name="calendar-feed-url" type="text" '
        f'value="http://testserver/calendar/{token}.ics"'
    ) in html
    assert '<label class="govuk-label govuk-label--s" for="calendar-feed-url">' in html
    assert "Anyone with this address can see your visits." in html
    assert f'<form method="post" action="{reverse("calendar:reset")}" novalidate>' in html
    assert html.count('name="csrfmiddlewaretoken"') == 1


def test_calendar_settings_works_for_a_partner_contact(client):
    contact = PartnerMembershipFactory().user
    client.force_login(contact)

    response = client.get(reverse("calendar:settings"))

    token = CalendarFeed.objects.get(user=contact).token
    assert response.context["feed_url"] == f"http://testserver/calendar/{token}.ics"


def test_calendar_settings_needs_a_signed_in_user(client):
    response = client.get(reverse("calendar:settings"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=/calendar/"
    assert CalendarFeed.objects.count() == 0


def test_calendar_reset_makes_the_old_address_404_and_the_new_one_work(client):
    participant = ParticipantFactory()
    old_token = calendar_feed_get_or_create(user=participant).token
    client.force_login(participant)

    response = client.post(reverse("calendar:reset"), follow=True)

    new_token = CalendarFeed.objects.get(user=participant).token
    assert response.redirect_chain == [(reverse("calendar:settings"), 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Your calendar link has been reset. The old link no longer works: subscribe again with the new one."
    ]
    assert response.context["feed_url"] == f"http://testserver/calendar/{new_token}.ics"
    client.logout()
    assert client.get(reverse("calendar:feed", args=[old_token])).status_code == 404
    assert client.get(reverse("calendar:feed", args=[new_token])).status_code == 200


def test_calendar_reset_refuses_anonymous_and_get(client):
    participant = ParticipantFactory()
    token = calendar_feed_get_or_create(user=participant).token

    anonymous = client.post(reverse("calendar:reset"))
    client.force_login(participant)
    by_get = client.get(reverse("calendar:reset"))

    assert (anonymous.status_code, anonymous["Location"]) == (
        302,
        f"{reverse('account_login')}?next=/calendar/reset/",
    )
    assert by_get.status_code == 405
    assert CalendarFeed.objects.get(user=participant).token == token


def test_calendar_feed_answers_the_calendar_without_a_session(client):
    booking = _booking_on_the_ward(status=BookingStatus.CONFIRMED)
    token = calendar_feed_get_or_create(user=booking.participant).token

    response = client.get(f"/calendar/{token}.ics")

    assert response.status_code == 200
    assert (
        response["Content-Type"],
        response["Content-Disposition"],
        response["Cache-Control"],
    ) == ("text/calendar; charset=utf-8", 'inline; filename="connecting.ics"', "private, no-store")
    assert str(_only_event(response.content)["UID"]) == _uid(booking)


def test_calendar_feed_of_a_partner_contact_over_http(client):
    partner = PartnerFactory()
    contact = PartnerMembershipFactory(partner=partner).user
    visit = BookingFactory(slot__opportunity__partner=partner, status=BookingStatus.CONFIRMED)
    BookingFactory(status=BookingStatus.CONFIRMED)
    token = calendar_feed_get_or_create(user=contact).token

    response = client.get(reverse("calendar:feed", args=[token]))

    assert [str(e["UID"]) for e in Calendar.from_ical(response.content).walk("VEVENT")] == [_uid(visit)]


def test_calendar_feed_unknown_token_is_404(client):
    calendar_feed_get_or_create(user=ParticipantFactory())

    response = client.get(reverse("calendar:feed", args=["not-a-real-token"]))

    assert response.status_code == 404


def test_calendar_feed_of_an_inactive_user_is_404(client):
    participant = ParticipantFactory(is_active=False)
    BookingFactory(participant=participant, status=BookingStatus.CONFIRMED)
    token = calendar_feed_get_or_create(user=participant).token

    response = client.get(reverse("calendar:feed", args=[token]))

    assert response.status_code == 404


def test_calendar_feed_query_count_does_not_grow_with_bookings(client):
    counts = {}
    for total in (1, 3):
        participant = ParticipantFactory()
        for days in range(total):
            BookingFactory(
                participant=participant,
                status=BookingStatus.CONFIRMED,
                slot__days_ahead=10 + days,
                slot__opportunity__partner=PartnerFactory(),
            )
        url = reverse("calendar:feed", args=[calendar_feed_get_or_create(user=participant).token])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert len(Calendar.from_ical(response.content).walk("VEVENT")) == total
        counts[total] = len(queries)

    # The token lookup and the bookings, inside the request's savepoint (ATOMIC_REQUESTS).
    assert counts == {1: 4, 3: 4}
