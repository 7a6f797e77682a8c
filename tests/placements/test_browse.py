"""Finding an opportunity: the browse page (filters, keyword search, sorting, paging) and the detail page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connecting.page_bodies import page_bodies_clear
from partners.models import PartnerStatus, Region, Sector
from placements.models import Duration, Opportunity, OpportunityStatus, Theme, VettingLevel
from placements.selectors.browse import (
    MAX_SEARCH_WORDS,
    SearchTerms,
    opportunity_search_fallback,
    search_terms,
)
from tests.factories import (
    OpportunityFactory,
    ParticipantFactory,
    PartnerContactFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    SlotFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

BROWSE = reverse("browse:list")


def _area(slug: str) -> Theme:
    """A policy area of the seeded taxonomy (made again if a flushing test emptied the table)."""
    return ThemeFactory(slug=slug, name=slug.replace("-", " ").capitalize())


def _titles(response) -> list[str]:
    return [opportunity.title for opportunity in response.context["page"]]


def _no_notice(**fields) -> Opportunity:
    """An opportunity that needs no notice, for tests of dates and sorting close to today (notice
    itself is tested in test_availability.py)."""
    return OpportunityFactory(minimum_notice_working_days=0, **fields)


def _in_days(days: int, hour: int = 9) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def participant_client(client):
    client.force_login(ParticipantFactory())
    return client


# --- Who may browse, and what they see ------------------------------------------------------------


def test_browse_shows_participants_only_published_opportunities_of_active_partners(participant_client):
    OpportunityFactory(title="Published")
    OpportunityFactory(title="Draft", status=OpportunityStatus.DRAFT)
    OpportunityFactory(title="Paused", status=OpportunityStatus.PAUSED)
    OpportunityFactory(title="Closed", status=OpportunityStatus.CLOSED)
    OpportunityFactory(title="Paused partner", partner=PartnerFactory(status=PartnerStatus.PAUSED))
    OpportunityFactory(title="Invited partner", partner=PartnerFactory(status=PartnerStatus.INVITED))
    OpportunityFactory(title="Archived partner", partner=PartnerFactory(status=PartnerStatus.ARCHIVED))

    response = participant_client.get(BROWSE)

    assert response.status_code == 200
    assert _titles(response) == ["Published"]


def test_browse_is_forbidden_to_partner_contacts(client):
    OpportunityFactory(title="Published")
    client.force_login(PartnerMembershipFactory().user)

    assert client.get(BROWSE).status_code == 403


def test_browse_shows_the_programme_team_every_opportunity_with_its_status(client):
    OpportunityFactory(title="Published")
    OpportunityFactory(title="Draft", status=OpportunityStatus.DRAFT)
    client.force_login(ProgrammeTeamFactory())

    response = client.get(BROWSE, {"sort": "newest"})

    assert response.status_code == 200
    assert sorted(_titles(response)) == ["Draft", "Published"]
    assert '<strong class="govuk-tag govuk-tag--grey">Draft</strong>' in response.content.decode()


def test_browse_page_has_apply_and_clear_controls(participant_client):
    html = participant_client.get(BROWSE).content.decode()

    assert '<form method="get" action="/find/" novalidate>' in html
    assert ">Apply filters</button>" in html
    assert '<a class="govuk-link" href="/find/">Clear filters</a>' in html
    assert "csrfmiddlewaretoken" not in html  # a GET form must not put the token in URLs


# --- Filters, one at a time -----------------------------------------------------------------------


def test_browse_filter_by_programme(participant_client):
    wanted = ProgrammeFactory()
    OpportunityFactory(title="In it", programmes=[wanted, ProgrammeFactory()])
    OpportunityFactory(title="Not in it")

    response = participant_client.get(BROWSE, {"programme": wanted.pk})

    assert _titles(response) == ["In it"]


def test_browse_filter_by_sector(participant_client):
    OpportunityFactory(title="Hospice", partner=PartnerFactory(sector=Sector.HOSPICE))
    OpportunityFactory(title="Police", partner=PartnerFactory(sector=Sector.POLICE))

    response = participant_client.get(BROWSE, {"sector": Sector.HOSPICE})

    assert _titles(response) == ["Hospice"]


def test_browse_filter_by_region(participant_client):
    OpportunityFactory(title="Wales", partner=PartnerFactory(region=Region.WALES))
    OpportunityFactory(title="London", partner=PartnerFactory(region=Region.LONDON))

    response = participant_client.get(BROWSE, {"region": Region.WALES})

    assert _titles(response) == ["Wales"]


def test_browse_filter_by_policy_area(participant_client):
    mental_health = _area("mental-health")
    OpportunityFactory(title="Crisis team", policy_areas=[mental_health, _area("acute-and-emergency-care")])
    OpportunityFactory(title="Schools", policy_areas=[_area("education-and-skills")])

    response = participant_client.get(BROWSE, {"policy_area": mental_health.pk})

    assert _titles(response) == ["Crisis team"]


def test_browse_filter_by_duration(participant_client):
    OpportunityFactory(title="Morning", duration=Duration.HALF_DAY)
    OpportunityFactory(title="Week", duration=Duration.SEVERAL_DAYS)

    response = participant_client.get(BROWSE, {"duration": Duration.HALF_DAY})

    assert _titles(response) == ["Morning"]


def test_browse_filter_only_with_free_places(participant_client):
    SlotFactory(opportunity=OpportunityFactory(title="Free"), days_ahead=30)
    SlotFactory(opportunity=OpportunityFactory(title="Full"), days_ahead=5, places_held=4)
    SlotFactory(opportunity=OpportunityFactory(title="Past"), days_ahead=-5)
    OpportunityFactory(title="No slots")

    response = participant_client.get(BROWSE, {"free_places": "on"})

    assert _titles(response) == ["Free"]


def test_browse_filter_by_date_range_needs_a_free_slot_between_the_dates(participant_client):
    SlotFactory(opportunity=_no_notice(title="Day 10"), days_ahead=10)
    SlotFactory(opportunity=_no_notice(title="Day 20"), days_ahead=20)
    SlotFactory(opportunity=_no_notice(title="Day 20, full"), days_ahead=20, places_held=4)
    SlotFactory(opportunity=_no_notice(title="Day 40"), days_ahead=40)
    day = lambda n: (timezone.localdate() + datetime.timedelta(days=n)).isoformat()  # noqa: E731

    between = participant_client.get(BROWSE, {"date_from": day(15), "date_to": day(20)})
    from_only = participant_client.get(BROWSE, {"date_from": day(20)})
    to_only = participant_client.get(BROWSE, {"date_to": day(10)})

    assert _titles(between) == ["Day 20"]
    assert _titles(from_only) == ["Day 20", "Day 40"]
    assert _titles(to_only) == ["Day 10"]


def test_browse_date_range_ending_before_it_starts_is_an_error_but_the_page_still_renders(participant_client):
    SlotFactory(opportunity=OpportunityFactory(title="Day 10"), days_ahead=10)
    SlotFactory(opportunity=OpportunityFactory(title="Day 20"), days_ahead=20)
    day = lambda n: (timezone.localdate() + datetime.timedelta(days=n)).isoformat()  # noqa: E731

    response = participant_client.get(BROWSE, {"date_from": day(15), "date_to": day(5)})

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "date_to": ["‘Free place until’ must be the same as or after ‘free place from’"]
    }
    assert _titles(response) == ["Day 20"]  # the valid 'from' date still applies
    assert "There is a problem" in response.content.decode()


def test_browse_free_places_are_not_multiplied_by_filters_that_join(participant_client):
    area = _area("workforce")
    programme = ProgrammeFactory()
    opportunity = _no_notice(
        title="Joined",
        programmes=[programme, ProgrammeFactory()],
        policy_areas=[area, _area("mental-health")],
    )
    SlotFactory(opportunity=opportunity, days_ahead=3, capacity=4, places_held=1)
    SlotFactory(opportunity=opportunity, days_ahead=9, capacity=2)

    response = participant_client.get(BROWSE, {"programme": programme.pk, "policy_area": area.pk})

    [card] = response.context["page"]
    assert (card.free_places, card.next_free_slot) == (5, _in_days(3))


# --- The result card ------------------------------------------------------------------------------


def test_browse_card_shows_next_free_slot_and_free_places_in_upcoming_slots(participant_client):
    partner = PartnerFactory(name="Northbridge Hospice", sector=Sector.HOSPICE, region=Region.NORTH_EAST)
    opportunity = OpportunityFactory(title="Night shift", partner=partner, duration=Duration.HALF_DAY)
    SlotFactory(opportunity=opportunity, days_ahead=-3)  # past: not counted
    SlotFactory(opportunity=opportunity, days_ahead=10, places_held=4)  # full
    SlotFactory(opportunity=opportunity, days_ahead=20, places_held=1)
    SlotFactory(opportunity=opportunity, days_ahead=40)

    response = participant_client.get(BROWSE)
    html = response.content.decode()

    [card] = response.context["page"]
    assert (card.next_free_slot, card.free_places) == (_in_days(20), 7)
    assert f"{_in_days(20):%A} {_in_days(20).day} {_in_days(20):%B %Y}" in html
    for text in (
        "Northbridge Hospice",
        "Hospice",
        "North East",
        "Half a day",
        "On site",
        "7 places in upcoming dates",
    ):
        assert text in html


def test_browse_card_says_remote_and_when_nothing_is_free(participant_client):
    OpportunityFactory(title="Online", is_remote=True)

    html = participant_client.get(BROWSE).content.decode()

    assert ">Remote</dd>" in html
    assert "No free places at the moment" in html
    assert "0 places in upcoming dates" in html


# --- Sorting --------------------------------------------------------------------------------------


def test_browse_sorts_by_soonest_free_slot_by_default_with_nothing_free_last(participant_client):
    SlotFactory(opportunity=_no_notice(title="Later"), days_ahead=30)
    SlotFactory(opportunity=_no_notice(title="Sooner"), days_ahead=5)
    SlotFactory(opportunity=_no_notice(title="Only full"), days_ahead=2, places_held=4)
    SlotFactory(
        opportunity=(soonest_free_later := _no_notice(title="Full soon, free later")),
        days_ahead=1,
        places_held=4,
    )
    SlotFactory(opportunity=soonest_free_later, days_ahead=10)

    response = participant_client.get(BROWSE)

    assert _titles(response) == ["Sooner", "Full soon, free later", "Later", "Only full"]
    assert response.context["form"]["sort"].value() == "soonest"


def test_browse_sorts_by_newest(participant_client):
    now = timezone.now()
    OpportunityFactory(title="Old", published_at=now - datetime.timedelta(days=30))
    OpportunityFactory(title="New", published_at=now - datetime.timedelta(days=1))
    OpportunityFactory(title="Middle", published_at=now - datetime.timedelta(days=10))

    response = participant_client.get(BROWSE, {"sort": "newest"})

    assert _titles(response) == ["New", "Middle", "Old"]


def test_browse_relevance_without_keywords_falls_back_to_soonest(participant_client):
    SlotFactory(opportunity=_no_notice(title="Later"), days_ahead=30)
    SlotFactory(opportunity=_no_notice(title="Sooner"), days_ahead=5)

    response = participant_client.get(BROWSE, {"sort": "relevance"})

    assert _titles(response) == ["Sooner", "Later"]


# --- Keyword search -------------------------------------------------------------------------------


def test_keyword_search_on_postgres_ranks_a_title_match_above_a_body_only_match(participant_client, postgres):
    body_only = OpportunityFactory(
        title="A day on the ward", what_you_will_do="See how the team plans each patient's discharge home."
    )
    SlotFactory(opportunity=body_only, days_ahead=2)  # sooner, so only the rank can put it second
    title_match = OpportunityFactory(title="The discharge lounge")
    SlotFactory(opportunity=title_match, days_ahead=40)
    OpportunityFactory(title="Unrelated", what_you_will_do="Ride along with a response officer.")

    response = participant_client.get(BROWSE, {"q": "discharges"})  # stemmed: discharges ~ discharge

    assert _titles(response) == ["The discharge lounge", "A day on the ward"]
    assert response.context["form"]["sort"].value() == "relevance"


def test_keyword_search_on_postgres_finds_partner_names_and_understands_web_syntax(
    participant_client, postgres
):
    OpportunityFactory(title="Shadow the matron", partner=PartnerFactory(name="Riverside Hospice"))
    OpportunityFactory(title="Hospice at home nights", partner=PartnerFactory(name="Lakeside Care"))

    by_partner = participant_client.get(BROWSE, {"q": "riverside"})
    excluding = participant_client.get(BROWSE, {"q": "hospice -nights"})
    odd = participant_client.get(BROWSE, {"q": '"unclosed -or OR ( :* & |'})

    assert _titles(by_partner) == ["Shadow the matron"]
    assert _titles(excluding) == ["Shadow the matron"]
    assert (odd.status_code, _titles(odd)) == (200, [])


def test_keyword_search_can_still_sort_by_soonest(participant_client, postgres):
    SlotFactory(opportunity=_no_notice(title="Discharge hub", what_you_will_do="x"), days_ahead=20)
    SlotFactory(opportunity=_no_notice(title="Ward", what_you_will_do="discharge planning"), days_ahead=5)

    response = participant_client.get(BROWSE, {"q": "discharge", "sort": "soonest"})

    assert _titles(response) == ["Ward", "Discharge hub"]


def test_search_fallback_needs_every_word_somewhere_and_puts_title_matches_first():
    partner = PartnerFactory(name="Lakeside Hospice")
    OpportunityFactory(title="Night shift", partner=partner, summary="With the care team")
    OpportunityFactory(title="Care at night", summary="Evenings")
    OpportunityFactory(title="Nightingale ward", what_you_will_do="Observe the CARE team")
    OpportunityFactory(title="Care planning", summary="Days only")

    found = opportunity_search_fallback(queryset=Opportunity.objects.all(), q="night  care NIGHT")
    by_partner = opportunity_search_fallback(queryset=Opportunity.objects.all(), q="lakeside shift")

    assert sorted((o.title, o.rank) for o in found) == [
        ("Care at night", 2),
        ("Night shift", 1),
        ("Nightingale ward", 1),
    ]
    assert [o.title for o in by_partner] == ["Night shift"]


def _policing() -> Theme:
    return ThemeFactory(slug="policing-and-community-safety", name="Policing and community safety")


def _searchable() -> None:
    OpportunityFactory(
        title="Ward round", partner=PartnerFactory(name="Northern Care Trust", town="Manchester")
    )
    OpportunityFactory(title="Custody suite", policy_areas=[_policing()])
    OpportunityFactory(title="Street outreach", site_address="12 Quay Street\nSalford")
    OpportunityFactory(
        title="Elsewhere", partner=PartnerFactory(town="Leeds"), policy_areas=[_area("workforce")]
    )


@pytest.mark.parametrize(
    ("q", "titles"),
    [("Manchester", ["Ward round"]), ("policing", ["Custody suite"]), ("Salford", ["Street outreach"])],
)
def test_keyword_search_on_postgres_finds_the_partners_town_the_site_address_and_policy_areas(
    participant_client, postgres, q, titles
):
    _searchable()

    assert _titles(participant_client.get(BROWSE, {"q": q})) == titles


@pytest.mark.parametrize(
    ("q", "titles"),
    [("Manchester", ["Ward round"]), ("policing", ["Custody suite"]), ("Salford", ["Street outreach"])],
)
def test_search_fallback_finds_the_partners_town_the_site_address_and_policy_areas(q, titles):
    _searchable()

    found = opportunity_search_fallback(queryset=Opportunity.objects.all(), q=q)

    assert [o.title for o in found] == titles


def test_keyword_search_on_postgres_weighs_policy_areas_above_the_partners_town(participant_client, postgres):
    OpportunityFactory(title="Town match", partner=PartnerFactory(town="Policing Green"))
    OpportunityFactory(title="Tag match", policy_areas=[_policing()])

    response = participant_client.get(BROWSE, {"q": "policing"})

    assert _titles(response) == ["Tag match", "Town match"]


def test_search_lists_an_opportunity_once_when_several_of_its_policy_areas_match(participant_client):
    tagged = OpportunityFactory(
        title="Care everywhere", policy_areas=[_area("adult-social-care"), _area("end-of-life-care")]
    )
    SlotFactory(opportunity=tagged)

    found = opportunity_search_fallback(queryset=Opportunity.objects.all(), q="care")
    response = participant_client.get(BROWSE, {"q": "care"})

    assert [o.title for o in found] == ["Care everywhere"]
    assert (_titles(response), response.context["page"].paginator.count) == (["Care everywhere"], 1)


def test_search_terms_are_distinct_and_capped():
    assert search_terms("  Care care  home\tHOME ") == SearchTerms(wanted=["Care", "home"], unwanted=[])
    assert search_terms(" ".join(f"w{n}" for n in range(50))).wanted == [
        f"w{n}" for n in range(MAX_SEARCH_WORDS)
    ]
    assert search_terms("   ") == SearchTerms(wanted=[], unwanted=[])


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"care home" staffing', SearchTerms(wanted=["care home", "staffing"], unwanted=[])),
        ("discharge -weekend", SearchTerms(wanted=["discharge"], unwanted=["weekend"])),
        ('hospice -"night  cover"', SearchTerms(wanted=["hospice"], unwanted=["night cover"])),
        ("police or council", SearchTerms(wanted=["police", "council"], unwanted=[])),
        ('"unclosed phrase', SearchTerms(wanted=["unclosed phrase"], unwanted=[])),
        ('- "" """ -', SearchTerms(wanted=[], unwanted=[])),
    ],
)
def test_search_terms_read_web_search_syntax(q, expected):
    assert search_terms(q) == expected


