"""How the theme roll-up keeps up at scale (issue 9): what a refresh stores to avoid rereading
texts, the changes it must still notice (texts erased behind its back, an author renamed), the
phrase finder against scikit-learn's TF-IDF, and the rounding and batching of the SQL rebuild."""

import datetime
import random
import sys
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from debriefs.models import (
    Debrief,
    EmergingTheme,
    RollupDebriefFact,
    RollupDebriefText,
    ThemeQuote,
    ThemeRollup,
)
from debriefs.services import rollup
from debriefs.services.rollup import (
    RollupResult,
    emerging_phrases,
    phrase_names_taxonomy,
    taxonomy_word_sequences,
    theme_rollup_refresh,
)
from placements.models import Theme
from tests.debriefs.rollup_support import debrief_of_visit, fact_texts, rollup_rows, rollup_snapshot
from tests.factories import ParticipantFactory, PartnerFactory, ProgrammeFactory, ThemeFactory

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2026, 3, 10)


@pytest.fixture
def themes():
    return [ThemeFactory(name=name, slug=f"engine-{name.lower()}") for name in ("Alpha", "Beta")]


@pytest.fixture
def programme():
    return ProgrammeFactory()


def _refresh_equals_full() -> RollupResult:
    result = theme_rollup_refresh()
    incremental = rollup_snapshot(texts=True)
    theme_rollup_refresh(full=True)
    assert rollup_snapshot(texts=True) == incremental
    return result


# --- What the phrase finder copies from scikit-learn --------------------------------------------


def test_stop_words_and_word_pattern_are_scikit_learns():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    vectorizer = TfidfVectorizer(stop_words="english")
    text = "The NHS-111 line: état civil, a b cd 2026 don't — Ward_7 re-admissions!"

    assert rollup.STOP_WORDS == ENGLISH_STOP_WORDS
    assert rollup.analysed_words(text) == [
        word for word in vectorizer.build_tokenizer()(text.lower()) if word not in ENGLISH_STOP_WORDS
    ]


def test_word_pattern_splits_any_text_as_scikit_learns():
    from sklearn.feature_extraction.text import TfidfVectorizer

    tokenizer = TfidfVectorizer().build_tokenizer()
    alphabet = "ab Z1_é-'’.\n\t\u0301\u00a0日本ßİ9"
    rng = random.Random(20269)
    texts = ["".join(rng.choices(alphabet, k=rng.randint(0, 40))) for _ in range(2000)]

    assert [rollup._TOKEN.findall(text) for text in texts] == [tokenizer(text) for text in texts]


def test_vocabulary_numbers_new_words_in_order_and_drops_stop_words():
    def decoded(blob: bytes) -> list[int]:
        return [int.from_bytes(blob[i : i + 4], "little") for i in range(0, len(blob), 4)]

    # "ward" is stored already; "the" was stored before it became a stop word (a release's change).
    vocabulary = rollup._Vocabulary({"ward": 7, "the": 3})

    first = decoded(vocabulary.encode("The ward's discharge team, the DISCHARGE lounge and a ward"))
    second = decoded(vocabulary.encode("Lounge, ward and pharmacy"))

    assert first == [7, 8, 9, 8, 10, 7]  # ward, discharge, team, discharge, lounge, ward
    assert second == [10, 7, 11]
    assert vocabulary.ids == {"ward": 7, "the": 3, "discharge": 8, "team": 9, "lounge": 10, "pharmacy": 11}
    assert decoded(vocabulary.encode("")) == [] == decoded(vocabulary.encode("the a of"))


def test_whitespace_the_database_strips_is_pythons():
    assert set(rollup.WHITESPACE) == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}


