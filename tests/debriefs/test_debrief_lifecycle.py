"""The review state machine: one table of moves, one function that makes them, a history of each."""

import itertools

import pytest
from django.db import IntegrityError, transaction

from debriefs.models import DEBRIEF_TRANSITIONS, Debrief, DebriefStatus, Insight, ReviewEvent
from debriefs.services.common import DebriefRefused
from debriefs.services.debriefs import (
    debrief_approve,
    debrief_publish,
    debrief_request_changes,
    debrief_save,
    debrief_start_review,
    debrief_transition,
)
from tests.factories import DebriefFactory, ProgrammeTeamFactory

D = DebriefStatus
ILLEGAL_MOVES = [
    (current, to)
    for current, to in itertools.product(D.values, D.values)
    if current != to and to not in DEBRIEF_TRANSITIONS[current]
]


@pytest.mark.parametrize(("current", "to"), ILLEGAL_MOVES)
def test_every_move_outside_the_review_table_is_refused_and_changes_nothing(db, current, to):
    debrief = DebriefFactory(status=current, consent="named")
    team = ProgrammeTeamFactory(totp=False)

    with pytest.raises(DebriefRefused) as refused:
        debrief_transition(debrief=debrief, to=to, by=team)

    assert refused.value.code == "illegal_transition"
    debrief.refresh_from_db()
    assert (debrief.status, ReviewEvent.objects.count()) == (current, 0)


def test_moving_to_the_state_a_debrief_has_is_quiet_and_recorded_once(db):
    debrief = DebriefFactory(status=D.SUBMITTED)
    team = ProgrammeTeamFactory(totp=False)

    debrief_start_review(debrief=debrief, by=team)
    debrief_start_review(debrief=debrief, by=team)

    assert list(ReviewEvent.objects.values_list("action", "from_status", "to_status")) == [
        ("started", "submitted", "in_review")
    ]
    debrief.refresh_from_db()
    assert debrief.reviewer == team


def test_a_debrief_goes_from_draft_to_published_with_its_history(
    db, django_capture_on_commit_callbacks, mailoutbox
):
    debrief = DebriefFactory(consent="anonymised")
    author = debrief.booking.participant
    team = ProgrammeTeamFactory(totp=False)

    with django_capture_on_commit_callbacks(execute=True):
        debrief_save(
            booking=debrief.booking,
            by=author,
            texts={"what_i_learnt": "Delays start with care packages."},
            usefulness=5,
            consent="anonymised",
            submit=True,
            personal_data_confirmed=True,
        )
        debrief_start_review(debrief=debrief, by=team)
        debrief_request_changes(debrief=debrief, by=team, comment="Say which ward.")
        debrief_save(
            booking=debrief.booking,
            by=author,
            texts={"what_i_learnt": "Delays start with care packages on the frailty ward."},
            usefulness=5,
            consent="anonymised",
            submit=True,
            personal_data_confirmed=True,
        )
        debrief_start_review(debrief=debrief, by=team)
        debrief_approve(debrief=debrief, by=team)
        insight = debrief_publish(debrief=debrief, by=team, title="Care packages", body="Delays start early.")

    assert list(ReviewEvent.objects.values_list("action", "to_status", "comment")) == [
        ("submitted", "submitted", ""),
        ("started", "in_review", ""),
        ("changes_requested", "changes_requested", "Say which ward."),
        ("submitted", "submitted", ""),
        ("started", "in_review", ""),
        ("approved", "approved", ""),
        ("published", "published", ""),
    ]
    assert (insight.attribution, insight.partner, Insight.objects.count()) == (
        "",
        debrief.booking.slot.opportunity.partner,
        1,
    )
    assert [m.subject for m in mailoutbox] == [
        "Connecting: Changes requested to your debrief",
        "Connecting: Your debrief has been approved",
        "Connecting: Your debrief is in the learning library",
    ]
    assert all(m.to == [author.email] for m in mailoutbox)


def test_a_team_only_debrief_cannot_be_published_by_the_service_or_the_database(db):
    debrief = DebriefFactory(status=D.APPROVED, consent="team_only")
    team = ProgrammeTeamFactory(totp=False)

    with pytest.raises(DebriefRefused) as refused:
        debrief_publish(debrief=debrief, by=team, title="T", body="B")
    assert refused.value.code == "no_consent"
    assert Insight.objects.count() == 0

    with pytest.raises(IntegrityError), transaction.atomic():
        Debrief.objects.filter(pk=debrief.pk).update(status=D.PUBLISHED)


def test_withdrawing_a_debrief_that_is_not_published_says_what_was_refused(db):
    from django.utils import timezone

    from debriefs.services.debriefs import debrief_unpublish

    debrief = DebriefFactory(status="submitted", submitted_at=timezone.now())

    with pytest.raises(
        DebriefRefused,
        match="This debrief is submitted, so it cannot be withdrawn from the learning library.",
    ):
        debrief_unpublish(debrief=debrief, by=ProgrammeTeamFactory(), comment="Out of date")