# --- Paging ---------------------------------------------------------------------------------------


def test_browse_pages_by_twenty_and_page_links_keep_the_filters(participant_client):
    hospice = PartnerFactory(sector=Sector.HOSPICE)
    for n in range(21):
        OpportunityFactory(title=f"Hospice {n:02d}", partner=hospice)
    OpportunityFactory(title="Police", partner=PartnerFactory(sector=Sector.POLICE))

    first = participant_client.get(BROWSE, {"sector": "hospice", "sort": "newest"})
    second = participant_client.get(BROWSE, {"sector": "hospice", "sort": "newest", "page": 2})

    assert (len(first.context["page"]), first.context["page"].paginator.count) == (20, 21)
    assert 'href="?sector=hospice&amp;sort=newest&amp;page=2" rel="next"' in first.content.decode()
    assert _titles(second) == ["Hospice 00"]
    assert 'href="?sector=hospice&amp;sort=newest&amp;page=1" rel="prev"' in second.content.decode()


# --- Hostile and malformed input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "error_fields"),
    [
        ({"programme": "abc"}, ["programme"]),
        ({"programme": "99999999999999999999999"}, ["programme"]),
        ({"programme": "1.5"}, ["programme"]),
        ({"sector": "spaceport"}, ["sector"]),
        ({"region": "\x00"}, ["region"]),
        ({"policy_area": "-1"}, ["policy_area"]),
        ({"policy_area": "\x00"}, ["policy_area"]),
        ({"date_from": "2026-02-30"}, ["date_from"]),
        ({"date_to": "30/01/2026"}, ["date_to"]),
        ({"date_from": "\x00"}, ["date_from"]),
        ({"duration": "<script>alert(1)</script>"}, ["duration"]),
        ({"sort": "'; DROP TABLE placements_opportunity; --"}, ["sort"]),
        ({"q": "x" * 10_000}, ["q"]),
        ({"q": "care\x00home"}, ["q"]),
        ({"page": "'; DROP TABLE"}, []),
        ({"page": "99999"}, []),
        ({"free_places": "\x00"}, ["free_places"]),
        ({"free_places": "maybe"}, ["free_places"]),
        ({"free_places": "on"}, []),
        ({"date_from": "0001-01-01", "date_to": "9999-12-31"}, []),
        ({"q": "<script>alert(1)</script>"}, []),
        ({"q": "\u202eevil 😀"}, []),
    ],
)
def test_browse_with_hostile_values_gives_form_errors_never_a_500(participant_client, params, error_fields):
    SlotFactory(opportunity=OpportunityFactory(title="Still listed"), days_ahead=5)

    response = participant_client.get(BROWSE, params)

    assert (response.status_code, sorted(response.context["form"].errors)) == (
        400 if error_fields else 200,
        error_fields,
    )
    assert "<script>alert(1)</script>" not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"programme": "abc"}, {"programme": ["Choose a programme from the list"]}),
        ({"programme": "99999999999999999999999"}, {"programme": ["Choose a programme from the list"]}),
        ({"sector": "spaceport"}, {"sector": ["Choose a sector from the list"]}),
        ({"region": "atlantis"}, {"region": ["Choose a region from the list"]}),
        ({"policy_area": "-1"}, {"policy_area": ["Choose a policy area from the list"]}),
        ({"duration": "fortnight"}, {"duration": ["Choose a duration from the list"]}),
        ({"sort": "random"}, {"sort": ["Choose how to sort from the list"]}),
        (
            {"free_places": "maybe"},
            {"free_places": ["Tick ‘only show opportunities with free places’ or leave it empty"]},
        ),
        ({"q": "care\x00home"}, {"q": ["Remove the null character from the keywords"]}),
    ],
)
def test_browse_bad_filter_values_get_messages_a_person_can_act_on(participant_client, params, message):
    response = participant_client.get(BROWSE, params)
    html = response.content.decode()

    assert (response.status_code, response.context["form"].errors) == (400, message)
    assert "Select a valid choice" not in html
    assert "There is a problem" in html


