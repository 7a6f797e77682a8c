"""My connecting: days against target, the participant's history, and the actions from their
debriefs with the team's follow-up; only ever their own."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from debriefs.models import DebriefAction, PolicyAction
from placements.selectors.visits import VisitHistoryRow
from tests.factories import (
    BookingFactory,
    DebriefFactory,
    EnrolmentFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerContactFactory,
    PartnerFactory,
    PartnerFeedbackFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db

HOME = reverse("accounts:participant_home")


@pytest.fixture
def person():
    return ParticipantFactory(full_name="Pat Participant")


@pytest.fixture
def team():
    return ProgrammeTeamFactory()


def _visit(person, days_ago: int, status: str = "attended", opportunity=None, **booking):
    slot = SlotFactory(days_ahead=-days_ago, **({"opportunity": opportunity} if opportunity else {}))
    return BookingFactory(participant=person, slot=slot, status=status, **booking)


def _action(debrief, description: str, due_on: datetime.date, owner: str = "Me") -> DebriefAction:
    return DebriefAction.objects.create(debrief=debrief, description=description, owner=owner, due_on=due_on)


def _policy_action(debrief, team, description: str, status: str = "open", outcome: str = "") -> PolicyAction:
    done_at = timezone.now() if status == "done" else None
    return PolicyAction.objects.create(
        debrief=debrief,
        description=description,
        owner=team,
        status=status,
        outcome=outcome,
        done_at=done_at,
        created_by=team,
    )


# --- Days against target ------------------------------------------------------------------------------


def test_days_against_target_shows_the_figures_and_a_bar_of_the_share_completed(client, person):
    programme = ProgrammeFactory(
        name="Connecting",
        target_days_per_participant=6,
        starts_on=timezone.localdate() - datetime.timedelta(days=100),
    )
    EnrolmentFactory(programme=programme, participant=person)
    opportunity = OpportunityFactory(programmes=[programme])
    _visit(person, 3, opportunity=opportunity)
    BookingFactory(
        participant=person, slot=SlotFactory(opportunity=opportunity, days_ahead=10), status="confirmed"
    )
    client.force_login(person)

    response = client.get(HOME)

    summaries = response.context["summaries"]
    assert [
        (s.programme, s.target, s.completed, s.booked, s.to_book, s.percent_completed) for s in summaries
    ] == [(programme, 6, 1.0, 2.0, 4.0, 16)]
    html = response.content.decode()
    assert "1 of 6 days completed, 2 booked" in html
    assert '<rect x="0" y="0" width="16" height="20" fill="#00703c"/>' in html
    assert "16% of the target completed" in html
    assert "style=" not in html.split('id="main-content"')[1]


# --- History --------------------------------------------------------------------------------------------


def test_history_lists_attended_missed_and_late_cancelled_visits_latest_first_with_debriefs(client, person):
    attended = _visit(person, 3)
    debrief = DebriefFactory(booking=attended, status="in_review")
    no_debrief = _visit(person, 20)
    missed = _visit(person, 10, status="no_show")
    late = _visit(person, 5, status="cancelled", cancelled_late=True)
    _visit(person, 7, status="cancelled")
    _visit(person, 8, status="declined")
    BookingFactory(participant=person, status="confirmed")
    _visit(ParticipantFactory(), 2)
    client.force_login(person)

    response = client.get(HOME)

    assert response.context["history"] == [
        VisitHistoryRow(booking=attended, days_counted=1.0, debrief=debrief),
        VisitHistoryRow(booking=late, days_counted=0.0, debrief=None),
        VisitHistoryRow(booking=missed, days_counted=0.0, debrief=None),
        VisitHistoryRow(booking=no_debrief, days_counted=1.0, debrief=None),
    ]
    html = response.content.decode()
    assert f'href="/bookings/{attended.pk}/debrief/"' in html
    assert f'href="/bookings/{no_debrief.pk}/debrief/"' in html
    assert f'href="/bookings/{missed.pk}/debrief/"' not in html
    assert "In review" in html and "Cancelled late" in html and "Write your debrief" in html
    assert 'href="/visits/">See all your visits</a>' in html


def test_history_is_capped_at_ten_with_a_link_to_every_visit(client, person):
    visits = [_visit(person, days) for days in range(2, 14)]
    client.force_login(person)

    response = client.get(HOME)

    assert [row.booking for row in response.context["history"]] == visits[:10]
    assert 'href="/visits/">See all your visits</a>' in response.content.decode()


# --- Actions ----------------------------------------------------------------------------------------------


def test_actions_are_the_participants_own_with_overdue_ones_tagged(client, person, team):
    today = timezone.localdate()
    debrief = DebriefFactory(booking=_visit(person, 3), status="submitted")
    overdue = _action(
        debrief, "Write up the huddle for my team", today - datetime.timedelta(days=1), "Me and Sam"
    )
    due_today = _action(debrief, "Share the discharge checklist", today)
    later = _action(debrief, "Visit the hospice", today + datetime.timedelta(days=30))
    others = DebriefFactory(booking=_visit(ParticipantFactory(), 3), status="submitted")
    _action(others, "Someone else's private plan", today)
    client.force_login(person)

    response = client.get(HOME)

    actions = response.context["debrief_actions"]
    assert [(a, a.is_overdue) for a in actions] == [(overdue, True), (due_today, False), (later, False)]
    html = response.content.decode()
    assert "Me and Sam" in html
    assert html.count("Overdue</strong>") == 1
    assert "Someone else&#x27;s private plan" not in html and "Someone else's private plan" not in html
    # Three columns of long text: on a phone the table scrolls in its own box, not the page.
    assert re.search(
        r'<div class="app-table-scroll"[^>]*>\s*<table class="govuk-table">\s*<caption[^>]*>What you said you would do',
        html,
    )


def test_you_said_we_did_shows_the_teams_follow_up_on_own_debriefs_only(client, person, team):
    debrief = DebriefFactory(booking=_visit(person, 3), status="approved", consent="team_only")
    opened = _policy_action(debrief, team, "Raise weekend discharge with the policy team")
    done = _policy_action(
        debrief, team, "Share the huddle model", status="done", outcome="Added to the discharge guidance."
    )
    going = _policy_action(debrief, team, "Ask trusts about funding panels", status="in_progress")
    others = DebriefFactory(booking=_visit(ParticipantFactory(), 3), status="approved")
    _policy_action(others, team, "Another person's follow-up")
    PartnerFeedbackFactory(booking=debrief.booking, comments="The host's private view of the visitor.")
    client.force_login(person)

    response = client.get(HOME)

    assert list(response.context["policy_actions"]) == [going, opened, done]
    html = response.content.decode()
    assert "Added to the discharge guidance." in html
    assert "Another person" not in html
    assert "The host&#x27;s private view" not in html and "The host's private view" not in html


def test_my_connecting_query_count_is_the_same_for_one_and_three_visits_and_actions(client, person, team):
    programme = ProgrammeFactory(starts_on=timezone.localdate() - datetime.timedelta(days=100))
    EnrolmentFactory(programme=programme, participant=person)
    opportunity = OpportunityFactory(programmes=[programme], partner=PartnerFactory())
    client.force_login(person)

    def add(days_ago: int) -> None:
        debrief = DebriefFactory(
            booking=_visit(person, days_ago, opportunity=opportunity), status="submitted"
        )
        _action(debrief, f"Action {days_ago}", timezone.localdate())
        _policy_action(debrief, team, f"Follow-up {days_ago}")
        BookingFactory(
            participant=person,
            slot=SlotFactory(opportunity=opportunity, days_ahead=days_ago),
            status="confirmed",
        )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(HOME).status_code == 200
        return len(captured)

    add(3)
    one = queries()
    add(4)
    add(5)
    three = queries()

    response = client.get(HOME)
    assert [
        len(response.context[k]) for k in ("history", "debrief_actions", "policy_actions", "bookings")
    ] == [
        3,
        3,
        3,
        3,
    ]
    assert one == three


def test_my_connecting_is_forbidden_to_a_partner_contact_as_before(client):
    client.force_login(PartnerContactFactory())

    assert client.get(HOME).status_code == 403
