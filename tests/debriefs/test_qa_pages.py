"""What a walk through the pages in a browser found: the way in to "You said, we did", its words for
the programme team, and a review queue whose table fits its column."""

import re

import pytest
from django.urls import reverse

from debriefs.services.debriefs import debrief_publish, policy_action_create
from tests.debriefs.review_support import handed_in, text
from tests.factories import (
    DebriefFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeTeamFactory,
)

pytestmark = pytest.mark.django_db

LIBRARY = reverse("library:list")
YOU_SAID_WE_DID = reverse("library:you_said_we_did")
QUEUE = reverse("review:queue")


def _links(response) -> list[str]:
    return re.findall(r'href="([^"]+)"', response.content.decode())


@pytest.mark.parametrize(
    "who", [lambda: PartnerMembershipFactory().user, ProgrammeTeamFactory], ids=["partner", "team"]
)
def test_library_links_to_you_said_we_did_for_those_who_may_read_it(client, who):
    client.force_login(who())

    response = client.get(LIBRARY)

    assert response.status_code == 200
    assert YOU_SAID_WE_DID in _links(response)
    assert client.get(YOU_SAID_WE_DID).status_code == 200


def test_library_has_no_link_to_you_said_we_did_for_participants(client):
    client.force_login(ParticipantFactory())

    response = client.get(LIBRARY)

    assert response.status_code == 200
    assert YOU_SAID_WE_DID not in _links(response)


def test_you_said_we_did_does_not_tell_the_team_about_their_own_organisation(client):
    client.force_login(ProgrammeTeamFactory())

    team_page = text(client.get(YOU_SAID_WE_DID).content.decode())

    assert "your organisation" not in team_page
    assert "the visits a partner hosted" in team_page


def test_you_said_we_did_speaks_to_a_partner_contact_about_their_organisation(client):
    client.force_login(PartnerMembershipFactory(partner=PartnerFactory()).user)

    assert "the visits your organisation hosted" in text(client.get(YOU_SAID_WE_DID).content.decode())


def _queue_table(response) -> str:
    html = response.content.decode()
    return html[html.index("<table") : html.index("</table>")]


def test_review_queue_table_has_five_columns_that_break_only_long_words(client):
    """Eight columns, with the site's "break anywhere" rule on every cell, squeezed the visit's
    title and the "Assign to me" button down to a letter a line."""
    team = ProgrammeTeamFactory()
    client.force_login(team)
    flagged = handed_in(days_ago=3, partner=PartnerFactory(name="Zz Oakfield Hospice"))
    policy_action_create(debrief=flagged, by=team, description="Raise it", owner=team)

    response = client.get(QUEUE)
    table = _queue_table(response)

    assert len(re.findall(r"<th scope=\"col\"", table)) == 5
    cell_classes = re.findall(r'<t[dh] [^>]*class="([^"]*)"', table)
    assert cell_classes and all("govuk-!-text-break-word" in classes for classes in cell_classes)
    row = text(table)
    for shown in ("Zz Oakfield Hospice", "Visited", "3 days ago", "Submitted", "Flagged", "Assign to me"):
        assert shown in row
    # Nothing of the template's own notes reaches the page.
    assert "{#" not in response.content.decode() and "Five columns" not in text(response.content.decode())


def test_review_queue_says_today_rather_than_0_days_ago(client):
    client.force_login(ProgrammeTeamFactory())
    handed_in(days_ago=0)

    row = text(_queue_table(client.get(QUEUE)))

    assert "Today" in row
    assert "0 days ago" not in row


def test_library_card_breaks_a_word_too_long_for_the_column(client):
    """A 150-letter word in an insight's title pushed a phone's page to three times its width: the
    card's small heading and text are not in the site's list of things that break long words."""
    team = ProgrammeTeamFactory()
    word = "Supercalifragilisticexpialidocious" * 5
    debrief = DebriefFactory(status="approved", consent="anonymised")
    insight = debrief_publish(
        debrief=debrief, by=team, title=f"Handover delays {word}", body=word, personal_data_confirmed=True
    )
    client.force_login(ParticipantFactory())

    html = client.get(LIBRARY).content.decode()

    card = html[html.index(f'data-insight="{insight.pk}"') :]
    heading = re.search(r'<h3 class="([^"]*)">', card).group(1).split()
    assert "govuk-!-text-break-word" in heading
    assert '<div class="govuk-!-text-break-word"><p class="govuk-body-s">' in card