def test_browse_with_several_bad_values_answers_400_and_applies_the_good_ones(participant_client):
    OpportunityFactory(title="Hospice", partner=PartnerFactory(sector=Sector.HOSPICE))
    OpportunityFactory(title="Police", partner=PartnerFactory(sector=Sector.POLICE))

    response = participant_client.get(
        BROWSE, {"sector": "hospice", "region": "atlantis", "duration": "x", "free_places": "maybe"}
    )

    assert (response.status_code, sorted(response.context["form"].errors), _titles(response)) == (
        400,
        ["duration", "free_places", "region"],
        ["Hospice"],
    )


@pytest.mark.parametrize("value", ["on", "true", "1", "ON"])
def test_browse_free_places_checkbox_accepts_what_a_checkbox_sends(participant_client, value):
    SlotFactory(opportunity=OpportunityFactory(title="Free"))
    OpportunityFactory(title="No slots")

    response = participant_client.get(BROWSE, {"free_places": value})

    assert (response.status_code, _titles(response)) == (200, ["Free"])
    assert 'govuk-checkboxes__input" id="id_free_places" checked>' in response.content.decode()


def test_browse_with_a_bad_value_still_applies_the_good_ones(participant_client):
    OpportunityFactory(title="Hospice", partner=PartnerFactory(sector=Sector.HOSPICE))
    OpportunityFactory(title="Police", partner=PartnerFactory(sector=Sector.POLICE))

    response = participant_client.get(BROWSE, {"sector": "hospice", "programme": "abc"})

    assert (response.status_code, _titles(response)) == (400, ["Hospice"])


