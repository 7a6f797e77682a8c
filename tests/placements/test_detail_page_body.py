"""The opportunity page's body is rendered once for every participant who would see the same
thing, and never shown again once any row it is made from has changed (connecting/page_bodies.py).

Each change below is written with `QuerySet.update` or straight SQL where it can be: no signal,
no service and no `save()` that a cache could have been told by. The page must show it at once.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from placements.models import OpportunityStatus, Programme
from placements.services.bookings import booking_request
from tests.factories import (
    EnrolmentFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerFactory,
    ProgrammeFactory,
    SlotFactory,
    ThemeFactory,
)
from tests.placements import opportunity_changes as changes

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the fingerprints are PostgreSQL's"),
]


@pytest.fixture
def programme():
    return ProgrammeFactory(name="Connecting 2026")


@pytest.fixture
def opportunity(programme):
    partner = PartnerFactory(
        name="Riverside Hospice", max_visitors_per_week=None, max_visitors_per_month=None
    )
    theme = ThemeFactory(name="Zq palliative rounds")
    return OpportunityFactory(
        partner=partner, title="A day on the ward", programmes=[programme], policy_areas=[theme]
    )


@pytest.fixture
def slot(opportunity):
    return SlotFactory(opportunity=opportunity, days_ahead=30, capacity=4)


def _page(participant, opportunity, client):
    client.force_login(participant)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("browse:detail", args=[opportunity.pk]))
    return response, len(queries)


def _text(response) -> str:
    """The page's main content: the body, without the title and layout rendered around it."""
    return response.content.decode().split('id="main-content"', 1)[1]


def test_a_second_participant_is_served_the_body_rendered_for_the_first(client, opportunity, slot):
    first, fresh_queries = _page(ParticipantFactory(), opportunity, client)
    second, kept_queries = _page(ParticipantFactory(), opportunity, client)

    assert first.status_code == second.status_code == 200
    assert "slot_rows" in first.context and "slot_rows" not in second.context
    assert kept_queries < fresh_queries
    body = _text(first)
    assert body == _text(second)
    assert "A day on the ward" in body and "Request a place" in body


def _rename_programme(opportunity, slot):
    Programme.objects.filter(pk__in=opportunity.programmes.all()).update(name="Connecting 2027")


def _day_40_ahead() -> str:
    return (timezone.localdate() + datetime.timedelta(days=40)).strftime("%-d %B %Y")


# Each change, and what the page says once it is made (404: the page is gone).
CHANGES = [
    (changes.retitle, "A ward at night &amp; A&amp;E"),
    (changes.rename_partner, "Hillside Hospice"),
    (changes.rename_theme, "Zq night-time care"),
    (_rename_programme, "Connecting 2027"),
    (changes.add_policy_area, "Zq rota design"),
    (changes.fill_slot, "Full"),
    (changes.add_slot, _day_40_ahead),
    (changes.slot_starts, "No dates are offered at the moment."),
    (changes.blackout_on_the_day, "Not taking visitors: Inspection"),
    (changes.week_full_elsewhere_at_the_partner, "This week is full"),
    (changes.unpublish, 404),
]


@pytest.mark.parametrize(("change", "expected"), CHANGES, ids=[c.__name__.strip("_") for c, _ in CHANGES])
def test_a_change_to_any_row_the_body_shows_is_shown_at_once(client, opportunity, slot, change, expected):
    participant = ParticipantFactory()
    before, _ = _page(participant, opportunity, client)
    kept, _ = _page(participant, opportunity, client)
    assert before.status_code == kept.status_code == 200 and "slot_rows" not in kept.context

    change(opportunity, slot)
    expected = expected() if callable(expected) else expected
    after, _ = _page(participant, opportunity, client)

    if expected == 404:
        assert after.status_code == 404
    else:
        assert after.status_code == 200
        assert expected not in _text(before)
        assert expected in _text(after)


def test_a_participants_own_request_is_theirs_alone(client, opportunity, slot, programme):
    asker, other = ParticipantFactory(), ParticipantFactory()
    EnrolmentFactory(participant=asker, programme=programme)
    _page(other, opportunity, client)  # a body kept for participants with no request
    booking_request(slot=slot, participant=asker, programme=programme)

    mine, _ = _page(asker, opportunity, client)
    theirs, _ = _page(other, opportunity, client)

    assert "You have asked for this date" in _text(mine)
    assert "You have asked for this date" not in _text(theirs)
    assert "Request a place" in _text(theirs)


def test_a_participant_may_not_see_a_draft_even_after_its_body_was_kept(client, opportunity, slot):
    participant = ParticipantFactory()
    assert _page(participant, opportunity, client)[0].status_code == 200
    draft = OpportunityFactory(partner=opportunity.partner, status=OpportunityStatus.DRAFT)
    SlotFactory(opportunity=draft)

    assert _page(participant, draft, client)[0].status_code == 404
    assert _page(participant, draft, client)[0].status_code == 404
