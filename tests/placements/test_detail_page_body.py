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

from partners.models import Partner, PartnerBlackout
from placements.models import Opportunity, OpportunityStatus, Programme, Slot, Theme
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
    theme = ThemeFactory(name="Palliative care")
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


def _rename_opportunity(opportunity, slot):
    Opportunity.objects.filter(pk=opportunity.pk).update(title="A night in A&E")
    return "A night in A&amp;E"


def _rename_partner(opportunity, slot):
    Partner.objects.filter(pk=opportunity.partner_id).update(name="Hillside Hospice")
    return "Hillside Hospice"


def _rename_theme(opportunity, slot):
    Theme.objects.filter(name="Palliative care").update(name="End of life care")
    return "End of life care"


def _rename_programme(opportunity, slot):
    Programme.objects.filter(pk__in=opportunity.programmes.all()).update(name="Connecting 2027")
    return "Connecting 2027"


def _add_policy_area(opportunity, slot):
    opportunity.policy_areas.add(ThemeFactory(name="Workforce"))
    return "Workforce"


def _fill_slot(opportunity, slot):
    Slot.objects.filter(pk=slot.pk).update(places_held=4)
    return "Full"


def _add_slot(opportunity, slot):
    SlotFactory(opportunity=opportunity, days_ahead=40)
    return (timezone.localdate() + datetime.timedelta(days=40)).strftime("%-d %B %Y")


def _slot_starts(opportunity, slot):
    # What time passing does to a slot: it is no longer to come.
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - datetime.timedelta(minutes=1),
        ends_at=timezone.now() + datetime.timedelta(hours=1),
    )
    return "No dates are offered at the moment."


def _blackout_on_the_day(opportunity, slot):
    day = timezone.localdate(slot.starts_at)
    PartnerBlackout.objects.create(
        partner=opportunity.partner, starts_on=day, ends_on=day, reason="Inspection"
    )
    return "Not taking visitors: Inspection"


def _unpublish(opportunity, slot):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE placements_opportunity SET status = %s WHERE id = %s",
            [OpportunityStatus.CLOSED, opportunity.pk],
        )
    return 404


CHANGES = [
    _rename_opportunity,
    _rename_partner,
    _rename_theme,
    _rename_programme,
    _add_policy_area,
    _fill_slot,
    _add_slot,
    _slot_starts,
    _blackout_on_the_day,
    _unpublish,
]


@pytest.mark.parametrize("change", CHANGES, ids=[change.__name__.strip("_") for change in CHANGES])
def test_a_change_to_any_row_the_body_shows_is_shown_at_once(client, opportunity, slot, change):
    participant = ParticipantFactory()
    before, _ = _page(participant, opportunity, client)
    kept, _ = _page(participant, opportunity, client)
    assert before.status_code == kept.status_code == 200 and "slot_rows" not in kept.context

    expected = change(opportunity, slot)
    after, _ = _page(participant, opportunity, client)

    if expected == 404:
        assert after.status_code == 404
    else:
        assert after.status_code == 200
        assert expected not in _text(before)
        assert expected in _text(after)


def test_a_full_week_at_the_partner_shows_though_the_place_was_taken_on_another_opportunity(
    client, opportunity, slot, programme
):
    Partner.objects.filter(pk=opportunity.partner_id).update(max_visitors_per_week=1)
    participant = ParticipantFactory()
    before, _ = _page(participant, opportunity, client)
    assert "Request a place" in _text(before) and "This week is full" not in _text(before)

    sibling = OpportunityFactory(partner=opportunity.partner, programmes=[programme])
    same_week = SlotFactory(
        opportunity=sibling,
        starts_at=slot.starts_at + datetime.timedelta(hours=1),
        ends_at=slot.ends_at + datetime.timedelta(hours=1),
    )
    Slot.objects.filter(pk=same_week.pk).update(places_held=1)
    after, _ = _page(participant, opportunity, client)

    assert "This week is full" in _text(after)


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
