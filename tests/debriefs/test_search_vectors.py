"""The learning library's stored search document: PostgreSQL keeps it equal to the document the
search used to build for every row at query time, whoever writes the insight, its themes or a
theme's name; the search reads it through the GIN index; SQLite still searches without it."""

import re

import pytest
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, OuterRef, Subquery, TextField
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from debriefs.models import Insight
from debriefs.selectors.library import RankedInsights, insight_search, insight_search_postgres
from debriefs.services.debriefs import debrief_publish, debrief_unpublish
from tests.factories import DebriefFactory, ParticipantFactory, ProgrammeTeamFactory, ThemeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return ProgrammeTeamFactory()


def _publish(team, title, body="What the visit taught us.", themes=()) -> Insight:
    debrief = DebriefFactory(status="approved", consent="anonymised")
    debrief.themes.set(themes)
    return debrief_publish(debrief=debrief, by=team, title=title, body=body, personal_data_confirmed=True)


def _query_time_document():
    """The document the library search built per row before it was stored: title (A), text (B),
    theme names (C), in the "english" configuration; theme names in alphabetical order."""
    names = (
        Insight.themes.through.objects.filter(insight_id=OuterRef("pk"))
        .order_by()
        .values("insight_id")
        .annotate(names=StringAgg("theme__name", delimiter=" ", order_by="theme__name"))
        .values("names")
    )
    return (
        SearchVector("title", weight="A", config="english")
        + SearchVector("body", weight="B", config="english")
        + SearchVector(Subquery(names, output_field=TextField()), weight="C", config="english")
    )


def _stored_and_expected(insight: Insight) -> tuple[str, str]:
    return (
        Insight.objects.filter(pk=insight.pk)
        .annotate(expected=_query_time_document())
        .values_list("search_document", "expected")
        .get()
    )


def _assert_current(insight: Insight) -> dict[str, str]:
    """Checks the stored document against the query-time one; returns {lexeme: its weights}."""
    stored, expected = _stored_and_expected(insight)
    assert stored == expected
    return lexemes(stored)


def lexemes(document: str) -> dict[str, str]:
    """{lexeme: the weights of its positions} of a tsvector's text, e.g. {"flow": "C"}."""
    return {
        lexeme: "".join(
            sorted({position[-1] if position[-1].isalpha() else "D" for position in positions.split(",")})
        )
        for lexeme, positions in re.findall(r"'([^']+)':(\S+)", document)
    }


def test_stored_document_is_written_when_an_insight_is_published(postgres, team):
    insight = _publish(
        team,
        "Discharge lounge",
        body="Patients wait for transport.",
        themes=[ThemeFactory(name="Zz hospital flow"), ThemeFactory(name="Zz care homes")],
    )

    assert _assert_current(insight) == {
        "discharg": "A",
        "loung": "A",
        "patient": "B",
        "wait": "B",
        "transport": "B",
        "zz": "C",
        "care": "C",
        "home": "C",
        "hospit": "C",
        "flow": "C",
    }


def test_stored_document_follows_title_and_text_whoever_writes_them(postgres, team):
    insight = _publish(team, "Discharge lounge", body="Patients wait for transport.")

    insight.title = "Kestrel ward"
    insight.save()
    assert _assert_current(insight) == {
        "kestrel": "A",
        "ward": "A",
        "patient": "B",
        "wait": "B",
        "transport": "B",
    }

    Insight.objects.filter(pk=insight.pk).update(body="Night handovers.")
    assert _assert_current(insight) == {"kestrel": "A", "ward": "A", "night": "B", "handov": "B"}


def test_stored_document_is_recomputed_when_the_column_is_written(postgres, team):
    insight = _publish(team, "Discharge lounge")

    Insight.objects.filter(pk=insight.pk).update(search_document=None)

    assert _assert_current(insight)["discharg"] == "A"


def test_republishing_rewrites_the_document_with_the_new_text_and_themes(postgres, team):
    insight = _publish(team, "Discharge lounge", themes=[ThemeFactory(name="Zz hospital flow")])
    debrief = insight.debrief
    debrief_unpublish(debrief=debrief, by=team, comment="Wrong text.")
    debrief.themes.set([ThemeFactory(name="Zz night shifts")])

    again = debrief_publish(debrief=debrief, by=team, title="Night shifts", body="Short staffed.")

    assert _assert_current(again) == {"night": "AC", "shift": "AC", "short": "B", "staf": "B", "zz": "C"}


def test_stored_document_follows_themes_added_removed_and_set(postgres, team):
    flow, homes, nights = (
        ThemeFactory(name=f"Zz {name}") for name in ("hospital flow", "care homes", "nights")
    )
    insight = _publish(team, "Discharge lounge")
    other = _publish(team, "Another visit", themes=[homes])

    title_and_text = {"discharg": "A", "loung": "A", "visit": "B", "taught": "B", "us": "B"}

    insight.themes.add(flow, homes)
    assert _assert_current(insight) == {
        **title_and_text,
        "zz": "C",
        "care": "C",
        "home": "C",
        "hospit": "C",
        "flow": "C",
    }
    insight.themes.remove(flow)
    assert _assert_current(insight) == {**title_and_text, "zz": "C", "care": "C", "home": "C"}
    insight.themes.set([nights])
    assert _assert_current(insight) == {**title_and_text, "zz": "C", "night": "C"}
    insight.themes.clear()
    assert _assert_current(insight) == title_and_text
    # The other insight keeps its tag on "care homes".
    assert _assert_current(other)["care"] == "C"