# --- Query counts ---------------------------------------------------------------------------------


def _count_queries(client, params=None) -> int:
    """The page's queries rendered afresh, not a list kept from before (connecting/page_bodies.py)."""
    page_bodies_clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BROWSE, params or {})
    assert response.status_code == 200
    return len(queries)


def _make_listed(count: int) -> None:
    area = _area("adult-social-care")
    for _n in range(count):
        opportunity = OpportunityFactory(
            partner=PartnerFactory(sector=Sector.CARE_HOME, postcode="SE1 7PB"),
            programmes=[ProgrammeFactory(), ProgrammeFactory()],
            policy_areas=[area, _area("workforce")],
        )
        SlotFactory(opportunity=opportunity, days_ahead=5)
        SlotFactory(opportunity=opportunity, days_ahead=50)


def test_browse_query_count_does_not_grow_with_results_for_a_participant_with_recommendations(client):
    from placements.services.interests import participant_interests_save

    participant = ParticipantFactory()
    participant_interests_save(
        participant=participant,
        policy_areas=[_area("adult-social-care")],
        sectors=[Sector.CARE_HOME],
        base_postcode="SW1A 2AA",
        learning_objective="",
    )
    client.force_login(participant)
    _make_listed(1)
    one = _count_queries(client)
    assert len(client.get(BROWSE).context["recommendations"]) == 1

    _make_listed(2)
    three = _count_queries(client)

    assert len(client.get(BROWSE).context["recommendations"]) == 3
    assert one == three


