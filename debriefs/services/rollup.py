"""The learning-theme roll-up: debrief themes counted per programme × period × sector × region ×
directorate, with quotes and emerging phrases, kept up to date incrementally.

The roll-up has two layers. `RollupDebriefFact` holds one row per counted debrief with the
dimensions, themes and digests of the text and author it was last counted under, and
`RollupDebriefText` what quotes and phrases take from its text (its excerpt, its words).
`ThemeRollup`, `ThemeQuote` and `EmergingTheme` are built from the facts.

A refresh asks the database which counted debriefs differ from their fact (`updated_at`, status,
consent, the dimensions, the digests and the theme ids: a partner's sector, a participant's
directorate, a theme set or an erased text can change without the debrief's `updated_at` moving)
with anti-joins, so only the differences come back to Python. It rewrites only those facts,
adding new ones and dropping those of debriefs deleted or no longer counted, with
INSERT ... SELECT, and reads only their texts. Then it rebuilds, from the facts:

- the ThemeRollup rows of every cell (programme × period × sector × region × directorate) those
  facts were or are in, and of the same cell in the following period, whose `change` reads it:
  GROUP BY in the database, as a row depends on nothing else;
- the quotes of the quarters those facts were or are in, and of their months: a window function
  in the database;
- the emerging phrases of the months and quarters those facts were or are in, from the stored
  words (numpy, in threads, while the database does the rest).

So the result is by construction what a full rebuild (`full=True`) gives; a test holds the two
together. Nothing reads a whole table into Python: a refresh holds at most the stored words of
the periods it rebuilds (4 bytes a word), and a full rebuild streams the texts in batches.
"""

import datetime
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby, islice, repeat

import numpy as np
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import (
    MD5,
    Cast,
    Coalesce,
    TruncDate,
    TruncMonth,
    TruncQuarter,
)
from django.db.models.lookups import Exact

from connecting.db import copy_rows
from debriefs.models import (
    QUOTABLE_STATUSES,
    ROLLUP_STATUSES,
    SHAREABLE_CONSENTS,
    Debrief,
    DebriefStatus,
    EmergingTheme,
    PeriodKind,
    RollupDebriefFact,
    RollupDebriefText,
    RollupWord,
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
_EMERGING_TEXT_FIELDS = (
    "what_i_saw",
    "what_i_learnt",
    "what_surprised_me",
    "what_works",
    "what_does_not_work",
    "policy_implications",
)
# What `str.strip()` takes off, so that the database strips a text as Python does.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# A fact's columns; `_current_facts` annotates each, as `now_<column>`, with what it should hold.
_FACT_FIELDS = (
    "debrief_id",
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
    "text_digest",
    "author_digest",
    "quoted",
)
_NOW = "now_"
# Debriefs rewritten per statement, and rows per bulk insert: SQLite takes 999 parameters.
_BATCH = 900
_TEXTS_BATCH = 2000
# An incremental refresh finding more debriefs changed than this and than a quarter of the facts
# rebuilds in full: at scale that is the point where the full rebuild costs less.
_FULL_REBUILD_ABOVE = 1000
# A phrase table row's key (phrase and debrief packed in an int64) may use this many bits.
_ROW_KEY_BITS = 63
# Threads scoring emerging phrases, beside the database's work: one keeps a second core busy.
_PHRASE_THREADS = 1

FactThemes = RollupDebriefFact.themes.through
DebriefThemes = Debrief.themes.through
Group = tuple[int, str, datetime.date]  # programme id, period kind, period start
Cell = tuple[int, datetime.date, str, str, str]  # programme id, period start, sector, region, directorate


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


def _batches(items: list, size: int = _BATCH):
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- Facts --------------------------------------------------------------------------------------


class _Strip(Func):
    """The text without what `str.strip()` would take off its ends."""

    function = "TRIM"
    output_field = TextField()

    def __init__(self, expression):
        super().__init__(expression, Value(WHITESPACE))

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="BTRIM", **extra_context)


class _Joined(Func):
    """Texts (none NULL) end to end. Django's Concat nests a pair per text, too deep for SQLite."""

    arg_joiner = " || "
    template = "(%(expressions)s)"
    output_field = TextField()


def _text_digest(prefix: str = "") -> MD5:
    """What quotes and phrases are made of: the debrief's texts, in order, kept apart."""
    parts = []
    for name in _EMERGING_TEXT_FIELDS:
        parts += [F(f"{prefix}{name}"), Value("\x1f")]
    return MD5(_Joined(*parts[:-1]))


def _current_facts() -> QuerySet:
    """Every counted debrief with what its fact should hold now, worked out by the database: each
    fact column as an annotation `now_<column>` (the London date of the visit, its month and
    quarter, the directorate stripped)."""
    starts_at = "booking__slot__starts_at"
    partner = "booking__slot__opportunity__partner__"
    return (
        Debrief.objects.filter(status__in=ROLLUP_STATUSES)
        .order_by()
        .annotate(
            now_debrief_id=F("pk"),
            now_debrief_updated_at=F("updated_at"),
            now_status=F("status"),
            now_consent=F("consent"),
            now_programme_id=F("booking__programme_id"),
            now_visited_on=TruncDate(starts_at),
            now_month_start=Cast(TruncMonth(starts_at, output_field=DateField()), DateField()),
            now_quarter_start=Cast(TruncQuarter(starts_at, output_field=DateField()), DateField()),
            now_sector=F(f"{partner}sector"),
            now_region=F(f"{partner}region"),
            now_directorate=_Strip(Coalesce("booking__participant__directorate", Value(""))),
            now_text_digest=_text_digest(),
            now_author_digest=MD5("booking__participant__full_name"),
            now_quoted=ExpressionWrapper(
                Q(status__in=QUOTABLE_STATUSES, consent__in=SHAREABLE_CONSENTS)
                & (
                    ~Q(Exact(_Strip(F("what_i_learnt")), ""))
                    | ~Q(Exact(_Strip(F("policy_implications")), ""))
                ),
                output_field=BooleanField(),
            ),
        )
    )


