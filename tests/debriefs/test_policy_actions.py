"""Policy follow-up: the list of actions and moving one on to done, with what was done."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from debriefs.models import PolicyAction
from tests.debriefs.review_support import handed_in, messages_of
from tests.factories import ParticipantFactory, PartnerMembershipFactory, ProgrammeTeamFactory

pytestmark = pytest.mark.django_db
LIST = reverse("review:policy_actions")


@pytest.fixture
def team(client):
    member = ProgrammeTeamFactory(full_name="Rita Reviewer")
    client.force_login(member)
    return member


def _action(*, owner, status="open", days_ago=1, outcome="", **fields):
    done = status == "done"
    return PolicyAction.objects.create(
        debrief=fields.pop("debrief", None) or handed_in(),
        description=fields.pop("description", "Raise it with policy colleagues"),
        owner=owner,
        status=status,
        outcome=outcome or ("We wrote to the trust." if done else ""),
        created_at=timezone.now() - datetime.timedelta(days=days_ago),
        done_at=timezone.now() if done else None,
        **fields,
    )


def _ids(response) -> list[int]:
    return [action.pk for action in response.context["page"]]


def _edit_url(action) -> str:
    return reverse("review:policy_action", kwargs={"action_id": action.pk})


def test_list_shows_open_actions_first_then_in_progress_then_done_newest_first(client, team):
    old_done = _action(owner=team, status="done", days_ago=1)
    old_open = _action(owner=team, days_ago=9)
    new_open = _action(owner=team, days_ago=2)
    progress = _action(owner=team, status="in_progress", days_ago=5)

    response = client.get(LIST)

    assert response.status_code == 200
    assert _ids(response) == [new_open.pk, old_open.pk, progress.pk, old_done.pk]


def test_list_filters_by_status_and_by_my_own(client, team):
    colleague = ProgrammeTeamFactory()
    mine_open = _action(owner=team, days_ago=3)
    mine_done = _action(owner=team, status="done", days_ago=2)
    theirs_open = _action(owner=colleague, days_ago=1)

    assert _ids(client.get(LIST, {"status": "open"})) == [theirs_open.pk, mine_open.pk]
    assert _ids(client.get(LIST, {"owner": "mine"})) == [mine_open.pk, mine_done.pk]
    assert _ids(client.get(LIST, {"owner": "mine", "status": "done"})) == [mine_done.pk]
    bad = client.get(LIST, {"status": "finished"})
    assert (bad.status_code, list(bad.context["form"].errors)) == (400, ["status"])


def test_list_pages_hold_25_and_keep_the_filters(client, team):
    actions = [_action(owner=team, days_ago=n) for n in range(1, 27)]

    second = client.get(LIST, {"owner": "mine", "page": 2})

    assert _ids(second) == [actions[25].pk]
    assert 'href="?owner=mine&amp;page=1"' in second.content.decode()


def test_list_query_count_does_not_grow_with_rows(client, team):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    _action(owner=team)
    one = queries()
    _action(owner=ProgrammeTeamFactory())
    _action(owner=ProgrammeTeamFactory(), status="done")

    assert queries() == one


def test_marking_an_action_done_without_an_outcome_is_refused_and_saves_nothing(client, team):
    colleague = ProgrammeTeamFactory()
    action = _action(owner=team)

    response = client.post(_edit_url(action), {"status": "done", "owner": colleague.pk, "outcome": "  "})

    assert response.status_code == 400
    assert dict(response.context["form"].errors) == {"outcome": ["Enter what was done"]}
    action.refresh_from_db()
    assert (action.status, action.owner, action.outcome, action.done_at) == ("open", team, "", None)


def test_marking_an_action_done_with_an_outcome_records_when(client, team):
    colleague = ProgrammeTeamFactory()
    action = _action(owner=team)
    before = timezone.now()

    response = client.post(
        _edit_url(action), {"status": "done", "owner": colleague.pk, "outcome": "Guidance updated in May."}
    )

    assert response["Location"] == LIST
    assert messages_of(client.get(LIST)) == [("success", "The policy action is saved.")]
    action.refresh_from_db()
    assert (action.status, action.owner, action.outcome) == ("done", colleague, "Guidance updated in May.")
    assert before <= action.done_at <= timezone.now()


def test_edit_page_shows_the_action_and_refuses_a_non_team_owner(client, team):
    action = _action(owner=team, description="Ask about weekend discharge")

    page = client.get(_edit_url(action))
    refused = client.post(_edit_url(action), {"status": "in_progress", "owner": ParticipantFactory().pk})

    assert page.status_code == 200
    assert "Ask about weekend discharge" in page.content.decode()
    assert page.context["form"]["status"].value() == "open"
    assert dict(refused.context["form"].errors) == {"owner": ["Select an owner from the programme team"]}
    action.refresh_from_db()
    assert (action.status, action.owner) == ("open", team)


def test_edit_page_answers_404_for_a_missing_action(client, team):
    for action_id in (999999, 2**70):
        assert client.get(reverse("review:policy_action", kwargs={"action_id": action_id})).status_code == 404


def test_policy_action_pages_are_for_the_programme_team_only(client):
    action = _action(owner=ProgrammeTeamFactory())
    for outsider in (action.debrief.booking.participant, PartnerMembershipFactory().user):
        client.force_login(outsider)
        assert client.get(LIST).status_code == 403
        assert client.get(_edit_url(action)).status_code == 403
        assert client.post(_edit_url(action), {"status": "done", "outcome": "x"}).status_code == 403
    action.refresh_from_db()
    assert action.status == "open"


def test_what_we_did_is_checked_for_personal_data_before_partners_can_read_it(client, team):
    action = _action(owner=team)
    outcome = "We wrote to Mrs Patel's GP about her discharge."
    answers = {"status": "done", "owner": team.pk, "outcome": outcome}

    warned = client.post(_edit_url(action), answers)

    assert warned.status_code == 400
    assert warned.context["form"].errors["outcome"] == ["What we did: a title followed by a name (Mrs Patel)"]
    assert 'name="personal_data_confirmed"' in warned.content.decode()
    action.refresh_from_db()
    assert (action.status, action.outcome) == ("open", "")

    confirmed = client.post(_edit_url(action), {**answers, "personal_data_confirmed": "on"})

    action.refresh_from_db()
    assert (confirmed.status_code, action.status, action.outcome) == (302, "done", outcome)


def test_flagging_checks_the_description_for_personal_data_and_keeps_nothing_until_confirmed(client, team):
    debrief = handed_in(status="in_review")
    url = reverse("review:flag", kwargs={"debrief_id": debrief.pk})
    answers = {"description": "Call 020 7946 0018 about the discharge hub", "owner": team.pk}

    warned = client.post(url, answers)

    assert warned.status_code == 400
    assert warned.context["flag_form"].errors["description"] == [
        "What needs to happen: a phone number (020 7946 0018)"
    ]
    assert PolicyAction.objects.count() == 0

    confirmed = client.post(url, {**answers, "personal_data_confirmed": "on"})

    assert (confirmed.status_code, PolicyAction.objects.count()) == (302, 1)
