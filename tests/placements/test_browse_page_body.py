"""A filtered browse list is rendered once for everyone who would see the same thing, and never
shown again once a row it depends on has changed (connecting/page_bodies.py).

Each change is written with `QuerySet.update` or a factory, not a service: nothing a cache could
have been told by. The list must show it at once.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from connecting.db import prepared_forget
from partners.models import Region, Sector
from placements.models import OpportunityStatus, Programme
from placements.services.bookings import booking_request
from tests.factories import (
    EnrolmentFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    SlotFactory,
    ThemeFactory,
)
from tests.placements import opportunity_changes as changes

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the fingerprints are PostgreSQL's"),
]

# Filtered by sector and region, with keywords: the list this cache is for.
QUERY = {"sector": Sector.HOSPICE, "region": Region.SOUTH_WEST, "q": "ward"}


@pytest.fixture
def programme():
    return ProgrammeFactory(name="Connecting 2026")


@pytest.fixture
def opportunity(programme):
    partner = PartnerFactory(name="Riverside Hospice", sector=Sector.HOSPICE, region=Region.SOUTH_WEST)
    return OpportunityFactory(
        partner=partner,
        title="A day on the ward",
        programmes=[programme],
        policy_areas=[ThemeFactory(name="Zq palliative rounds")],
    )


@pytest.fixture
def slot(opportunity):
    return SlotFactory(opportunity=opportunity, days_ahead=30, capacity=4)


def _list(client, person, query=None):
    client.force_login(person)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("browse:list"), query or QUERY)
    assert response.status_code == 200
    return response, len(queries)


def _body(response) -> str:
    return response.content.decode().split('id="main-content"', 1)[1]


def test_a_second_participant_is_served_the_list_rendered_for_the_first(client, opportunity, slot):
    first, fresh_queries = _list(client, ParticipantFactory())
    second, kept_queries = _list(client, ParticipantFactory())

    assert "page" in first.context and "page" not in second.context
    assert kept_queries < fresh_queries
    assert _body(first) == _body(second)
    assert "A day on the ward" in _body(second) and "4 places in upcoming dates" in _body(second)


def _new_programme_to_choose(opportunity, slot):
    ProgrammeFactory(name="Leaders Collaborative")


def _another_match_published(opportunity, slot):
    OpportunityFactory(partner=opportunity.partner, title="A second ward visit")


# Each change, and what the list says once it is made.
CHANGES = [
    (changes.retitle, "A ward at night &amp; A&amp;E"),
    (changes.rename_partner, "Hillside Hospice"),
    (changes.rename_theme, "Zq night-time care"),
    (_new_programme_to_choose, "Leaders Collaborative"),
    (changes.take_places, "1 place in upcoming dates"),
    (changes.add_slot, "6 places in upcoming dates"),
    (changes.slot_starts, "No free places at the moment"),
    (changes.blackout_on_the_day, "No free places at the moment"),
    (changes.week_full_elsewhere_at_the_partner, "No free places at the moment"),
    (_another_match_published, "A second ward visit"),
    (changes.unpublish, "No opportunities match your filters."),
]


@pytest.mark.parametrize(("change", "expected"), CHANGES, ids=[c.__name__.strip("_") for c, _ in CHANGES])
def test_a_change_to_any_row_the_list_depends_on_is_shown_at_once(
    client, opportunity, slot, change, expected
):
    participant = ParticipantFactory()
    before, _ = _list(client, participant)
    kept, _ = _list(client, participant)
    assert "page" not in kept.context

    change(opportunity, slot)
    after, _ = _list(client, participant)

    assert expected not in _body(before)
    assert expected in _body(after)


def test_a_participants_own_request_changes_their_list_alone(client, opportunity, slot, programme):
    asker, other = ParticipantFactory(), ParticipantFactory()
    EnrolmentFactory(participant=asker, programme=programme)
    _list(client, other)
    booking_request(slot=slot, participant=asker, programme=programme)

    mine, _ = _list(client, asker)
    theirs, _ = _list(client, other)

    # Places held went from 0 to 1 for everyone; the asker cannot ask for the same slot again.
    assert "No free places at the moment" in _body(mine)
    assert "3 places in upcoming dates" in _body(theirs)


def test_the_team_and_participants_never_share_a_list(client, opportunity, slot):
    draft = OpportunityFactory(
        partner=opportunity.partner, title="A ward draft", status=OpportunityStatus.DRAFT
    )
    SlotFactory(opportunity=draft)

    team, _ = _list(client, ProgrammeTeamFactory())
    participant, _ = _list(client, ParticipantFactory())

    assert "A ward draft" in _body(team)
    assert "A ward draft" not in _body(participant)


def test_a_list_with_a_bad_filter_is_rendered_afresh_with_its_errors(client, opportunity, slot):
    person = ParticipantFactory()
    client.force_login(person)
    bad = {**QUERY, "date_from": "31/02/2026"}
    first = client.get(reverse("browse:list"), bad)
    second = client.get(reverse("browse:list"), bad)

    assert first.status_code == second.status_code == 400
    assert "page" in second.context
    assert "govuk-error-summary" in second.content.decode()


def test_programme_rename_shows_in_the_filter_choices(client, opportunity, slot, programme):
    participant = ParticipantFactory()
    _list(client, participant)
    Programme.objects.filter(pk=programme.pk).update(name="Connecting 2027")

    after, _ = _list(client, participant)

    assert "Connecting 2027" in _body(after)


def test_the_fingerprint_is_planned_once_per_connection_and_survives_being_forgotten(
    client, opportunity, slot
):
    participant = ParticipantFactory()
    _list(client, participant)  # prepared on this connection, if an earlier test had not
    client.force_login(participant)
    with CaptureQueriesContext(connection) as again:
        client.get(reverse("browse:list"), {**QUERY, "q": "day"})
    prepared_forget()  # as a new process would find a connection's session
    with CaptureQueriesContext(connection) as forgotten:
        response = client.get(reverse("browse:list"), {**QUERY, "q": "hospice"})

    statements = [query["sql"] for query in again.captured_queries]
    assert not any(sql.startswith("PREPARE") for sql in statements)
    assert any(sql.startswith("EXECUTE connecting_opportunities_fingerprint") for sql in statements)
    after = [query["sql"] for query in forgotten.captured_queries]
    assert response.status_code == 200
    assert any("pg_prepared_statements" in sql for sql in after)
    assert not any(sql.startswith("PREPARE") for sql in after)
