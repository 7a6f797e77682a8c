"""The learning library: published insights, found by filter and keyword, read by whoever may."""

import datetime
import html
import re
import time
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connecting.page_bodies import page_bodies_clear
from debriefs.models import Insight
from debriefs.selectors.library import insight_list_for_user, insight_search_fallback, insight_search_postgres
from debriefs.services.common import DebriefRefused
from debriefs.services.debriefs import debrief_publish, debrief_unpublish
from partners.models import Partner, Region, Sector
from placements.models import Theme
from placements.templatetags.choices import choice_label
from tests.factories import (
    DebriefFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("library:list")


# --- Helpers --------------------------------------------------------------------------------------


@pytest.fixture
def team():
    return ProgrammeTeamFactory(full_name="Rita Reviewer")


@pytest.fixture
def reader(client):
    participant = ParticipantFactory(full_name="Rowan Reader")
    client.force_login(participant)
    return participant


def _visit(day: datetime.date) -> dict:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
    return {"booking__slot__starts_at": start, "booking__slot__ends_at": start + datetime.timedelta(hours=8)}


def _insight(
    team,
    title,
    *,
    body="What the visit taught us about the service.",
    consent="anonymised",
    partner=None,
    themes=(),
    programme=None,
    visited=None,
    published_at=None,
    **debrief,
) -> Insight:
    """An insight published the real way: an approved, consented debrief, then `debrief_publish`."""
    if partner is not None:
        debrief["booking__slot__opportunity__partner"] = partner
    if programme is not None:
        debrief["booking__slot__opportunity__programmes"] = [programme]
    if visited is not None:
        debrief.update(_visit(visited))
    record = DebriefFactory(status="approved", consent=consent, **debrief)
    record.themes.set(themes)
    insight = debrief_publish(debrief=record, by=team, title=title, body=body, personal_data_confirmed=True)
    if published_at is not None:
        Insight.objects.filter(pk=insight.pk).update(published_at=published_at)
    return insight


def _titles(response) -> list[str]:
    """The titles of the cards on the page, as shown (a kept rendering has no context to read)."""
    return [
        html.unescape(title)
        for title in re.findall(
            r'<div class="govuk-!-margin-bottom-6" data-insight="\d+">\s*<h3[^>]*><a [^>]*>([^<]*)</a>',
            response.content.decode(),
        )
    ]


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _error_summary(response) -> list[str]:
    html = response.content.decode()
    if "govuk-error-summary__list" not in html:
        return []
    summary = html[
        html.index("govuk-error-summary__list") : html.index("</ul>", html.index("govuk-error-summary"))
    ]
    return [_text(item) for item in re.findall(r"<li>(.*?)</li>", summary, re.S)]


def _cards(response) -> list[dict[str, str]]:
    """Each card on the page: its title and excerpt, then every fact it lists, by name."""
    html = response.content.decode()
    cards = []
    for card in re.findall(r'<div class="govuk-!-margin-bottom-6" data-insight="\d+">(.*?)<hr', html, re.S):
        facts = dict(
            zip(
                (_text(k) for k in re.findall(r'<dt class="govuk-summary-list__key">(.*?)</dt>', card, re.S)),
                (
                    _text(v)
                    for v in re.findall(r'<dd class="govuk-summary-list__value">(.*?)</dd>', card, re.S)
                ),
                strict=True,
            )
        )
        title = _text(re.search(r"<h3[^>]*>(.*?)</h3>", card, re.S).group(1))
        excerpt = _text(re.search(r'<p class="govuk-body-s">(.*?)</p>', card, re.S).group(1))
        cards.append({"title": title, "excerpt": excerpt, **facts})
    return cards


# --- The list -------------------------------------------------------------------------------------


def test_library_lists_newest_first_then_latest_pk(client, reader, team):
    noon = timezone.make_aware(datetime.datetime(2026, 3, 2, 12))
    _insight(team, "Oldest", published_at=noon - datetime.timedelta(days=2))
    _insight(team, "Same time, earlier", published_at=noon)
    _insight(team, "Same time, later", published_at=noon)
    _insight(team, "Middle", published_at=noon - datetime.timedelta(days=1))

    response = client.get(LIST)

    assert response.status_code == 200
    assert _titles(response) == ["Same time, later", "Same time, earlier", "Middle", "Oldest"]


def test_library_card_shows_title_excerpt_themes_partner_sector_region_month_and_attribution(
    client, reader, team
):
    partner = PartnerFactory(name="Oakfield Hospice", sector=Sector.HOSPICE, region=Region.SOUTH_WEST)
    themes = [ThemeFactory(name="Zz end of life care"), ThemeFactory(name="Zz carers")]
    _insight(
        team,
        "Night staffing decides where people die",
        body="Families rely on the night team. " + "More words follow here. " * 30,
        consent="named",
        partner=partner,
        themes=themes,
        visited=datetime.date(2026, 1, 14),
        booking__participant__full_name="Aisha Rahman",
        booking__participant__directorate="Adult Social Care",
    )
    _insight(team, "An anonymous one", body="Short.")

    response = client.get(LIST)

    first, second = _cards(response)
    assert first["title"] == "An anonymous one"
    assert second == {
        "title": "Night staffing decides where people die",
        "excerpt": "Families rely on the night team. " + " ".join(["More words follow here."] * 11) + " …",
        "Policy areas": "Zz carers, Zz end of life care",
        "Partner": "Oakfield Hospice",
        "Sector": "Hospice",
        "Region": "South West",
        "Visited": "January 2026",
        "Shared by": "Aisha Rahman, Adult Social Care",
    }
    assert first["Shared by"] == "Shared anonymously"


@pytest.fixture
def catalogue(team):
    """Three insights that differ in every filter."""
    acute, charity, council = (
        PartnerFactory(name="Zz Northbridge Trust", sector=Sector.ACUTE_NHS_TRUST, region=Region.NORTH_WEST),
        PartnerFactory(name="Zz Riverside Charity", sector=Sector.CHARITY, region=Region.LONDON),
        PartnerFactory(name="Zz Eastshire Council", sector=Sector.LOCAL_AUTHORITY, region=Region.NORTH_WEST),
    )
    connecting, collaborative = (
        ProgrammeFactory(name="Zz Connecting"),
        ProgrammeFactory(name="Zz Collaborative"),
    )
    discharge, housing = ThemeFactory(name="Zz discharge"), ThemeFactory(name="Zz housing")
    base = timezone.now() - datetime.timedelta(days=1)
    rows = {
        "March": {
            "partner": acute,
            "programme": connecting,
            "themes": [discharge],
            "visited": datetime.date(2025, 3, 10),
        },
        "June": {
            "partner": charity,
            "programme": collaborative,
            "themes": [housing],
            "visited": datetime.date(2025, 6, 15),
        },
        "September": {
            "partner": council,
            "programme": connecting,
            "themes": [discharge, housing],
            "visited": datetime.date(2025, 9, 1),
        },
    }
    for hours, (title, fields) in enumerate(rows.items()):
        _insight(team, title, published_at=base + datetime.timedelta(hours=hours), **fields)
    return {
        "connecting": connecting,
        "collaborative": collaborative,
        "discharge": discharge,
        "housing": housing,
    }


def _date(prefix: str, day: str, month: str, year: str) -> dict:
    return {f"{prefix}_0": day, f"{prefix}_1": month, f"{prefix}_2": year}


def test_library_filters_each_narrow_the_list(client, reader, catalogue):
    cases = [
        ({}, ["September", "June", "March"]),
        ({"theme": catalogue["discharge"].pk}, ["September", "March"]),
        ({"theme": catalogue["housing"].pk}, ["September", "June"]),
        ({"sector": Sector.CHARITY}, ["June"]),
        ({"sector": Sector.POLICE}, []),
        ({"region": Region.NORTH_WEST}, ["September", "March"]),
        ({"programme": catalogue["connecting"].pk}, ["September", "March"]),
        ({"programme": catalogue["collaborative"].pk}, ["June"]),
        (_date("visited_from", "15", "6", "2025"), ["September", "June"]),
        (_date("visited_to", "15", "6", "2025"), ["June", "March"]),
        ({**_date("visited_from", "1", "4", "2025"), **_date("visited_to", "31", "8", "2025")}, ["June"]),
        ({"theme": catalogue["housing"].pk, "region": Region.NORTH_WEST}, ["September"]),
    ]
    for query, expected in cases:
        response = client.get(LIST, query)
        assert (query, response.status_code, _titles(response)) == (query, 200, expected)


def test_library_pagination_keeps_the_filters(client, reader, team):
    theme = ThemeFactory(name="Zz paged theme")
    base = timezone.now() - datetime.timedelta(days=1)
    for number in range(21):
        _insight(
            team,
            f"Insight {number:02d}",
            themes=[theme],
            published_at=base + datetime.timedelta(minutes=number),
        )
    _insight(team, "Not in the theme")

    first = client.get(LIST, {"theme": theme.pk})

    assert _titles(first) == [f"Insight {number:02d}" for number in range(20, 0, -1)]
    assert f'href="?theme={theme.pk}&amp;page=2"' in first.content.decode()
    second = client.get(LIST, {"theme": theme.pk, "page": "2"})
    assert _titles(second) == ["Insight 00"]
    assert f'href="?theme={theme.pk}&amp;page=1"' in second.content.decode()
    # A page that is not a number shows the first; one past the end shows the last.
    assert _titles(client.get(LIST, {"theme": theme.pk, "page": "abc"})) == _titles(first)
    assert _titles(client.get(LIST, {"theme": theme.pk, "page": "99999"})) == ["Insight 00"]
    assert _titles(client.get(LIST, {"theme": theme.pk, "page": "2\x00"})) == _titles(first)


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"q": "care\x00home"}, ["Remove the null character from the keywords"]),
        ({"q": "x" * 201}, ["Keywords must be 200 characters or fewer"]),
        ({"theme": "999999"}, ["Select a policy area from the list"]),
        ({"theme": "abc"}, ["Select a policy area from the list"]),
        ({"theme": "1\x00"}, ["Select a policy area from the list"]),
        ({"programme": "9" * 30}, ["Select a programme from the list"]),
        ({"sector": "spaceport"}, ["Select a sector from the list"]),
        ({"region": "\x00"}, ["Select a region from the list"]),
        (_date("visited_from", "31", "2", "2027"), ["The earliest visit date must be a real date"]),
        (_date("visited_from", "1\x00", "2", "2027"), ["The earliest visit date must be a real date"]),
        (_date("visited_to", "1", "", "2027"), ["The latest visit date must include a month"]),
        (_date("visited_to", "1", "2", "1066"), ["The latest visit date must be between 2000 and 2100"]),
        (
            {**_date("visited_from", "2", "2", "2000"), **_date("visited_to", "1", "2", "2000")},
            ["The latest visit date must be the same as or after the earliest"],
        ),
    ],
)
def test_library_bad_filter_is_named_in_the_error_summary_and_dropped(client, reader, team, query, errors):
    _insight(team, "Still listed")

    response = client.get(LIST, query)

    assert (response.status_code, _error_summary(response), _titles(response)) == (
        400,
        errors,
        ["Still listed"],
    )
    assert response.content.decode().count('class="govuk-error-summary"') == 1


