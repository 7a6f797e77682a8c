"""The learning-theme roll-up: debrief themes counted per programme × period × sector × region ×
directorate, with quotes and emerging phrases, kept up to date incrementally.

The roll-up has two layers. `RollupDebriefFact` holds one row per counted debrief with the
dimensions and themes it was last counted under. `ThemeRollup`, `ThemeQuote` and `EmergingTheme`
are built from the facts, one programme × period kind × period start ("group") at a time.

A refresh compares every counted debrief with its fact (`updated_at`, status, consent, the
dimensions and the theme ids: a partner's sector, a participant's directorate or a theme set can
change without the debrief's `updated_at` moving) and rewrites only the facts that differ, adding
new ones and dropping those of debriefs deleted or no longer counted. The groups those facts were
in, before and after, are rebuilt from the fact table, and so are the following periods' roll-ups,
whose `change` reads the rebuilt period. So the result is by construction what a full rebuild
(`full=True`) gives; a test holds the two together.
"""

import datetime
import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from debriefs.models import (
    QUOTABLE_STATUSES,
    ROLLUP_STATUSES,
    SHAREABLE_CONSENTS,
    Debrief,
    EmergingTheme,
    PeriodKind,
    RollupDebriefFact,
    ThemeQuote,
    ThemeRollup,
)
from placements.models import Theme

logger = logging.getLogger(__name__)

QUOTES_PER_THEME = 3
QUOTE_MAX_LENGTH = 300
EMERGING_PER_PERIOD = 10
# Phrases must come from at least this many debriefs: one person's turn of phrase is not a theme.
EMERGING_MIN_DEBRIEFS = 2
# Any constant works: it names the roll-up's lock among the advisory locks of this database.
_ADVISORY_LOCK_KEY = 0x7468656D  # "them"
_SHARE_PLACES = Decimal("0.0001")
_EMERGING_TEXT_FIELDS = (
    "what_i_saw",
    "what_i_learnt",
    "what_surprised_me",
    "what_works",
    "what_does_not_work",
    "policy_implications",
)
_FACT_FIELDS = (
    "debrief_updated_at",
    "status",
    "consent",
    "programme_id",
    "visited_on",
    "month_start",
    "quarter_start",
    "sector",
    "region",
    "directorate",
)
_CELL = ("sector", "region", "directorate")

Group = tuple[int, str, datetime.date]  # programme id, period kind, period start


@dataclass(frozen=True)
class RollupResult:
    debriefs_reprocessed: int
    periods_rebuilt: int


# --- Periods ----------------------------------------------------------------------------------


