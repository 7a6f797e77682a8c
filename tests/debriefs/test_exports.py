"""The CSV exports: consent decides who is in them and who is named; filters as in the queue."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from debriefs.exports import ACTION_HEADER, DEBRIEF_HEADER, csv_cell
from debriefs.models import DebriefAction, PolicyAction
from tests.debriefs.review_support import handed_in
from tests.factories import (
    CohortFactory,
    EnrolmentFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db
DEBRIEFS = reverse("review:export_debriefs")
ACTIONS = reverse("review:export_actions")


@pytest.fixture
def team(client):
    member = ProgrammeTeamFactory(full_name="Rita Reviewer")
    client.force_login(member)
    return member


def _download(client, url, **params) -> tuple[object, list[dict]]:
    response = client.get(url, params)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    header = [str(name) for name in (DEBRIEF_HEADER if url == DEBRIEFS else ACTION_HEADER)]
    assert rows[0] == header
    return response, [dict(zip(header, row, strict=True)) for row in rows[1:]]


def _column(rows, name) -> list[str]:
    return [row[name] for row in rows]


def test_debriefs_export_is_an_excel_ready_attachment_with_a_header_row(client, team):
    response, rows = _download(client, DEBRIEFS)

    assert (response["Content-Type"], response["Content-Disposition"]) == (
        "text/csv; charset=utf-8",
        'attachment; filename="debriefs.csv"',
    )
    assert rows == []


def test_debriefs_export_leaves_out_team_only_debriefs_unless_asked(client, team):
    shared = handed_in(consent="anonymised", days_ago=3)
    team_only = handed_in(consent="team_only", days_ago=2)
    handed_in(status="draft", consent="named")

    _response, default = _download(client, DEBRIEFS)
    _response, included = _download(client, DEBRIEFS, include_team_only=1)

    assert _column(default, "Debrief ID") == [str(shared.pk)]
    assert _column(included, "Debrief ID") == [str(shared.pk), str(team_only.pk)]
    assert _column(included, "Consent") == ["Shareable without my name", "Visible to the programme team only"]


def test_debriefs_export_names_the_author_only_when_they_shared_with_their_name(client, team):
    named = handed_in(
        consent="named",
        days_ago=3,
        participant=ParticipantFactory(full_name="Ada Lovelace", email="ada@dhsc.gov.uk"),
    )
    handed_in(consent="anonymised", days_ago=2, participant=ParticipantFactory(full_name="Bo Anon"))
    handed_in(consent="team_only", days_ago=1, participant=ParticipantFactory(full_name="Cy Private"))

    _response, rows = _download(client, DEBRIEFS, include_team_only=1)

    assert [(row["Debrief ID"], row["Author name"], row["Author e-mail address"]) for row in rows] == [
        (str(named.pk), "Ada Lovelace", "ada@dhsc.gov.uk"),
        (rows[1]["Debrief ID"], "", ""),
        (rows[2]["Debrief ID"], "", ""),
    ]


def test_debriefs_export_row_holds_the_debrief_and_its_visit(client, team):
    programme = ProgrammeFactory(name="Connecting 2026")
    cohort = CohortFactory(programme=programme, name="Autumn")
    participant = EnrolmentFactory(programme=programme, cohort=cohort).participant
    debrief = handed_in(
        programme=programme,
        participant=participant,
        partner=PartnerFactory(name="Oakfield Hospice", sector="hospice"),
        themes=[ThemeFactory(name="Zeta policy"), ThemeFactory(name="Alpha policy")],
        tags=["weekend", "discharge"],
        days_ago=2,
        status="in_review",
    )

    _response, [row] = _download(client, DEBRIEFS)

    local = timezone.localdate()
    assert row == {
        "Debrief ID": str(debrief.pk),
        "Status": "In review",
        "Submitted": (local - datetime.timedelta(days=2)).isoformat(),
        "Visit date": (local - datetime.timedelta(days=5)).isoformat(),
        "Programme": "Connecting 2026",
        "Cohort": "Autumn",
        "Partner": "Oakfield Hospice",
        "Partner sector": "Hospice",
        "Opportunity": "A day at Oakfield Hospice",
        "Themes": "Alpha policy; Zeta policy",
        "Tags": "weekend; discharge",
        "Usefulness (1 to 5)": "4",
        "Consent": "Shareable without my name",
        "Author name": "",
        "Author e-mail address": "",
        "Reviewer": "",
        "What I saw": "The discharge hub's morning huddle and two ward rounds.",
        "What I learnt": "Most delays start with waiting for a care package, not with the ward.",
        "What surprised me": "",
        "What works": "A single daily huddle with social care in the room.",
        "What does not work": "Funding decisions that wait for a weekly panel.",
        "Implications for policy": "Guidance should let trusts commission short-term care directly.",
    }


def test_debriefs_export_applies_the_queue_filters(client, team):
    programme = ProgrammeFactory()
    theme = ThemeFactory()
    cohort = CohortFactory(programme=programme)
    hospice = PartnerFactory(sector="hospice")
    wanted = handed_in(
        programme=programme,
        partner=hospice,
        themes=[theme],
        status="approved",
        participant=EnrolmentFactory(programme=programme, cohort=cohort).participant,
    )
    handed_in(programme=programme, partner=hospice, themes=[theme], status="submitted")
    handed_in(partner=hospice, themes=[theme], status="approved")
    handed_in(programme=programme, themes=[theme], status="approved")
    handed_in(programme=programme, partner=hospice, status="approved")

    def ids(**params):
        return _column(_download(client, DEBRIEFS, **params)[1], "Debrief ID")

    filters = {"programme": programme.pk, "sector": "hospice", "theme": theme.pk, "status": "approved"}
    assert ids(**filters) == [str(wanted.pk)]
    assert ids(**filters, cohort=cohort.pk) == [str(wanted.pk)]
    assert ids(cohort=cohort.pk, status="all") == [str(wanted.pk)]
    # No status: the queue's default, waiting for review.
    assert len(ids(programme=programme.pk)) == 1


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_export_cells_that_a_spreadsheet_would_run_as_formulas_are_defused(client, team, start):
    handed_in(what_surprised_me=f'{start}HYPERLINK("http://evil.example")', tags=[f"{start}1+1"])

    _response, [row] = _download(client, DEBRIEFS)

    assert (row["What surprised me"], row["Tags"]) == (
        f'\'{start}HYPERLINK("http://evil.example")',
        f"'{start}1+1",
    )


def test_csv_cell_leaves_ordinary_text_numbers_and_nothing_alone():
    assert [csv_cell(value) for value in ("A plain note", 4, None, "", "a=b")] == [
        "A plain note",
        "4",
        "",
        "",
        "a=b",
    ]


def test_actions_export_has_one_row_per_action_with_the_same_consent_rules(client, team):
    owner = ProgrammeTeamFactory(full_name="Olu Owner")
    theme = ThemeFactory(name="Hospital discharge")
    named = handed_in(
        consent="named",
        days_ago=3,
        themes=[theme],
        participant=ParticipantFactory(full_name="Ada Lovelace", email="ada@dhsc.gov.uk"),
    )
    anonymised = handed_in(consent="anonymised", days_ago=2)
    team_only = handed_in(consent="team_only", days_ago=1)
    DebriefAction.objects.create(debrief=named, description="Brief my team", owner="Me", due_on="2030-01-31")
    DebriefAction.objects.create(debrief=team_only, description="Hidden", owner="Me", due_on="2030-01-31")
    PolicyAction.objects.create(
        debrief=anonymised, description="=Raise it", owner=owner, status="in_progress"
    )
    PolicyAction.objects.create(debrief=team_only, description="Also hidden", owner=owner)

    _response, rows = _download(client, ACTIONS)

    assert rows == [
        {
            "Kind": "participant action",
            "Debrief ID": str(named.pk),
            "Action": "Brief my team",
            "Owner": "Me",
            "Due date": "2030-01-31",
            "Status": "",
            "What we did": "",
            "Themes": "Hospital discharge",
            "Consent": "Shareable with my name",
            "Author name": "Ada Lovelace",
            "Author e-mail address": "ada@dhsc.gov.uk",
        },
        {
            "Kind": "policy follow-up",
            "Debrief ID": str(anonymised.pk),
            "Action": "'=Raise it",
            "Owner": "Olu Owner",
            "Due date": "",
            "Status": "In progress",
            "What we did": "",
            "Themes": "",
            "Consent": "Shareable without my name",
            "Author name": "",
            "Author e-mail address": "",
        },
    ]
    _response, everything = _download(client, ACTIONS, include_team_only=1)
    assert _column(everything, "Action") == ["Brief my team", "Hidden", "'=Raise it", "Also hidden"]


def test_actions_export_applies_the_queue_filters(client, team):
    hospice, police = PartnerFactory(sector="hospice"), PartnerFactory(sector="police")
    wanted, other = handed_in(partner=hospice), handed_in(partner=police)
    DebriefAction.objects.create(debrief=wanted, description="Wanted", owner="Me", due_on="2030-01-31")
    DebriefAction.objects.create(debrief=other, description="Other", owner="Me", due_on="2030-01-31")

    _response, rows = _download(client, ACTIONS, sector="hospice")

    assert _column(rows, "Action") == ["Wanted"]


def test_export_query_count_does_not_grow_with_rows(client, team):
    def queries(url) -> int:
        with CaptureQueriesContext(connection) as captured:
            _download(client, url)
        return len(captured)

    def one_more():
        debrief = handed_in(themes=[ThemeFactory()], reviewer=ProgrammeTeamFactory())
        DebriefAction.objects.create(debrief=debrief, description="Do it", owner="Me", due_on="2030-01-31")
        PolicyAction.objects.create(debrief=debrief, description="Follow up", owner=team)

    one_more()
    one = (queries(DEBRIEFS), queries(ACTIONS))
    one_more()
    one_more()

    assert (queries(DEBRIEFS), queries(ACTIONS)) == one


@pytest.mark.parametrize("url", [DEBRIEFS, ACTIONS])
def test_exports_are_for_the_programme_team_only(client, url):
    handed_in(consent="named")
    for outsider in (ParticipantFactory(), PartnerMembershipFactory().user):
        client.force_login(outsider)
        assert client.get(url).status_code == 403
