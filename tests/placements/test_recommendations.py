"""Recommended for you: participants' interests, and the opportunities ranked from them."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from partners.models import Sector
from placements.models import OpportunityStatus, ParticipantInterests, Theme
from placements.selectors.browse import opportunity_recommendations_for
from placements.services.interests import participant_interests_save
from tests.factories import (
    OpportunityFactory,
    ParticipantFactory,
    PartnerContactFactory,
    PartnerFactory,
    ProgrammeTeamFactory,
    SlotFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

BROWSE = reverse("browse:list")
INTERESTS = reverse("browse:interests")


def _area(slug: str) -> Theme:
    """A policy area of the seeded taxonomy (made again if a flushing test emptied the table)."""
    return ThemeFactory(slug=slug, name=slug.replace("-", " ").capitalize())


def _interested(participant=None, **answers):
    participant = participant or ParticipantFactory()
    defaults = {"policy_areas": [], "sectors": [], "base_postcode": "", "learning_objective": ""}
    participant_interests_save(participant=participant, **(defaults | answers))
    return participant


def _offer(
    title, *, sector=Sector.ACUTE_NHS_TRUST, postcode="", areas=(), days_ahead=None, full=False, **fields
):
    # Scoring tests put places close to today: no notice period, so those places are bookable
    # (notice is tested in test_availability.py).
    fields.setdefault("minimum_notice_working_days", 0)
    opportunity = OpportunityFactory(
        title=title,
        partner=PartnerFactory(sector=sector, postcode=postcode),
        policy_areas=[_area(slug) for slug in areas],
        **fields,
    )
    if days_ahead is not None:
        SlotFactory(opportunity=opportunity, days_ahead=days_ahead, places_held=4 if full else 0)
    return opportunity


def _summary(recommendations) -> list[tuple[str, int, list[str]]]:
    return [(r.opportunity.title, r.score, r.reasons) for r in recommendations]


# --- Scoring and order ----------------------------------------------------------------------------


def test_recommendations_rank_by_score_then_soonest_free_place_with_reasons():
    participant = _interested(
        policy_areas=[_area("adult-social-care"), _area("mental-health")],
        sectors=[Sector.CARE_HOME, Sector.HOSPICE],
        base_postcode="SW1A 2AA",
    )
    _offer(
        "Care home crisis team",
        sector=Sector.CARE_HOME,
        postcode="SE1 7PB",
        areas=["adult-social-care", "mental-health"],
        days_ahead=5,
    )
    _offer(
        "Hospice, later", sector=Sector.HOSPICE, postcode="RG1 1AA", areas=["mental-health"], days_ahead=45
    )
    _offer(
        "Hospice, sooner", sector=Sector.HOSPICE, postcode="RG1 1AA", areas=["mental-health"], days_ahead=35
    )
    _offer("Webinar", postcode="SE1 7PB", areas=["adult-social-care"], days_ahead=10, is_remote=True)
    _offer("Around the corner", sector=Sector.POLICE, postcode="SW1A 1AA", days_ahead=60)
    _offer("Cambridge", sector=Sector.POLICE, postcode="CB2 1TN", days_ahead=50)  # sixth: over the limit
    _offer("Manchester", postcode="M1 1AE", areas=["workforce"], days_ahead=3)  # soon, but matches nothing
    _offer(
        "Full",
        sector=Sector.CARE_HOME,
        postcode="SE1 7PB",
        areas=["adult-social-care"],
        days_ahead=5,
        full=True,
    )
    _offer("Past", sector=Sector.CARE_HOME, areas=["adult-social-care"], days_ahead=-2)
    _offer(
        "Draft",
        sector=Sector.CARE_HOME,
        areas=["adult-social-care"],
        days_ahead=5,
        status=OpportunityStatus.DRAFT,
    )

    recommendations = opportunity_recommendations_for(participant=participant)

    assert _summary(recommendations) == [
        (
            "Care home crisis team",
            11,
            [
                "Matches your interest in Adult social care and Mental health",
                "Care home / social care, one of your sectors",
                "About 3 km from your base",
                "A free place in the next 30 days",
            ],
        ),
        (
            "Hospice, sooner",
            6,
            [
                "Matches your interest in Mental health",
                "Hospice, one of your sectors",
                "About 58 km from your base",
            ],
        ),
        (
            "Hospice, later",
            6,
            [
                "Matches your interest in Mental health",
                "Hospice, one of your sectors",
                "About 58 km from your base",
            ],
        ),
        ("Webinar", 4, ["Matches your interest in Adult social care", "A free place in the next 30 days"]),
        ("Around the corner", 2, ["In the same postcode district as your base"]),
    ]


def test_recommendations_without_a_base_postcode_match_on_areas_and_sectors_only():
    participant = _interested(policy_areas=[_area("workforce")], sectors=[Sector.POLICE])
    _offer("Police", sector=Sector.POLICE, postcode="SW1A 1AA", days_ahead=40)
    _offer("Workforce", areas=["workforce"], days_ahead=40)
    _offer("Neither", postcode="SW1A 1AA", days_ahead=3)

    recommendations = opportunity_recommendations_for(participant=participant)

    assert _summary(recommendations) == [
        ("Workforce", 3, ["Matches your interest in Workforce"]),
        ("Police", 2, ["Police, one of your sectors"]),
    ]


def test_recommendations_ignore_unknown_districts_and_distances_beyond_80_km():
    participant = _interested(sectors=[Sector.HOSPICE], base_postcode="SW1A 2AA")
    _offer("Belfast", sector=Sector.HOSPICE, postcode="BT1 1AA", days_ahead=40)  # no distance is known
    _offer("Oxford", sector=Sector.HOSPICE, postcode="OX1 1AA", days_ahead=41)  # 83 km
    _offer("Not a postcode", sector=Sector.HOSPICE, postcode="NOTAPC", days_ahead=42)

    recommendations = opportunity_recommendations_for(participant=participant)

    assert _summary(recommendations) == [
        ("Belfast", 2, ["Hospice, one of your sectors"]),
        ("Oxford", 2, ["Hospice, one of your sectors"]),
        ("Not a postcode", 2, ["Hospice, one of your sectors"]),
    ]


def test_recommendations_use_the_site_postcode_before_the_partners():
    participant = _interested(base_postcode="SW1A 2AA")
    _offer("Outreach", postcode="M1 1AE", site_postcode="SE1 7PB", days_ahead=40)

    assert _summary(opportunity_recommendations_for(participant=participant)) == [
        ("Outreach", 2, ["About 3 km from your base"])
    ]


def test_recommendations_respect_the_limit():
    participant = _interested(sectors=[Sector.HOSPICE])
    for day in (40, 20, 30):
        _offer(f"Day {day}", sector=Sector.HOSPICE, days_ahead=day)

    assert [
        r.opportunity.title for r in opportunity_recommendations_for(participant=participant, limit=2)
    ] == [
        "Day 20",
        "Day 30",
    ]


def test_recommendations_are_empty_without_interests_or_with_a_learning_objective_only():
    _offer("Hospice", sector=Sector.HOSPICE, days_ahead=5)

    assert opportunity_recommendations_for(participant=ParticipantFactory()) == []
    assert opportunity_recommendations_for(participant=_interested(learning_objective="Everything")) == []


# --- On the browse page ---------------------------------------------------------------------------


def test_browse_shows_recommendations_above_the_results_when_no_filters_are_applied(client):
    participant = _interested(policy_areas=[_area("mental-health")])
    _offer("Crisis team", areas=["mental-health"], days_ahead=40)
    client.force_login(participant)

    response = client.get(BROWSE)
    html = response.content.decode()

    assert _summary(response.context["recommendations"]) == [
        ("Crisis team", 3, ["Matches your interest in Mental health"])
    ]
    assert html.index("Recommended for you") < html.index('id="results"')
    assert ">Matches your interest in Mental health</span>" in html
    assert f'<a class="govuk-link" href="{INTERESTS}">Change your interests</a>' in html


@pytest.mark.parametrize("params", [{"q": "crisis"}, {"sector": "hospice"}, {"free_places": "on"}])
def test_browse_hides_recommendations_when_filtering(client, params):
    participant = _interested(policy_areas=[_area("mental-health")])
    _offer("Crisis team", areas=["mental-health"], days_ahead=40)
    client.force_login(participant)

    response = client.get(BROWSE, params)

    assert "recommendations" not in response.context
    assert "Recommended for you" not in response.content.decode()


def test_browse_shows_recommendations_on_the_first_page_only(client):
    participant = _interested(policy_areas=[_area("mental-health")])
    _offer("Crisis team", areas=["mental-health"], days_ahead=40)
    OpportunityFactory.create_batch(20)
    client.force_login(participant)

    first, second = client.get(BROWSE), client.get(BROWSE, {"page": 2})

    assert [r.opportunity.title for r in first.context["recommendations"]] == ["Crisis team"]
    assert (second.context["page"].number, "recommendations" in second.context) == (2, False)


def test_browse_keeps_recommendations_when_the_filter_form_was_sent_empty(client):
    participant = _interested(policy_areas=[_area("mental-health")])
    _offer("Crisis team", areas=["mental-health"], days_ahead=40)
    client.force_login(participant)

    response = client.get(BROWSE, {"q": " ", "sector": "", "sort": "newest"})

    assert [r.opportunity.title for r in response.context["recommendations"]] == ["Crisis team"]


def test_browse_prompts_a_participant_without_interests_to_record_them(client):
    _offer("Crisis team", areas=["mental-health"], days_ahead=40)
    client.force_login(ParticipantFactory())

    response = client.get(BROWSE)

    assert (response.context["has_interests"], response.context["recommendations"]) == (False, [])
    assert f'<a class="govuk-link" href="{INTERESTS}">Tell us what you are interested in</a>' in (
        response.content.decode()
    )


def test_browse_shows_the_programme_team_no_recommendations(client):
    client.force_login(ProgrammeTeamFactory())

    response = client.get(BROWSE)

    assert "recommendations" not in response.context
    assert "Recommended for you" not in response.content.decode()


# --- Recording interests --------------------------------------------------------------------------


def test_interests_form_saves_and_returns_to_browse(client):
    participant = ParticipantFactory()
    client.force_login(participant)

    response = client.post(
        INTERESTS,
        {
            "policy_areas": [_area("mental-health").pk, _area("adult-social-care").pk],
            "sectors": [Sector.HOSPICE, Sector.ACUTE_NHS_TRUST],
            "base_postcode": " sw1a2aa ",
            "learning_objective": "How discharge to care homes works.",
        },
    )

    assert (response.status_code, response["Location"]) == (302, BROWSE)
    interests = ParticipantInterests.objects.get(participant=participant)
    assert (
        sorted(interests.policy_areas.values_list("name", flat=True)),
        interests.sectors,
        interests.base_postcode,
        interests.learning_objective,
    ) == (
        ["Adult social care", "Mental health"],
        ["acute_nhs_trust", "hospice"],
        "SW1A 2AA",
        "How discharge to care homes works.",
    )


def test_interests_form_shows_and_replaces_the_saved_answers(client):
    participant = _interested(
        policy_areas=[_area("workforce")], sectors=[Sector.POLICE], base_postcode="M1 1AE"
    )
    client.force_login(participant)

    form = client.get(INTERESTS).context["form"]
    client.post(INTERESTS, {"sectors": [Sector.EDUCATION]})

    assert (form["sectors"].value(), form["base_postcode"].value()) == (["police"], "M1 1AE")
    assert [area.slug for area in form["policy_areas"].initial] == ["workforce"]
    interests = ParticipantInterests.objects.get()
    assert (list(interests.policy_areas.all()), interests.sectors, interests.base_postcode) == (
        [],
        ["education"],
        "",
    )


def test_interests_form_with_an_invalid_postcode_answers_400_and_saves_nothing(client):
    client.force_login(ParticipantFactory())

    response = client.post(INTERESTS, {"sectors": [Sector.POLICE], "base_postcode": "QQ1 1QQ"})

    assert response.status_code == 400
    assert response.context["form"].errors == {"base_postcode": ["Enter a real postcode, like SW1A 2AA"]}
    assert ParticipantInterests.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("policy_areas", "abc"),
        ("policy_areas", "\x00"),
        ("policy_areas", "999999999999999999999"),
        ("sectors", "spaceport"),
        ("sectors", "<script>alert(1)</script>"),
        ("base_postcode", "x" * 10_000),
        ("base_postcode", "SW1A\x002AA"),
        ("learning_objective", "x" * 2_001),
        ("learning_objective", "learn\x00ing"),
    ],
)
def test_interests_form_with_hostile_values_answers_400_and_saves_nothing(client, field, value):
    client.force_login(ParticipantFactory())

    response = client.post(INTERESTS, {field: value})

    assert (response.status_code, list(response.context["form"].errors)) == (400, [field])
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert ParticipantInterests.objects.count() == 0


@pytest.mark.parametrize("factory", [PartnerContactFactory, ProgrammeTeamFactory])
def test_interests_form_is_only_for_participants(client, factory):
    client.force_login(factory())

    assert (client.get(INTERESTS).status_code, client.post(INTERESTS, {}).status_code) == (403, 403)
    assert ParticipantInterests.objects.count() == 0


def test_participant_interests_save_refuses_bad_answers_and_saves_nothing():
    participant = ParticipantFactory()

    with pytest.raises(ValidationError) as raised:
        participant_interests_save(
            participant=participant,
            policy_areas=[],
            sectors=["hospice", "moon_base"],
            base_postcode="not a postcode",
            learning_objective="x" * 2_001,
        )

    assert raised.value.message_dict == {
        "sectors": ["Choose sectors from the list"],
        "base_postcode": ["Enter a real postcode, like SW1A 2AA"],
        "learning_objective": ["Your learning objective must be 2000 characters or fewer"],
    }
    assert ParticipantInterests.objects.count() == 0


def test_participant_interests_save_is_for_participants_only():
    with pytest.raises(ValidationError):
        participant_interests_save(
            participant=PartnerContactFactory(),
            policy_areas=[],
            sectors=[],
            base_postcode="",
            learning_objective="",
        )

    assert ParticipantInterests.objects.count() == 0


def test_participant_interests_save_keeps_sectors_in_list_order_without_repeats():
    participant = _interested(sectors=[Sector.POLICE, Sector.HOSPICE, Sector.POLICE], base_postcode="m11ae")

    interests = ParticipantInterests.objects.get(participant=participant)
    assert (interests.sectors, interests.base_postcode) == (["hospice", "police"], "M1 1AE")


def test_soon_means_a_free_place_within_thirty_days():
    participant = _interested(sectors=[Sector.HOSPICE])
    now = timezone.now()
    _offer("Day 29", sector=Sector.HOSPICE, days_ahead=29)
    _offer("Day 31", sector=Sector.HOSPICE, days_ahead=31)

    recommendations = opportunity_recommendations_for(participant=participant, now=now)

    assert [(r.opportunity.title, r.score) for r in recommendations] == [("Day 29", 3), ("Day 31", 2)]
    assert recommendations[0].opportunity.next_free_slot - now < datetime.timedelta(days=30)


def test_browse_shows_at_most_three_recommendations_compactly(client):
    participant = _interested(policy_areas=[_area("mental-health")], sectors=[Sector.HOSPICE])
    for day in (40, 41, 42, 43, 44):
        _offer(f"Day {day}", sector=Sector.HOSPICE, areas=["mental-health"], days_ahead=day)
    client.force_login(participant)

    response = client.get(BROWSE)
    html = response.content.decode()
    block = html[html.index('id="recommended-heading"') : html.index('id="results"')]

    first = response.context["recommendations"][0].opportunity
    day = timezone.localtime(first.next_free_slot)

    assert [r.opportunity.title for r in response.context["recommendations"]] == [
        "Day 40",
        "Day 41",
        "Day 42",
    ]
    # One short item each (title, partner and date, reasons) rather than the full result card.
    assert (block.count("<li>"), "govuk-summary-list" in block) == (3, False)
    for text in (
        f'<a class="govuk-link govuk-!-font-weight-bold" href="/find/{first.pk}/">Day 40</a>',
        f"{first.partner.name}, next place {day:%A} {day.day} {day:%B %Y}",
        ">Matches your interest in Mental health; Hospice, one of your sectors</span>",
    ):
        assert text in block, text
