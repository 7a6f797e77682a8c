"""Browse and the detail page at scale (issue 9): they read the caps of the partners they show
and no others, no whole-table DISTINCT, the cards' columns only, and a constant, small number of
queries. Whether the answers stay right is tested in test_availability.py and test_browse.py."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners.models import Region, Sector
from placements.selectors import availability
from placements.selectors.availability import partner_load, slot_availability_list
from placements.selectors.browse import BrowseFilters, opportunity_browse_list
from placements.templatetags.choices import choice_label
from tests.factories import (
    OpportunityFactory,
    ParticipantFactory,
    PartnerFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db


def _at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _monday_weeks_ahead(weeks: int) -> datetime.date:
    today = timezone.localdate()
    return today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(weeks=weeks)


def _slot(opportunity, day: datetime.date, *, hour: int = 9, places_held: int = 0):
    return SlotFactory(
        opportunity=opportunity,
        starts_at=_at(day, hour),
        ends_at=_at(day, hour) + datetime.timedelta(hours=2),
        places_held=places_held,
    )


@pytest.fixture
def loads_read(monkeypatch) -> list:
    """The `partners` each `partner_load` call was asked for (None: every capped partner)."""
    calls = []
    real = availability.partner_load

    def spy(*, now, partners=None):
        calls.append(None if partners is None else set(partners))
        return real(now=now, partners=partners)

    monkeypatch.setattr(availability, "partner_load", spy)
    return calls


def test_browse_reads_the_caps_of_the_capped_partners_it_lists_and_no_others(loads_read):
    capped = PartnerFactory(sector=Sector.HOSPICE, max_visitors_per_week=1)
    uncapped = PartnerFactory(sector=Sector.HOSPICE)
    PartnerFactory(sector=Sector.CHARITY, max_visitors_per_month=3)  # filtered out
    monday = _monday_weeks_ahead(6)
    full_week = _slot(OpportunityFactory(partner=capped, title="Capped"), monday, places_held=1)
    next_week = _slot(full_week.opportunity, monday + datetime.timedelta(days=7))
    _slot(OpportunityFactory(partner=uncapped, title="Uncapped"), monday)

    cards = list(
        opportunity_browse_list(user=ParticipantFactory(), filters=BrowseFilters(sector=Sector.HOSPICE))
    )

    assert loads_read == [{capped.pk}]
    # The full week is still left out: the next free place is the week after.
    assert [(card.title, card.next_free_slot) for card in cards] == [
        ("Uncapped", _at(monday)),
        ("Capped", next_week.starts_at),
    ]


def test_browse_with_no_capped_partner_listed_reads_no_caps_and_no_notice_table(django_assert_num_queries):
    for region in (Region.LONDON, Region.SCOTLAND):
        SlotFactory(opportunity=OpportunityFactory(partner=PartnerFactory(region=region)))
    participant = ParticipantFactory()

    # The matches, their free places, then the page's cards and their policy areas.
    with django_assert_num_queries(4), CaptureQueriesContext(connection) as queries:
        cards = list(opportunity_browse_list(user=participant, filters=BrowseFilters()))

    assert [card.free_places for card in cards] == [4, 4]
    assert not [query["sql"] for query in queries if "DISTINCT" in query["sql"]]


def test_browse_cards_leave_the_long_descriptions_unread():
    SlotFactory(opportunity=OpportunityFactory(accessibility="Step-free access to the ward"))

    [card] = list(opportunity_browse_list(user=ParticipantFactory(), filters=BrowseFilters()))

    assert {"what_you_will_do", "accessibility", "site_address"} <= card.get_deferred_fields()
    assert "summary" not in card.get_deferred_fields()


def _first_of_month_ahead(months: int) -> datetime.date:
    day = timezone.localdate().replace(day=1)
    for _ in range(months):
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return day


def test_partner_load_adds_up_places_by_local_week_and_month_for_capped_partners():
    weekly = OpportunityFactory(partner=PartnerFactory(max_visitors_per_week=5))
    monthly = OpportunityFactory(partner=PartnerFactory(max_visitors_per_month=5))
    uncapped = OpportunityFactory()
    monday = _monday_weeks_ahead(5)
    next_monday = monday + datetime.timedelta(days=7)
    month = _first_of_month_ahead(3)
    next_month = _first_of_month_ahead(4)
    # Sunday 22:00 in London is still the same week (and, in summer, Sunday 21:00 in UTC).
    for day, held in ((monday, 2), (monday + datetime.timedelta(days=6), 3), (next_monday, 1)):
        _slot(weekly, day, hour=22, places_held=held)
        _slot(uncapped, day, places_held=held)
    for day, held in ((month, 2), (next_month - datetime.timedelta(days=1), 3), (next_month, 1)):
        _slot(monthly, day, hour=23, places_held=held)

    load = partner_load(now=timezone.now())

    assert (
        load.week_taken(weekly.partner_id, monday + datetime.timedelta(days=3)),
        load.week_taken(weekly.partner_id, next_monday),
    ) == (5, 1)
    assert (
        load.month_taken(monthly.partner_id, month),
        load.month_taken(monthly.partner_id, next_month),
    ) == (5, 1)
    assert load.full_periods() == sorted(
        [(weekly.partner_id, monday, next_monday), (monthly.partner_id, month, next_month)]
    )
    assert uncapped.partner_id not in load.caps
    assert partner_load(now=timezone.now(), partners=[monthly.partner_id]).caps == {
        monthly.partner_id: (None, 5)
    }
    assert partner_load(now=timezone.now(), partners=[]).caps == {}


def test_detail_reads_its_slots_in_one_query_and_the_caps_only_of_a_capped_partner(django_assert_num_queries):
    uncapped = OpportunityFactory()
    capped = OpportunityFactory(partner=PartnerFactory(max_visitors_per_week=2))
    for opportunity in (uncapped, capped):
        for days in (30, 31, 32):
            SlotFactory(opportunity=opportunity, days_ahead=days)
    participant = ParticipantFactory()

    with django_assert_num_queries(1):
        rows = slot_availability_list(opportunity=uncapped, participant=participant)
    with django_assert_num_queries(2):
        capped_rows = slot_availability_list(opportunity=capped, participant=participant)

    assert [row.can_request for row in rows + capped_rows] == [True] * 6


def test_choice_label_gives_the_label_of_the_stored_value_or_the_value_itself():
    partner = PartnerFactory(sector=Sector.HOSPICE, region=Region.LONDON)

    assert (choice_label(partner, "sector"), choice_label(partner, "region")) == (
        Sector.HOSPICE.label,
        Region.LONDON.label,
    )
    partner.sector = "no_longer_offered"
    assert choice_label(partner, "sector") == "no_longer_offered"
