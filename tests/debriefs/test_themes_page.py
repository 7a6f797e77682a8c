"""The learning-themes page: what it shows, its filters, who may open it, and its queries."""

import datetime
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from debriefs.selectors.rollup import EmergingPhrase, ThemeQuoteRow, ThemeSummaryRow
from debriefs.services.rollup import theme_rollup_refresh
from tests.debriefs.review_support import text
from tests.debriefs.rollup_support import debrief_of_visit
from tests.factories import (
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db
THEMES = reverse("review:themes")


@pytest.fixture
def team(client):
    member = ProgrammeTeamFactory()
    client.force_login(member)
    return member


@pytest.fixture
def themes():
    return [ThemeFactory(name=name, slug=f"page-{name.lower()}") for name in ("Alpha", "Beta", "Gamma")]


def _march_and_february(programme, themes):
    """February: one debrief naming Alpha. March: three, two naming Alpha, one Beta, one quotable."""
    alpha, beta = themes[:2]
    debrief_of_visit(programme=programme, day=datetime.date(2026, 2, 9), themes=[alpha])
    debrief_of_visit(
        programme=programme,
        day=datetime.date(2026, 3, 3),
        themes=[alpha, beta],
        status="published",
        consent="named",
        participant=ParticipantFactory(full_name="Ada Lovelace"),
        what_i_learnt="The virtual ward keeps people at home.",
    )
    debrief_of_visit(
        programme=programme,
        day=datetime.date(2026, 3, 4),
        themes=[alpha],
        status="approved",
        consent="team_only",
        what_i_learnt="A virtual ward needs nurses at night.",
    )
    debrief_of_visit(programme=programme, day=datetime.date(2026, 3, 5), themes=[])
    theme_rollup_refresh()


def test_themes_page_shows_counts_share_change_quotes_and_emerging_themes(client, team, themes):
    programme = ProgrammeFactory(name="Connecting")
    _march_and_february(programme, themes)

    response = client.get(THEMES, {"programme": programme.pk, "period": "2026-03"})

    assert response.status_code == 200
    assert (response.context["period"].label, response.context["debriefs"]) == ("March 2026", 3)
    quote = (ThemeQuoteRow(text="The virtual ward keeps people at home.", programme_name="Connecting"),)
    alpha, beta = themes[:2]
    assert list(response.context["page"]) == [
        ThemeSummaryRow(alpha.pk, "Alpha", 2, 1, 1, Decimal("66.7"), quote),
        ThemeSummaryRow(beta.pk, "Beta", 1, 0, 1, Decimal("33.3"), quote),
    ]
    assert response.context["emerging"] == [EmergingPhrase(phrase="virtual ward", debrief_count=2, score=2.0)]
    page = text(response.content.decode())
    for shown in (
        "Alpha 2 66.7% +1 (previous period: 1) The virtual ward keeps people at home.",
        "virtual ward 2",
    ):
        assert shown in page
    assert "Ada Lovelace" not in page
    assert "nurses at night" not in page  # team only: counted, never quoted


def test_themes_page_shows_the_latest_month_by_default_and_a_quarter_when_asked(client, team, themes):
    _march_and_february(ProgrammeFactory(), themes)

    latest = client.get(THEMES)
    quarter = client.get(THEMES, {"period": "2026-Q1"})
    february = client.get(THEMES, {"period": "2026-02"})

    assert [(r.theme_name, r.count, r.change_label) for r in latest.context["page"]] == [
        ("Alpha", 2, "+1"),
        ("Beta", 1, "+1"),
    ]
    assert (quarter.context["period"].label, quarter.context["debriefs"]) == ("January to March 2026", 4)
    assert [(r.theme_name, r.count, r.change_label) for r in quarter.context["page"]] == [
        ("Alpha", 3, "+3"),
        ("Beta", 1, "+1"),
    ]
    assert [(r.theme_name, r.count, r.change_label) for r in february.context["page"]] == [("Alpha", 1, "+1")]
    assert [value for value, _label in latest.context["form"].fields["period"].choices[1][1]] == [
        "2026-03",
        "2026-02",
    ]


def test_themes_page_drop_shows_a_real_minus_and_sector_narrows_the_counts(client, team, themes):
    programme = ProgrammeFactory()
    alpha = themes[0]
    hospice = PartnerFactory(sector="hospice")
    for day in (2, 3):
        debrief_of_visit(
            programme=programme, day=datetime.date(2026, 2, day), themes=[alpha], partner=hospice
        )
    debrief_of_visit(programme=programme, day=datetime.date(2026, 3, 2), themes=[alpha])
    theme_rollup_refresh()

    everywhere = client.get(THEMES, {"period": "2026-03"})
    hospices = client.get(THEMES, {"period": "2026-03", "sector": "hospice"})

    assert [(r.count, r.previous_count, r.change_label) for r in everywhere.context["page"]] == [
        (1, 2, "\u22121")
    ]
    assert [
        (r.count, r.previous_count, r.change_label, r.share_percent) for r in hospices.context["page"]
    ] == [(0, 2, "\u22122", Decimal("0.0"))]


def test_themes_page_with_nothing_rolled_up_says_so(client, team):
    response = client.get(THEMES)

    assert (response.status_code, response.context["period"]) == (200, None)
    assert "No debriefs have been rolled up yet." in text(response.content.decode())


@pytest.mark.parametrize(
    "params",
    [
        {"period": "2026-13"},
        {"period": "march"},
        {"period": "2026-03\x00"},
        {"programme": "abc"},
        {"programme": "99999999999999999999999"},
        {"programme": "-1"},
        {"sector": "<script>"},
        {"directorate": "Nobody's"},
        {"page": "x"},
    ],
)
def test_themes_page_with_tampered_filters_answers_with_an_error_not_a_crash(client, team, themes, params):
    _march_and_february(ProgrammeFactory(), themes)

    response = client.get(THEMES, params)

    if "page" in params:  # a bad page number shows the first page, as the other lists do
        assert response.status_code == 200
    else:
        assert (response.status_code, list(response.context["form"].errors)) == (400, list(params))
        # The bad filter is dropped, not guessed: the page still shows the latest month.
        assert response.context["period"].label == "March 2026"


def test_themes_page_is_for_the_programme_team_only(client):
    client.force_login(ParticipantFactory())
    assert client.get(THEMES).status_code == 403
    client.force_login(PartnerMembershipFactory().user)
    assert client.get(THEMES).status_code == 403
    client.logout()
    anonymous = client.get(THEMES)
    assert (anonymous.status_code, anonymous["Location"]) == (
        302,
        f"{reverse('account_login')}?next={quote(THEMES)}",
    )


def test_themes_page_queries_do_not_grow_with_the_number_of_themes(client, team, themes):
    programme = ProgrammeFactory()

    def queries() -> int:
        theme_rollup_refresh()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(THEMES, {"period": "2026-03"}).status_code == 200
        return len(captured)

    debrief_of_visit(
        programme=programme,
        day=datetime.date(2026, 3, 3),
        themes=themes[:1],
        status="approved",
        what_i_learnt="One.",
    )
    one = queries()
    debrief_of_visit(
        programme=ProgrammeFactory(),
        day=datetime.date(2026, 3, 4),
        themes=themes,
        status="approved",
        what_i_learnt="Three.",
        participant=ParticipantFactory(directorate="Workforce"),
    )

    assert queries() == one


def test_table_scroll_box_holds_its_visually_hidden_text():
    """The change column's visually hidden text is absolutely positioned: unless the scroll box is
    its containing block it escapes the box's clipping, and at 375 px the whole page scrolled
    sideways (by 17 px)."""
    import re
    from pathlib import Path

    scss = (Path(__file__).resolve().parents[2] / "static/scss/application.scss").read_text()
    box = re.search(r"^\.app-table-scroll \{(.*?)^\}", scss, re.S | re.M)

    assert box, "the stylesheet has no .app-table-scroll rule"
    assert "position: relative;" in box.group(1)
