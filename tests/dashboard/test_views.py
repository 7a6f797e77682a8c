"""The programme dashboard page and the impact pack: what they show, who may open them, bad
filters, their queries, and that nothing a participant kept for the team reaches the pack."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connecting.dashboard.pdf import pdf_text as pdf_safe
from connecting.dashboard.selectors import DashboardFilter, dashboard_figures
from connecting.dashboard.snapshots import dashboard_snapshots_discard
from debriefs.models import PolicyAction
from debriefs.services.rollup import theme_rollup_refresh
from tests.dashboard.support import (
    at,
    enrol,
    known_visits,
    page_text,
    pdf_text,
    svg_texts,
    table_rows,
    tables_outside_a_scroll_box,
    visit,
)
from tests.debriefs.rollup_support import debrief_of_visit
from tests.factories import (
    CohortFactory,
    ParticipantFactory,
    PartnerContactFactory,
    PartnerFactory,
    PartnerFeedbackFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("accounts:programme_home")
PACK = reverse("dashboard:impact_pack")
PACK_PDF = reverse("dashboard:impact_pack_pdf")
YEAR_2026 = {"from": "2026-01-01", "to": "2026-12-31"}


@pytest.fixture
def known():
    return known_visits()


def test_dashboard_shows_the_figures_of_the_chosen_programme_and_year(client, team, known):
    programme = known["programme"]

    response = client.get(DASHBOARD, {"programme": programme.pk, **YEAR_2026})

    assert response.status_code == 200
    f = DashboardFilter(
        programme=programme, date_from=datetime.date(2026, 1, 1), date_to=datetime.date(2026, 12, 31)
    )
    assert response.context["figures"] == dashboard_figures(f)
    page = page_text(response.content.decode())
    for shown in (
        "Connecting Visits from 1 January 2026 to 31 December 2026",
        "3.5 of 10 target days (35%)",
        "Participants who connected 2 of 5 enrolled (40%)",
        "Partners active 2",
        "Debriefs handed in 2 of 3 visits (67%)",
        "Median days from visit to debrief 3.5",
        "Median days from submission to approval 1",
        "Value to the partner: 4.5 out of 5, from 2 responses",
        "Would host again: 50%",
        "Visitor well prepared: 50%",
        "3 enrolments with no visit yet",
    ):
        assert shown in page
    # What the portal showed before the filter came, still there.
    assert "Waiting for a reviewer" in page and "Background jobs" in page


def test_dashboard_charts_draw_the_same_figures_as_their_tables(client, team, known):
    html = client.get(DASHBOARD, {"programme": known["programme"].pk, **YEAR_2026}).content.decode()

    assert svg_texts(html, "chart-sectors") == ["Acute NHS trust", "2", "Hospice", "1"]
    assert table_rows(html, "Visits by partner sector") == [
        ("Acute NHS trust", "2", "1"),
        ("Hospice", "1", "1"),
    ]
    assert svg_texts(html, "chart-regions") == ["North West", "2", "London", "1"]
    assert table_rows(html, "Visits by partner region") == [("North West", "2", "1"), ("London", "1", "1")]
    assert svg_texts(html, "chart-directorates") == [
        "Adult Social Care",
        "2",
        "Primary Care",
        "0",
        "Directorate not given",
        "0",
    ]
    assert table_rows(html, "Participants who connected, by directorate") == [
        ("Adult Social Care", "2", "2", "100%"),
        ("Primary Care", "2", "0", "0%"),
        ("Directorate not given", "1", "0", "0%"),
    ]
    assert '<title id="chart-days-title">Days of connecting completed against the target: 35%</title>' in html
    assert table_rows(html, "Enrolled participants who have not connected yet, A to Z") == [
        ("Cat Stevens", "Primary Care", "Connecting", "Spring"),
        ("Dan Brown", "Primary Care", "Connecting", ""),
        ("Eve Arnold", "", "Connecting", ""),
    ]
    assert " style=" not in html and "<script>" not in html


def test_dashboard_theme_trend_chart_and_table(client, team):
    programme = ProgrammeFactory()
    alpha, beta = (ThemeFactory(name=name, slug=f"view-{name.lower()}") for name in ("Alpha", "Beta"))
    debrief_of_visit(programme=programme, day=datetime.date(2026, 2, 9), themes=[alpha])
    debrief_of_visit(programme=programme, day=datetime.date(2026, 3, 3), themes=[alpha, beta])
    theme_rollup_refresh()

    html = client.get(
        DASHBOARD, {"programme": programme.pk, "from": "2026-01-01", "to": "2026-06-30"}
    ).content.decode()

    assert svg_texts(html, "chart-themes") == [
        "Alpha",
        "2",
        "Beta",
        "1",
        "Jan 26",
        "Feb 26",
        "Mar 26",
        "Apr 26",
        "May 26",
        "Jun 26",
    ]
    assert table_rows(html, "Debriefs naming each top theme, by month") == [
        ("Alpha", "0", "1", "1", "0", "0", "0", "2"),
        ("Beta", "0", "0", "1", "0", "0", "0", "1"),
    ]


def test_dashboard_without_a_filter_shows_the_first_programme_in_its_current_year(client, team):
    ProgrammeFactory(name="Zeta", starts_on=datetime.date(2025, 1, 1))
    alpha = ProgrammeFactory(name="Alpha", starts_on=datetime.date(2024, 9, 1))

    response = client.get(DASHBOARD)

    f = response.context["figures"].filter
    assert response.status_code == 200
    assert (f.programme, f.cohort, f.date_from, f.date_to) == (
        alpha,
        None,
        datetime.date(2026, 9, 1),
        datetime.date(2027, 8, 31),
    )
    html = response.content.decode()
    assert f'<option value="{alpha.pk}" selected>Alpha</option>' in html
    assert 'name="from" value="2026-09-01"' in html and 'name="to" value="2027-08-31"' in html


@pytest.mark.parametrize("factory", [ParticipantFactory, PartnerContactFactory])
@pytest.mark.parametrize("url", [DASHBOARD, PACK, PACK_PDF])
def test_dashboard_and_impact_pack_are_refused_to_participants_and_partner_contacts(client, factory, url):
    ProgrammeFactory()
    client.force_login(factory())

    assert client.get(url).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    responses = [client.get(url) for url in (DASHBOARD, PACK, PACK_PDF)]

    assert [(r.status_code, r["Location"].split("?")[0]) for r in responses] == [
        (302, "/accounts/login/")
    ] * 3


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"programme": "abc"}, ["Choose a programme from the list"]),
        ({"programme": "999999"}, ["Choose a programme from the list"]),
        ({"programme": "1 OR 1=1"}, ["Choose a programme from the list"]),
        ({"cohort": "999999"}, ["Choose a cohort from the list"]),
        ({"cohort": "\x00"}, ["Choose a cohort from the list"]),
        ({"from": "2026-13-45"}, ["Enter the first date as a real date, like 2026-04-01"]),
        ({"to": "yesterday"}, ["Enter the last date as a real date, like 2026-04-01"]),
        ({"from": "9999-12-31"}, ["Enter a date between 2000 and 2100"]),
        (
            {"from": "0001-01-01", "to": "\x00"},
            ["Enter the last date as a real date, like 2026-04-01", "Enter a date between 2000 and 2100"],
        ),
        (
            {"from": "2026-06-01", "to": "2026-05-01"},
            ["The last date must be the same as or after the first date"],
        ),
    ],
)
@pytest.mark.parametrize("url", [DASHBOARD, PACK, PACK_PDF])
def test_bad_filter_values_are_errors_and_the_defaults_still_show(client, team, url, query, errors):
    ProgrammeFactory(name="Alpha", starts_on=datetime.date(2025, 4, 1))

    response = client.get(url, query)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    form = response.context["form"]
    assert [message for field_errors in form.errors.values() for message in field_errors] == errors
    assert "There is a problem" in response.content.decode()
    assert response.context["figures"].filter.programme.name == "Alpha"


def test_a_cohort_of_another_programme_is_an_error(client, team):
    first = ProgrammeFactory(name="Alpha")
    other_cohort = CohortFactory(programme=ProgrammeFactory(name="Beta"))

    response = client.get(DASHBOARD, {"programme": first.pk, "cohort": other_cohort.pk})
    everything = client.get(DASHBOARD, {"programme": "all", "cohort": other_cohort.pk})

    assert [response.status_code, everything.status_code] == [400, 400]
    assert response.context["form"].errors == {"cohort": ["Choose a cohort of the chosen programme"]}
    f = response.context["figures"].filter
    assert (f.programme, f.cohort) == (first, None)


def test_dashboard_cohort_filter_narrows_the_figures(client, team, known):
    response = client.get(
        DASHBOARD, {"programme": known["programme"].pk, "cohort": known["cohort"].pk, **YEAR_2026}
    )

    assert response.status_code == 200
    figures = response.context["figures"]
    assert (figures.filter.cohort, figures.participation.enrolled, figures.debriefs.visits) == (
        known["cohort"],
        2,
        2,
    )


def _programme_with_visits(number: int, index: int):
    programme = ProgrammeFactory(name=f"Programme {index} of {number}")
    theme = ThemeFactory(name=f"Query theme {index} of {number}", slug=f"query-theme-{index}-of-{number}")
    cohort = CohortFactory(programme=programme)
    for n in range(number):
        person = ParticipantFactory(directorate=f"Directorate {index}-{n}")
        programme.enrolments.create(participant=person, cohort=cohort)
        debrief = debrief_of_visit(
            programme=programme,
            participant=person,
            day=datetime.date(2026, 3, 2 + n),
            partner=PartnerFactory(sector=("hospice", "police", "charity")[n]),
            themes=[theme],
            status="approved",
            what_i_learnt=f"Lesson {number}-{index}-{n} about the virtual ward.",
        )
        PartnerFeedbackFactory(booking=debrief.booking)
        programme.enrolments.create(participant=ParticipantFactory(), cohort=cohort)
    return programme


@pytest.mark.parametrize("url", [DASHBOARD, PACK])
def test_pages_take_the_same_queries_for_one_and_three_programmes_visits_and_themes(client, team, url):
    counts = []
    for number in (1, 3):
        for index in range(number):
            _programme_with_visits(number, index)
        theme_rollup_refresh()
        dashboard_snapshots_discard()  # the figures computed, not a snapshot of the first round's
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"programme": "all", "from": "2026-01-01", "to": "2026-06-30"})
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
    if connection.vendor == "postgresql":
        # Two of them are the savepoint ATOMIC_REQUESTS opens inside the test's transaction.
        assert counts == [14, 14]


def test_impact_pack_page_shows_the_pack_of_the_programme_and_period(client, team, known):
    programme = known["programme"]

    response = client.get(PACK, {"programme": programme.pk, **YEAR_2026})

    assert response.status_code == 200
    assert response.context["survey_results"] == []
    html = response.content.decode()
    page = page_text(html)
    for shown in (
        "Impact pack Connecting Visits from 1 January 2026 to 31 December 2026",
        "3.5 days of connecting, 35% of the target of 10 days.",
        "2 of 5 enrolled participants (40%) made at least one visit.",
        "2 partners hosted 3 visits.",
        "Survey results No survey results for this programme and period yet.",
        "No debriefs of the period name a theme yet.",
        "No follow-up actions were completed in the period.",
    ):
        assert shown in page
    assert f'href="{PACK_PDF}?programme={programme.pk}&amp;from=2026-01-01&amp;to=2026-12-31"' in html
    assert svg_texts(html, "chart-sectors") == ["Acute NHS trust", "2", "Hospice", "1"]


def test_dashboard_links_to_the_impact_pack_of_the_same_filter(client, team, known):
    programme, cohort = known["programme"], known["cohort"]

    html = client.get(
        DASHBOARD, {"programme": programme.pk, "cohort": cohort.pk, **YEAR_2026}
    ).content.decode()

    assert (
        f'href="{PACK}?programme={programme.pk}&amp;from=2026-01-01&amp;to=2026-12-31&amp;cohort={cohort.pk}"'
        in html
    )


def test_impact_pack_pdf_is_a_download_of_the_same_figures(client, team, known):
    programme = known["programme"]

    response = client.get(PACK_PDF, {"programme": programme.pk, **YEAR_2026})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="impact-pack-{programme.slug}-2026-01-01-2026-12-31.pdf"'
    )
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    for shown in (
        "Connecting Impact pack Connecting 1 January 2026 to 31 December 2026",
        "3.5 days of connecting, 35% of the target of 10 days.",
        "2 of 5 enrolled participants (40%) made at least one visit.",
        "2 partners hosted 3 visits.",
        "Visits by partner sector Acute NHS trust 2 Hospice 1",
        "Visits by region North West 2 London 1",
        "No follow-up actions were completed in the period.",
    ):
        assert shown in text


def _pack_with_a_team_only_debrief():
    programme = ProgrammeFactory(name="Connecting \u201cfrontline\u201d \u2013 2026")
    theme = ThemeFactory(name="Virtual wards", slug="pack-virtual-wards")
    shared = debrief_of_visit(
        programme=programme,
        day=datetime.date(2026, 3, 3),
        themes=[theme],
        status="published",
        consent="anonymised",
        participant=ParticipantFactory(full_name="Zhang Wei \u5f20\u4f1f"),
        what_i_learnt="The \u201cvirtual ward\u201d keeps people at home \u2013 mostly.",
    )
    secret = debrief_of_visit(
        programme=programme,
        day=datetime.date(2026, 3, 4),
        themes=[theme],
        status="approved",
        consent="team_only",
        what_i_learnt="Confidential: the night nurse rota is unsafe.",
    )
    theme_rollup_refresh()
    owner = ProgrammeTeamFactory()
    PolicyAction.objects.create(
        debrief=shared,
        description="Share the virtual ward model",
        owner=owner,
        status="done",
        outcome="Guidance updated \u2013 see the \u201cnew\u201d page.",
        done_at=at(datetime.date(2026, 4, 2)),
    )
    PolicyAction.objects.create(
        debrief=secret,
        description="Fix the night rota",
        owner=owner,
        status="done",
        outcome="Escalated privately.",
        done_at=at(datetime.date(2026, 4, 2)),
    )
    return programme


def test_impact_pack_quotes_consented_debriefs_only_on_the_page_and_in_the_pdf(client, team):
    programme = _pack_with_a_team_only_debrief()
    query = {"programme": programme.pk, "from": "2026-01-01", "to": "2026-06-30"}

    page = page_text(client.get(PACK, query).content.decode())
    pdf = client.get(PACK_PDF, query)
    text = pdf_text(pdf.content)

    assert (
        "Virtual wards: named in 2 debriefs The \u201cvirtual ward\u201d keeps people at home \u2013 mostly."
        in page
    )
    assert "Virtual wards: named in 2 debriefs" in text
    assert '"The "virtual ward" keeps people at home - mostly."' in text
    assert 'Share the virtual ward model What we did: Guidance updated - see the "new" page.' in text
    assert "Share the virtual ward model" in page
    for hidden in (
        "night nurse rota",
        "Confidential",
        "Fix the night rota",
        "Escalated privately",
        "Zhang Wei",
    ):
        assert hidden not in page
        assert hidden not in text
    assert pdf.status_code == 200
    assert text.startswith(
        'Connecting Impact pack Connecting "frontline" - 2026 1 January 2026 to 30 June 2026'
    )


def test_pdf_text_keeps_latin_1_and_replaces_what_helvetica_cannot_draw():
    assert pdf_safe(
        "Caf\u00e9 \u201cquoted\u201d \u2018it\u2019s\u2019 \u2013 \u2014 \u2212 \u2026 \u2022"
    ) == ("Caf\u00e9 \"quoted\" 'it's' - - - ... *")
    assert pdf_safe("\u0141\u00f3d\u017a \u5f20\u4f1f \U0001f600 a\u00a0b\x00\x07") == "L\u00f3dz ?? ? a b"


def test_survey_results_partial_lists_statements_percentages_and_responses():
    results = [
        SimpleNamespace(statement="Understood the frontline better", percent=85, responses=40),
        SimpleNamespace(statement="Rated it a good opportunity", percent=86, responses=21),
    ]

    html = render_to_string("dashboard/_survey_results.html", {"survey_results": results})

    assert table_rows(html, "Survey results") == [
        ("Understood the frontline better", "85%", "40"),
        ("Rated it a good opportunity", "86%", "21"),
    ]


def test_survey_results_reach_the_dashboard_the_pack_page_and_pdf(client, team, known):
    from tests.surveys.support import OpenSurveyFactory, SurveyQuestionFactory, answered

    survey = OpenSurveyFactory(
        programme=known["programme"], opened_at=timezone.make_aware(datetime.datetime(2026, 6, 1, 9))
    )
    question = SurveyQuestionFactory(
        survey=survey, text="I understand the frontline better", statement="understood the frontline better"
    )
    for value in [5] * 9 + [4] * 8 + [3, 2, 1]:  # 17 of 20 agreed
        answered(survey, {question: value})
    query = {"programme": known["programme"].pk, **YEAR_2026}

    dashboard = client.get(DASHBOARD, query).content.decode()
    page = client.get(PACK, query).content.decode()
    text = pdf_text(client.get(PACK_PDF, query).content)

    expected = [("85% of participants understood the frontline better", "85%", "20")]
    assert table_rows(dashboard, "Survey results") == expected
    assert table_rows(page, "Survey results") == expected
    assert "85% of participants understood the frontline better (20 responses)" in text


def test_days_beyond_the_target_show_the_real_share_and_a_full_bar(client, team):
    programme = ProgrammeFactory(name="Busy", target_days_per_participant=1)
    person = ParticipantFactory()
    enrol(programme, person)
    for day in (2, 3):
        visit(programme=programme, participant=person, day=datetime.date(2026, 3, day))

    html = client.get(DASHBOARD, {"programme": programme.pk, **YEAR_2026}).content.decode()

    assert "2 of 1 target days (200%)" in page_text(html)
    assert '<rect x="0" y="0" width="640" height="32" fill="#00703c"/>' in html


# --- Found in the browser (QA of issue 7) -------------------------------------------------------------


def test_every_table_of_the_dashboard_and_pack_scrolls_in_its_own_box(client, team, known):
    """At 375 px the directorate and not-connected tables were wider than the screen and pushed
    the whole page sideways: each table sits in a box that scrolls instead."""
    from tests.surveys.support import OpenSurveyFactory, SurveyQuestionFactory, answered

    survey = OpenSurveyFactory(
        programme=known["programme"], opened_at=timezone.make_aware(datetime.datetime(2026, 6, 1, 9))
    )
    question = SurveyQuestionFactory(survey=survey, statement="understood the frontline better")
    answered(survey, {question: 5})
    query = {"programme": known["programme"].pk, **YEAR_2026}

    for url in (DASHBOARD, PACK):
        html = client.get(url, query).content.decode()
        assert "<table" in html
        assert tables_outside_a_scroll_box(html) == 0, url


def test_survey_results_on_the_dashboard_are_a_section_of_the_programme_part(client, team, known):
    """The dashboard's parts under the programme's h2 are h3s; "Survey results" was an h2."""
    html = client.get(DASHBOARD, {"programme": known["programme"].pk, **YEAR_2026}).content.decode()
    pack = client.get(PACK, {"programme": known["programme"].pk, **YEAR_2026}).content.decode()

    assert '<h3 class="govuk-heading-m">Survey results</h3>' in html
    assert '<h2 class="govuk-heading-m">Survey results</h2>' in pack


def test_pdf_survey_line_of_one_response_is_singular_and_states_the_share_once(client, team, known):
    from tests.surveys.support import OpenSurveyFactory, SurveyQuestionFactory, answered

    survey = OpenSurveyFactory(
        programme=known["programme"], opened_at=timezone.make_aware(datetime.datetime(2026, 6, 1, 9))
    )
    question = SurveyQuestionFactory(survey=survey, statement="understood the frontline better")
    answered(survey, {question: 5})

    text = pdf_text(client.get(PACK_PDF, {"programme": known["programme"].pk, **YEAR_2026}).content)

    assert "100% of participants understood the frontline better (1 response)" in text
    assert "(1 responses)" not in text
    assert "100%: 100%" not in text


def test_a_long_chart_label_in_the_pdf_is_cut_short_inside_the_left_margin():
    from fpdf import FPDF

    from connecting.dashboard.pdf import fit_label

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    label = "Acute Care and Workforce with a very very long directorate name that goes on"

    fitted = fit_label(pdf, label, 60)

    assert fitted.endswith("...") and label.startswith(fitted[:-3])
    assert pdf.get_string_width(fitted) <= 60 - 2 * pdf.c_margin
    assert fit_label(pdf, "Analysis", 60) == "Analysis"


def test_charts_with_words_scroll_in_their_own_box_on_a_phone(client, team, known):
    """At 375 px the charts shrank to half size, their labels 7 pixels high: the bar and trend
    charts now keep a readable size in a box that scrolls sideways (and takes the focus)."""
    import re

    html = client.get(DASHBOARD, {"programme": known["programme"].pk, **YEAR_2026}).content.decode()

    charts = re.findall(r'<svg class="app-chart"', html)
    boxed = re.findall(
        r'<div class="app-chart-box" role="region" aria-label="Chart, scrolls sideways on a small screen" '
        r'tabindex="0">\s*<svg class="app-chart"',
        html,
    )
    assert len(charts) >= 3
    assert len(boxed) == len(charts)
