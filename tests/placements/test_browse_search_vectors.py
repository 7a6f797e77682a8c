"""Browse's stored search document: PostgreSQL keeps it equal to the document the keyword search
used to build for every row at query time, whoever writes the opportunity, its policy areas, a
theme's name or the partner's name or town; the search reads it through the GIN index; SQLite
still searches without it."""

import pytest
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import OuterRef, Subquery, TextField
from django.test.utils import CaptureQueriesContext

from connecting.scale import scale_data_build
from debriefs.models import Insight
from placements.models import Opportunity
from placements.selectors.browse import opportunity_search, opportunity_search_postgres
from placements.services.opportunities import opportunity_update
from tests.debriefs.test_search_vectors import lexemes
from tests.factories import OpportunityFactory, PartnerFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def _query_time_document():
    """The document browse built per row before it was stored (config "english"): title (A);
    summary and policy area names (B); what you will do, partner name, site address and partner's
    town (C). Policy area names in alphabetical order."""
    names = (
        Opportunity.policy_areas.through.objects.filter(opportunity_id=OuterRef("pk"))
        .order_by()
        .values("opportunity_id")
        .annotate(names=StringAgg("theme__name", delimiter=" ", order_by="theme__name"))
        .values("names")
    )
    return (
        SearchVector("title", weight="A", config="english")
        + SearchVector("summary", Subquery(names, output_field=TextField()), weight="B", config="english")
        + SearchVector(
            "what_you_will_do", "partner__name", "site_address", "partner__town", weight="C", config="english"
        )
    )


def _assert_current(opportunity: Opportunity) -> dict[str, str]:
    """Checks the stored document against the query-time one; returns {lexeme: its weights}."""
    stored, expected = (
        Opportunity.objects.filter(pk=opportunity.pk)
        .annotate(expected=_query_time_document())
        .values_list("search_document", "expected")
        .get()
    )
    assert stored == expected
    return lexemes(stored)


def _opportunity(**fields) -> Opportunity:
    if "partner" not in fields:
        fields["partner"] = PartnerFactory(name="Lakeside Trust", town="Leeds")
    defaults = {
        "title": "Discharge team",
        "summary": "Patients going home.",
        "what_you_will_do": "Shadow nurses.",
        "site_address": "Ward 9",
    }
    return OpportunityFactory(**(defaults | fields))


FIRST = {
    "discharg": "A",
    "team": "A",
    "patient": "B",
    "go": "B",
    "home": "B",
    "shadow": "C",
    "nurs": "C",
    "lakesid": "C",
    "trust": "C",
    "ward": "C",
    "9": "C",
    "leed": "C",
}


def test_stored_document_is_written_when_an_opportunity_is_created(postgres):
    opportunity = _opportunity(policy_areas=[ThemeFactory(name="Zz hospital flow")])

    assert _assert_current(opportunity) == FIRST | {"zz": "B", "hospit": "B", "flow": "B"}


def test_stored_document_follows_the_opportunitys_own_columns_whoever_writes_them(postgres):
    opportunity = _opportunity()

    opportunity_update(
        opportunity=opportunity,
        programmes=list(opportunity.programmes.all()),
        policy_areas=[],
        title="Night shift",
        summary="Short staffed.",
        site_address="Ward 9",
    )
    assert _assert_current(opportunity) == (
        {key: weight for key, weight in FIRST.items() if weight == "C"}
        | {"night": "A", "shift": "A", "short": "B", "staf": "B"}
    )

    Opportunity.objects.filter(pk=opportunity.pk).update(
        what_you_will_do="Drive ambulances.", site_address=""
    )
    assert _assert_current(opportunity) == {
        "night": "A",
        "shift": "A",
        "short": "B",
        "staf": "B",
        "drive": "C",
        "ambul": "C",
        "lakesid": "C",
        "trust": "C",
        "leed": "C",
    }

    Opportunity.objects.filter(pk=opportunity.pk).update(search_document=None)
    assert _assert_current(opportunity)["night"] == "A"


def test_moving_an_opportunity_to_another_partner_rewrites_its_document(postgres):
    opportunity = _opportunity()

    Opportunity.objects.filter(pk=opportunity.pk).update(
        partner=PartnerFactory(name="Harbour Care", town="Hull")
    )

    document = _assert_current(opportunity)
    assert (document["harbour"], document["hull"], "lakesid" in document) == ("C", "C", False)