def _sklearn_emerging_phrases(texts, taxonomy):
    """The phrase finder as it was written with scikit-learn's TfidfVectorizer: the reference."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(texts) < 2:
        return []
    vectorizer = TfidfVectorizer(ngram_range=(2, 3), stop_words="english", min_df=2)
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:
        return []
    ranked = sorted(
        (
            (str(phrase), int(n), round(float(score), 6))
            for phrase, n, score in zip(
                vectorizer.get_feature_names_out(),
                (matrix > 0).sum(axis=0).A1,
                matrix.sum(axis=0).A1,
                strict=True,
            )
        ),
        key=lambda item: (-item[2], -item[1], item[0]),
    )
    inside: Counter = Counter()
    for phrase, n, _score in ranked:
        words = phrase.split()
        if len(words) == 3:
            for part in (" ".join(words[:2]), " ".join(words[1:])):
                inside[part] = max(inside[part], n)

    def pairs(phrase):
        words = phrase.split()
        return set(zip(words, words[1:], strict=False))

    kept = []
    for phrase, n, score in ranked:
        if inside[phrase] == n or phrase_names_taxonomy(phrase, taxonomy):
            continue
        if any(pairs(phrase) & pairs(better) for better, _n, _s in kept):
            continue
        kept.append((phrase, n, score))
        if len(kept) == 10:
            break
    return kept


def _corpus(seed: int, documents: int) -> list[str]:
    """Texts from a small vocabulary, so that phrases repeat, tie and overlap; with stop words,
    punctuation, repeats inside a text, an empty text and one of stop words only."""
    rng = random.Random(seed)
    vocabulary = (
        "ward",
        "discharge",
        "huddle",
        "care",
        "package",
        "delay",
        "social",
        "nurse",
        "night",
        "home",
    )
    texts = []
    for _ in range(documents):
        words = [rng.choice([*vocabulary, "the", "of", "and"]) for _ in range(rng.randint(0, 40))]
        texts.append(" ".join(word + rng.choice(["", "", ".", ","]) for word in words))
    return [*texts, "", "the of and a"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_emerging_phrases_are_what_scikit_learn_finds(seed, themes):
    ThemeFactory(name="Social care", slug="social-care")
    taxonomy = taxonomy_word_sequences()
    texts = _corpus(seed, documents=60)

    assert emerging_phrases(texts, taxonomy=taxonomy) == _sklearn_emerging_phrases(texts, taxonomy)


def test_emerging_phrases_the_same_when_phrase_keys_are_numbered_first(monkeypatch):
    # A period with a large vocabulary and many debriefs numbers its phrases before sorting.
    texts = _corpus(4, documents=40)
    expected = emerging_phrases(texts, taxonomy=[])
    monkeypatch.setattr(rollup, "_ROW_KEY_BITS", 8)

    assert emerging_phrases(texts, taxonomy=[]) == expected == _sklearn_emerging_phrases(texts, [])


# --- Changes made behind the roll-up's back -------------------------------------------------------------


def test_text_erased_without_updated_at_is_reprocessed_and_leaves_quotes_and_phrases(programme, themes):
    common = {"programme": programme, "day": MARCH, "consent": "named", "themes": themes[:1]}
    kept = debrief_of_visit(
        status="approved", what_i_learnt="The virtual ward keeps people at home.", **common
    )
    erased = debrief_of_visit(status="published", what_i_learnt="A virtual ward at night.", **common)
    theme_rollup_refresh()
    assert set(EmergingTheme.objects.values_list("phrase", flat=True)) == {"virtual ward"}
    assert sorted(
        ThemeQuote.objects.filter(period_kind="month").values_list("debrief_id", flat=True)
    ) == sorted([kept.pk, erased.pk])

    # Erasure writes with QuerySet.update: updated_at does not move.
    Debrief.objects.filter(pk=erased.pk).update(what_i_learnt="")

    assert _refresh_equals_full().debriefs_reprocessed == 1
    assert list(ThemeQuote.objects.filter(period_kind="month").values_list("debrief_id", flat=True)) == [
        kept.pk
    ]
    assert EmergingTheme.objects.count() == 0
    assert fact_texts()[erased.pk] == ((), "")


def test_author_renamed_is_reprocessed_and_their_quote_redacted_with_the_new_name(programme, themes):
    author = ParticipantFactory(full_name="Ada Lovelace")
    debrief = debrief_of_visit(
        programme=programme,
        day=MARCH,
        status="approved",
        consent="named",
        participant=author,
        themes=themes[:1],
        what_i_learnt="Grace Hopper and Ada Lovelace ran the huddle.",
    )
    theme_rollup_refresh()
    author.full_name = "Grace Hopper"
    author.save()

    assert _refresh_equals_full().debriefs_reprocessed == 1
    assert list(
        ThemeQuote.objects.filter(debrief=debrief, period_kind="month").values_list("text", flat=True)
    ) == ["[name] and Ada Lovelace ran the huddle."]


# --- Python's view of text, in the database ------------------------------------------------------------


def test_quote_skips_text_of_whitespace_only_as_python_strips_it(programme, themes):
    debrief = debrief_of_visit(
        programme=programme,
        day=MARCH,
        status="approved",
        consent="named",
        themes=themes[:1],
        what_i_learnt="\u2003\u00a0\n",
        policy_implications="\u3000Commission care directly.\u2029",
    )
    blank = debrief_of_visit(
        programme=programme,
        day=MARCH,
        status="approved",
        consent="named",
        themes=themes[:1],
        what_i_learnt="\u2003",
        policy_implications="\u205f",
    )

    _refresh_equals_full()

    assert list(ThemeQuote.objects.filter(period_kind="month").values_list("debrief_id", "text")) == [
        (debrief.pk, "Commission care directly.")
    ]
    assert RollupDebriefFact.objects.get(debrief=blank).quoted is False


def test_directorate_stripped_of_unicode_whitespace_as_python_strips_it(programme, themes):
    participant = ParticipantFactory(directorate="\u00a0Workforce\u2003")
    debrief_of_visit(programme=programme, day=MARCH, participant=participant, themes=themes[:1])

    _refresh_equals_full()

    assert {row[5] for row in rollup_rows()} == {"Workforce"}


# --- The rebuild in SQL --------------------------------------------------------------------------------


def test_share_rounds_half_up_in_full_and_incremental_rebuilds(programme, themes):
    partner = PartnerFactory(sector="hospice", region="london")
    participant = ParticipantFactory(directorate="")
    common = {"programme": programme, "day": MARCH, "partner": partner, "participant": participant}
    debrief_of_visit(themes=themes[:1], **common)
    for _ in range(31):
        debrief_of_visit(**common)

    _refresh_equals_full()

    # 1 of 32 is 0.03125: half up gives 0.0313 (half to even would give 0.0312).
    assert [(row[1], row[7], row[8], row[9]) for row in rollup_rows() if row[7]] == [
        ("month", 1, 32, Decimal("0.0313")),
        ("quarter", 1, 32, Decimal("0.0313")),
    ]


def test_incremental_refresh_in_several_batches_equals_full(monkeypatch, programme, themes):
    monkeypatch.setattr(rollup, "_BATCH", 2)
    alpha, beta = themes
    debriefs = [
        debrief_of_visit(
            programme=programme,
            day=datetime.date(2026, month, 5),
            status="approved",
            consent="anonymised",
            themes=[alpha],
            what_i_learnt=f"Virtual ward number {month} keeps people at home.",
        )
        for month in (1, 2, 3, 4, 5)
    ]
    _refresh_equals_full()
    for debrief in debriefs[:4]:
        debrief.themes.set([beta])
    Debrief.objects.filter(pk=debriefs[4].pk).update(status="draft")

    # January to May and June after; the first and second quarters and the third after.
    assert _refresh_equals_full() == RollupResult(debriefs_reprocessed=5, periods_rebuilt=9)


def test_refresh_with_nothing_changed_costs_the_same_queries_whatever_the_numbers(programme, themes):
    def queries_of_a_refresh_with_nothing_changed() -> int:
        theme_rollup_refresh()
        with CaptureQueriesContext(connection) as captured:
            assert theme_rollup_refresh() == RollupResult(debriefs_reprocessed=0, periods_rebuilt=0)
        return len(captured.captured_queries)

    debrief_of_visit(programme=programme, day=MARCH, themes=themes)
    one = queries_of_a_refresh_with_nothing_changed()
    for day in (3, 17, 24):
        debrief_of_visit(programme=programme, day=MARCH.replace(day=day), themes=themes[:1])

    assert queries_of_a_refresh_with_nothing_changed() == one


def test_refresh_finding_most_debriefs_changed_rebuilds_in_full(monkeypatch, programme, themes):
    monkeypatch.setattr(rollup, "_FULL_REBUILD_ABOVE", 1)
    debriefs = [
        debrief_of_visit(programme=programme, day=MARCH.replace(day=day), themes=themes[:1])
        for day in (2, 3, 4, 5)
    ]
    theme_rollup_refresh()
    rebuilds = []
    rebuild_everything = rollup._rebuild_everything
    monkeypatch.setattr(rollup, "_rebuild_everything", lambda: rebuilds.append(1) or rebuild_everything())
    debriefs[0].themes.set(themes)
    assert theme_rollup_refresh().debriefs_reprocessed == 1  # one of four: not more than a quarter
    debriefs[1].themes.set(themes)
    debriefs[2].delete()

    # Two of four: the facts are rebuilt, and the result says so (three facts now).
    assert _refresh_equals_full() == RollupResult(debriefs_reprocessed=3, periods_rebuilt=4)
    assert rebuilds == [1, 1]  # the refresh, and the full rebuild it is compared with


# --- Derived rows without database constraints ---------------------------------------------------


def test_the_rollup_tables_keys_are_not_checked_row_by_row_at_commit(postgres):
    """A full refresh writes about 1.5 million roll-up rows; checking each key at commit cost 13.8 s
    for ThemeRollup and 4.5 s for the facts, their themes and texts (docs/performance.md)."""
    tables = [
        model._meta.db_table
        for model in (RollupDebriefFact, RollupDebriefFact.themes.through, RollupDebriefText, ThemeRollup)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        assert cursor.fetchall() == []


def test_deleting_a_theme_deletes_its_rollup_rows_and_the_next_refresh_equals_a_full_one(programme, themes):
    alpha, beta = themes
    debrief_of_visit(programme=programme, day=MARCH, themes=[alpha, beta])
    debrief_of_visit(programme=programme, day=MARCH, themes=[beta])
    theme_rollup_refresh()

    beta.delete()

    assert not RollupDebriefFact.themes.through.objects.filter(theme_id=beta.pk).exists()
    assert not ThemeRollup.objects.filter(theme_id=beta.pk).exists()
    # Django's clean-up removed every row naming it: nothing is left to reprocess.
    assert _refresh_equals_full().debriefs_reprocessed == 0
    assert {row[6] for row in rollup_rows() if row[7]} == {"Alpha"}


def test_a_theme_key_left_dangling_by_a_deletion_during_a_refresh_is_put_right_by_the_next(programme, themes):
    alpha, beta = themes
    debrief = debrief_of_visit(programme=programme, day=MARCH, themes=[alpha])
    theme_rollup_refresh()
    # As if beta was deleted after the refresh read the debrief's themes and before it committed.
    fact = RollupDebriefFact.objects.get(debrief=debrief)
    RollupDebriefFact.themes.through.objects.create(rollupdebrieffact_id=fact.pk, theme_id=beta.pk)
    with connection.cursor() as cursor:  # the theme goes without Django's clean-up of its links
        cursor.execute(f"DELETE FROM {Theme._meta.db_table} WHERE id = %s", [beta.pk])  # noqa: S608

    assert _refresh_equals_full().debriefs_reprocessed == 1
    assert list(fact_texts()) == [debrief.pk]
    assert set(RollupDebriefFact.themes.through.objects.values_list("theme_id", flat=True)) == {alpha.pk}


@pytest.mark.parametrize("full", [False, True])
def test_texts_with_backslashes_and_copys_own_markers_are_stored_as_written(programme, themes, full):
    """The texts go to the database with COPY (`connecting.db.copy_rows`), whose text format gives a
    backslash, a tab, a newline and `\\N` meanings of their own."""
    learnt = "Saved to C:\\wards\\new\\N over\tthe weekend.\nThe ‘virtual ward’ – naïve 100% \\\\ works."
    saw = "Back\\slash\r\nand \\N alone."
    debrief = debrief_of_visit(
        programme=programme,
        day=MARCH,
        status="approved",
        consent="anonymised",
        themes=themes[:1],
        what_i_learnt=learnt,
        what_i_saw=saw,
    )

    theme_rollup_refresh(full=full)

    words, quote = fact_texts()[debrief.pk]
    assert quote == rollup.quote_excerpt(learnt, author_name=debrief.booking.participant.full_name)
    assert "\\" in quote
    assert list(words) == rollup.analysed_words("\n".join([saw, learnt]))