def _changed_debrief_ids() -> list[int]:
    """Debriefs whose fact is not what it should be now: new, edited, moved on in review,
    re-themed, changed in a dimension or text, no longer counted or deleted. Anti-joins in the
    database: only the differences come back. Four searches, run side by side where they can be
    (`_side_by_side`)."""
    # The month and quarter follow from the visit's date, and `quoted` from the status, consent and
    # text: comparing them too would only cost time. The text is compared on its own, below: the
    # texts then need not travel through the joins that find the dimensions.
    compared = [f for f in _FACT_FIELDS if f not in ("month_start", "quarter_start", "quoted", "text_digest")]
    same_fact = RollupDebriefFact.objects.filter(**{field: OuterRef(f"{_NOW}{field}") for field in compared})
    counted = Debrief.objects.filter(pk=OuterRef("debrief_id"), status__in=ROLLUP_STATUSES)
    searches = [
        lambda: (
            list(_current_facts().filter(~Exists(same_fact)).values_list("pk", flat=True))
            + list(RollupDebriefFact.objects.filter(~Exists(counted)).values_list("debrief_id", flat=True))
        ),
        lambda: list(
            RollupDebriefFact.objects.annotate(now=_text_digest("debrief__"))
            .exclude(text_digest=F("now"))
            .values_list("debrief_id", flat=True)
        ),
        _rethemed_debrief_ids,
    ]
    return sorted({debrief_id for found in _side_by_side(searches) for debrief_id in found})


def _side_by_side(searches: list) -> list:
    """The results of `searches` (functions that only read): the first here, the others each in a
    thread on a connection of its own, at the same time, when that reads the same rows: on
    PostgreSQL, with nothing written yet in this transaction (the refresh has only taken its
    lock) and no caller's transaction around it, whose writes other connections could not see."""
    if connection.vendor != "postgresql" or len(connection.atomic_blocks) != 1:
        return [search() for search in searches]

    def on_own_connection(search):
        try:
            with transaction.atomic():
                _plan_as_a_batch_job()
                return search()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(searches) - 1) as pool:
        others = [pool.submit(on_own_connection, search) for search in searches[1:]]
        first = searches[0]()
        return [first, *(other.result() for other in others)]


