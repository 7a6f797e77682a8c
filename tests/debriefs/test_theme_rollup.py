"""The learning-theme roll-up: counts, share and change per cell, quotes only with consent,
emerging phrases, the incremental refresh against a full rebuild, and the weekly digest's movers."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.text import slugify

from debriefs.models import Debrief, EmergingTheme, ThemeQuote
from debriefs.selectors.rollup import ThemeMovement, theme_movers
from debriefs.services.debriefs import debrief_approve, debrief_start_review
from debriefs.services.rollup import (
    RollupResult,
    emerging_phrases,
    quote_excerpt,
    taxonomy_word_sequences,
    theme_rollup_refresh,
)
from debriefs.tasks import theme_rollup_refresh_task
from placements.models import Theme
from tests.debriefs.rollup_support import debrief_of_visit, rollup_rows, rollup_snapshot, visit_at
from tests.factories import (
    ParticipantFactory,
    PartnerFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    ThemeFactory,
)
from tests.support import run_at_once

pytestmark = pytest.mark.django_db

JAN, FEB, MAR, APR = (datetime.date(2026, month, 1) for month in (1, 2, 3, 4))
Q1, Q2 = JAN, APR
NW, ACUTE = "north_west", "acute_nhs_trust"


@pytest.fixture
def themes():
    return [ThemeFactory(name=name, slug=f"rollup-{name.lower()}") for name in ("Alpha", "Beta", "Gamma")]


@pytest.fixture
def programme():
    return ProgrammeFactory()


def _participant(directorate="Adult Social Care"):
    return ParticipantFactory(directorate=directorate, full_name="Ada Lovelace")


# --- Counts, share and change --------------------------------------------------------------------------


def test_rollup_counts_share_and_change_against_the_previous_month(programme, themes):
    alpha, beta, gamma = themes
    partner = PartnerFactory(sector=ACUTE, region=NW)
    participant = _participant()
    common = {"programme": programme, "partner": partner, "participant": participant}
    debrief_of_visit(day=datetime.date(2026, 2, 3), themes=[alpha], **common)
    debrief_of_visit(day=datetime.date(2026, 2, 20), themes=[gamma], **common)
    debrief_of_visit(day=datetime.date(2026, 3, 2), themes=[alpha, beta], status="approved", **common)
    debrief_of_visit(day=datetime.date(2026, 3, 9), themes=[alpha], status="in_review", **common)
    debrief_of_visit(day=datetime.date(2026, 3, 30), themes=[], status="published", **common)
    debrief_of_visit(day=datetime.date(2026, 3, 5), themes=[alpha, beta, gamma], status="draft", **common)

    result = theme_rollup_refresh()

    p, d = programme.pk, "Adult Social Care"
    cell = (p, "month")
    assert rollup_rows("month") == [
        (*cell, FEB, ACUTE, NW, d, "Alpha", 1, 2, Decimal("0.5000"), 0, 1),
        (*cell, FEB, ACUTE, NW, d, "Gamma", 1, 2, Decimal("0.5000"), 0, 1),
        (*cell, MAR, ACUTE, NW, d, "Alpha", 2, 3, Decimal("0.6667"), 1, 1),
        (*cell, MAR, ACUTE, NW, d, "Beta", 1, 3, Decimal("0.3333"), 0, 1),
        # Named last month and not this one: a row that says so.
        (*cell, MAR, ACUTE, NW, d, "Gamma", 0, 3, Decimal("0.0000"), 1, -1),
        # The month after the last one with debriefs: everything fell to nothing.
        (*cell, APR, ACUTE, NW, d, "Alpha", 0, 0, Decimal("0.0000"), 2, -2),
        (*cell, APR, ACUTE, NW, d, "Beta", 0, 0, Decimal("0.0000"), 1, -1),
    ]
    assert rollup_rows("quarter") == [
        (p, "quarter", Q1, ACUTE, NW, d, "Alpha", 3, 5, Decimal("0.6000"), 0, 3),
        (p, "quarter", Q1, ACUTE, NW, d, "Beta", 1, 5, Decimal("0.2000"), 0, 1),
        (p, "quarter", Q1, ACUTE, NW, d, "Gamma", 1, 5, Decimal("0.2000"), 0, 1),
        (p, "quarter", Q2, ACUTE, NW, d, "Alpha", 0, 0, Decimal("0.0000"), 3, -3),
        (p, "quarter", Q2, ACUTE, NW, d, "Beta", 0, 0, Decimal("0.0000"), 1, -1),
        (p, "quarter", Q2, ACUTE, NW, d, "Gamma", 0, 0, Decimal("0.0000"), 1, -1),
    ]
    # Five debriefs handed in; Jan–Apr months and Q1–Q2, with the periods after them.
    assert result == RollupResult(debriefs_reprocessed=5, periods_rebuilt=5)


def test_rollup_cells_split_by_partner_sector_and_region_and_participant_directorate(programme, themes):
    alpha = themes[0]
    hospice = PartnerFactory(sector="hospice", region="london")
    trust = PartnerFactory(sector=ACUTE, region=NW)
    day = datetime.date(2026, 3, 10)
    debrief_of_visit(
        programme=programme, day=day, partner=hospice, participant=_participant(""), themes=[alpha]
    )
    debrief_of_visit(
        programme=programme, day=day, partner=trust, participant=_participant("Workforce"), themes=[alpha]
    )
    debrief_of_visit(
        programme=programme, day=day, partner=trust, participant=_participant("Workforce"), themes=[]
    )
    debrief_of_visit(
        programme=programme, day=day, partner=trust, participant=_participant("  "), themes=[alpha]
    )

    theme_rollup_refresh()

    p = programme.pk
    assert [row for row in rollup_rows("month") if row[2] == MAR] == [
        (p, "month", MAR, ACUTE, NW, "", "Alpha", 1, 1, Decimal("1.0000"), 0, 1),
        (p, "month", MAR, ACUTE, NW, "Workforce", "Alpha", 1, 2, Decimal("0.5000"), 0, 1),
        (p, "month", MAR, "hospice", "london", "", "Alpha", 1, 1, Decimal("1.0000"), 0, 1),
    ]


def test_rollup_period_is_the_london_date_of_the_visit(programme, themes):
    # 23:30 UTC on 31 March is 00:30 on 1 April in London (summer time).
    starts_at = datetime.datetime(2026, 3, 31, 23, 30, tzinfo=datetime.UTC)
    debrief_of_visit(programme=programme, starts_at=starts_at, themes=[themes[0]])

    theme_rollup_refresh()

    assert [(row[1], row[2], row[7]) for row in rollup_rows() if row[7]] == [
        ("month", APR, 1),
        ("quarter", Q2, 1),
    ]


def test_rollup_refresh_by_the_task_builds_the_rollup(programme, themes):
    debrief_of_visit(programme=programme, day=datetime.date(2026, 3, 10), themes=[themes[0]])

    theme_rollup_refresh_task.delay()

    assert [(row[1], row[2], row[6], row[7]) for row in rollup_rows() if row[7]] == [
        ("month", MAR, "Alpha", 1),
        ("quarter", Q1, "Alpha", 1),
    ]


# --- Quotes -----------------------------------------------------------------------------------------


def test_quotes_come_only_from_approved_or_published_debriefs_shared_with_consent(programme, themes):
    alpha = themes[0]
    day = datetime.date(2026, 3, 10)

    def quoted(status, consent, learnt):
        return debrief_of_visit(
            programme=programme,
            day=day,
            status=status,
            consent=consent,
            themes=[alpha],
            participant=_participant(),
            what_i_learnt=learnt,
        )

    approved_named = quoted("approved", "named", "Named and approved.")
    published = quoted("published", "anonymised", "Anonymised and published.")
    quoted("approved", "team_only", "For the team only, never quoted.")
    quoted("in_review", "named", "Still in review, not quoted.")
    quoted("submitted", "anonymised", "Only submitted, not quoted.")

    theme_rollup_refresh()

    assert list(
        ThemeQuote.objects.filter(period_kind="month").values_list(
            "theme__name", "position", "debrief_id", "text"
        )
    ) == [
        ("Alpha", 1, published.pk, "Anonymised and published."),
        ("Alpha", 2, approved_named.pk, "Named and approved."),
    ]


def test_quotes_at_most_three_per_theme_latest_visits_first_from_policy_implications_if_need_be(
    programme, themes
):
    alpha, beta = themes[:2]
    for day in (3, 5, 7, 9):
        debrief_of_visit(
            programme=programme,
            day=datetime.date(2026, 3, day),
            status="approved",
            consent="named",
            themes=[alpha],
            what_i_learnt=f"Learnt on the {day}th.",
        )
    from_policy = debrief_of_visit(
        programme=programme,
        day=datetime.date(2026, 3, 4),
        status="approved",
        themes=[beta],
        policy_implications="Commission care directly.",
    )

    theme_rollup_refresh()

    assert list(
        ThemeQuote.objects.filter(period_kind="month")
        .order_by("theme__name", "position")
        .values_list("theme__name", "position", "text")
    ) == [
        ("Alpha", 1, "Learnt on the 9th."),
        ("Alpha", 2, "Learnt on the 7th."),
        ("Alpha", 3, "Learnt on the 5th."),
        ("Beta", 1, "Commission care directly."),
    ]
    assert ThemeQuote.objects.get(period_kind="month", theme=beta).debrief_id == from_policy.pk


def test_a_quarters_quotes_are_its_best_three_across_its_months_published_first(programme, themes):
    alpha = themes[0]
    # January has five candidates, February two (one published), March one: the quarter takes the
    # published one, then the latest visits, wherever their month ranks them.
    visits = [(1, day, "approved") for day in (5, 10, 15, 20, 25)]
    visits += [(2, 3, "published"), (2, 26, "approved"), (3, 2, "approved")]
    for month, day, status in visits:
        debrief_of_visit(
            programme=programme,
            day=datetime.date(2026, month, day),
            status=status,
            consent="named",
            themes=[alpha],
            what_i_learnt=f"Learnt on {month}/{day}.",
        )

    theme_rollup_refresh()

    def quotes(kind, start):
        return list(
            ThemeQuote.objects.filter(period_kind=kind, period_start=start)
            .order_by("position")
            .values_list("position", "text")
        )

    assert quotes("quarter", Q1) == [(1, "Learnt on 2/3."), (2, "Learnt on 3/2."), (3, "Learnt on 2/26.")]
    assert quotes("month", JAN) == [(1, "Learnt on 1/25."), (2, "Learnt on 1/20."), (3, "Learnt on 1/15.")]
    assert quotes("month", FEB) == [(1, "Learnt on 2/3."), (2, "Learnt on 2/26.")]


def test_quote_never_carries_the_authors_name(programme, themes):
    debrief_of_visit(
        programme=programme,
        day=datetime.date(2026, 3, 10),
        status="approved",
        consent="named",
        themes=[themes[0]],
        participant=ParticipantFactory(full_name="Grace Hopper"),
        what_i_learnt="As grace hopper I saw the huddle work.",
    )

    theme_rollup_refresh()

    assert set(ThemeQuote.objects.values_list("text", flat=True)) == {"As [name] I saw the huddle work."}


def test_quote_excerpt_keeps_whole_sentences_within_300_characters():
    sentence = "The discharge hub meets every morning with social care in the room. "
    long_text = sentence * 6  # 6 × 69 characters

    assert quote_excerpt(long_text) == (sentence * 4).strip()
    assert quote_excerpt("word " * 100) == ("word " * 59).strip() + "…"
    assert len(quote_excerpt("word " * 100)) == 295
    assert quote_excerpt("  Short   and\nsweet. ") == "Short and sweet."


# --- Emerging themes ------------------------------------------------------------------------------------


def test_emerging_phrases_found_in_two_debriefs_and_taxonomy_names_left_out(programme):
    for name in ("Mental health", "Primary care", "Adult social care"):  # as the migration seeds them
        ThemeFactory(name=name, slug=slugify(name))
    day = datetime.date(2026, 3, 10)
    texts = [
        "The virtual ward team keeps people at home. Mental health liaison helps. Primary care networks share staff.",
        "A virtual ward needs nurses at night. Mental health support was thin. Primary care networks are stretched.",
        "Social care staff shortages. Nothing else in common here.",
        "Social care budgets. Completely different words entirely.",
    ]
    for text in texts:
        debrief_of_visit(programme=programme, day=day, what_i_learnt=text)

    theme_rollup_refresh()

    # "mental health" is a theme; "primary care networks" holds one ("Primary care"); "social
    # care" is part of one ("Adult social care"): the taxonomy already names all three.
    assert list(
        EmergingTheme.objects.filter(period_kind="month", period_start=MAR).values_list(
            "phrase", "debrief_count"
        )
    ) == [("virtual ward", 2)]


def test_emerging_phrases_keep_the_stronger_of_two_overlapping_phrases_and_at_most_ten():
    texts = [
        " ".join(f"alpha{n} beta{n} gamma{n}." for n in range(15)),
        " ".join(f"alpha{n} beta{n} gamma{n}." for n in range(15)),
        "Something else.",
    ]

    phrases = emerging_phrases(texts, taxonomy=taxonomy_word_sequences())

    # N-grams run across sentence ends, so "beta0 gamma0 alpha1" is a phrase too, as is each pair
    # of words: the pairs always come inside a three-word phrase, and the overlapping phrases
    # lose to the first (all score alike; the tie goes to the alphabet).
    assert [(phrase, n) for phrase, n, _score in phrases] == [
        (f"alpha{n} beta{n} gamma{n}", 2) for n in (0, 1, 10, 11, 12, 13, 14, 2, 3, 4)
    ]


def test_emerging_phrases_need_two_debriefs():
    assert emerging_phrases(["virtual ward virtual ward"], taxonomy=[]) == []
    assert emerging_phrases(["virtual ward", "nothing shared"], taxonomy=[]) == []


def test_emerging_phrase_named_by_a_theme_added_later_leaves_at_the_next_refresh(programme):
    for text in ("The virtual ward works.", "A virtual ward at night."):
        debrief_of_visit(programme=programme, day=datetime.date(2026, 3, 10), what_i_learnt=text)
    theme_rollup_refresh()
    assert set(EmergingTheme.objects.values_list("phrase", flat=True)) == {"virtual ward"}

    Theme.objects.create(name="Virtual wards and hospital at home", slug="virtual-wards")
    # "virtual wards" is not word for word "virtual ward": only a theme naming it removes it.
    assert theme_rollup_refresh() == RollupResult(debriefs_reprocessed=0, periods_rebuilt=0)
    Theme.objects.create(name="Virtual ward", slug="virtual-ward")
    result = theme_rollup_refresh()

    assert (result, EmergingTheme.objects.count()) == (
        RollupResult(debriefs_reprocessed=0, periods_rebuilt=2),
        0,
    )


# --- Incremental against full --------------------------------------------------------------------------------


def _refresh_and_compare_with_full() -> RollupResult:
    """Refresh incrementally, then check a full rebuild gives exactly the same tables."""
    result = theme_rollup_refresh()
    incremental = rollup_snapshot(texts=True)
    theme_rollup_refresh(full=True)
    assert rollup_snapshot(texts=True) == incremental
    return result


def test_incremental_refresh_equals_full_rebuild_after_every_kind_of_change(programme, themes):
    _every_kind_of_change(programme, themes)


@pytest.mark.django_db(transaction=True)
def test_with_every_write_committed_the_searches_for_changes_run_side_by_side_and_find_the_same(
    programme, themes, postgres
):
    # Inside a test's transaction the refresh searches on its own connection (the others could not
    # see the test's writes); committed, three of its four searches run on connections of their own.
    debrief_of_visit(programme=programme, day=datetime.date(2026, 3, 1), themes=[themes[0]])
    with CaptureQueriesContext(connection) as here:
        theme_rollup_refresh()

    searched_here = [query["sql"] for query in here.captured_queries if query["sql"].startswith("SELECT")]
    fact_ids = (
        'SELECT "debriefs_rollupdebrieffact"."debrief_id" AS "debrief_id" FROM "debriefs_rollupdebrieffact"'
    )
    assert [sql.split(" WHERE ")[0] for sql in searched_here if sql.startswith(fact_ids)] == [
        fact_ids
    ]  # no text
    assert not any("FULL JOIN" in sql for sql in searched_here)  # no theme pairs
    assert any(
        sql.startswith('SELECT "debriefs_debrief"."id" AS "pk"') for sql in searched_here
    )  # dimensions
    _every_kind_of_change(programme, themes)


def _every_kind_of_change(programme, themes):
    alpha, beta, gamma = themes
    reviewer = ProgrammeTeamFactory()
    other_programme = ProgrammeFactory()
    partner = PartnerFactory(sector=ACUTE, region=NW)
    texts = {
        "what_i_learnt": "The virtual ward keeps people at home.",
        "policy_implications": "Fund virtual ward nurses.",
    }
    feb = debrief_of_visit(
        programme=programme, day=datetime.date(2026, 2, 11), themes=[alpha], partner=partner, **texts
    )
    mar = debrief_of_visit(
        programme=programme, day=datetime.date(2026, 3, 11), themes=[alpha, beta], status="approved", **texts
    )
    other = debrief_of_visit(
        programme=other_programme, day=datetime.date(2026, 3, 12), themes=[gamma], **texts
    )
    _refresh_and_compare_with_full()

    # A new debrief.
    new = debrief_of_visit(
        programme=programme,
        day=datetime.date(2026, 3, 20),
        themes=[beta],
        status="published",
        consent="named",
        **texts,
    )
    assert _refresh_and_compare_with_full().debriefs_reprocessed == 1
    # Its text edited (the save moves updated_at).
    new.what_i_learnt = "A virtual ward needs nurses at night."
    new.save()
    assert _refresh_and_compare_with_full().debriefs_reprocessed == 1
    # Themes changed without saving the debrief: updated_at stays, the theme set does not.
    mar.themes.set([gamma])
    assert _refresh_and_compare_with_full().debriefs_reprocessed == 1
    # Through the review: submitted → in review → approved.
    debrief_approve(debrief=debrief_start_review(debrief=feb, by=reviewer), by=reviewer)
    assert _refresh_and_compare_with_full().debriefs_reprocessed == 1
    # A status written behind the services' back (updated_at does not move): back to draft.
    Debrief.objects.filter(pk=other.pk).update(status="draft", submitted_at=None)
    assert _refresh_and_compare_with_full().debriefs_reprocessed == 1
    # The partner changes sector and a participant their directorate: dimensions of old debriefs.
    partner.sector = "hospice"
    partner.save()
    new.booking.participant.directorate = "Workforce"
    new.booking.participant.save()
    assert _refresh_and_compare_with_full().debriefs_reprocessed == 2
    # A visit moved into another month and quarter.
    slot = mar.booking.slot
    slot.starts_at = visit_at(datetime.date(2026, 4, 2))
    slot.ends_at = slot.starts_at + datetime.timedelta(hours=6)
    slot.save()
    assert _refresh_and_compare_with_full().debriefs_reprocessed == 1
    # A debrief deleted.
    new.delete()
    assert _refresh_and_compare_with_full().debriefs_reprocessed == 1
    # And, finally, nothing.
    assert theme_rollup_refresh() == RollupResult(debriefs_reprocessed=0, periods_rebuilt=0)


def test_incremental_refresh_with_nothing_changed_reprocesses_nothing_and_changes_nothing(programme, themes):
    debrief_of_visit(programme=programme, day=datetime.date(2026, 3, 10), themes=[themes[0]])
    theme_rollup_refresh()
    before = rollup_snapshot(texts=True)

    assert theme_rollup_refresh() == RollupResult(debriefs_reprocessed=0, periods_rebuilt=0)
    assert rollup_snapshot(texts=True) == before


def test_incremental_refresh_rebuilds_only_the_changed_debriefs_periods_and_the_ones_after(programme, themes):
    alpha = themes[0]
    debrief_of_visit(programme=programme, day=datetime.date(2026, 1, 10), themes=[alpha])
    changed = debrief_of_visit(programme=programme, day=datetime.date(2026, 3, 10), themes=[alpha])
    theme_rollup_refresh()
    changed.themes.set(themes)

    result = theme_rollup_refresh()

    # March and April; Q1 and Q2. January is untouched.
    assert result == RollupResult(debriefs_reprocessed=1, periods_rebuilt=4)


def test_full_rebuild_is_idempotent(programme, themes):
    for day in (3, 17):
        debrief_of_visit(
            programme=programme, day=datetime.date(2026, 3, day), themes=themes[:2], status="approved"
        )
    theme_rollup_refresh(full=True)
    first = rollup_snapshot(texts=True)

    assert theme_rollup_refresh(full=True) == RollupResult(debriefs_reprocessed=2, periods_rebuilt=4)
    assert rollup_snapshot(texts=True) == first


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_do_not_interleave(postgres, themes):
    programme = ProgrammeFactory()
    for day in range(1, 9):
        debrief_of_visit(programme=programme, day=datetime.date(2026, 3, day), themes=themes[: day % 3 + 1])
    results = run_at_once(theme_rollup_refresh, threads=2)
    together = rollup_snapshot(texts=True)
    theme_rollup_refresh(full=True)

    # One did the work; the other waited for the lock and then found nothing to do.
    assert sorted(r.debriefs_reprocessed for r in results) == [0, 8]
    assert rollup_snapshot(texts=True) == together


# --- Themes that moved, for the weekly digest ---------------------------------------------------------------


def test_theme_movers_compare_the_last_complete_month_with_the_one_before(programme, themes):
    alpha, beta, gamma = themes
    other_programme = ProgrammeFactory()
    for day, named in (
        (datetime.date(2026, 1, 5), [alpha]),
        (datetime.date(2026, 1, 6), [beta]),
        (datetime.date(2026, 1, 7), [beta, gamma]),
        (datetime.date(2026, 2, 5), [alpha]),
        (datetime.date(2026, 2, 6), [alpha, gamma]),
        (datetime.date(2026, 2, 7), [gamma]),
        (datetime.date(2026, 3, 2), [beta]),  # the current month: not complete, not counted
    ):
        debrief_of_visit(programme=programme, day=day, themes=named)
    debrief_of_visit(programme=other_programme, day=datetime.date(2026, 2, 9), themes=[alpha])
    theme_rollup_refresh()

    assert theme_movers(today=datetime.date(2026, 3, 15)) == [
        ThemeMovement(theme_name="Alpha", count=3, previous_count=1, change=2),
        ThemeMovement(theme_name="Beta", count=0, previous_count=2, change=-2),
        ThemeMovement(theme_name="Gamma", count=2, previous_count=1, change=1),
    ]
    assert theme_movers(today=datetime.date(2026, 3, 1), limit=1) == [
        ThemeMovement(theme_name="Alpha", count=3, previous_count=1, change=2)
    ]
    assert theme_movers(today=datetime.date(2026, 6, 1)) == []


def test_the_rollup_task_has_time_for_a_full_rebuild_at_national_scale(settings):
    """A full rebuild of 150,000 debriefs took 27-60 s on two cores (docs/performance.md): past the
    workers' default soft limit, which would abort it and roll it back every time beat ran it."""
    assert theme_rollup_refresh_task.time_limit == settings.ROLLUP_TIME_LIMIT
    assert theme_rollup_refresh_task.soft_time_limit >= 10 * 60 > settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert theme_rollup_refresh_task.soft_time_limit < theme_rollup_refresh_task.time_limit
