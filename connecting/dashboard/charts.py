"""The geometry of the dashboard's charts. Templates draw the SVG (templates/dashboard/_*_chart.html)
from these small structures, so every label is escaped by the template engine as usual, and the
same structures feed the PDF. Sizes are in SVG user units; the SVG scales to its container.

Colours are from the GOV.UK palette, and no chart says anything by colour alone: every bar and
line carries its label and value as text, and each chart has a data table next to it.
"""

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext as _

GOVUK_BLUE = "#1d70b8"
GOVUK_GREEN = "#00703c"
GOVUK_TEXT = "#0b0c0c"
GOVUK_SECONDARY_TEXT = "#505a5f"
GOVUK_LIGHT_GREY = "#f3f2f1"
GOVUK_MID_GREY = "#b1b4b6"
LINE_COLOURS = ("#1d70b8", "#00703c", "#4c2c92", "#d4351c", "#f47738")

CHART_WIDTH = 640
LABEL_WIDTH = 220
VALUE_WIDTH = 60
BAR_HEIGHT = 22
BAR_GAP = 10
LABEL_CHARACTERS = 30


# Roughly how wide a character is drawn at 14 units (GDS Transport, Arial), a little generously: a
# wide East Asian character or a dash a full em, a capital or a letter of another script (Cyrillic,
# Greek, drawn by a fallback font) about two thirds, a Latin small letter half.
FONT_SIZE = 14
LABEL_ROOM = (LABEL_WIDTH - 8) / FONT_SIZE  # in ems, between the chart's left edge and the bar


def _em_width(char: str) -> float:
    if unicodedata.east_asian_width(char) in ("W", "F") or char in "\u2013\u2014\u2015":
        return 1.0
    return 0.7 if char.isupper() or ord(char) > 0x24F else 0.5


def _short(label: str, limit: int = LABEL_CHARACTERS, room: float = LABEL_ROOM) -> str:
    """A label that fits beside its bar, at most `limit` characters and about `room` ems wide (a
    label in a wider script than Latin ran off the chart's left edge); the data table gives it
    whole."""
    if len(label) <= limit and sum(map(_em_width, label)) <= room:
        return label
    kept, width = "", _em_width("\u2026")
    for char in label[: limit - 1]:
        width += _em_width(char)
        if width > room:
            break
        kept += char
    return kept.rstrip() + "\u2026"


def format_number(value) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"
    return str(value)


@dataclass(frozen=True)
class Bar:
    label: str  # as drawn, possibly shortened
    full_label: str
    value: int | Decimal
    value_text: str
    y: int
    width: int  # of the bar
    text_y: int  # baseline of the label and value, centred on the bar
    value_x: int


@dataclass(frozen=True)
class BarChart:
    chart_id: str
    title: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int
    bar_height: int
    colour: str


def bar_chart(*, chart_id: str, title: str, rows, colour: str = GOVUK_BLUE, suffix: str = "") -> BarChart:
    """A horizontal bar chart of `rows` ((label, value) pairs, in the order to draw them); the
    longest bar fills the plot, and the others are in proportion."""
    rows = list(rows)
    plot_width = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    largest = max((value for _, value in rows), default=0)
    bars = []
    for index, (label, value) in enumerate(rows):
        y = index * (BAR_HEIGHT + BAR_GAP)
        width = round(plot_width * float(value) / float(largest)) if largest else 0
        bars.append(
            Bar(
                label=_short(str(label)),
                full_label=str(label),
                value=value,
                value_text=format_number(value) + suffix,
                y=y,
                width=max(width, 1) if value else 0,
                text_y=y + BAR_HEIGHT // 2 + 5,
                value_x=LABEL_WIDTH + width + 6,
            )
        )
    height = max(len(bars) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP, BAR_HEIGHT)
    return BarChart(
        chart_id=chart_id,
        title=title,
        bars=tuple(bars),
        width=CHART_WIDTH,
        height=height,
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
        colour=colour,
    )


@dataclass(frozen=True)
class ProgressBar:
    chart_id: str
    title: str
    width: int
    height: int
    filled: int  # width of the filled part
    percent: int


