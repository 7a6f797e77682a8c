"""Findings of the review of issue 5, each pinned by a test that failed before its fix."""

import pytest
from django.urls import reverse

from debriefs.selectors.debriefs import debrief_get_for_reader
from tests.factories import DebriefFactory, ProgrammeTeamFactory

pytestmark = pytest.mark.django_db

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
