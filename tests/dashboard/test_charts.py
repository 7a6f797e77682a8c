"""The charts' geometry: bars in proportion, labels shortened to fit, sparklines on one scale."""

import datetime
from decimal import Decimal

from connecting.dashboard.charts import Bar, bar_chart, format_number, progress_bar, trend_chart
from connecting.dashboard.selectors import ThemeTrendRow


def test_bar_chart_draws_the_largest_value_across_the_plot_and_the_rest_in_proportion():
    chart = bar_chart(
        chart_id="c",
        title="Visits",
        rows=[("Hospice", 4), ("A very long sector name that will not fit", 1), ("None", 0)],
    )

    assert chart.bars == (
        Bar("Hospice", "Hospice", 4, "4", y=0, width=360, text_y=16, value_x=586),
        Bar(
            "A very long sector name that\u2026",
            "A very long sector name that will not fit",
            1,
            "1",
            y=32,
            width=90,
            text_y=48,
            value_x=316,
        ),
        Bar("None", "None", 0, "0", y=64, width=0, text_y=80, value_x=226),
    )
    assert (chart.width, chart.height) == (640, 86)


def test_bar_chart_of_nothing_has_no_bars():
    assert bar_chart(chart_id="c", title="Visits", rows=[]).bars == ()


def test_progress_bar_fills_to_the_share_and_stops_when_full():
    assert [progress_bar(chart_id="p", title="Days", percent=p).filled for p in (0, 35, 100, 135)] == [
        0,
        224,
        640,
        640,
    ]


def test_trend_chart_puts_every_theme_on_the_same_scale():
    months = [datetime.date(2026, m, 1) for m in (1, 2, 3)]
    chart = trend_chart(
        chart_id="t",
        title="Themes",
        months=months,
        rows=[ThemeTrendRow(1, "Alpha", (0, 2, 4), 6), ThemeTrendRow(2, "Beta", (1, 1, 0), 2)],
    )

    assert [(line.label, line.points, line.total, line.colour) for line in chart.lines] == [
        ("Alpha", "220,34 400,20 580,6", 6, "#1d70b8"),
        ("Beta", "220,67 400,67 580,74", 2, "#00703c"),
    ]
    assert chart.month_labels == ((220, "Jan 26"), (400, "Feb 26"), (580, "Mar 26"))


def test_format_number_drops_a_whole_number_s_decimal_places():
    assert [format_number(v) for v in (Decimal("3.5"), Decimal("12.0"), Decimal("10"), 7)] == [
        "3.5",
        "12",
        "10",
        "7",
    ]


def test_a_label_in_a_wider_script_is_shortened_to_stay_on_the_chart():
    """Found in the browser: a 29-character directorate half in Cyrillic was drawn from 3 units
    left of the chart's edge, cut off; thirty Chinese characters took twice the room there is."""
    from connecting.dashboard.charts import LABEL_ROOM, _short

    chinese = "\u4fdd\u5065\u7701" * 10
    mixed = "Acute Care \u2014 \u0417\u0434\u0440\u0430\u0432\u043e\u043e\u0445\u0440\u0430\u043d\u0435\u043d\u0438\u0435 and more"

    short_chinese, short_mixed = _short(chinese), _short(mixed)

    assert short_chinese.endswith("\u2026") and len(short_chinese) <= LABEL_ROOM
    assert chinese.startswith(short_chinese[:-1])
    assert short_mixed.endswith("\u2026") and mixed.startswith(short_mixed[:-1])
    assert len(short_mixed) < 25
    # Latin labels keep their 30 characters, as before.
    assert _short("Mental Health and Disability") == "Mental Health and Disability"
