"""The dashboard's figures, each checked whole against a small set of visits worked out by hand."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connecting.dashboard.selectors import (
    BreakdownRow,
    DashboardFilter,
    DaysAgainstTarget,
    DebriefFigures,
    DebriefTimings,
    DirectorateRow,
    FeedbackScores,
    Participation,
    ThemeTrend,
    ThemeTrendRow,
    dashboard_figures,
    default_filter,
    impact_pack,
    trend_months,
)
from debriefs.models import PolicyAction
from debriefs.selectors.rollup import EmergingPhrase
from debriefs.services.rollup import theme_rollup_refresh
from tests.dashboard.support import at, enrol, known_visits, visit
from tests.debriefs.rollup_support import debrief_of_visit
from tests.factories import (
    ParticipantFactory,
    PartnerFactory,
    PartnerFeedbackFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db
YEAR_2026 = {"date_from": datetime.date(2026, 1, 1), "date_to": datetime.date(2026, 12, 31)}
TODAY = datetime.date(2026, 12, 4)


@pytest.fixture
def known():
    return known_visits()


def test_dashboard_figures_of_a_programme_year(known):
    figures = dashboard_figures(DashboardFilter(programme=known["programme"], **YEAR_2026), today=TODAY)

    assert figures.days == DaysAgainstTarget(completed=Decimal("3.5"), target=10, percent=35)
    assert figures.participation == Participation(
        enrolled=5,
        connected=2,
        percent=40,
        rows=(
            DirectorateRow("Adult Social Care", enrolled=2, connected=2, percent=100),
            DirectorateRow("Primary Care", enrolled=2, connected=0, percent=0),
            DirectorateRow("", enrolled=1, connected=0, percent=0),
        ),
        not_connected=3,
        target_days=10,
    )
    people = known["people"]
    assert [e.participant for e in figures.not_connected] == [people["cat"], people["dan"], people["eve"]]
    assert figures.partners_active == 2
    assert figures.sectors == [
        BreakdownRow("acute_nhs_trust", "Acute NHS trust", visits=2, partners=1),
        BreakdownRow("hospice", "Hospice", visits=1, partners=1),
    ]
    assert figures.regions == [
        BreakdownRow("north_west", "North West", visits=2, partners=1),
        BreakdownRow("london", "London", visits=1, partners=1),
    ]
    assert figures.debriefs == DebriefFigures(
        visits=3,
        debriefed=2,
        percent=67,
        timings=DebriefTimings(days_to_debrief=Decimal("3.5"), review_days=Decimal("1.0")),
    )
    assert figures.feedback == FeedbackScores(
        responses=2, average_value=Decimal("4.5"), would_host_again_percent=50, well_prepared_percent=50
    )
    assert figures.themes == ThemeTrend(
        months=tuple(datetime.date(2026, m, 1) for m in range(7, 13)), rows=()
    )
    assert figures.emerging == []


def test_dashboard_figures_of_all_programmes_add_every_enrolment_and_visit(known):
    figures = dashboard_figures(DashboardFilter(programme=None, **YEAR_2026), today=TODAY)

    # Eve's visit to the police counts in her other programme, whose target is 3 days.
    assert figures.days == DaysAgainstTarget(completed=Decimal("4.5"), target=13, percent=34)
    assert (
        figures.participation.enrolled,
        figures.participation.connected,
        figures.participation.not_connected,
    ) == (
        5,
        3,
        3,
    )
    assert figures.participation.rows[-1] == DirectorateRow("", enrolled=1, connected=1, percent=100)
    assert [(e.participant.full_name, e.programme.name) for e in figures.not_connected] == [
        ("Cat Stevens", "Connecting"),
        ("Dan Brown", "Connecting"),
        ("Eve Arnold", "Connecting"),
    ]
    assert figures.sectors == [
        BreakdownRow("acute_nhs_trust", "Acute NHS trust", visits=2, partners=1),
        BreakdownRow("hospice", "Hospice", visits=1, partners=1),
        BreakdownRow("police", "Police", visits=1, partners=1),
    ]
    assert figures.partners_active == 3


def test_dashboard_figures_of_a_cohort(known):
    figures = dashboard_figures(
        DashboardFilter(programme=known["programme"], cohort=known["cohort"], **YEAR_2026), today=TODAY
    )

    assert figures.days == DaysAgainstTarget(completed=Decimal("1.5"), target=4, percent=37)
    assert figures.participation == Participation(
        enrolled=2,
        connected=1,
        percent=50,
        rows=(
            DirectorateRow("Adult Social Care", enrolled=1, connected=1, percent=100),
            DirectorateRow("Primary Care", enrolled=1, connected=0, percent=0),
        ),
        not_connected=1,
        target_days=4,
    )
    assert [e.participant for e in figures.not_connected] == [known["people"]["cat"]]
    assert figures.sectors == [
        BreakdownRow("acute_nhs_trust", "Acute NHS trust", visits=1, partners=1),
        BreakdownRow("hospice", "Hospice", visits=1, partners=1),
    ]
    assert figures.debriefs == DebriefFigures(
        visits=2,
        debriefed=1,
        percent=50,
        timings=DebriefTimings(days_to_debrief=Decimal("2.0"), review_days=Decimal("1.0")),
    )
    assert figures.feedback == FeedbackScores(1, Decimal("5.0"), 100, 100)


def test_dashboard_figures_of_a_date_range_count_visits_by_their_london_date(known):
    march = DashboardFilter(
        programme=known["programme"], date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 31)
    )
    december_2025 = DashboardFilter(
        programme=known["programme"],
        date_from=datetime.date(2025, 12, 15),
        date_to=datetime.date(2025, 12, 15),
    )

    in_march = dashboard_figures(march, today=TODAY)
    in_december = dashboard_figures(december_2025, today=TODAY)

    assert (in_march.days, in_march.participation.connected, in_march.sectors) == (
        DaysAgainstTarget(completed=Decimal("1"), target=10, percent=10),
        1,
        [BreakdownRow("acute_nhs_trust", "Acute NHS trust", visits=1, partners=1)],
    )
    assert (in_december.days.completed, in_december.participation.connected) == (Decimal("1"), 1)
    assert [e.participant.full_name for e in in_december.not_connected] == [
        "Ada Lovelace",
        "Ben Okri",
        "Dan Brown",
        "Eve Arnold",
    ]


def test_a_visit_late_in_the_london_evening_counts_on_its_london_date():
    programme = ProgrammeFactory()
    person = ParticipantFactory()
    enrol(programme, person)
    # 23:30 in London on 30 June is 22:30 UTC the same day; on 31 March (BST from the 29th) too.
    booking = visit(programme=programme, participant=person, day=datetime.date(2026, 6, 30))
    booking.slot.starts_at = at(datetime.date(2026, 6, 30), 23)
    booking.slot.ends_at = booking.slot.starts_at + datetime.timedelta(minutes=50)
    booking.slot.save()

    june = DashboardFilter(
        programme=programme, date_from=datetime.date(2026, 6, 1), date_to=datetime.date(2026, 6, 30)
    )
    july = DashboardFilter(
        programme=programme, date_from=datetime.date(2026, 7, 1), date_to=datetime.date(2026, 7, 31)
    )

    assert (
        dashboard_figures(june, today=TODAY).debriefs.visits,
        dashboard_figures(july, today=TODAY).debriefs.visits,
    ) == (1, 0)


def test_dashboard_figures_with_nothing_to_count():
    programme = ProgrammeFactory()

    figures = dashboard_figures(DashboardFilter(programme=programme, **YEAR_2026), today=TODAY)

    assert (figures.days, figures.participation, figures.not_connected, figures.sectors) == (
        DaysAgainstTarget(completed=Decimal(0), target=0, percent=0),
        Participation(enrolled=0, connected=0, percent=0, rows=(), not_connected=0, target_days=0),
        [],
        [],
    )
    assert figures.debriefs == DebriefFigures(0, 0, 0, DebriefTimings(None, None))
    assert figures.feedback == FeedbackScores(0, None, None, None)


def test_default_filter_is_the_first_programme_in_its_current_year():
    second = ProgrammeFactory(name="Beta", starts_on=datetime.date(2024, 9, 1))
    first = ProgrammeFactory(name="Alpha", starts_on=datetime.date(2025, 4, 1))

    assert default_filter(programmes=[first, second], today=TODAY) == DashboardFilter(
        programme=first, date_from=datetime.date(2026, 4, 1), date_to=datetime.date(2027, 3, 31)
    )
    assert default_filter(programmes=[], today=TODAY) == DashboardFilter(
        programme=None, date_from=datetime.date(2025, 12, 5), date_to=TODAY
    )


def test_trend_months_end_with_the_range_or_today_and_start_no_earlier_than_the_range():
    programme = ProgrammeFactory()

    def months(first, last):
        return [m.isoformat() for m in trend_months(DashboardFilter(programme, first, last), TODAY)]

    assert months(datetime.date(2026, 4, 1), datetime.date(2027, 3, 31)) == [
        "2026-07-01",
        "2026-08-01",
        "2026-09-01",
        "2026-10-01",
        "2026-11-01",
        "2026-12-01",
    ]
    assert months(datetime.date(2026, 2, 15), datetime.date(2026, 3, 2)) == ["2026-02-01", "2026-03-01"]


@pytest.fixture
def themes():
    return [ThemeFactory(name=name, slug=f"dash-{name.lower()}") for name in ("Alpha", "Beta", "Gamma")]


def _themed_debriefs(programme, themes):
    """February: Alpha. March: Alpha and Beta (published, quotable), Alpha (team only), Gamma twice
    in another programme. Two March debriefs say "virtual ward"."""
    alpha, beta, gamma = themes
    debrief_of_visit(programme=programme, day=datetime.date(2026, 2, 9), themes=[alpha])
    published = debrief_of_visit(
        programme=programme,
        day=datetime.date(2026, 3, 3),
        themes=[alpha, beta],
        status="published",
        consent="named",
        what_i_learnt="The virtual ward keeps people at home.",
    )
    team_only = debrief_of_visit(
        programme=programme,
        day=datetime.date(2026, 3, 4),
        themes=[alpha],
        status="approved",
        consent="team_only",
        what_i_learnt="A virtual ward needs nurses at night.",
    )
    other = ProgrammeFactory()
    for day in (5, 6):
        debrief_of_visit(programme=other, day=datetime.date(2026, 3, day), themes=[gamma])
    theme_rollup_refresh()
    return published, team_only


def test_theme_trend_and_emerging_themes_come_from_the_rollup(themes):
    programme = ProgrammeFactory()
    _themed_debriefs(programme, themes)
    first_half = DashboardFilter(
        programme=programme, date_from=datetime.date(2026, 1, 1), date_to=datetime.date(2026, 6, 30)
    )

    figures = dashboard_figures(first_half, today=TODAY)
    everywhere = dashboard_figures(
        DashboardFilter(None, first_half.date_from, first_half.date_to), today=TODAY
    )

    alpha, beta, gamma = themes
    assert figures.themes == ThemeTrend(
        months=tuple(datetime.date(2026, m, 1) for m in range(1, 7)),
        rows=(
            ThemeTrendRow(alpha.pk, "Alpha", counts=(0, 1, 2, 0, 0, 0), total=3),
            ThemeTrendRow(beta.pk, "Beta", counts=(0, 0, 1, 0, 0, 0), total=1),
        ),
    )
    assert figures.emerging == [EmergingPhrase(phrase="virtual ward", debrief_count=2, score=2.0)]
    assert [(row.theme_name, row.total) for row in everywhere.themes.rows] == [
        ("Alpha", 3),
        ("Gamma", 2),
        ("Beta", 1),
    ]


def test_impact_pack_quotes_only_consented_debriefs_and_lists_actions_done(themes):
    programme = ProgrammeFactory()
    published, team_only = _themed_debriefs(programme, themes)
    owner = ProgrammeTeamFactory()
    done_at = at(datetime.date(2026, 4, 2))
    shared_action = PolicyAction.objects.create(
        debrief=published,
        description="Share the virtual ward model",
        owner=owner,
        status="done",
        outcome="Guidance updated.",
        done_at=done_at,
    )
    PolicyAction.objects.create(
        debrief=team_only,
        description="Night staffing",
        owner=owner,
        status="done",
        outcome="Raised with the chief nurse.",
        done_at=done_at,
    )
    PolicyAction.objects.create(debrief=published, description="Still open", owner=owner, status="open")

    pack = impact_pack(
        DashboardFilter(
            programme=programme, date_from=datetime.date(2026, 1, 1), date_to=datetime.date(2026, 6, 30)
        ),
        today=TODAY,
    )

    assert [(theme.name, theme.debriefs, theme.quotes) for theme in pack.themes] == [
        ("Alpha", 3, ("The virtual ward keeps people at home.",)),
        ("Beta", 1, ("The virtual ward keeps people at home.",)),
    ]
    assert pack.actions == [shared_action]
    assert pack.survey_results == []


def test_dashboard_figures_take_the_same_queries_for_one_and_three_of_everything(themes):
    def build(count):
        programme = ProgrammeFactory()
        for n in range(count):
            person = ParticipantFactory(directorate=f"Directorate {n}")
            enrol(programme, person)
            ParticipantFactory()
            debrief = debrief_of_visit(
                programme=programme,
                participant=person,
                day=datetime.date(2026, 3, 2 + n),
                partner=PartnerFactory(
                    sector=("hospice", "police", "charity")[n], region=("london", "wales", "scotland")[n]
                ),
                themes=themes[: n + 1],
                status="approved",
                what_i_learnt=f"Lesson number {n} about the virtual ward.",
            )
            PartnerFeedbackFactory(booking=debrief.booking)
        theme_rollup_refresh()
        return DashboardFilter(
            programme=programme, date_from=datetime.date(2026, 1, 1), date_to=datetime.date(2026, 6, 30)
        )

    counts = []
    for size in (1, 3):
        f = build(size)
        with CaptureQueriesContext(connection) as queries:
            pack = impact_pack(f, today=TODAY)
        assert (len(pack.figures.sectors), len(pack.themes), pack.figures.debriefs.visits) == (
            size,
            size,
            size,
        )
        counts.append(len(queries))

    # Six for the dashboard's figures, then the quotes, the actions and the survey results. SQLite reads each median
    # with two queries of its own (one when there is nothing to take the median of).
    assert counts[0] == counts[1]
    if connection.vendor == "postgresql":
        assert counts == [9, 9]