def _rethemed_debrief_ids() -> set[int]:
    """Debriefs with a fact naming a theme the fact lacks, or lacking one it has: the pairs on one
    side only of a full join of both pair tables (one hash join, where grouping both spilled to
    disk). Debriefs without a fact, or no longer counted, are found by `_changed_debrief_ids`."""
    fact, fact_themes, _rollup = _tables()
    debrief_themes = connection.ops.quote_name(DebriefThemes._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT COALESCE(now.debrief_id, counted.debrief_id)
            FROM (
                SELECT dt.debrief_id, dt.theme_id
                FROM {debrief_themes} dt JOIN {fact} f ON f.debrief_id = dt.debrief_id
            ) now
            FULL JOIN (
                SELECT f.debrief_id, ft.theme_id
                FROM {fact_themes} ft JOIN {fact} f ON f.id = ft.rollupdebrieffact_id
            ) counted ON counted.debrief_id = now.debrief_id AND counted.theme_id = now.theme_id
            WHERE now.debrief_id IS NULL OR counted.debrief_id IS NULL
            """  # noqa: S608 - names from the models
        )
        return {debrief_id for (debrief_id,) in cursor.fetchall()}


def _insert_select(model, queryset: QuerySet) -> None:
    """INSERT INTO `model`'s table the rows `queryset` selects (a values_list of annotations named
    `now_<column>`) without their passing through Python."""
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(model._meta.get_field(alias.removeprefix(_NOW)).column) for _, _, alias in compiler.select
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {sql}", params)


def _insert_facts(debrief_ids: list[int] | None) -> None:
    """Write the facts, with their theme ids, of `debrief_ids` (None: every counted debrief)."""
    facts = _current_facts()
    pairs = DebriefThemes.objects.filter(debrief__rollup_fact__isnull=False)
    if debrief_ids is not None:
        facts = facts.filter(pk__in=debrief_ids)
        pairs = pairs.filter(debrief_id__in=debrief_ids)
    _insert_select(RollupDebriefFact, facts.values_list(*(f"{_NOW}{field}" for field in _FACT_FIELDS)))
    pairs = pairs.order_by().annotate(
        now_rollupdebrieffact_id=F("debrief__rollup_fact__id"), now_theme_id=F("theme_id")
    )
    _insert_select(FactThemes, pairs.values_list("now_rollupdebrieffact_id", "now_theme_id"))


def _delete_facts(debrief_ids: list[int]) -> None:
    FactThemes.objects.filter(rollupdebrieffact__debrief_id__in=debrief_ids).delete()
    RollupDebriefText.objects.filter(fact__debrief_id__in=debrief_ids).delete()
    RollupDebriefFact.objects.filter(debrief_id__in=debrief_ids).delete()


def _fact_cells(debrief_ids: list[int]) -> set[tuple]:
    """The (programme, month, quarter, sector, region, directorate) the facts of `debrief_ids` are in."""
    return set(
        RollupDebriefFact.objects.filter(debrief_id__in=debrief_ids)
        .values_list("programme_id", "month_start", "quarter_start", "sector", "region", "directorate")
        .distinct()
    )


def _delete_everything() -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (
            FactThemes,
            RollupDebriefText,
            RollupDebriefFact,
            RollupWord,
            ThemeRollup,
            ThemeQuote,
            EmergingTheme,
        ):
            cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")  # noqa: S608 - model tables


# --- Counts, share and change ---------------------------------------------------------------------


def _tables() -> tuple[str, str, str]:
    quote = connection.ops.quote_name
    return tuple(quote(model._meta.db_table) for model in (RollupDebriefFact, FactThemes, ThemeRollup))


def _insert_rollups(kind: str, ctes: str, params: list) -> None:
    """INSERT the ThemeRollup rows that `ctes` count: `counted` (programme_id, period_start,
    sector, region, directorate, theme_id, debrief_count, previous_count) and `totals` (the
    cell's debriefs, as `total`). The share is the count over the cell's debriefs rounded half up
    to four places, worked in integers (PostgreSQL's SUM of a bigint is a numeric: hence the
    casts) so that both databases round alike."""
    _fact, _fact_themes, rollup = _tables()
    sql = f"""
        WITH {ctes}
        INSERT INTO {rollup} (
            programme_id, period_kind, period_start, sector, region, directorate, theme_id,
            debrief_count, cell_debrief_count, share, previous_count, change
        )
        SELECT c.programme_id, %s, c.period_start, c.sector, c.region, c.directorate, c.theme_id,
               c.debrief_count, COALESCE(n.total, 0),
               CASE WHEN n.total IS NULL OR n.total = 0 THEN 0
                    ELSE ((20000 * c.debrief_count + n.total) / (2 * n.total)) / 10000.0 END,
               c.previous_count, c.debrief_count - c.previous_count
        FROM (
            SELECT programme_id, period_start, sector, region, directorate, theme_id,
                   CAST(debrief_count AS BIGINT) AS debrief_count,
                   CAST(previous_count AS BIGINT) AS previous_count
            FROM counted
        ) c
        LEFT JOIN totals n ON n.programme_id = c.programme_id AND n.period_start = c.period_start
             AND n.sector = c.sector AND n.region = c.region AND n.directorate = c.directorate
    """  # noqa: S608 - names from the models; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, kind])


def _date(day: datetime.date):
    return connection.ops.adapt_datefield_value(day)


def _values(rows: list[tuple]) -> tuple[str, list]:
    """A VALUES list of `rows` with its parameters."""
    placeholders = ", ".join("(" + ", ".join(["%s"] * len(rows[0])) + ")" for _ in rows)
    return f"VALUES {placeholders}", [value for row in rows for value in row]


def _rebuild_all_rollups(kind: str) -> None:
    """Write the ThemeRollup rows of every cell with facts and of the same cell a period later:
    each fact × theme counts in its own period and, as the previous count, in the next one."""
    field = _start_field(kind)
    starts = sorted(set(RollupDebriefFact.objects.order_by().values_list(field, flat=True).distinct()))
    if not starts:
        return
    periods, params = _values([(_date(start), _date(period_next(kind, start))) for start in starts])
    fact, fact_themes, _rollup = _tables()
    start = connection.ops.quote_name(field)
    cell = "programme_id, period_start, sector, region, directorate"
    ctes = f"""
        periods (period_start, next_start) AS ({periods}),
        pairs AS (
            SELECT f.programme_id, f.{start} AS period_start, f.sector, f.region, f.directorate,
                   ft.theme_id, COUNT(*) AS n
            FROM {fact} f JOIN {fact_themes} ft ON ft.rollupdebrieffact_id = f.id
            GROUP BY f.programme_id, f.{start}, f.sector, f.region, f.directorate, ft.theme_id
        ),
        tagged AS (
            SELECT {cell}, theme_id, n AS here, 0 AS earlier FROM pairs
            UNION ALL
            SELECT c.programme_id, p.next_start, c.sector, c.region, c.directorate, c.theme_id, 0, c.n
            FROM pairs c JOIN periods p ON p.period_start = c.period_start
        ),
        counted AS (
            SELECT {cell}, theme_id, SUM(here) AS debrief_count, SUM(earlier) AS previous_count
            FROM tagged GROUP BY {cell}, theme_id
        ),
        totals AS (
            SELECT programme_id, {start} AS period_start, sector, region, directorate, COUNT(*) AS total
            FROM {fact} GROUP BY programme_id, {start}, sector, region, directorate
        )
    """  # noqa: S608 - names from the models; values are parameters
    _insert_rollups(kind, ctes, params)


def _rebuild_rollups(kind: str, cells: set[Cell]) -> None:
    """Replace the ThemeRollup rows of `cells` with rows counted afresh from the facts of each cell
    and of the same cell in the previous period (found by index, a cell at a time)."""
    fact, fact_themes, rollup = _tables()
    start = connection.ops.quote_name(_start_field(kind))
    cell = (
        "f.programme_id = t.programme_id AND f.sector = t.sector AND f.region = t.region"
        " AND f.directorate = t.directorate"
    )
    size = (connection.features.max_query_params or 60_000) // 6
    for batch in _batches(sorted(cells), size):
        keys, key_params = _values([(programme_id, _date(day), *rest) for programme_id, day, *rest in batch])
        target, params = _values(
            [
                (programme_id, _date(day), _date(period_previous(kind, day)), *rest)
                for programme_id, day, *rest in batch
            ]
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {rollup} WHERE period_kind = %s AND "  # noqa: S608 - names from the models
                f"(programme_id, period_start, sector, region, directorate) IN ({keys})",
                [kind, *key_params],
            )
        ctes = f"""
            target (programme_id, period_start, previous_start, sector, region, directorate) AS ({target}),
            tagged AS (
                SELECT t.programme_id, t.period_start, t.sector, t.region, t.directorate, ft.theme_id,
                       1 AS here, 0 AS earlier
                FROM target t
                JOIN {fact} f ON {cell} AND f.{start} = t.period_start
                JOIN {fact_themes} ft ON ft.rollupdebrieffact_id = f.id
                UNION ALL
                SELECT t.programme_id, t.period_start, t.sector, t.region, t.directorate, ft.theme_id,
                       0 AS here, 1 AS earlier
                FROM target t
                JOIN {fact} f ON {cell} AND f.{start} = t.previous_start
                JOIN {fact_themes} ft ON ft.rollupdebrieffact_id = f.id
            ),
            counted AS (
                SELECT programme_id, period_start, sector, region, directorate, theme_id,
                       SUM(here) AS debrief_count, SUM(earlier) AS previous_count
                FROM tagged
                GROUP BY programme_id, period_start, sector, region, directorate, theme_id
            ),
            totals AS (
                SELECT t.programme_id, t.period_start, t.sector, t.region, t.directorate, COUNT(*) AS total
                FROM target t JOIN {fact} f ON {cell} AND f.{start} = t.period_start
                GROUP BY t.programme_id, t.period_start, t.sector, t.region, t.directorate
            )
        """  # noqa: S608 - names from the models; values are parameters
        _insert_rollups(kind, ctes, params)


# --- Quotes ----------------------------------------------------------------------------------------


def _in_periods(periods: set[tuple[int, datetime.date]] | None, *, prefix: str, start: str) -> Q:
    """Rows whose (programme, `start`) is one of `periods` (None: any)."""
    if periods is None:
        return Q()
    by_programme: dict[int, set[datetime.date]] = {}
    for programme_id, day in periods:
        by_programme.setdefault(programme_id, set()).add(day)
    condition = Q(pk__in=[])
    for programme_id, starts in sorted(by_programme.items()):
        condition |= Q(**{f"{prefix}programme_id": programme_id, f"{prefix}{start}__in": sorted(starts)})
    return condition


def _rollups_in(kind: str, periods: set[tuple[int, datetime.date]] | None) -> Q:
    """Output rows (roll-ups, quotes, emerging themes) of `periods` (None: all) of `kind`."""
    return Q(period_kind=kind) & _in_periods(periods, prefix="", start="period_start")


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


def _rebuild_quotes(quarters: set[tuple[int, datetime.date]] | None) -> None:
    """Rebuild the quotes of `quarters` (programme, quarter start; None: all) and of their months:
    up to three per theme of each period, published debriefs first, then the most recent visits.
    Each fact of a debrief that may be quoted holds its excerpt (see `_write_texts`), so the
    database numbers the candidates for both kinds of period in one pass and writes the quotes,
    reading the excerpts of those taken only."""
    quote = connection.ops.quote_name
    fact, fact_themes, _rollup = _tables()
    text, quotes = quote(RollupDebriefText._meta.db_table), quote(ThemeQuote._meta.db_table)
    order = "CASE WHEN f.status = %s THEN 0 ELSE 1 END, f.visited_on DESC, f.debrief_id"
    size = (connection.features.max_query_params or 60_000) // 3 - 10
    for batch in [None] if quarters is None else _batches(sorted(quarters), size):
        where, params = "", []
        if batch is None:
            ThemeQuote.objects.all().delete()
        else:
            values, params = _values([(programme_id, _date(day)) for programme_id, day in batch])
            where = f"AND (f.programme_id, f.quarter_start) IN ({values})"
            stale = Q(pk__in=[])
            for programme_id, day in batch:
                stale |= Q(
                    programme_id=programme_id,
                    period_start__gte=day,
                    period_start__lt=period_next(PeriodKind.QUARTER, day),
                )
            ThemeQuote.objects.filter(stale).delete()
        taken = [
            f"""SELECT r.programme_id, %s, r.{kind}_start, r.theme_id, r.debrief_id, r.{kind}_position,
                       (SELECT t.quote FROM {text} t WHERE t.fact_id = r.id)
                FROM ranked r
                WHERE r.{kind}_position <= %s"""  # noqa: S608 - names from the models
            for kind in PeriodKind.values
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH by_month AS (
                    SELECT f.id, f.programme_id, f.month_start, f.quarter_start, ft.theme_id, f.debrief_id,
                           f.status, f.visited_on,
                           ROW_NUMBER() OVER (
                               PARTITION BY f.programme_id, f.month_start, ft.theme_id ORDER BY {order}
                           ) AS month_position
                    FROM {fact} f
                    JOIN {fact_themes} ft ON ft.rollupdebrieffact_id = f.id
                    WHERE f.quoted {where}
                ),
                -- A quarter's first three are each among their month's first three (at most two
                -- come before them in the quarter, so in their month), so only those are ranked again.
                ranked AS (
                    SELECT f.*, ROW_NUMBER() OVER (
                               PARTITION BY f.programme_id, f.quarter_start, f.theme_id ORDER BY {order}
                           ) AS quarter_position
                    FROM by_month f
                    WHERE f.month_position <= %s
                )
                INSERT INTO {quotes} (programme_id, period_kind, period_start, theme_id, debrief_id, position, text)
                {taken[0]}
                UNION ALL
                {taken[1]}
                """,  # noqa: S608 - names from the models; values are parameters
                [
                    DebriefStatus.PUBLISHED,
                    *params,
                    DebriefStatus.PUBLISHED,
                    QUOTES_PER_THEME,
                    *(value for kind in PeriodKind.values for value in (kind, QUOTES_PER_THEME)),
                ],
            )


