"""The review page and each step of a review, driven through the real services."""

import re
from urllib.parse import quote

import pytest
from django.urls import reverse

from debriefs.models import DebriefAction, Insight, PolicyAction, PreparationStatus, ReviewEvent
from tests.debriefs.review_support import handed_in, messages_of, text
from tests.factories import (
    ParticipantFactory,
    PartnerFeedbackFactory,
    PartnerMembershipFactory,
    PreparationFactory,
    ProgrammeTeamFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

DEBRIEF_URLS = [
    ("review:detail", "get"),
    ("review:start", "post"),
    ("review:request_changes", "post"),
    ("review:approve", "post"),
    ("review:publish", "get"),
    ("review:publish", "post"),
    ("review:unpublish", "post"),
    ("review:reopen", "post"),
    ("review:comment", "post"),
    ("review:assign", "post"),
    ("review:flag", "post"),
]
POST_ONLY = sorted({name for name, method in DEBRIEF_URLS if method == "post"} - {"review:publish"})


@pytest.fixture
def team(client):
    member = ProgrammeTeamFactory(full_name="Rita Reviewer")
    client.force_login(member)
    return member


def _url(name, debrief) -> str:
    return reverse(name, kwargs={"debrief_id": debrief.pk})


def _post(client, name, debrief, **data):
    return client.post(_url(name, debrief), data)


def _status(debrief) -> str:
    debrief.refresh_from_db()
    return debrief.status


def _events(debrief) -> list[tuple[str, str, str]]:
    return list(debrief.events.values_list("action", "to_status", "comment"))


def _errors(response) -> dict:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def _buttons(html: str) -> list[str]:
    return re.findall(r'<input type="submit"\s+name="[^"]*"\s+value="([^"]*)"', html)


# --- Who may open the review pages ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "method"), DEBRIEF_URLS)
def test_every_review_url_refuses_participants_and_partner_contacts(client, name, method):
    debrief = handed_in(status="approved")
    url = _url(name, debrief)
    for outsider in (
        debrief.booking.participant,
        PartnerMembershipFactory(partner=debrief.booking.slot.opportunity.partner).user,
    ):
        client.force_login(outsider)
        assert getattr(client, method)(url, {"comment": "x"}).status_code == 403
    assert (_status(debrief), ReviewEvent.objects.count(), Insight.objects.count()) == ("approved", 0, 0)
    client.logout()
    anonymous = getattr(client, method)(url)
    assert (anonymous.status_code, anonymous["Location"]) == (
        302,
        f"{reverse('account_login')}?next={quote(url)}",
    )


@pytest.mark.parametrize(("name", "method"), DEBRIEF_URLS)
def test_every_review_url_answers_404_for_a_draft_or_a_missing_debrief(client, team, name, method):
    draft = handed_in(status="draft")
    missing = reverse(name, kwargs={"debrief_id": draft.pk + 1000})

    assert getattr(client, method)(_url(name, draft), {"comment": "x"}).status_code == 404
    assert getattr(client, method)(missing, {"comment": "x"}).status_code == 404
    too_big = reverse(name, kwargs={"debrief_id": 2**70})
    assert getattr(client, method)(too_big, {"comment": "x"}).status_code == 404
    assert (_status(draft), ReviewEvent.objects.count()) == ("draft", 0)


@pytest.mark.parametrize("name", POST_ONLY)
def test_a_get_on_a_post_only_review_url_answers_405_with_the_page(client, team, name):
    response = client.get(_url(name, handed_in()))

    assert response.status_code == 405
    assert "This page cannot be opened directly" in response.content.decode()


# --- The review page -------------------------------------------------------------------------------


def test_detail_shows_the_whole_debrief_its_preparation_feedback_warnings_and_history(client, team):
    debrief = handed_in(
        status="submitted",
        participant=ParticipantFactory(full_name="Ada Lovelace"),
        what_surprised_me="How calm the huddle was.",
        what_i_learnt="Ring the ward on jo.bloggs@example.com before discharge.",
        tags=["weekend discharge"],
        themes=[ThemeFactory(name="Hospital discharge")],
        personal_data_confirmed=True,
    )
    DebriefAction.objects.create(
        debrief=debrief, description="Brief the team", owner="Me", due_on="2030-01-31"
    )
    PreparationFactory(
        booking=debrief.booking,
        status=PreparationStatus.SUBMITTED,
        submitted_at=debrief.submitted_at,
        confidentiality_acknowledged=True,
    )
    PartnerFeedbackFactory(booking=debrief.booking, comments="Asked sharp questions.")
    ReviewEvent.objects.create(
        debrief=debrief, action="submitted", to_status="submitted", actor=debrief.booking.participant
    )

    response = client.get(_url("review:detail", debrief))

    assert response.status_code == 200
    assert response.context["warnings"] == ["What I learnt: an e-mail address (jo.bloggs@example.com)"]
    page = text(response.content.decode())
    for shown in (
        "Debrief of Ada Lovelace",
        "The discharge hub's morning huddle and two ward rounds.",
        "How calm the huddle was.",
        "A single daily huddle with social care in the room.",
        "Funding decisions that wait for a weekly panel.",
        "Guidance should let trusts commission short-term care directly.",
        "Hospital discharge",
        "weekend discharge",
        "4 out of 5",
        "Shareable without my name",
        "Brief the team",
        "Understand how discharge decisions are made at the weekend.",
        "Asked sharp questions.",
        "This debrief may contain personal data: What I learnt: an e-mail address (jo.bloggs@example.com)",
        "The author checked these",
        "Ada Lovelace Submitted",
    ):
        assert shown.replace("'", "&#x27;") in page


@pytest.mark.parametrize(
    ("status", "consent", "buttons", "can_publish"),
    [
        ("submitted", "anonymised", ["Start review"], False),
        ("in_review", "anonymised", ["Approve", "Request changes"], False),
        ("changes_requested", "anonymised", [], False),
        ("approved", "anonymised", ["Reopen for review"], True),
        ("approved", "team_only", ["Reopen for review"], False),
        ("published", "named", ["Withdraw from the library"], False),
    ],
)
def test_detail_offers_the_steps_the_state_allows(client, team, status, consent, buttons, can_publish):
    response = client.get(_url("review:detail", handed_in(status=status, consent=consent)))

    assert _buttons(response.content.decode()) == [
        *buttons,
        "Assign",
        "Add comment",
        "Flag for policy follow-up",
    ]
    assert response.context["can_publish"] is can_publish


# --- Each step -------------------------------------------------------------------------------------


def test_start_review_moves_the_debrief_into_review_and_makes_the_reviewer_its_own(client, team):
    debrief = handed_in(status="submitted")

    response = _post(client, "review:start", debrief)

    assert response.status_code == 302
    assert response["Location"] == _url("review:detail", debrief)
    debrief.refresh_from_db()
    assert (debrief.status, debrief.reviewer, _events(debrief)) == (
        "in_review",
        team,
        [("started", "in_review", "")],
    )


def test_approving_a_submitted_debrief_without_starting_review_is_refused_and_changes_nothing(client, team):
    debrief = handed_in(status="submitted")

    response = _post(client, "review:approve", debrief, comment="Good")

    assert response.status_code == 302
    assert messages_of(client.get(response["Location"])) == [
        ("error", "This debrief is submitted, so it cannot be approved.")
    ]
    assert (_status(debrief), _events(debrief)) == ("submitted", [])


def test_request_changes_needs_a_comment_and_saves_nothing_without_one(client, team):
    debrief = handed_in(status="in_review")

    response = _post(client, "review:request_changes", debrief, comment="   ")

    assert response.status_code == 400
    assert _errors(response) == {"comment": ["Enter what the author should change"]}
    assert (_status(debrief), _events(debrief)) == ("in_review", [])


@pytest.mark.parametrize(
    ("comment", "error"),
    [
        ("x" * 10_001, "Enter 10,000 characters or fewer"),
        ("Say\x00which ward", "Enter the text without special characters"),
    ],
)
def test_request_changes_shows_bad_text_as_a_field_error(client, team, comment, error):
    debrief = handed_in(status="in_review")

    response = _post(client, "review:request_changes", debrief, comment=comment)

    assert (response.status_code, _errors(response)) == (400, {"comment": [error]})
    assert _status(debrief) == "in_review"


def test_request_changes_sends_the_debrief_back_with_the_comment(client, team, mailoutbox):
    debrief = handed_in(status="in_review")

    response = _post(client, "review:request_changes", debrief, comment="Say which ward.")

    assert response.status_code == 302
    assert (_status(debrief), _events(debrief)) == (
        "changes_requested",
        [("changes_requested", "changes_requested", "Say which ward.")],
    )


def test_approve_takes_an_optional_comment(client, team):
    quiet, commented = handed_in(status="in_review"), handed_in(status="in_review")

    _post(client, "review:approve", quiet)
    _post(client, "review:approve", commented, comment="Clear and useful.")

    assert (_status(quiet), _events(quiet)) == ("approved", [("approved", "approved", "")])
    assert _events(commented) == [("approved", "approved", "Clear and useful.")]


def test_reopen_needs_a_reason_then_takes_an_approved_debrief_back_into_review(client, team):
    debrief = handed_in(status="approved")

    refused = _post(client, "review:reopen", debrief, comment="")
    reopened = _post(client, "review:reopen", debrief, comment="Check the dates.")

    assert (refused.status_code, _errors(refused)) == (
        400,
        {"comment": ["Enter why the debrief needs another review"]},
    )
    assert reopened.status_code == 302
    assert (_status(debrief), _events(debrief)) == (
        "in_review",
        [("reopened", "in_review", "Check the dates.")],
    )


def test_comment_is_added_to_the_history_without_a_change_of_state(client, team):
    debrief = handed_in(status="changes_requested")

    empty = _post(client, "review:comment", debrief, comment="")
    _post(client, "review:comment", debrief, comment="Any update?")

    assert _errors(empty) == {"comment": ["Enter your comment"]}
    assert (_status(debrief), _events(debrief)) == (
        "changes_requested",
        [("commented", "changes_requested", "Any update?")],
    )


# --- Publishing ------------------------------------------------------------------------------------


def test_publish_page_prefills_the_insight_and_shows_the_attribution(client, team):
    named = handed_in(
        status="approved", consent="named", participant=ParticipantFactory(full_name="Ada Lovelace")
    )
    anonymised = handed_in(status="approved", consent="anonymised")

    named_page = client.get(_url("review:publish", named))
    anonymised_page = client.get(_url("review:publish", anonymised))

    form = named_page.context["form"]
    assert (form["title"].value(), form["body"].value()) == (
        named.booking.slot.opportunity.title,
        "\n\n".join(
            [
                "Most delays start with waiting for a care package, not with the ward.",
                "A single daily huddle with social care in the room.",
                "Funding decisions that wait for a weekly panel.",
                "Guidance should let trusts commission short-term care directly.",
            ]
        ),
    )
    assert "personal_data_confirmed" not in named_page.content.decode()
    assert (named_page.context["attribution"], anonymised_page.context["attribution"]) == (
        "Ada Lovelace, Adult Social Care",
        "",
    )
    assert "No name: the author chose to share without their name" in anonymised_page.content.decode()


def test_publish_creates_one_insight_even_on_a_double_click(client, team):
    debrief = handed_in(status="approved", consent="anonymised")
    data = {"title": "Care packages", "body": "Delays start with care packages."}

    first = _post(client, "review:publish", debrief, **data)
    second = _post(client, "review:publish", debrief, **data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert list(Insight.objects.values_list("debrief", "title", "body", "attribution")) == [
        (debrief.pk, "Care packages", "Delays start with care packages.", "")
    ]
    assert (_status(debrief), [e[0] for e in _events(debrief)]) == ("published", ["published"])


def test_publishing_a_team_only_debrief_is_refused(client, team):
    debrief = handed_in(status="approved", consent="team_only")
    message = (
        "The author asked for this debrief to be seen by the programme team only, so it cannot be published."
    )

    page = client.get(_url("review:publish", debrief))
    posted = _post(client, "review:publish", debrief, title="T", body="B")

    assert (page.status_code, posted.status_code) == (302, 302)
    assert messages_of(client.get(posted["Location"])) == [("error", message), ("error", message)]
    assert (_status(debrief), Insight.objects.count()) == ("approved", 0)


def test_publishing_a_debrief_not_yet_approved_is_refused(client, team):
    debrief = handed_in(status="in_review", consent="named")

    response = _post(client, "review:publish", debrief, title="T", body="B")

    assert messages_of(client.get(response["Location"])) == [
        ("error", "This debrief is in review. Approve it before publishing it.")
    ]
    assert (_status(debrief), Insight.objects.count()) == ("in_review", 0)


def test_publish_asks_to_confirm_possible_personal_data_then_publishes(client, team):
    debrief = handed_in(status="approved", consent="anonymised")
    data = {"title": "Ringing ahead", "body": "Ring jo.bloggs@example.com before discharge."}

    warned = _post(client, "review:publish", debrief, **data)

    assert warned.status_code == 400
    assert _errors(warned) == {"body": ["Text: an e-mail address (jo.bloggs@example.com)"]}
    assert 'name="personal_data_confirmed"' in warned.content.decode()
    assert Insight.objects.count() == 0

    confirmed = _post(client, "review:publish", debrief, personal_data_confirmed="on", **data)

    assert confirmed.status_code == 302
    assert list(Insight.objects.values_list("title", flat=True)) == ["Ringing ahead"]


def test_publish_needs_a_title_and_text(client, team):
    debrief = handed_in(status="approved", consent="anonymised")

    response = _post(client, "review:publish", debrief, title=" ", body="")

    assert _errors(response) == {
        "title": ["Enter a title for the insight"],
        "body": ["Enter the text of the insight"],
    }
    assert Insight.objects.count() == 0


def test_unpublish_needs_a_reason_then_removes_the_insight(client, team):
    debrief = handed_in(status="approved", consent="anonymised")
    _post(client, "review:publish", debrief, title="Care packages", body="Delays start early.")

    refused = _post(client, "review:unpublish", debrief, comment="")
    assert (refused.status_code, _errors(refused)) == (
        400,
        {"comment": ["Enter why the insight is being withdrawn"]},
    )
    assert Insight.objects.count() == 1

    withdrawn = _post(client, "review:unpublish", debrief, comment="The partner asked us to.")

    assert withdrawn.status_code == 302
    assert (_status(debrief), Insight.objects.count()) == ("approved", 0)
    assert _events(debrief)[-1] == ("unpublished", "approved", "The partner asked us to.")


# --- Assigning and flagging ------------------------------------------------------------------------


def test_assign_to_me_from_the_queue_goes_back_to_the_queue(client, team):
    debrief = handed_in(status="submitted")
    queue = reverse("review:queue") + "?sector=hospice"

    response = _post(client, "review:assign", debrief, reviewer=team.pk, next=queue)

    assert response["Location"] == queue
    debrief.refresh_from_db()
    assert (debrief.reviewer, _events(debrief)) == (team, [("assigned", "submitted", "Rita Reviewer")])


def test_assign_to_another_team_member_from_the_review_page(client, team):
    colleague = ProgrammeTeamFactory(full_name="Colin Colleague")
    debrief = handed_in(status="in_review", reviewer=team)

    response = _post(client, "review:assign", debrief, reviewer=colleague.pk, next="https://evil.example/")

    assert response["Location"] == _url("review:detail", debrief)
    assert messages_of(client.get(response["Location"])) == [
        ("success", "The debrief is assigned to Colin Colleague.")
    ]
    debrief.refresh_from_db()
    assert debrief.reviewer == colleague


@pytest.mark.parametrize("reviewer", ["participant", "contact", "nonsense", str(2**70), ""])
def test_assign_to_anyone_outside_the_programme_team_is_refused(client, team, reviewer):
    debrief = handed_in(status="submitted")
    ids = {"participant": debrief.booking.participant.pk, "contact": PartnerMembershipFactory().user.pk}

    response = _post(client, "review:assign", debrief, reviewer=ids.get(reviewer, reviewer))

    assert response.status_code == 400
    expected = "Select a reviewer" if reviewer == "" else "Select a reviewer from the programme team"
    assert _errors(response) == {"reviewer": [expected]}
    debrief.refresh_from_db()
    assert (debrief.reviewer, _events(debrief)) == (None, [])


def test_flag_creates_a_policy_action_and_records_it_in_the_history(client, team):
    owner = ProgrammeTeamFactory(full_name="Olu Owner")
    debrief = handed_in(status="in_review")

    response = _post(
        client,
        "review:flag",
        debrief,
        description="Raise weekend discharge with DHSC policy.",
        owner=owner.pk,
    )

    assert response.status_code == 302
    assert list(
        PolicyAction.objects.values_list("debrief", "description", "owner", "status", "created_by")
    ) == [(debrief.pk, "Raise weekend discharge with DHSC policy.", owner.pk, "open", team.pk)]
    assert _events(debrief) == [("flagged", "in_review", "Raise weekend discharge with DHSC policy.")]


def test_flag_needs_a_description_and_an_owner_from_the_programme_team(client, team):
    debrief = handed_in(status="in_review")

    response = _post(client, "review:flag", debrief, description="", owner=debrief.booking.participant.pk)

    assert response.status_code == 400
    assert _errors(response) == {
        "description": ["Enter what needs to happen"],
        "owner": ["Select an owner from the programme team"],
    }
    assert (PolicyAction.objects.count(), _events(debrief)) == (0, [])


def test_a_step_posted_with_errors_is_shown_with_them_even_when_the_page_would_not_offer_it(client, team):
    debrief = handed_in(status="approved")

    response = _post(client, "review:request_changes", debrief, comment="")

    assert (response.status_code, _errors(response)) == (
        400,
        {"comment": ["Enter what the author should change"]},
    )
    assert 'id="id_changes_comment"' in response.content.decode()
    assert _status(debrief) == "approved"
