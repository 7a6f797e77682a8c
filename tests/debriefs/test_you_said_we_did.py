"""You said, we did: what came of the visits a partner hosted, with no name and no debrief text."""

import re
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from debriefs.selectors.library import you_said_we_did_for_partner
from debriefs.services.debriefs import debrief_publish, policy_action_create, policy_action_update
from tests.factories import (
    DebriefFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeTeamFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("library:you_said_we_did")
DEBRIEF_TEXT = "Delays begin with the wait for a care package, said the visitor."


@pytest.fixture
def team():
    return ProgrammeTeamFactory(full_name="Rita Reviewer")


@pytest.fixture
def partner():
    return PartnerFactory(name="Zz Oakfield Hospital")


def _debrief(partner, *, status="approved", consent="anonymised", themes=(), name="Aisha Rahman"):
    debrief = DebriefFactory(
        status=status,
        consent=consent,
        what_i_learnt=DEBRIEF_TEXT,
        booking__slot__opportunity__partner=partner,
        booking__participant__full_name=name,
    )
    debrief.themes.set(themes)
    return debrief


def _action(team, debrief, description, *, outcome=""):
    action = policy_action_create(debrief=debrief, by=team, description=description, owner=team)
    if outcome:
        action = policy_action_update(action=action, by=team, status="done", outcome=outcome)
    return action


@pytest.fixture
def history(team, partner):
    """Visits of one partner in every state that matters, and one visit to another partner."""
    alpha, beta, gamma = (ThemeFactory(name=f"Zz {n} care") for n in ("alpha", "beta", "gamma"))
    secret, elsewhere = ThemeFactory(name="Zz secret theme"), ThemeFactory(name="Zz elsewhere theme")

    first = _debrief(partner, themes=[alpha, beta], name="Aisha Rahman")
    _action(team, first, "Update the discharge guidance", outcome="We rewrote the discharge guidance.")
    published = _debrief(partner, consent="named", themes=[alpha], name="Bilal Khan")
    debrief_publish(
        debrief=published, by=team, title="Published insight", body=DEBRIEF_TEXT, personal_data_confirmed=True
    )
    _action(team, published, "Look at the weekly funding panel")
    third = _debrief(partner, consent="named", themes=[beta, gamma], name="Chloe Evans")
    _action(team, third, "Pilot a daily huddle", outcome="We funded a pilot of daily huddles.")
    started = _action(team, third, "Talk to commissioners")
    policy_action_update(action=started, by=team, status="in_progress")

    # Contributes nothing: for the programme team only; not yet approved; another partner's visit.
    team_only = _debrief(partner, consent="team_only", themes=[alpha, secret], name="Dev Patel")
    _action(team, team_only, "Secret follow-up", outcome="Secret outcome.")
    _action(team, team_only, "Secret open follow-up")
    in_review = _debrief(partner, status="in_review", themes=[secret], name="Eve Jones")
    _action(team, in_review, "Not yet approved follow-up")
    other = _debrief(PartnerFactory(name="Zz Riverside Hospice"), themes=[elsewhere], name="Finn Hughes")
    _action(team, other, "Elsewhere follow-up", outcome="Elsewhere outcome.")


def _report(partner):
    report = you_said_we_did_for_partner(partner=partner)
    return {
        "debriefs": report.debriefs,
        "themes": [(theme.name, theme.debrief_count) for theme in report.themes],
        "done": [(action.description, action.outcome) for action in report.done],
        "in_progress": [action.description for action in report.in_progress],
    }


EXPECTED = {
    "debriefs": 3,
    "themes": [("Zz alpha care", 2), ("Zz beta care", 2), ("Zz gamma care", 1)],
    "done": [
        ("Pilot a daily huddle", "We funded a pilot of daily huddles."),
        ("Update the discharge guidance", "We rewrote the discharge guidance."),
    ],
    "in_progress": ["Talk to commissioners", "Look at the weekly funding panel"],
}


def test_you_said_we_did_counts_only_shared_approved_debriefs_of_the_partner(history, partner):
    assert _report(partner) == EXPECTED


def test_you_said_we_did_team_only_debrief_contributes_nothing(team, partner):
    debrief = _debrief(partner, consent="team_only", themes=[ThemeFactory(name="Zz hidden")])
    _action(team, debrief, "Hidden follow-up", outcome="Hidden outcome.")

    assert _report(partner) == {"debriefs": 0, "themes": [], "done": [], "in_progress": []}


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _page(response) -> dict:
    html = response.content.decode()
    body = html[html.index("<tbody") : html.index("</tbody>")] if "<tbody" in html else ""
    rows = [
        [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]
    actions = [
        (kind, _text(item))
        for kind, item in re.findall(r'<li data-action="([a-z-]+)">(.*?)</li>', html, re.S)
    ]
    heading = re.search(r'<h2 class="govuk-heading-m" id="partner">(.*?)</h2>', html)
    return {"partner": heading.group(1) if heading else None, "themes": rows, "actions": actions}


def _done_day(description):
    from debriefs.models import PolicyAction

    return PolicyAction.objects.get(description=description).done_at.strftime("%-d %B %Y")


def _expected_page(partner) -> dict:
    return {
        "partner": partner.name,
        "themes": [["Zz alpha care", "2"], ["Zz beta care", "2"], ["Zz gamma care", "1"]],
        "actions": [
            (
                "done",
                f"Done {_done_day('Pilot a daily huddle')} Pilot a daily huddle We funded a pilot of daily huddles.",
            ),
            (
                "done",
                f"Done {_done_day('Update the discharge guidance')} Update the discharge guidance "
                "We rewrote the discharge guidance.",
            ),
            ("in-progress", "In progress Talk to commissioners"),
            ("in-progress", "In progress Look at the weekly funding panel"),
        ],
    }


def test_partner_contact_sees_their_organisations_page_without_names_or_debrief_text(
    client, history, partner
):
    client.force_login(PartnerMembershipFactory(partner=partner, user__full_name="Hana Host").user)

    response = client.get(URL)

    assert (response.status_code, _page(response)) == (200, _expected_page(partner))
    html = response.content.decode()
    hidden = [
        "Aisha",
        "Rahman",
        "Bilal",
        "Chloe",
        "Dev Patel",
        DEBRIEF_TEXT,
        "Published insight",
        "Zz secret theme",
        "Secret",
        "Not yet approved",
        "Elsewhere",
    ]
    assert [word for word in hidden if word in html] == []
    assert "Based on 3 debriefs shared by visitors." in _text(html)


def test_partner_contact_cannot_choose_another_partner(client, history, partner):
    client.force_login(PartnerMembershipFactory(partner=partner).user)
    other = PartnerFactory(name="Zz Another Trust")

    response = client.get(URL, {"partner": other.pk})

    assert (response.status_code, _page(response)["partner"]) == (200, partner.name)


def test_contact_of_two_partners_chooses_between_their_own_only(client, history, partner):
    contact = PartnerMembershipFactory(partner=partner).user
    second = PartnerMembershipFactory(user=contact, partner=PartnerFactory(name="Zz Aardvark Care")).partner
    stranger = PartnerFactory(name="Zz Stranger Trust")
    client.force_login(contact)

    first_by_name = client.get(URL)
    chosen = client.get(URL, {"partner": partner.pk})
    refused = client.get(URL, {"partner": stranger.pk})

    assert (first_by_name.status_code, _page(first_by_name)["partner"]) == (200, second.name)
    options = re.findall(r'<option value="(\d*)"', first_by_name.content.decode())
    assert options == ["", str(second.pk), str(partner.pk)]
    assert (chosen.status_code, _page(chosen)) == (200, _expected_page(partner))
    assert (refused.status_code, _page(refused)["partner"]) == (400, second.name)
    assert "Select a partner from the list" in _text(refused.content.decode())


def test_programme_team_chooses_any_partner(client, history, partner, team):
    client.force_login(team)

    unchosen = client.get(URL)
    chosen = client.get(URL, {"partner": partner.pk})

    assert (unchosen.status_code, _page(unchosen)["partner"]) == (200, None)
    assert "Select a partner to see the themes participants raised" in _text(unchosen.content.decode())
    assert (chosen.status_code, _page(chosen)) == (200, _expected_page(partner))


@pytest.mark.parametrize("value", ["999999", "abc", "1\x00", "9" * 30])
def test_programme_team_bad_partner_is_named_in_the_error_summary(client, team, value):
    client.force_login(team)

    response = client.get(URL, {"partner": value})

    html = response.content.decode()
    summary = html[
        html.index("govuk-error-summary__list") : html.index("</ul>", html.index("govuk-error-summary"))
    ]
    assert (response.status_code, _text(summary.split(">", 1)[1]), _page(response)["partner"]) == (
        400,
        "Select a partner from the list",
        None,
    )


def test_you_said_we_did_is_not_for_participants(client, history):
    client.force_login(ParticipantFactory())

    assert client.get(URL).status_code == 403


def test_you_said_we_did_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(URL)

    assert (response.status_code, response["Location"]) == (
        302,
        f"{reverse('account_login')}?next={quote(URL)}",
    )


def test_partner_contact_without_an_organisation_is_told_so(client):
    from tests.factories import PartnerContactFactory

    client.force_login(PartnerContactFactory())

    response = client.get(URL)

    assert (response.status_code, _page(response)["partner"]) == (200, None)
    assert "Your account is not linked to an organisation yet." in _text(response.content.decode())


def test_you_said_we_did_query_count_does_not_grow_with_debriefs(client, team, partner):
    themes = [ThemeFactory(), ThemeFactory()]
    client.force_login(PartnerMembershipFactory(partner=partner).user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    def visit(number):
        debrief = _debrief(partner, themes=[themes[number % 2]])
        _action(team, debrief, f"Done {number}", outcome=f"Outcome {number}")
        _action(team, debrief, f"Open {number}")

    visit(0)
    one = queries()
    visit(1)
    visit(2)
    three = queries()

    assert (len(you_said_we_did_for_partner(partner=partner).done), one) == (3, three)