def test_renaming_a_theme_rewrites_the_documents_of_its_insights_only(postgres, team):
    theme = ThemeFactory(name="Zz hospital flow")
    tagged = _publish(team, "Discharge lounge", themes=[theme])
    untagged = _publish(team, "Kestrel ward")
    before = _assert_current(untagged)

    theme.name = "Zz patient transport"
    theme.save()

    assert {lexeme: weights for lexeme, weights in _assert_current(tagged).items() if "C" in weights} == {
        "zz": "C",
        "patient": "C",
        "transport": "C",
    }
    assert _assert_current(untagged) == before


# --- The search reads the stored document ---------------------------------------------------------


def test_library_search_matches_and_ranks_the_stored_document(postgres, team):
    _publish(team, "Weekend cover", themes=[ThemeFactory(name="Zz kestrel rota")])
    _publish(team, "Kestrel ward handovers")
    ranked = insight_search_postgres(queryset=Insight.objects.all(), q="kestrel")

    with CaptureQueriesContext(connection) as queries:
        titles = [insight.title for insight in ranked]

    assert titles == ["Kestrel ward handovers", "Weekend cover"]
    assert all("to_tsvector" not in query["sql"] for query in queries.captured_queries)
    assert any('"search_document" @@' in query["sql"] for query in queries.captured_queries)


def test_library_search_can_use_the_gin_index(postgres, team):
    _publish(team, "Kestrel ward handovers")
    with CaptureQueriesContext(connection) as queries:
        list(insight_search_postgres(queryset=Insight.objects.all(), q="kestrel"))
    ranking = next(query["sql"] for query in queries.captured_queries if "ts_rank" in query["sql"])

    with connection.cursor() as cursor:
        # A handful of rows is cheaper to read in full; the point is that the index can answer.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + ranking)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Bitmap Index Scan on debriefs_insight_search" in plan


def test_ranked_insights_count_slice_and_rank_like_a_list(postgres, team):
    for number in range(3):
        _publish(team, f"Kestrel visit {number}", body="Kestrel " * number + "and the ward.")
    ranked = insight_search_postgres(queryset=Insight.objects.all(), q="kestrel")
    everything = list(ranked)

    assert len(ranked) == 3
    assert [insight.title for insight in everything] == [
        "Kestrel visit 2",
        "Kestrel visit 1",
        "Kestrel visit 0",
    ]
    assert [insight.pk for insight in ranked[1:3]] == [insight.pk for insight in everything[1:3]]
    assert ranked[0].pk == everything[0].pk
    assert everything[0].rank > everything[1].rank > everything[2].rank
    page = Paginator(ranked, 2).get_page(2)
    assert (page.paginator.count, [insight.title for insight in page]) == (3, ["Kestrel visit 0"])


def test_ranked_page_loads_only_its_own_rows_with_partner_programme_and_themes(postgres, team):
    for number in range(3):
        _publish(team, f"Kestrel visit {number}", themes=[ThemeFactory(name=f"Zz kestrel theme {number}")])
    ranked = insight_search_postgres(
        queryset=Insight.objects.select_related("partner", "programme"), q="kestrel"
    )

    with CaptureQueriesContext(connection) as queries:
        page = ranked[:2]
        facts = [(insight.partner.name, insight.programme.name) for insight in page]

    # The ranking (ids only, no join), then the two rows with their partner and programme.
    assert len(facts) == 2
    assert len(queries.captured_queries) == 2
    assert "JOIN" not in queries.captured_queries[0]["sql"]
    assert "LIMIT 2" in queries.captured_queries[0]["sql"]


def test_ranked_page_skips_an_insight_withdrawn_after_it_was_ranked(postgres, team):
    kept, withdrawn = _publish(team, "Kestrel ward"), _publish(team, "Kestrel lounge")
    query = SearchQuery("kestrel", config="english")
    matches = Insight.objects.filter(search_document=query).annotate(
        rank=SearchRank(F("search_document"), query)
    )
    # The ranking still sees both; loading the page no longer finds the withdrawn one.
    ranked = RankedInsights(matches.order_by("-rank", "-pk"), Insight.objects.exclude(pk=withdrawn.pk))

    assert [insight.pk for insight in ranked[:20]] == [kept.pk]


def test_library_search_falls_back_to_words_on_sqlite(db, team):
    _publish(team, "Kestrel ward handovers")
    _publish(team, "Weekend cover", themes=[ThemeFactory(name="Zz kestrel rota")])
    _publish(team, "Nothing about birds")

    found = insight_search(queryset=Insight.objects.all(), q="kestrel")

    assert isinstance(found, RankedInsights) == (connection.vendor == "postgresql")
    assert [insight.title for insight in found] == ["Kestrel ward handovers", "Weekend cover"]


def test_library_search_page_works_on_either_database(client, team):
    _publish(team, "Kestrel ward handovers")
    _publish(team, "Nothing about birds")
    client.force_login(ParticipantFactory())

    response = client.get(reverse("library:list"), {"q": "kestrel"})

    assert (response.status_code, [insight.title for insight in response.context["page"]]) == (
        200,
        ["Kestrel ward handovers"],
    )