def test_library_good_filters_still_apply_beside_a_bad_one(client, reader, catalogue):
    response = client.get(LIST, {"theme": "999999", "sector": Sector.CHARITY})

    assert (response.status_code, _titles(response)) == (400, ["June"])


# --- Keyword search -------------------------------------------------------------------------------


@pytest.fixture
def searchable(team):
    kestrel = ThemeFactory(name="Zz kestrel rota")
    base = timezone.now() - datetime.timedelta(days=1)
    # Newest first would put the body match above the title match: the rank must win.
    _insight(team, "Kestrel ward handovers", body="How the team hands over.", published_at=base)
    _insight(
        team,
        "Handovers on the wards",
        body="The kestrel ward hands over at eight.",
        published_at=base + datetime.timedelta(hours=1),
    )
    _insight(
        team,
        "Weekend cover",
        body="Who covers at weekends.",
        themes=[kestrel],
        published_at=base + datetime.timedelta(hours=2),
    )
    _insight(
        team, "Nothing about birds", body="Care home visits.", published_at=base + datetime.timedelta(hours=3)
    )


def test_library_search_ranks_title_above_text_above_theme_on_postgres(postgres, client, reader, searchable):
    response = client.get(LIST, {"q": "kestrel"})

    assert _titles(response) == ["Kestrel ward handovers", "Handovers on the wards", "Weekend cover"]


