"""Reading the learning-theme roll-up: the themes page, and the themes that moved for the weekly
digest. Everything here reads the roll-up tables (`debriefs.services.rollup` writes them), never
the debriefs themselves, so a page costs the same few queries whatever the numbers."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Q, Sum
from django.db.models.functions import Abs
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from debriefs.models import EmergingTheme, PeriodKind, RollupDebriefFact, ThemeQuote, ThemeRollup
from placements.models import Programme

_PERCENT = Decimal("0.1")


@dataclass(frozen=True)
class ThemeMovement:
    theme_name: str
    count: int
    previous_count: int
    change: int


@dataclass(frozen=True)
class ThemeQuoteRow:
    text: str
    programme_name: str


@dataclass(frozen=True)
class ThemeSummaryRow:
    theme_id: int
    theme_name: str
    count: int
    previous_count: int
    change: int
    # Percent of the debriefs counted in the selection that name the theme, to one decimal place.
    share_percent: Decimal
    quotes: tuple[ThemeQuoteRow, ...] = ()

    @property
    def change_label(self) -> str:
        """+3, −2 (a real minus sign) or 0."""
        if self.change > 0:
            return f"+{self.change}"
        if self.change < 0:
            return f"\u2212{-self.change}"
        return "0"


@dataclass(frozen=True)
class EmergingPhrase:
    phrase: str
    debrief_count: int
    score: float


@dataclass(frozen=True)
class RollupPeriod:
    kind: str
    start: datetime.date

    @property
    def value(self) -> str:
        """How the period travels in a query string: 2026-03 for a month, 2026-Q1 for a quarter."""
        if self.kind == PeriodKind.MONTH:
            return self.start.strftime("%Y-%m")
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return date_format(self.start, "F Y")
        end = datetime.date(self.start.year, self.start.month + 2, 1)
        return _("%(first)s to %(last)s") % {
            "first": date_format(self.start, "F"),
            "last": date_format(end, "F Y"),
        }


def _previous_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def theme_movers(*, today: datetime.date, limit: int = 5) -> list[ThemeMovement]:
    """The themes whose debrief count moved most between the latest complete month before `today`
    and the month before that, over every programme, sector, region and directorate: largest
    move first (up or down), then by name; themes that did not move are left out."""
    month = _previous_month(today)
    rows = (
        ThemeRollup.objects.filter(period_kind=PeriodKind.MONTH, period_start=month)
        .values("theme_id", "theme__name")
        .annotate(count=Sum("debrief_count"), previous_count=Sum("previous_count"), change=Sum("change"))
        .exclude(change=0)
        .order_by(Abs("change").desc(), "theme__name", "theme_id")[:limit]
    )
    return [
        ThemeMovement(
            theme_name=row["theme__name"],
            count=row["count"],
            previous_count=row["previous_count"],
            change=row["change"],
        )
        for row in rows
    ]


def rollup_period_list() -> list[RollupPeriod]:
    """The months and quarters with counted debriefs, latest first within each kind."""
    months = (
        RollupDebriefFact.objects.values_list("month_start", flat=True).distinct().order_by("-month_start")
    )
    quarters = (
        RollupDebriefFact.objects.values_list("quarter_start", flat=True)
        .distinct()
        .order_by("-quarter_start")
    )
    return [RollupPeriod(PeriodKind.MONTH, start) for start in months] + [
        RollupPeriod(PeriodKind.QUARTER, start) for start in quarters
    ]


def rollup_directorate_list() -> list[str]:
    return list(
        RollupDebriefFact.objects.exclude(directorate="")
        .values_list("directorate", flat=True)
        .distinct()
        .order_by("directorate")
    )


def _selection(*, programme, period_kind, period_start, **cell) -> Q:
    condition = Q(period_kind=period_kind, period_start=period_start)
    if programme is not None:
        condition &= Q(programme=programme)
    return condition & Q(**{name: value for name, value in cell.items() if value})


def _debriefs_counted(*, programme, period_kind, period_start, sector, region, directorate) -> int:
    facts = RollupDebriefFact.objects.filter(**{f"{period_kind}_start": period_start})
    if programme is not None:
        facts = facts.filter(programme=programme)
    cell = {"sector": sector, "region": region, "directorate": directorate}
    return facts.filter(**{name: value for name, value in cell.items() if value}).count()


def theme_rollup_summary(
    *,
    programme: Programme | None = None,
    period_kind: str = PeriodKind.MONTH,
    period_start: datetime.date | None = None,
    sector: str = "",
    region: str = "",
    directorate: str = "",
) -> dict:
    """The themes of one period (of one programme, or all): each theme's debrief count, share of
    the debriefs counted, change against the previous period, and up to three quotes.

    Returns {"debriefs": n, "rows": [ThemeSummaryRow, ...]}, most-named theme first. Sector,
    region and directorate narrow the counts; quotes are the period's, whichever cell they are in.
    Three queries whatever the number of themes.
    """
    if period_start is None:
        return {"debriefs": 0, "rows": []}
    cell = {"sector": sector, "region": region, "directorate": directorate}
    selection = _selection(programme=programme, period_kind=period_kind, period_start=period_start, **cell)
    counted = _debriefs_counted(
        programme=programme, period_kind=period_kind, period_start=period_start, **cell
    )
    totals = (
        ThemeRollup.objects.filter(selection)
        .values("theme_id", "theme__name")
        .annotate(count=Sum("debrief_count"), previous_count=Sum("previous_count"), change=Sum("change"))
        .order_by("-count", "theme__name", "theme_id")
    )
    totals = list(totals)
    quotes = defaultdict(list)
    quote_rows = (
        ThemeQuote.objects.filter(
            _selection(programme=programme, period_kind=period_kind, period_start=period_start),
            theme_id__in=[row["theme_id"] for row in totals],
        )
        .annotate(programme_name=F("programme__name"))
        .order_by("theme_id", "position", "programme_name", "pk")
        .values_list("theme_id", "text", "programme_name")
    )
    for theme_id, text, programme_name in quote_rows:
        if len(quotes[theme_id]) < 3:
            quotes[theme_id].append(ThemeQuoteRow(text=text, programme_name=programme_name))
    rows = [
        ThemeSummaryRow(
            theme_id=row["theme_id"],
            theme_name=row["theme__name"],
            count=row["count"],
            previous_count=row["previous_count"],
            change=row["change"],
            share_percent=(
                (Decimal(100 * row["count"]) / counted).quantize(_PERCENT, rounding=ROUND_HALF_UP)
                if counted
                else Decimal("0.0")
            ),
            quotes=tuple(quotes[row["theme_id"]]),
        )
        for row in totals
    ]
    return {"debriefs": counted, "rows": rows}


def emerging_theme_list(
    *,
    programme: Programme | None = None,
    period_kind: str = PeriodKind.MONTH,
    period_start: datetime.date | None = None,
    limit: int = 10,
) -> list[EmergingPhrase]:
    """The phrases debriefs of the period use that the taxonomy does not name, strongest first.
    Over all programmes a phrase found in several is listed once, with its counts added up."""
    if period_start is None:
        return []
    rows = (
        EmergingTheme.objects.filter(
            _selection(programme=programme, period_kind=period_kind, period_start=period_start)
        )
        .values("phrase")
        .annotate(debriefs=Sum("debrief_count"), total_score=Sum("score"))
        .order_by("-total_score", "phrase")[:limit]
    )
    return [
        EmergingPhrase(
            phrase=row["phrase"], debrief_count=row["debriefs"], score=round(row["total_score"], 3)
        )
        for row in rows
    ]