def test_browse_query_count_does_not_grow_with_results_for_the_programme_team_with_filters(client):
    client.force_login(ProgrammeTeamFactory())
    params = {"sector": Sector.CARE_HOME, "q": "day", "free_places": "on"}
    _make_listed(1)
    one = _count_queries(client, params)

    _make_listed(2)
    three = _count_queries(client, params)

    page_bodies_clear()
    assert len(client.get(BROWSE, params).context["page"]) == 3
    assert one == three


# --- The detail page ------------------------------------------------------------------------------


def _detail(opportunity) -> str:
    return reverse("browse:detail", args=[opportunity.pk])


def test_detail_shows_the_partner_requirements_accessibility_and_host(participant_client):
    partner = PartnerFactory(
        name="Lakeside Hospice",
        sector=Sector.HOSPICE,
        region=Region.SOUTH_WEST,
        description="A hospice for the whole county.",
        vetting_requirements="Bring photo ID on the day.",
    )
    opportunity = OpportunityFactory(
        partner=partner,
        title="A day on the inpatient unit",
        what_you_will_do="Join the morning handover.",
        site_address="1 Lake Road\nBristol",
        site_postcode="BS1 4DJ",
        vetting_level=VettingLevel.ENHANCED_DBS,
        ppe="Gloves and apron, provided",
        dress_code="Smart casual",
        minimum_notice_working_days=15,
        accessibility="Step-free access throughout.",
        host_name="Priya Host",
        host_email="priya@lakeside.example.org",
        host_phone="0117 496 0000",
        policy_areas=[_area("end-of-life-care")],
        programmes=[ProgrammeFactory(name="Connecting")],
    )

    response = participant_client.get(_detail(opportunity))
    html = response.content.decode()

    assert response.status_code == 200
    for text in (
        "Lakeside Hospice",
        "A hospice for the whole county.",
        "Hospice, South West",
        "Join the morning handover.",
        "1 Lake Road<br>Bristol<br>BS1 4DJ",
        "A day",
        "Enhanced DBS check",
        "Bring photo ID on the day.",
        "Gloves and apron, provided",
        "Smart casual",
        "15 working days",
        "Step-free access throughout.",
        "Priya Host",
        'href="mailto:priya@lakeside.example.org"',
        "0117 496 0000",
        "End of life care",
        "Connecting",
    ):
        assert text in html, text