# --- Emerging themes ----------------------------------------------------------------------------------


# scikit-learn's ENGLISH_STOP_WORDS and token pattern (TfidfVectorizer(stop_words="english")),
# copied so that a refresh need not import scikit-learn (a second and 90 MB); a test holds them
# to scikit-learn's.
STOP_WORDS = frozenset(
    """
a about above across after afterwards again against all almost alone along already also although
always am among amongst amoungst amount an and another any anyhow anyone anything anyway
anywhere are around as at back be became because become becomes becoming been before beforehand
behind being below beside besides between beyond bill both bottom but by call can cannot cant co
con could couldnt cry de describe detail do done down due during each eg eight either eleven
else elsewhere empty enough etc even ever every everyone everything everywhere except few
fifteen fifty fill find fire first five for former formerly forty found four from front full
further get give go had has hasnt have he hence her here hereafter hereby herein hereupon hers
herself him himself his how however hundred i ie if in inc indeed interest into is it its itself
keep last latter latterly least less ltd made many may me meanwhile might mill mine more
moreover most mostly move much must my myself name namely neither never nevertheless next nine
no nobody none noone nor not nothing now nowhere of off often on once one only onto or other
others otherwise our ours ourselves out over own part per perhaps please put rather re same see
seem seemed seeming seems serious several she should show side since sincere six sixty so some
somehow someone something sometime sometimes somewhere still such system take ten than that the
their them themselves then thence there thereafter thereby therefore therein thereupon these
they thick thin third this those though three through throughout thru thus to together too top
toward towards twelve twenty two un under until up upon us very via was we well were what
whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever
whether which while whither who whoever whole whom whose why will with within without would yet
you your yours yourself yourselves
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Words of two or more letters or digits, as scikit-learn's default token pattern `\b\w\w+\b` finds
# them: a match runs to the end of its run of word characters, so the boundaries are implied
# (and checking them costs a fifth of the time).
_TOKEN = re.compile(r"\w\w+")
# What `_Vocabulary.encode` finds for a stop word, and for a word it has not met.
_STOP, _UNSEEN = -1, -2


def analysed_words(text: str) -> list[str]:
    """The words the phrase finder reads in `text`: lower case, two or more letters or digits, stop
    words dropped."""
    return [word for word in _TOKEN.findall(text.lower()) if word not in STOP_WORDS]


def taxonomy_word_sequences() -> list[tuple[str, ...]]:
    """Each theme's name and slug as the words the phrase finder sees (stop words dropped)."""
    sequences = set()
    for name, slug in Theme.objects.values_list("name", "slug"):
        for text in (name, slug.replace("-", " ")):
            words = tuple(analysed_words(text))
            if words:
                sequences.add(words)
    return sorted(sequences)


class Taxonomy:
    """The theme names as the phrase finder sees them (`taxonomy_word_sequences`), to tell at once
    whether a phrase holds one or is part of one (see `phrase_names_taxonomy`)."""

    def __init__(self, sequences: list[tuple[str, ...]]):
        self.names = set(sequences)
        self.parts = {
            name[i:j] for name in sequences for i in range(len(name)) for j in range(i + 1, len(name) + 1)
        }

    def names_phrase(self, words: tuple[str, ...]) -> bool:
        return words in self.parts or any(
            words[i:j] in self.names for i in range(len(words)) for j in range(i + 1, len(words) + 1)
        )


def phrase_names_taxonomy(phrase: str, taxonomy: list[tuple[str, ...]]) -> bool:
    """True if the phrase holds a theme's name word for word, or is itself part of one ("social
    care" of "Adult social care"): either way the taxonomy already has a word for it."""
    return Taxonomy(taxonomy).names_phrase(tuple(phrase.split()))


def _first_of_runs(values: np.ndarray) -> np.ndarray:
    """True where a sorted array's value differs from the one before."""
    first = np.ones(len(values), dtype=bool)
    np.not_equal(values[1:], values[:-1], out=first[1:])
    return first


@dataclass(frozen=True)
class PhraseTable:
    """The 2- and 3-word phrases of some debriefs, as scikit-learn's TfidfVectorizer(ngram_range=
    (2, 3), stop_words="english") counts them, in numpy rather than Python dictionaries.

    `phrases` holds each phrase once, its words' numbers (1 and up; 0 for no third word) packed
    `bits` apart, sorted: the words are numbered in alphabetical order, so this is the phrases'
    alphabetical order too. Each row is one debrief's use of one phrase (`doc`, `phrase` an index
    into `phrases`, `count`), ordered by phrase and then debrief, so every sum below adds the same
    numbers in the same order however the debriefs were read.
    """

    phrases: np.ndarray
    bits: int
    words: list[str]
    doc: np.ndarray
    phrase: np.ndarray
    count: np.ndarray
    n_docs: int

    @classmethod
    def build(cls, tokens: np.ndarray, lengths: np.ndarray, words: list[str]) -> "PhraseTable":
        """`tokens`: every debrief's words one after the other, as indexes into `words` (sorted);
        `lengths`: how many words each debrief has."""
        n_docs = len(lengths)
        present = np.zeros(len(words), dtype=bool)
        present[tokens] = True
        used = np.flatnonzero(present)
        number = np.zeros(len(words), dtype=np.int64)  # the words present, numbered from 1 alphabetically
        number[used] = np.arange(1, len(used) + 1)
        number = number[tokens]
        bits = len(used).bit_length()
        if 3 * bits > 63:
            raise ValueError("More than two million distinct words in one period.")
        two = np.ones(max(len(tokens) - 1, 0), dtype=bool)  # a phrase of two words starts here
        ends = np.cumsum(lengths)
        two[ends[(ends > 0) & (ends < len(tokens))] - 1] = False  # ... unless a debrief ends here
        three = two[:-1] & two[1:]
        doc = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
        pairs = (number[:-1] << 2 * bits) | (number[1:] << bits)
        keys = np.concatenate((pairs[two], pairs[:-1][three] | number[2:][three]))
        doc_bits = max(n_docs - 1, 0).bit_length()
        distinct = None
        if 3 * bits + doc_bits > _ROW_KEY_BITS:  # rare: number the phrases first, so the key fits
            distinct, keys = np.unique(keys, return_inverse=True)
        rows = keys << doc_bits
        rows |= np.concatenate((doc[:-1][two], doc[:-2][three]))
        rows.sort()
        first = np.flatnonzero(_first_of_runs(rows))
        count = np.diff(first, append=len(rows)).astype(np.float64)
        rows = rows[first]
        phrase_keys = rows >> doc_bits
        new_phrase = _first_of_runs(phrase_keys)
        phrases = phrase_keys[new_phrase]
        return cls(
            phrases=phrases if distinct is None else distinct[phrases],
            bits=bits,
            words=[words[i] for i in used],
            doc=rows & ((1 << doc_bits) - 1),
            phrase=np.cumsum(new_phrase) - 1,
            count=count,
            n_docs=n_docs,
        )

    def scores(self, group_of_doc: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """TF-IDF as scikit-learn computes it for each group of debriefs on its own (smooth idf,
        phrases used by fewer than EMERGING_MIN_DEBRIEFS debriefs of the group dropped, each
        debrief's vector scaled to length 1): per group × phrase, the debriefs using the phrase and
        its weights summed over the group; and the debriefs of each group."""
        width = len(self.phrases)
        key = self.phrase
        if n_groups > 1:
            key = group_of_doc[self.doc] * width
            key += self.phrase
        used_by = np.bincount(key, minlength=n_groups * width)
        docs_in = np.bincount(group_of_doc, minlength=n_groups)
        idf = np.log((np.repeat(docs_in, width) + 1) / (used_by + 1)) + 1
        idf[used_by < EMERGING_MIN_DEBRIEFS] = 0.0
        weight = idf[key]
        weight *= self.count
        norm = np.sqrt(np.bincount(self.doc, weight * weight, minlength=self.n_docs))
        norm[norm == 0] = 1.0
        weight /= norm[self.doc]
        score = np.bincount(key, weight, minlength=n_groups * width)
        return used_by.reshape(n_groups, width), score.reshape(n_groups, width), docs_in

    def _numbers(self, index: int) -> tuple[int, ...]:
        key, mask = int(self.phrases[index]), (1 << self.bits) - 1
        numbers = (key >> 2 * self.bits, (key >> self.bits) & mask, key & mask)
        return numbers if numbers[2] else numbers[:2]

    def top(
        self, used_by: np.ndarray, score: np.ndarray, n_docs: int, taxonomy: Taxonomy
    ) -> list[tuple[str, int, float]]:
        """The group's emerging phrases (see `emerging_phrases`) from its row of `scores`."""
        if n_docs < EMERGING_MIN_DEBRIEFS:
            return []
        candidates = np.flatnonzero(used_by >= EMERGING_MIN_DEBRIEFS)
        if not len(candidates):
            return []
        mask = (1 << self.bits) - 1
        # For each two-word phrase, the most debriefs any three-word phrase holding it is used in.
        keys = self.phrases[candidates]
        triples = candidates[(keys & mask) != 0]
        keys = self.phrases[triples]
        middle = (keys >> self.bits) & mask
        first_two = (keys >> 2 * self.bits << 2 * self.bits) | (middle << self.bits)
        last_two = (middle << 2 * self.bits) | ((keys & mask) << self.bits)
        inside = np.zeros(len(self.phrases), dtype=np.int64)
        for pair in (first_two, last_two):
            np.maximum.at(inside, np.searchsorted(self.phrases, pair), used_by[triples])
        # Best first: by score as stored (six places), then by debriefs, then alphabetically. The
        # rounding keeps the order of the raw scores, so equal rounded scores come together.
        order = candidates[np.argsort(-score[candidates], kind="stable")].tolist()
        kept: list[tuple[str, int, float]] = []
        kept_pairs: set[tuple[str, str]] = set()
        position = 0
        while position < len(order) and len(kept) < EMERGING_PER_PERIOD:
            rounded = round(float(score[order[position]]), 6)
            end = position + 1
            while end < len(order) and round(float(score[order[end]]), 6) == rounded:
                end += 1
            for index in sorted(order[position:end], key=lambda i: (-int(used_by[i]), i)):
                n = int(used_by[index])
                if inside[index] == n:
                    continue
                words = tuple(self.words[number - 1] for number in self._numbers(index))
                pairs = set(zip(words, words[1:], strict=False))
                if pairs & kept_pairs or taxonomy.names_phrase(words):
                    continue
                kept.append((" ".join(words), n, rounded))
                kept_pairs |= pairs
                if len(kept) == EMERGING_PER_PERIOD:
                    break
            position = end
        return kept


def emerging_phrases(texts: list[str], *, taxonomy: list[tuple[str, ...]]) -> list[tuple[str, int, float]]:
    """The top phrases of 2–3 words in `texts` (one text per debrief) that at least two debriefs
    use and no theme names: (phrase, debriefs using it, summed TF-IDF weight), best first.

    Two words that only ever come inside a three-word phrase are that phrase's, not a phrase of
    their own ("care networks" of "primary care networks", which names a theme), and a phrase
    sharing two words in a row with a better one kept ("care package", "care package delays",
    "package delays discharge") is left out."""
    analysed = [analysed_words(text) for text in texts]
    words = sorted(set().union(*analysed))
    index = {word: i for i, word in enumerate(words)}
    tokens = np.array([index[word] for text in analysed for word in text], dtype=np.int64)
    table = PhraseTable.build(tokens, np.array([len(text) for text in analysed], dtype=np.int64), words)
    used_by, score, docs_in = table.scores(np.zeros(len(texts), dtype=np.int64), 1)
    return table.top(used_by[0], score[0], len(texts), Taxonomy(taxonomy))


class _Vocabulary:
    """The `RollupWord`s, loaded once per refresh. A word met for the first time gets the next id;
    `save()` stores the new ones."""

    def __init__(self, words: dict[str, int]):
        self.ids = words
        self.first_new = max(words.values(), default=-1) + 1
        # New ids are len(ids) + gap: consecutive from first_new even if an id was ever lost.
        self.gap = self.first_new - len(words)
        # Every word `encode` has met: its id, or _STOP for a stop word (a word that became one
        # since it was stored included).
        self._seen = {**words, **dict.fromkeys(STOP_WORDS, _STOP)}

    @classmethod
    def load(cls) -> "_Vocabulary":
        return cls(dict(RollupWord.objects.values_list("word", "pk")))

    def encode(self, text: str) -> bytes:
        """The ids of the words the phrase finder reads in `text` (see `analysed_words`); a word
        met for the first time gets the next id, in the order the words come."""
        words = _TOKEN.findall(text.lower())
        # Looked up in C (`map`): the refresh meets about 12 million words at national scale.
        found = np.fromiter(map(self._seen.get, words, repeat(_UNSEEN)), dtype=np.int64, count=len(words))
        for i in np.flatnonzero(found == _UNSEEN):
            word = words[i]
            if word not in self._seen:  # not met earlier in this same text
                self.ids[word] = self._seen[word] = len(self.ids) + self.gap
            found[i] = self._seen[word]
        return found[found != _STOP].astype("<u4").tobytes()

    def save(self) -> None:
        RollupWord.objects.bulk_create(
            (RollupWord(pk=pk, word=word) for word, pk in self.ids.items() if pk >= self.first_new),
            batch_size=_TEXTS_BATCH,
        )
        self.first_new = len(self.ids) + self.gap

    def alphabetical(self) -> tuple[np.ndarray, list[str]]:
        """Each id's place in alphabetical order, and the words in that order."""
        words = sorted(self.ids)
        place = np.zeros(len(self.ids) + self.gap, dtype=np.int64)
        place[[self.ids[word] for word in words]] = np.arange(len(words))
        return place, words


def _write_texts(facts: QuerySet, vocabulary: _Vocabulary) -> None:
    """Store what the roll-up takes from the texts of `facts`' debriefs (see `RollupDebriefText`),
    a batch at a time so that memory stays bounded. The excerpt is made only for a debrief that
    may be quoted: any change of status or consent rewrites the fact, and this with it."""
    rows = (
        facts.order_by()
        .values_list(
            "pk",
            "status",
            "consent",
            "debrief__booking__participant__full_name",
            *(f"debrief__{name}" for name in _EMERGING_TEXT_FIELDS),
        )
        .iterator(chunk_size=_TEXTS_BATCH)
    )
    learnt = _EMERGING_TEXT_FIELDS.index("what_i_learnt")
    implications = _EMERGING_TEXT_FIELDS.index("policy_implications")

    def text_rows():
        for pk, status, consent, name, *texts in rows:
            source = ""
            if status in QUOTABLE_STATUSES and consent in SHAREABLE_CONSENTS:
                source = texts[learnt].strip() or texts[implications].strip()
            quote = quote_excerpt(source, author_name=name) if source else ""
            yield pk, vocabulary.encode("\n".join(texts)), quote

    if connection.vendor == "postgresql":
        meta = RollupDebriefText._meta
        copy_rows(
            meta.db_table, [meta.get_field(name).column for name in ("fact", "words", "quote")], text_rows()
        )
        return
    written = (RollupDebriefText(fact_id=pk, words=words, quote=quote) for pk, words, quote in text_rows())
    while batch := list(islice(written, _TEXTS_BATCH)):
        RollupDebriefText.objects.bulk_create(batch)


@contextmanager
def _emerging_rebuilt(groups: set[Group] | None, vocabulary: _Vocabulary):
    """Rebuild the emerging phrases of `groups` (None: all) from the facts' stored words around the
    caller's `with` block, which must leave the words alone: the words are read first, one quarter
    of one programme at a time (its phrases are counted once and each month is scored from the
    quarter's table); a thread scores them while the block works in the database (numpy lets go of
    the interpreter while it sorts and counts); the phrases are written when the block ends."""
    if groups is None:
        EmergingTheme.objects.all().delete()
        quarters = None
    else:
        for kind in PeriodKind.values:
            periods = {(programme_id, start) for programme_id, k, start in groups if k == kind}
            if periods:
                EmergingTheme.objects.filter(_rollups_in(kind, periods)).delete()
        quarters = {
            (programme_id, period_start_for(PeriodKind.QUARTER, start))
            for programme_id, _kind, start in groups
        }
    place, words = vocabulary.alphabetical()
    taxonomy = Taxonomy(taxonomy_word_sequences())
    with ThreadPoolExecutor(max_workers=_PHRASE_THREADS) as pool:
        scoring = [
            (programme_id, pool.submit(_quarter_phrases, quarter, *docs, place, words, taxonomy))
            for programme_id, quarter, *docs in _quarters_words(quarters)
        ]
        yield
        created = [
            EmergingTheme(
                programme_id=programme_id,
                period_kind=kind,
                period_start=start,
                phrase=phrase[:200],
                debrief_count=n,
                score=score,
            )
            for programme_id, future in scoring
            for (kind, start), phrases in future.result().items()
            if groups is None or (programme_id, kind, start) in groups
            for phrase, n, score in phrases
        ]
    EmergingTheme.objects.bulk_create(created, batch_size=1000)


def _quarters_words(quarters: set[tuple[int, datetime.date]] | None):
    """For each quarter of `quarters` (None: all) with debriefs, one at a time: programme id,
    quarter, its months with debriefs, and for its debriefs in debrief order the month of each
    (an index into those months), how many words each has and all their words (ids) end to end."""
    if quarters is not None and not quarters:
        return
    if connection.vendor != "postgresql":
        quarter_of = "fact__programme_id", "fact__quarter_start"
        rows = (
            RollupDebriefText.objects.filter(_in_periods(quarters, prefix="fact__", start="quarter_start"))
            .order_by(*quarter_of, "fact__debrief_id")
            .values_list(*quarter_of, "fact__month_start", "words")
            .iterator(chunk_size=_TEXTS_BATCH)
        )
        for (programme_id, quarter), docs in groupby(rows, key=lambda row: row[:2]):
            docs = [(month, bytes(blob)) for _p, _q, month, blob in docs]
            months = sorted({month for month, _blob in docs})
            yield (
                programme_id,
                quarter,
                months,
                np.array([months.index(month) for month, _blob in docs], dtype=np.int64),
                np.array([len(blob) // 4 for _month, blob in docs], dtype=np.int64),
                np.frombuffer(b"".join(blob for _month, blob in docs), dtype="<u4"),
            )
        return
    # PostgreSQL puts each quarter together: a row a quarter instead of one a debrief. Its
    # aggregates take the rows in one order, though not the debriefs': sorting here costs less
    # than four ordered aggregates. A month is its distance from the quarter in days.
    fact, _fact_themes, _rollup = _tables()
    texts = connection.ops.quote_name(RollupDebriefText._meta.db_table)
    where, params = "", []
    if quarters is not None:
        where, params = _values([(programme_id, quarter) for programme_id, quarter in sorted(quarters)])
        where = f"WHERE (f.programme_id, f.quarter_start) IN ({where})"
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            f"""
            SELECT f.programme_id, f.quarter_start, array_agg(f.debrief_id),
                   array_agg(f.month_start - f.quarter_start), array_agg(octet_length(t.words)),
                   string_agg(t.words, ''::bytea)
            FROM {texts} t JOIN {fact} f ON f.id = t.fact_id
            {where}
            GROUP BY f.programme_id, f.quarter_start
            """,  # noqa: S608 - names from the models; values are parameters
            params,
        )
        while rows := cursor.fetchmany(1):
            programme_id, quarter, debrief_ids, days, sizes, blob = rows[0]
            order = np.argsort(np.array(debrief_ids))
            sizes = np.array(sizes, dtype=np.int64) // 4
            lengths = sizes[order]
            picked = np.repeat((np.cumsum(sizes) - sizes)[order] - (np.cumsum(lengths) - lengths), lengths)
            picked += np.arange(len(picked))
            offsets, month_of_doc = np.unique(np.array(days)[order], return_inverse=True)
            months = [quarter + datetime.timedelta(days=int(offset)) for offset in offsets]
            ids = np.frombuffer(bytes(blob), dtype="<u4")[picked]
            yield programme_id, quarter, months, month_of_doc, lengths, ids


def _quarter_phrases(
    quarter: datetime.date,
    months: list[datetime.date],
    month_of_doc: np.ndarray,
    lengths: np.ndarray,
    ids: np.ndarray,
    place: np.ndarray,
    words: list[str],
    taxonomy: Taxonomy,
) -> dict[tuple[str, datetime.date], list[tuple[str, int, float]]]:
    """The emerging phrases of a quarter and of each of its months (see `_quarters_words`; `place`
    and `words` are the vocabulary's alphabetical order): the phrases are counted once, for the
    quarter, and each month is scored from the quarter's table."""
    table = PhraseTable.build(place[ids], lengths, words)
    used_by, score, docs_in = table.scores(np.zeros(len(lengths), dtype=np.int64), 1)
    found = {(PeriodKind.QUARTER, quarter): table.top(used_by[0], score[0], int(docs_in[0]), taxonomy)}
    used_by, score, docs_in = table.scores(month_of_doc, len(months))
    for i, month in enumerate(months):
        found[(PeriodKind.MONTH, month)] = table.top(used_by[i], score[i], int(docs_in[i]), taxonomy)
    return found


def _groups_with_phrases_now_in_taxonomy() -> set[Group]:
    """Periods listing an emerging phrase that a theme added since now names: the team added the
    theme because it emerged, and it should leave the list at once, not when the period next
    changes. (A theme renamed or removed takes effect at the period's next rebuild.)"""
    taxonomy = None
    groups = set()
    for programme_id, kind, start, phrase in EmergingTheme.objects.values_list(
        "programme_id", "period_kind", "period_start", "phrase"
    ):
        taxonomy = taxonomy if taxonomy is not None else Taxonomy(taxonomy_word_sequences())
        if taxonomy.names_phrase(tuple(phrase.split())):
            groups.add((programme_id, kind, start))
    return groups


# --- The refresh ---------------------------------------------------------------------------------------


def _lock() -> None:
    """Serialise refreshes: the second waits for the first and then finds little or nothing to do.
    SQLite (the embedded default) already takes its one write lock at BEGIN (IMMEDIATE). On
    PostgreSQL, also set this transaction up for a batch job."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
        _plan_as_a_batch_job()


def _plan_as_a_batch_job() -> None:
    """Settings for the rest of this PostgreSQL transaction."""
    with connection.cursor() as cursor:
        # Compiling the refresh's queries just in time costs more than it saves (0.2 s each).
        cursor.execute("SET LOCAL jit = off")
        # Its sorts and hashes (of at most the facts × themes of the periods) stay in memory.
        cursor.execute("SET LOCAL work_mem = %s", ["32MB"])
        # It reads every row a server-side cursor gives: plan for all, not for the first.
        cursor.execute("SET LOCAL cursor_tuple_fraction = 1")


def _periods_rebuilt(groups: set[Group]) -> int:
    """How many periods a rebuild of `groups` rewrites: each, and the period after it."""
    rebuilt = set()
    for programme_id, kind, start in groups:
        rebuilt |= {(programme_id, kind, start), (programme_id, kind, period_next(kind, start))}
    return len(rebuilt)


def _rebuild_everything() -> RollupResult:
    """Drop every roll-up row and build it all again from the debriefs."""
    _delete_everything()
    _insert_facts(None)
    vocabulary = _Vocabulary({})
    _write_texts(RollupDebriefFact.objects.all(), vocabulary)
    vocabulary.save()
    with _emerging_rebuilt(None, vocabulary):
        for kind in PeriodKind.values:
            _rebuild_all_rollups(kind)
        _rebuild_quotes(None)
    groups = {
        (programme_id, kind, start)
        for kind in PeriodKind.values
        for programme_id, start in RollupDebriefFact.objects.order_by()
        .values_list("programme_id", _start_field(kind))
        .distinct()
    }
    return RollupResult(
        debriefs_reprocessed=RollupDebriefFact.objects.count(), periods_rebuilt=_periods_rebuilt(groups)
    )


@transaction.atomic
def theme_rollup_refresh(*, full: bool = False) -> RollupResult:
    """Bring the theme roll-up up to date with the debriefs, in one transaction under a lock.

    Incremental by default: only debriefs whose fact differs from what they are now (new, edited,
    moved on in review, re-themed, deleted, or changed in a dimension or text) are reprocessed;
    the roll-up cells they were or are in, and the same cells a period later, are recounted, and
    the quotes and emerging phrases of their periods rebuilt. `periods_rebuilt` counts the
    periods touched plus the period after each. `full=True` (or changes to more than a quarter of
    the facts) drops everything and rebuilds it from the debriefs.
    """
    _lock()
    changed = [] if full else _changed_debrief_ids()
    # Rewriting most facts a batch at a time (in the first refresh after a release that changed
    # what a fact holds, say) costs more time and memory than rebuilding them all.
    if full or (len(changed) > _FULL_REBUILD_ABOVE and len(changed) > RollupDebriefFact.objects.count() // 4):
        result = _rebuild_everything()
        logger.info("theme roll-up rebuilt in full (%s changed): %s", len(changed), result)
        return result
    renamed = _groups_with_phrases_now_in_taxonomy()
    if not changed and not renamed:
        return RollupResult(debriefs_reprocessed=0, periods_rebuilt=0)
    vocabulary = _Vocabulary.load()
    touched: set[tuple] = set()  # (programme, month, quarter, sector, region, directorate), before and after
    for batch in _batches(changed):
        touched |= _fact_cells(batch)
        _delete_facts(batch)
        _insert_facts(batch)
        touched |= _fact_cells(batch)
        _write_texts(RollupDebriefFact.objects.filter(debrief_id__in=batch), vocabulary)
    vocabulary.save()
    cells = {}
    for kind in PeriodKind.values:
        column = 1 if kind == PeriodKind.MONTH else 2
        cells[kind] = {(row[0], row[column], *row[3:]) for row in touched}
    groups = {(programme_id, kind, start) for kind in cells for programme_id, start, *_cell in cells[kind]}
    # Only the emerging phrases of the renamed periods are stale; their counts and quotes are not.
    with _emerging_rebuilt(groups | renamed, vocabulary):
        for kind, kind_cells in cells.items():
            following = {
                (programme_id, period_next(kind, start), *cell) for programme_id, start, *cell in kind_cells
            }
            _rebuild_rollups(kind, kind_cells | following)
        _rebuild_quotes({(row[0], row[2]) for row in touched})
    result = RollupResult(
        debriefs_reprocessed=len(changed), periods_rebuilt=_periods_rebuilt(groups) + len(renamed - groups)
    )
    logger.info("theme roll-up refreshed: %s", result)
    return result