def progress_bar(*, chart_id: str, title: str, percent: int) -> ProgressBar:
    """A bar filled to `percent` (capped at 100) of its width."""
    width, height = CHART_WIDTH, 32
    shown = max(0, min(percent, 100))
    return ProgressBar(
        chart_id=chart_id,
        title=title,
        width=width,
        height=height,
        filled=round(width * shown / 100),
        percent=percent,
    )


@dataclass(frozen=True)
class TrendLine:
    label: str
    full_label: str
    points: str  # for <polyline points="...">
    last_x: int
    last_y: int
    total: int
    colour: str
    row_y: int  # top of the line's band
    text_y: int


@dataclass(frozen=True)
class TrendChart:
    chart_id: str
    title: str
    lines: tuple[TrendLine, ...]
    month_labels: tuple[tuple[int, str], ...]  # (x, label) along the bottom
    width: int
    height: int
    label_width: int
    plot_right: int
    band_height: int
    axis_y: int


SPARK_BAND = 40
SPARK_PAD = 6


def trend_chart(*, chart_id: str, title: str, months, rows) -> TrendChart:
    """Small multiples: one sparkline per theme, all on the same vertical scale so their heights
    compare, with the months along the bottom. `rows` have `theme_name`, `counts` and `total`."""
    months = list(months)
    rows = list(rows)
    plot_left, plot_right = LABEL_WIDTH, CHART_WIDTH - VALUE_WIDTH
    step = (plot_right - plot_left) / (len(months) - 1) if len(months) > 1 else 0
    largest = max((max(row.counts) for row in rows if row.counts), default=0) or 1
    lines = []
    for index, row in enumerate(rows):
        top = index * SPARK_BAND
        bottom = top + SPARK_BAND - SPARK_PAD
        usable = SPARK_BAND - 2 * SPARK_PAD
        points = []
        for position, count in enumerate(row.counts):
            x = round(plot_left + step * position) if len(months) > 1 else (plot_left + plot_right) // 2
            y = round(bottom - usable * count / largest)
            points.append((x, y))
        lines.append(
            TrendLine(
                label=_short(row.theme_name),
                full_label=row.theme_name,
                points=" ".join(f"{x},{y}" for x, y in points),
                last_x=points[-1][0] if points else plot_left,
                last_y=points[-1][1] if points else bottom,
                total=row.total,
                colour=LINE_COLOURS[index % len(LINE_COLOURS)],
                row_y=top,
                text_y=top + SPARK_BAND // 2 + 5,
            )
        )
    axis_y = len(rows) * SPARK_BAND + 16
    month_labels = tuple(
        (
            round(plot_left + step * position) if len(months) > 1 else (plot_left + plot_right) // 2,
            date_format(month, "M y"),
        )
        for position, month in enumerate(months)
    )
    return TrendChart(
        chart_id=chart_id,
        title=title,
        lines=tuple(lines),
        month_labels=month_labels,
        width=CHART_WIDTH,
        height=axis_y + 6,
        label_width=LABEL_WIDTH,
        plot_right=plot_right,
        band_height=SPARK_BAND,
        axis_y=axis_y,
    )


def dashboard_charts(figures) -> dict:
    """The charts of the dashboard's figures (`selectors.DashboardFigures`), by name."""
    return {
        "days": progress_bar(
            chart_id="chart-days",
            title=_("Days of connecting completed against the target"),
            percent=figures.days.percent,
        ),
        "directorates": bar_chart(
            chart_id="chart-directorates",
            title=_("Participants who connected, by directorate"),
            rows=[(row.label, row.connected) for row in figures.participation.rows],
            colour=GOVUK_GREEN,
        ),
        "sectors": bar_chart(
            chart_id="chart-sectors",
            title=_("Visits by partner sector"),
            rows=[(row.label, row.visits) for row in figures.sectors],
        ),
        "regions": bar_chart(
            chart_id="chart-regions",
            title=_("Visits by partner region"),
            rows=[(row.label, row.visits) for row in figures.regions],
        ),
        "themes": trend_chart(
            chart_id="chart-themes",
            title=_("Debriefs naming each top theme, by month"),
            months=figures.themes.months,
            rows=figures.themes.rows,
        ),
    }