def test_detail_says_remote_for_remote_opportunities(participant_client):
    html = participant_client.get(_detail(OpportunityFactory(is_remote=True))).content.decode()

    assert '<dd class="govuk-summary-list__value">Remote</dd>' in html


def test_detail_lists_future_slots_only_in_london_time_and_marks_full_ones(participant_client):
    opportunity = OpportunityFactory()
    SlotFactory(opportunity=opportunity, days_ahead=-1)
    full = SlotFactory(opportunity=opportunity, days_ahead=7, places_held=4)
    free = SlotFactory(opportunity=opportunity, days_ahead=14, places_held=1)
    SlotFactory(opportunity=OpportunityFactory(), days_ahead=3)  # another opportunity's

    response = participant_client.get(_detail(opportunity))
    html = response.content.decode()

    assert [row.slot for row in response.context["slot_rows"]] == [full, free]
    assert html.count("09:00 to 17:00") == 2
    assert '<strong class="govuk-tag govuk-tag--grey">Full</strong>' in html
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">3</td>' in html
    assert [t.name for t in response.templates].count("placements/_slot_action.html") == 2


@pytest.mark.parametrize(
    "hidden",
    [
        {"status": OpportunityStatus.DRAFT},
        {"status": OpportunityStatus.PAUSED},
        {"status": OpportunityStatus.CLOSED},
        {"partner__status": PartnerStatus.PAUSED},
        {"partner__status": PartnerStatus.INVITED},
    ],
)
def test_detail_answers_404_to_participants_for_what_is_not_open(participant_client, hidden):
    opportunity = OpportunityFactory(**hidden)

    assert participant_client.get(_detail(opportunity)).status_code == 404


@pytest.mark.parametrize("opportunity_id", ["0", "999999999", "-1", "abc", "1.5", "%00"])
def test_detail_with_odd_ids_answers_404(participant_client, opportunity_id):
    assert participant_client.get(f"/find/{opportunity_id}/").status_code == 404


def test_detail_partner_contacts_see_their_own_opportunities_in_any_state_but_not_others(client):
    membership = PartnerMembershipFactory()
    own_draft = OpportunityFactory(partner=membership.partner, status=OpportunityStatus.DRAFT)
    others = OpportunityFactory()
    client.force_login(membership.user)

    own = client.get(_detail(own_draft))

    assert own.status_code == 200
    assert '<strong class="govuk-tag govuk-tag--grey">Draft</strong>' in own.content.decode()
    assert client.get(_detail(others)).status_code == 404


def test_detail_is_open_to_the_programme_team_for_any_opportunity(client):
    client.force_login(ProgrammeTeamFactory())

    assert client.get(_detail(OpportunityFactory(status=OpportunityStatus.CLOSED))).status_code == 200


def test_detail_needs_a_contact_of_the_partner_not_just_any_contact(client):
    client.force_login(PartnerContactFactory())

    assert client.get(_detail(OpportunityFactory())).status_code == 404