def test_library_search_takes_websearch_syntax_on_postgres(postgres, searchable):
    titles = lambda q: [i.title for i in insight_search_postgres(queryset=Insight.objects.all(), q=q)]  # noqa: E731

    assert titles("kestrel -ward") == ["Weekend cover"]
    assert titles('"kestrel ward"') == ["Kestrel ward handovers", "Handovers on the wards"]
    assert titles("birds or kestrel -ward") == ["Nothing about birds", "Weekend cover"]
    assert titles('"unclosed -') == []


def test_library_search_fallback_needs_every_word_and_puts_title_matches_first(db, searchable):
    def titles(q):
        return [i.title for i in insight_search_fallback(queryset=Insight.objects.all(), q=q)]

    assert titles("kestrel") == ["Kestrel ward handovers", "Weekend cover", "Handovers on the wards"]
    assert titles("KESTREL rota") == ["Weekend cover"]
    assert titles("kestrel eight") == ["Handovers on the wards"]
    assert titles("kestrel penguin") == []


def test_library_search_fallback_reads_phrases_and_left_out_words_as_postgres_does(db, searchable):
    def titles(q):
        return [i.title for i in insight_search_fallback(queryset=Insight.objects.all(), q=q)]

    # The same answers as test_library_search_takes_websearch_syntax_on_postgres, but "or".
    assert titles("kestrel -ward") == ["Weekend cover"]
    assert sorted(titles('"kestrel ward"')) == ["Handovers on the wards", "Kestrel ward handovers"]


