"""Findings of the review of issue 5, each pinned by a test that failed before its fix."""

import pytest
from django.urls import reverse

from debriefs.models import Insight
from debriefs.selectors.debriefs import debrief_get_for_reader
from debriefs.services.common import DebriefRefused
from debriefs.services.debriefs import debrief_publish, debrief_save
from tests.debriefs.review_support import handed_in
from tests.factories import DebriefFactory, ProgrammeFactory, ProgrammeTeamFactory

pytestmark = pytest.mark.django_db

NAMES_AUTHOR = (
    "The author asked to share this without their name: remove their name and e-mail address from the text"
)
DRAFT_TEXT = "Mrs Example on bay 4 told me about her discharge."


# --- A draft debrief is its author's own until it is submitted -------------------------------------


def test_debrief_get_for_reader_keeps_a_draft_from_everyone_but_its_author():
    draft = DebriefFactory(status="draft", what_i_learnt=DRAFT_TEXT)
    submitted = DebriefFactory(status="submitted")
    team = ProgrammeTeamFactory()

    assert debrief_get_for_reader(booking=draft.booking, user=team) is None
    assert debrief_get_for_reader(booking=draft.booking, user=draft.booking.participant) == draft
    assert debrief_get_for_reader(booking=submitted.booking, user=team) == submitted


def test_debrief_page_does_not_show_the_team_a_draft(client):
    draft = DebriefFactory(status="draft", what_i_learnt=DRAFT_TEXT)
    client.force_login(ProgrammeTeamFactory())

    response = client.get(reverse("debriefs:debrief", args=[draft.booking.pk]))

    html = response.content.decode()
    assert (response.status_code, DRAFT_TEXT in html, response.context["debrief"]) == (200, False, None)


# --- An anonymised insight carries no name: not in its text either --------------------------------


def _anonymised(**fields):
    return DebriefFactory(
        status="approved",
        consent="anonymised",
        booking__participant__full_name="Aisha Rahman",
        booking__participant__email="aisha.rahman@dhsc.gov.uk",
        **fields,
    )


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [
        ("What the frailty unit taught us", "As AISHA  RAHMAN saw, the huddle works.", "body"),
        ("Aisha Rahman on frailty", "The huddle works.", "title"),
        ("Frailty", "Write to aisha.rahman@dhsc.gov.uk for more.", "body"),
    ],
)
def test_publishing_an_anonymised_insight_that_names_its_author_is_refused(title, body, field):
    debrief = _anonymised()

    with pytest.raises(DebriefRefused) as refused:
        debrief_publish(
            debrief=debrief, by=ProgrammeTeamFactory(), title=title, body=body, personal_data_confirmed=True
        )

    debrief.refresh_from_db()
    assert refused.value.message_dict == {field: [NAMES_AUTHOR]}
    assert (debrief.status, Insight.objects.count()) == ("approved", 0)


def test_republishing_an_anonymised_insight_with_its_authors_name_is_refused_and_keeps_the_old_text():
    debrief = _anonymised()
    team = ProgrammeTeamFactory()
    debrief_publish(debrief=debrief, by=team, title="Frailty", body="The huddle works.")

    with pytest.raises(DebriefRefused) as refused:
        debrief_publish(debrief=debrief, by=team, title="Frailty", body="Aisha Rahman saw the huddle.")

    debrief.refresh_from_db()
    assert refused.value.message_dict == {"body": [NAMES_AUTHOR]}
    assert (debrief.status, Insight.objects.get().body) == ("published", "The huddle works.")


def test_publishing_an_anonymised_insight_without_the_authors_name_still_works():
    debrief = _anonymised()

    insight = debrief_publish(
        debrief=debrief,
        by=ProgrammeTeamFactory(),
        title="Frailty",
        body="Aishan care works.",
        personal_data_confirmed=True,
    )

    assert (insight.attribution, insight.body) == ("", "Aishan care works.")


def test_publish_page_shows_the_authors_name_refusal_on_the_field(client):
    debrief = _anonymised()
    client.force_login(ProgrammeTeamFactory())

    response = client.post(
        reverse("review:publish", args=[debrief.pk]),
        {"title": "Frailty", "body": "Aisha Rahman saw the huddle."},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"body": [NAMES_AUTHOR]}
    assert Insight.objects.count() == 0


# --- An export asked for with a bad filter is refused, not widened ---------------------------------


@pytest.mark.parametrize("url_name", ["review:export_debriefs", "review:export_actions"])
def test_export_with_a_bad_filter_exports_nothing_and_shows_the_error(client, url_name):
    handed_in(status="submitted")
    client.force_login(ProgrammeTeamFactory())

    response = client.get(reverse(url_name), {"programme": "999999", "status": "all"})

    assert (response.status_code, response["Location"]) == (
        302,
        f"{reverse('review:queue')}?programme=999999&status=all",
    )
    queue = client.get(response["Location"])
    assert (queue.status_code, queue.context["form"].errors) == (
        400,
        {"programme": ["Choose a programme from the list"]},
    )


def test_export_with_good_filters_still_downloads(client):
    programme = ProgrammeFactory()
    handed_in(status="submitted", programme=programme)
    client.force_login(ProgrammeTeamFactory())

    response = client.get(reverse("review:export_debriefs"), {"programme": programme.pk})

    assert (response.status_code, response["Content-Type"]) == (200, "text/csv; charset=utf-8")
    assert len(b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()) == 2


# --- The debrief service holds its own values, not only the form ---------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"usefulness": 9, "consent": "named"}, "usefulness"),
        ({"usefulness": 3, "consent": "everyone"}, "consent"),
    ],
)
def test_debrief_save_refuses_values_the_form_never_offers_and_saves_nothing(values, field):
    booking = handed_in(status="draft").booking

    with pytest.raises(DebriefRefused) as refused:
        debrief_save(
            booking=booking,
            by=booking.participant,
            texts={"what_i_learnt": "Weekend discharge needs social care on site."},
            submit=True,
            **values,
        )

    booking.debrief.refresh_from_db()
    assert (list(refused.value.message_dict), booking.debrief.status) == ([field], "draft")