def test_stored_document_follows_policy_areas_added_removed_and_set(postgres):
    flow, homes = ThemeFactory(name="Zz hospital flow"), ThemeFactory(name="Zz care homes")
    opportunity = _opportunity()
    other = _opportunity(partner=PartnerFactory(), policy_areas=[homes])

    opportunity.policy_areas.add(flow, homes)
    assert _assert_current(opportunity) == FIRST | {"zz": "B", "hospit": "B", "flow": "B", "care": "B"}
    opportunity.policy_areas.remove(flow)
    assert _assert_current(opportunity) == FIRST | {"zz": "B", "care": "B"}
    opportunity.policy_areas.clear()
    assert _assert_current(opportunity) == FIRST
    assert _assert_current(other)["care"] == "B"


def test_renaming_a_theme_rewrites_the_documents_of_its_opportunities_only(postgres):
    theme = ThemeFactory(name="Zz hospital flow")
    tagged = _opportunity(policy_areas=[theme])
    untagged = _opportunity(partner=PartnerFactory())
    before = _assert_current(untagged)

    theme.name = "Zz patient transport"
    theme.save()

    document = _assert_current(tagged)
    assert (document["transport"], document["patient"], "flow" in document) == ("B", "B", False)
    assert _assert_current(untagged) == before


def test_renaming_a_partner_or_moving_its_town_rewrites_its_opportunities_only(postgres):
    partner = PartnerFactory(name="Lakeside Trust", town="Leeds")
    first, second = _opportunity(partner=partner), _opportunity(partner=partner)
    elsewhere = _opportunity(partner=PartnerFactory(name="Harbour Care", town="Hull"))
    before = _assert_current(elsewhere)

    partner.name = "Moorland Trust"
    partner.save()
    assert {"moorland", "lakesid"} & set(_assert_current(first)) == {"moorland"}

    partner.town = "York"
    partner.save()
    for opportunity in (first, second):
        document = _assert_current(opportunity)
        assert (document["york"], "leed" in document) == ("C", False)
    assert _assert_current(elsewhere) == before


# --- The search reads the stored document ---------------------------------------------------------


def test_keyword_search_matches_and_ranks_the_stored_document(postgres):
    _opportunity(title="A day with nurses", summary="Discharge planning.")
    _opportunity(partner=PartnerFactory(), title="Discharge lounge")

    with CaptureQueriesContext(connection) as queries:
        found = list(
            opportunity_search_postgres(queryset=Opportunity.objects.all(), q="discharge")
            .order_by("-rank")
            .values_list("title", flat=True)
        )

    assert found == ["Discharge lounge", "A day with nurses"]
    assert "to_tsvector" not in queries.captured_queries[0]["sql"]
    assert '"search_document" @@' in queries.captured_queries[0]["sql"]


def test_keyword_search_can_use_the_gin_index(postgres):
    _opportunity()
    sql, params = (
        opportunity_search_postgres(queryset=Opportunity.objects.all(), q="discharge team")
        .values_list("pk", "rank")
        .query.sql_with_params()
    )

    with connection.cursor() as cursor:
        # A handful of rows is cheaper to read in full; the point is that the index can answer.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Bitmap Index Scan on placements_opp_search" in plan


def test_keyword_search_falls_back_to_words_on_sqlite(db):
    _opportunity(title="A day with nurses", summary="Discharge planning.")
    _opportunity(partner=PartnerFactory(), title="Discharge lounge")
    _opportunity(partner=PartnerFactory(), title="Night shift", summary="Short staffed.")

    found = opportunity_search(queryset=Opportunity.objects.all(), q="discharge").order_by("-rank", "title")

    assert [opportunity.title for opportunity in found] == ["Discharge lounge", "A day with nurses"]


# --- Scale data ------------------------------------------------------------------------------------


def test_scale_data_copy_writes_every_search_document(postgres):
    from placements.taxonomy import policy_areas_seed

    policy_areas_seed()
    scale_data_build(scale=0.001, seed=7, allow_any_database=True)

    assert Opportunity.objects.filter(search_document__isnull=True).count() == 0
    for opportunity in Opportunity.objects.all():
        _assert_current(opportunity)
    assert Insight.objects.exists()
    assert Insight.objects.filter(search_document__isnull=True).count() == 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM debriefs_insight"
            " WHERE search_document IS DISTINCT FROM debriefs_insight_search_document(id, title, body)"
        )
        assert cursor.fetchone() == (0,)