def test_library_search_on_the_page_keeps_other_filters(client, reader, team):
    theme = ThemeFactory(name="Zz search filter theme")
    _insight(team, "Discharge in the theme", themes=[theme])
    _insight(team, "Discharge elsewhere")

    response = client.get(LIST, {"q": "discharge", "theme": theme.pk})

    assert (response.status_code, _titles(response)) == (200, ["Discharge in the theme"])


# --- Who reads what -------------------------------------------------------------------------------


def test_partner_contact_sees_only_their_own_organisations_insights(client, team):
    mine, also_mine, theirs = (PartnerFactory(name=f"Zz partner {n}") for n in "abc")
    contact = PartnerMembershipFactory(partner=mine).user
    PartnerMembershipFactory(partner=also_mine, user=contact)
    own = _insight(team, "About us", partner=mine)
    _insight(team, "About our other site", partner=also_mine)
    other = _insight(team, "About someone else", partner=theirs)
    client.force_login(contact)

    assert _titles(client.get(LIST)) == ["About our other site", "About us"]
    assert _titles(client.get(LIST, {"q": "someone"})) == []
    assert client.get(reverse("library:detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("library:detail", args=[other.pk])).status_code == 404


def test_participant_and_team_read_every_insight_in_full(client, team):
    insight = _insight(
        team, "Read in full", body="First paragraph.\n\nSecond paragraph.", partner=PartnerFactory()
    )

    for user in (ParticipantFactory(), team):
        client.force_login(user)
        response = client.get(reverse("library:detail", args=[insight.pk]))
        body = re.search(
            r"<div class=\"govuk-body\" data-insight-body>(.*?)</div>", response.content.decode(), re.S
        )
        assert (response.status_code, body.group(1)) == (
            200,
            "<p>First paragraph.</p>\n\n<p>Second paragraph.</p>",
        )
    assert client.get(reverse("library:detail", args=[insight.pk + 1000])).status_code == 404


def test_library_pages_send_anonymous_visitors_to_sign_in(client, team):
    insight = _insight(team, "Private to members")

    for url in (LIST, reverse("library:detail", args=[insight.pk])):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (
            302,
            f"{reverse('account_login')}?next={quote(url)}",
        )


def test_anonymised_insight_shows_no_name_anywhere_on_the_page(client, reader, team):
    insight = _insight(
        team,
        "What the frailty unit taught me",
        consent="anonymised",
        booking__participant__full_name="Aisha Rahman",
        booking__participant__email="aisha.rahman@dhsc.gov.uk",
    )

    for url in (LIST, reverse("library:detail", args=[insight.pk])):
        html = client.get(url).content.decode()
        assert [
            word for word in ("Aisha", "Rahman", "aisha.rahman") if word.casefold() in html.casefold()
        ] == []
        assert "Shared anonymously" in _text(html)
    assert insight.attribution == ""


def test_team_only_debrief_never_reaches_the_library(client, reader, team):
    debrief = DebriefFactory(status="approved", consent="team_only")
    debrief.themes.set([ThemeFactory(name="Zz team only theme")])

    with pytest.raises(DebriefRefused) as refused:
        debrief_publish(
            debrief=debrief, by=team, title="Should not appear", body="Text.", personal_data_confirmed=True
        )

    assert refused.value.code == "no_consent"
    assert list(Insight.objects.all()) == []
    assert _titles(client.get(LIST)) == []
    assert _titles(client.get(LIST, {"q": "team only"})) == []


def test_insight_facts_show_a_sector_or_region_no_longer_listed_as_stored():
    insight = Insight(sector="retired_sector", region=Region.SOUTH_WEST)

    assert (str(choice_label(insight, "sector")), str(choice_label(insight, "region"))) == (
        "retired_sector",
        "South West",
    )


def test_library_first_page_can_read_the_newest_first_index(postgres, team, reader):
    _insight(team, "One visit")
    sql, params = insight_list_for_user(user=reader)[:20].query.sql_with_params()

    with connection.cursor() as cursor:
        # One row is cheaper to sort; the point is that the index can give the order.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "debriefs_insight_newest" in plan


# --- Query counts ---------------------------------------------------------------------------------


def _queries(client, query) -> int:
    """The page's queries when nothing is cached (a search's ranking is kept for a minute, and
    the cards' rendering until a row they show changes)."""
    cache.clear()
    page_bodies_clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, query)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("query", [{}, {"q": "visit"}])
def test_library_list_query_count_does_not_grow_with_insights(client, team, query):
    partner = PartnerFactory()
    contact = PartnerMembershipFactory(partner=partner).user
    themes = [ThemeFactory(), ThemeFactory()]
    _insight(team, "One visit", partner=partner, themes=themes)
    counts = {}
    for user in (ParticipantFactory(), contact):
        client.force_login(user)
        counts[user.role] = [_queries(client, query)]
    for number in range(2):
        _insight(team, f"Another visit {number}", partner=partner, themes=themes)
    for user in (ParticipantFactory(), contact):
        client.force_login(user)
        assert len(_titles(client.get(LIST, query))) == 3
        counts[user.role].append(_queries(client, query))

    assert [len(set(c)) for c in counts.values()] == [1, 1]


# --- A search's ranking, cached for LIBRARY_SEARCH_CACHE_SECONDS -----------------------------------


def _titles(response) -> list[str]:
    """The titles of the cards on the page, as shown (a kept rendering has no context to read)."""
    return [
        html.unescape(title)
        for title in re.findall(
            r'<div class="govuk-!-margin-bottom-6" data-insight="\d+">\s*<h3[^>]*><a [^>]*>([^<]*)</a>',
            response.content.decode(),
        )
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the ranked search is PostgreSQL's")
def test_a_repeated_search_reads_its_ranking_from_the_cache_and_its_rows_afresh(client, team):
    _insight(team, "Discharge delays on the ward")
    client.force_login(ParticipantFactory())
    first = client.get(LIST, {"q": "discharge"})
    with CaptureQueriesContext(connection) as queries:
        second = client.get(LIST, {"q": "discharge"})

    assert _titles(second) == _titles(first) == ["Discharge delays on the ward"]
    statements = [q["sql"] for q in queries.captured_queries]
    assert not any("ts_rank" in sql or ("COUNT(" in sql and "debriefs_insight" in sql) for sql in statements)
    # The page's rows are read afresh, for the fingerprint its kept cards are found by.
    assert any("md5" in sql and "debriefs_insight" in sql for sql in statements)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the ranked search is PostgreSQL's")
def test_an_unpublished_insight_leaves_cached_search_results_at_once(client, team):
    kept = _insight(team, "Discharge planning works")
    gone = _insight(team, "Discharge lounge")
    client.force_login(ParticipantFactory())
    assert sorted(_titles(client.get(LIST, {"q": "discharge"}))) == [
        "Discharge lounge",
        "Discharge planning works",
    ]

    debrief_unpublish(debrief=gone.debrief, by=team, comment="Names a ward sister.")
    kept.__class__.objects.filter(pk=kept.pk).update(title="Discharge planning works well")

    assert _titles(client.get(LIST, {"q": "discharge"})) == ["Discharge planning works well"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the ranked search is PostgreSQL's")
def test_a_new_insight_joins_search_results_when_the_ranking_expires(client, team, settings):
    settings.LIBRARY_SEARCH_CACHE_SECONDS = 1
    _insight(team, "Discharge planning works")
    client.force_login(ParticipantFactory())
    assert _titles(client.get(LIST, {"q": "discharge"})) == ["Discharge planning works"]
    _insight(team, "Discharge lounge")

    assert _titles(client.get(LIST, {"q": "discharge"})) == ["Discharge planning works"]
    time.sleep(1.2)
    assert len(_titles(client.get(LIST, {"q": "discharge"}))) == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the ranked search is PostgreSQL's")
def test_with_the_setting_at_zero_every_search_ranks_afresh(client, team, settings):
    settings.LIBRARY_SEARCH_CACHE_SECONDS = 0
    _insight(team, "Discharge planning works")
    client.force_login(ParticipantFactory())
    assert len(_titles(client.get(LIST, {"q": "discharge"}))) == 1
    _insight(team, "Discharge lounge")

    assert len(_titles(client.get(LIST, {"q": "discharge"}))) == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the ranked search is PostgreSQL's")
def test_a_cached_search_never_shows_a_partner_contact_another_organisations_insights(client, team):
    ours, theirs = PartnerFactory(), PartnerFactory()
    _insight(team, "Discharge at ours", partner=ours)
    _insight(team, "Discharge at theirs", partner=theirs)
    client.force_login(ParticipantFactory())
    assert len(_titles(client.get(LIST, {"q": "discharge"}))) == 2  # cached for everyone's scope

    client.force_login(PartnerMembershipFactory(partner=ours).user)
    response = client.get(LIST, {"q": "discharge"})

    assert _titles(response) == ["Discharge at ours"]
    assert response.context["page"].paginator.count == 1


# --- The cards, rendered once per fingerprint (connecting/page_bodies.py) ----------------------------


def _results_html(response) -> str:
    return response.content.decode().split('id="results"', 1)[1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the fingerprints are PostgreSQL's")
def test_a_second_reader_is_served_the_cards_rendered_for_the_first(client, team):
    _insight(team, "Discharge delays on the ward")
    client.force_login(ParticipantFactory())
    first = client.get(LIST, {"q": "discharge"})
    client.force_login(ParticipantFactory())
    second = client.get(LIST, {"q": "discharge"})

    assert "page" in first.context and "page" not in second.context
    assert _results_html(first) == _results_html(second)
    assert _titles(second) == ["Discharge delays on the ward"]


def _retitle(insight):
    Insight.objects.filter(pk=insight.pk).update(title="Discharge lounges that work")
    return "Discharge lounges that work"


def _rename_theme(insight):
    Theme.objects.filter(pk__in=insight.themes.all()).update(name="Zq discharge hubs")
    return "Zq discharge hubs"


def _rename_partner(insight):
    Partner.objects.filter(pk=insight.partner_id).update(name="Hillside Hospice")
    return "Hillside Hospice"


CARD_CHANGES = [_retitle, _rename_theme, _rename_partner]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the fingerprints are PostgreSQL's")
@pytest.mark.parametrize("change", CARD_CHANGES, ids=[change.__name__.strip("_") for change in CARD_CHANGES])
@pytest.mark.parametrize("query", [{}, {"q": "discharge"}])
def test_a_change_to_any_row_a_card_shows_is_shown_at_once(client, team, change, query):
    insight = _insight(team, "Discharge delays on the ward", themes=[ThemeFactory(name="Zq patient flow")])
    client.force_login(ParticipantFactory())
    before = client.get(LIST, query)
    assert "page" not in client.get(LIST, query).context  # kept

    expected = change(insight)
    after = client.get(LIST, query)

    assert expected not in _results_html(before)
    assert expected in _results_html(after)