def period_start_for(kind: str, day: datetime.date) -> datetime.date:
    """The first day of the calendar month or quarter holding `day`."""
    if kind == PeriodKind.MONTH:
        return day.replace(day=1)
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _months_later(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_previous(kind: str, start: datetime.date) -> datetime.date:
    return _months_later(start, -1 if kind == PeriodKind.MONTH else -3)


def period_next(kind: str, start: datetime.date) -> datetime.date:
    return _months_later(start, 1 if kind == PeriodKind.MONTH else 3)


def _start_field(kind: str) -> str:
    return f"{kind}_start"


def _groups_of(fact: dict) -> set[Group]:
    return {(fact["programme_id"], kind, fact[_start_field(kind)]) for kind in PeriodKind.values}


# --- Facts --------------------------------------------------------------------------------------


def _current_facts() -> tuple[dict[int, dict], dict[int, frozenset[int]]]:
    """What every counted debrief's fact should hold now: two queries whatever the numbers."""
    rows = Debrief.objects.filter(status__in=ROLLUP_STATUSES).values_list(
        "pk",
        "updated_at",
        "status",
        "consent",
        "booking__programme_id",
        "booking__slot__starts_at",
        "booking__slot__opportunity__partner__sector",
        "booking__slot__opportunity__partner__region",
        "booking__participant__directorate",
    )
    facts = {}
    for pk, updated_at, status, consent, programme_id, starts_at, sector, region, directorate in rows:
        visited_on = timezone.localdate(starts_at)
        facts[pk] = {
            "debrief_updated_at": updated_at,
            "status": status,
            "consent": consent,
            "programme_id": programme_id,
            "visited_on": visited_on,
            "month_start": period_start_for(PeriodKind.MONTH, visited_on),
            "quarter_start": period_start_for(PeriodKind.QUARTER, visited_on),
            "sector": sector,
            "region": region,
            "directorate": (directorate or "").strip(),
        }
    themes: dict[int, set[int]] = defaultdict(set)
    pairs = Debrief.themes.through.objects.filter(debrief__status__in=ROLLUP_STATUSES)
    for debrief_id, theme_id in pairs.values_list("debrief_id", "theme_id"):
        themes[debrief_id].add(theme_id)
    return facts, {pk: frozenset(themes.get(pk, ())) for pk in facts}


def _stored_facts() -> tuple[dict[int, dict], dict[int, frozenset[int]]]:
    facts = {
        row.pop("debrief_id"): row for row in RollupDebriefFact.objects.values("debrief_id", *_FACT_FIELDS)
    }
    themes: dict[int, set[int]] = defaultdict(set)
    pairs = RollupDebriefFact.themes.through.objects.values_list("rollupdebrieffact__debrief_id", "theme_id")
    for debrief_id, theme_id in pairs:
        themes[debrief_id].add(theme_id)
    return facts, {pk: frozenset(themes.get(pk, ())) for pk in facts}


def _write_facts(current: dict[int, dict], themes: dict[int, frozenset[int]], debrief_ids: set[int]) -> None:
    """Replace the facts of `debrief_ids` with their current values (none for those not counted)."""
    RollupDebriefFact.objects.filter(debrief_id__in=debrief_ids).delete()
    created = RollupDebriefFact.objects.bulk_create(
        RollupDebriefFact(debrief_id=pk, **current[pk]) for pk in sorted(debrief_ids) if pk in current
    )
    Through = RollupDebriefFact.themes.through
    Through.objects.bulk_create(
        Through(rollupdebrieffact_id=fact.pk, theme_id=theme_id)
        for fact in created
        for theme_id in sorted(themes[fact.debrief_id])
    )


# --- Building a group from the facts ---------------------------------------------------------------


def _facts_in(kind: str, periods: set[tuple[int, datetime.date]]) -> Q:
    """Facts whose (programme, period start of `kind`) is one of `periods`."""
    by_programme: dict[int, set[datetime.date]] = defaultdict(set)
    for programme_id, start in periods:
        by_programme[programme_id].add(start)
    condition = Q(pk__in=[])
    for programme_id, starts in sorted(by_programme.items()):
        condition |= Q(programme_id=programme_id, **{f"{_start_field(kind)}__in": sorted(starts)})
    return condition


def _share(count: int, total: int) -> Decimal:
    if not total:
        return Decimal("0.0000")
    return (Decimal(count) / Decimal(total)).quantize(_SHARE_PLACES, rounding=ROUND_HALF_UP)


def _rebuild_rollups(kind: str, periods: set[tuple[int, datetime.date]]) -> None:
    """Rebuild the ThemeRollup rows of `periods` (programme id, start) of `kind` with GROUP BY
    aggregates over the facts of those periods and of the periods before them."""
    field = _start_field(kind)
    wanted = periods | {(programme_id, period_previous(kind, start)) for programme_id, start in periods}
    cell_totals = Counter(
        {
            (row["programme_id"], row[field], *(row[name] for name in _CELL)): row["n"]
            for row in RollupDebriefFact.objects.filter(_facts_in(kind, wanted))
            .values("programme_id", field, *_CELL)
            .annotate(n=Count("pk"))
            .order_by()
        }
    )
    fact = "rollupdebrieffact__"
    theme_counts = Counter(
        {
            (
                row[f"{fact}programme_id"],
                row[f"{fact}{field}"],
                *(row[f"{fact}{n}"] for n in _CELL),
                row["theme_id"],
            ): row["n"]
            for row in RollupDebriefFact.themes.through.objects.filter(
                rollupdebrieffact__in=RollupDebriefFact.objects.filter(_facts_in(kind, wanted))
            )
            .values(f"{fact}programme_id", f"{fact}{field}", *(f"{fact}{n}" for n in _CELL), "theme_id")
            .annotate(n=Count("pk"))
            .order_by()
        }
    )
    ThemeRollup.objects.filter(_rollups_in(kind, periods)).delete()
    keys_in: dict[tuple, set[tuple]] = defaultdict(set)  # (programme id, start) -> its cell × theme keys
    for key in theme_counts:
        keys_in[key[:2]].add(key[2:])
    rows = []
    for programme_id, start in sorted(periods):
        previous = period_previous(kind, start)
        keys = keys_in[(programme_id, start)] | keys_in[(programme_id, previous)]
        for sector, region, directorate, theme_id in sorted(keys):
            count = theme_counts[(programme_id, start, sector, region, directorate, theme_id)]
            previous_count = theme_counts[(programme_id, previous, sector, region, directorate, theme_id)]
            total = cell_totals[(programme_id, start, sector, region, directorate)]
            rows.append(
                ThemeRollup(
                    programme_id=programme_id,
                    period_kind=kind,
                    period_start=start,
                    sector=sector,
                    region=region,
                    directorate=directorate,
                    theme_id=theme_id,
                    debrief_count=count,
                    cell_debrief_count=total,
                    share=_share(count, total),
                    previous_count=previous_count,
                    change=count - previous_count,
                )
            )
    ThemeRollup.objects.bulk_create(rows, batch_size=1000)


def _rollups_in(kind: str, periods: set[tuple[int, datetime.date]]) -> Q:
    """Output rows (roll-ups, quotes, emerging themes) of `periods` of `kind`."""
    condition = Q(pk__in=[])
    by_programme: dict[int, set[datetime.date]] = defaultdict(set)
    for programme_id, start in periods:
        by_programme[programme_id].add(start)
    for programme_id, starts in sorted(by_programme.items()):
        condition |= Q(programme_id=programme_id, period_kind=kind, period_start__in=sorted(starts))
    return condition


def quote_excerpt(text: str, *, author_name: str = "") -> str:
    """At most QUOTE_MAX_LENGTH characters of `text`: whole sentences while they fit, else cut at a
    word with an ellipsis; the author's name, should the text hold it, is taken out."""
    text = " ".join(text.split())
    if author_name.strip():
        text = re.sub(re.escape(author_name.strip()), "[name]", text, flags=re.IGNORECASE)
    if len(text) <= QUOTE_MAX_LENGTH:
        return text
    sentences = re.split(r"(?<=[.!?])\s+", text)
    excerpt = ""
    for sentence in sentences:
        candidate = f"{excerpt} {sentence}".strip()
        if len(candidate) > QUOTE_MAX_LENGTH:
            break
        excerpt = candidate
    if excerpt:
        return excerpt
    cut = text[: QUOTE_MAX_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{cut}…"


def _rebuild_quotes(kind: str, periods: set[tuple[int, datetime.date]]) -> None:
    """Up to three quotes per theme of each period: published debriefs first, then the most recent
    visits; each from what the participant learnt, or failing that the policy implications."""
    ThemeQuote.objects.filter(_rollups_in(kind, periods)).delete()
    field = _start_field(kind)
    candidates = (
        RollupDebriefFact.objects.filter(
            _facts_in(kind, periods), status__in=QUOTABLE_STATUSES, consent__in=SHAREABLE_CONSENTS
        )
        .select_related("debrief__booking__participant")
        .prefetch_related("themes")
        .order_by("programme_id", field, "-visited_on", "debrief_id")
    )
    taken: dict[tuple[int, datetime.date, int], int] = Counter()
    published_first = sorted(candidates, key=lambda fact: fact.status != "published")
    quotes = []
    for fact in published_first:
        debrief = fact.debrief
        source = debrief.what_i_learnt.strip() or debrief.policy_implications.strip()
        if not source:
            continue
        text = quote_excerpt(source, author_name=debrief.booking.participant.full_name)
        for theme in sorted(fact.themes.all(), key=lambda theme: theme.pk):
            key = (fact.programme_id, getattr(fact, field), theme.pk)
            if taken[key] == QUOTES_PER_THEME:
                continue
            taken[key] += 1
            quotes.append(
                ThemeQuote(
                    programme_id=fact.programme_id,
                    period_kind=kind,
                    period_start=getattr(fact, field),
                    theme_id=theme.pk,
                    debrief_id=fact.debrief_id,
                    position=taken[key],
                    text=text,
                )
            )
    ThemeQuote.objects.bulk_create(quotes)


# --- Emerging themes ----------------------------------------------------------------------------------


def _vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(2, 3), stop_words="english", min_df=EMERGING_MIN_DEBRIEFS)


def _words(text: str, analyser) -> tuple[str, ...]:
    return tuple(analyser(text))


def taxonomy_word_sequences() -> list[tuple[str, ...]]:
    """Each theme's name and slug as the words the phrase finder sees (stop words dropped)."""
    vectorizer = _vectorizer()
    tokenise = vectorizer.build_tokenizer()
    preprocess = vectorizer.build_preprocessor()
    stop = vectorizer.get_stop_words()
    sequences = set()
    for name, slug in Theme.objects.values_list("name", "slug"):
        for text in (name, slug.replace("-", " ")):
            words = tuple(word for word in tokenise(preprocess(text)) if word not in stop)
            if words:
                sequences.add(words)
    return sorted(sequences)


def _contains(words: tuple[str, ...], part: tuple[str, ...]) -> bool:
    return any(words[i : i + len(part)] == part for i in range(len(words) - len(part) + 1))


def phrase_names_taxonomy(phrase: str, taxonomy: list[tuple[str, ...]]) -> bool:
    """True if the phrase holds a theme's name word for word, or is itself part of one ("social
    care" of "Adult social care"): either way the taxonomy already has a word for it."""
    words = tuple(phrase.split())
    return any(_contains(words, name) or _contains(name, words) for name in taxonomy)


def _pairs(phrase: str) -> set[tuple[str, str]]:
    words = phrase.split()
    return set(zip(words, words[1:], strict=False))


def emerging_phrases(texts: list[str], *, taxonomy: list[tuple[str, ...]]) -> list[tuple[str, int, float]]:
    """The top phrases of 2–3 words in `texts` (one text per debrief) that at least two debriefs
    use and no theme names: (phrase, debriefs using it, summed TF-IDF weight), best first.

    Two words that only ever come inside a three-word phrase are that phrase's, not a phrase of
    their own ("care networks" of "primary care networks", which names a theme), and a phrase
    sharing two words in a row with a better one kept ("care package", "care package delays",
    "package delays discharge") is left out."""
    if len(texts) < EMERGING_MIN_DEBRIEFS:
        return []
    vectorizer = _vectorizer()
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no phrase is used by two debriefs (or the texts are all stop words)
        return []
    phrases = vectorizer.get_feature_names_out()
    scores = matrix.sum(axis=0).A1
    document_counts = (matrix > 0).sum(axis=0).A1
    ranked = sorted(
        (
            (str(phrase), int(n), round(float(score), 6))
            for phrase, n, score in zip(phrases, document_counts, scores, strict=True)
        ),
        key=lambda item: (-item[2], -item[1], item[0]),
    )
    # For each two-word phrase, the most debriefs any three-word phrase holding it is used in.
    inside: Counter = Counter()
    for phrase, n, _score in ranked:
        words = phrase.split()
        if len(words) == 3:
            for part in (" ".join(words[:2]), " ".join(words[1:])):
                inside[part] = max(inside[part], n)
    kept: list[tuple[str, int, float]] = []
    for phrase, n, score in ranked:
        if inside[phrase] == n or phrase_names_taxonomy(phrase, taxonomy):
            continue
        if any(_pairs(phrase) & _pairs(better) for better, _n, _s in kept):
            continue
        kept.append((phrase, n, score))
        if len(kept) == EMERGING_PER_PERIOD:
            break
    return kept


def _rebuild_emerging(kind: str, periods: set[tuple[int, datetime.date]]) -> None:
    EmergingTheme.objects.filter(_rollups_in(kind, periods)).delete()
    field = _start_field(kind)
    texts: dict[tuple[int, datetime.date], list[str]] = defaultdict(list)
    facts = (
        RollupDebriefFact.objects.filter(_facts_in(kind, periods))
        .order_by("debrief_id")
        .values_list("programme_id", field, *(f"debrief__{name}" for name in _EMERGING_TEXT_FIELDS))
    )
    for programme_id, start, *fields in facts:
        texts[(programme_id, start)].append("\n".join(fields))
    taxonomy = taxonomy_word_sequences()
    EmergingTheme.objects.bulk_create(
        EmergingTheme(
            programme_id=programme_id,
            period_kind=kind,
            period_start=start,
            phrase=phrase[:200],
            debrief_count=n,
            score=score,
        )
        for (programme_id, start), group_texts in sorted(texts.items())
        for phrase, n, score in emerging_phrases(group_texts, taxonomy=taxonomy)
    )


# --- The refresh ---------------------------------------------------------------------------------------


def _lock() -> None:
    """Serialise refreshes: the second waits for the first and then finds little or nothing to do.
    SQLite (the embedded default) already takes its one write lock at BEGIN (IMMEDIATE)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])


def _rebuild(groups: set[Group], *, with_next: bool) -> int:
    """Rebuild the roll-ups, quotes and emerging themes of `groups`, and the roll-ups of the
    periods after them (whose `change` reads these); returns how many periods were rebuilt."""
    rebuilt = 0
    for kind in PeriodKind.values:
        periods = {(programme_id, start) for programme_id, k, start in groups if k == kind}
        following = (
            {(programme_id, period_next(kind, start)) for programme_id, start in periods}
            if with_next
            else set()
        )
        if periods | following:
            _rebuild_rollups(kind, periods | following)
        if periods:
            _rebuild_quotes(kind, periods)
            _rebuild_emerging(kind, periods)
        rebuilt += len(periods | following)
    return rebuilt


@transaction.atomic
def theme_rollup_refresh(*, full: bool = False) -> RollupResult:
    """Bring the theme roll-up up to date with the debriefs, in one transaction under a lock.

    Incremental by default: only debriefs whose fact differs from what they are now (new, edited,
    moved on in review, re-themed, deleted, or changed in a dimension) are reprocessed, and only
    the periods they were or are in, plus the period after each, are rebuilt. `full=True` drops
    everything and rebuilds it from the debriefs.
    """
    _lock()
    current, current_themes = _current_facts()
    if full:
        RollupDebriefFact.objects.all().delete()
        ThemeRollup.objects.all().delete()
        ThemeQuote.objects.all().delete()
        EmergingTheme.objects.all().delete()
        _write_facts(current, current_themes, set(current))
        groups = set().union(*(_groups_of(fact) for fact in current.values()))
        result = RollupResult(
            debriefs_reprocessed=len(current), periods_rebuilt=_rebuild(groups, with_next=True)
        )
        logger.info("theme roll-up rebuilt in full: %s", result)
        return result
    stored, stored_themes = _stored_facts()
    changed = {
        pk
        for pk in current.keys() | stored.keys()
        if current.get(pk) != stored.get(pk) or current_themes.get(pk) != stored_themes.get(pk)
    }
    groups: set[Group] = set()
    for pk in changed:
        for fact in (stored.get(pk), current.get(pk)):
            if fact is not None:
                groups |= _groups_of(fact)
    renamed = _groups_with_phrases_now_in_taxonomy()
    if not changed and not renamed:
        return RollupResult(debriefs_reprocessed=0, periods_rebuilt=0)
    _write_facts(current, current_themes, changed)
    rebuilt = _rebuild(groups, with_next=True)
    # Only the emerging themes of these periods are stale; their counts and quotes are not.
    for kind in PeriodKind.values:
        periods = {(p, start) for p, k, start in renamed - groups if k == kind}
        if periods:
            _rebuild_emerging(kind, periods)
            rebuilt += len(periods)
    result = RollupResult(debriefs_reprocessed=len(changed), periods_rebuilt=rebuilt)
    logger.info("theme roll-up refreshed: %s", result)
    return result


def _groups_with_phrases_now_in_taxonomy() -> set[Group]:
    """Periods listing an emerging phrase that a theme added since now names: the team added the
    theme because it emerged, and it should leave the list at once, not when the period next
    changes. (A theme renamed or removed takes effect at the period's next rebuild.)"""
    taxonomy = None
    groups = set()
    for programme_id, kind, start, phrase in EmergingTheme.objects.values_list(
        "programme_id", "period_kind", "period_start", "phrase"
    ):
        taxonomy = taxonomy if taxonomy is not None else taxonomy_word_sequences()
        if phrase_names_taxonomy(phrase, taxonomy):
            groups.add((programme_id, kind, start))
    return groups
