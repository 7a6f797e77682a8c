"""The survey pages: the team's list, draft, open, close and results; the invitee's answer and
thank-you pages; who may open each, and hostile input."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connecting.models import OutboxMessage
from connecting.surveys.models import QuestionKind, Survey, SurveyAnswer, SurveyInvitation, SurveyResponse
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    PartnerMembershipFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
)
from tests.surveys.support import (
    OpenSurveyFactory,
    SurveyFactory,
    SurveyInvitationFactory,
    SurveyQuestionFactory,
    answered,
)

pytestmark = pytest.mark.django_db

LIST = reverse("surveys:list")
CREATE = reverse("surveys:create")


def _url(name: str, survey) -> str:
    return reverse(f"surveys:{name}", args=[survey.pk])


@pytest.fixture
def team(client):
    member = ProgrammeTeamFactory()
    client.force_login(member)
    return member


def _summary_messages(response) -> list[str]:
    return [message for _anchor, message in response.context["error_items"]]


# --- Who may open the team's pages ---------------------------------------------------------------


@pytest.mark.parametrize("make_user", [ParticipantFactory, lambda: PartnerMembershipFactory().user])
def test_team_pages_answer_403_to_participants_and_partners(client, make_user):
    survey = OpenSurveyFactory()
    client.force_login(make_user())

    gets = [
        client.get(url).status_code
        for url in (LIST, CREATE, *(_url(n, survey) for n in ("detail", "edit", "open", "close", "results")))
    ]
    posts = [client.post(_url(n, survey)).status_code for n in ("open", "close")]

    assert (gets, posts) == ([403] * 7, [403, 403])
    assert Survey.objects.get().status == "open"


# --- The list ------------------------------------------------------------------------------------


def test_survey_list_shows_surveys_newest_first_with_answer_counts(client, team):
    older = OpenSurveyFactory(created_at=timezone.now() - timezone.timedelta(days=2), title="Older")
    newer = SurveyFactory(title="Newer")
    SurveyInvitationFactory(survey=older)
    answered(older, {})

    response = client.get(LIST)

    rows = [(s.title, s.invited_count, s.answered_count) for s in response.context["page"].object_list]
    assert (response.status_code, rows) == (200, [("Newer", 0, 0), ("Older", 2, 1)])
    assert newer.pk and "1 of 2" in response.content.decode()


def test_survey_list_is_paginated_25_a_page(client, team):
    SurveyFactory.create_batch(26)

    first, second = client.get(LIST), client.get(LIST, {"page": 2})

    assert (len(first.context["page"].object_list), len(second.context["page"].object_list)) == (25, 1)


def test_survey_list_queries_do_not_grow_with_surveys(client, team):
    SurveyFactory(cohort=None)
    client.get(LIST)  # warm the session and the user
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for _ in range(2):
        survey = OpenSurveyFactory()
        SurveyInvitationFactory(survey=survey)
    with CaptureQueriesContext(connection) as three:
        response = client.get(LIST)

    assert len(response.context["page"].object_list) == 3
    assert len(three) == len(one)


# --- Drafts ----------------------------------------------------------------------------------------


def _draft_data(programme, **overrides) -> dict:
    data = {
        "title": "End of year",
        "programme": programme.pk,
        "cohort": "",
        "audience": "participants",
        "introduction": "Five minutes, please.",
        "closes_on_0": "",
        "closes_on_1": "",
        "closes_on_2": "",
        "questions-TOTAL_FORMS": "3",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "10",
        "questions-0-text": "I understand the frontline better",
        "questions-0-kind": "agree_scale",
        "questions-0-statement": "understood the frontline better",
        "questions-1-text": "",
        "questions-1-statement": "",
        "questions-2-text": "Anything else?",
        "questions-2-kind": "free_text",
        "questions-2-statement": "",
    }
    data.update(overrides)
    return data


def test_team_creates_a_draft_survey_with_questions(client, team):
    programme = ProgrammeFactory()

    response = client.post(CREATE, _draft_data(programme))

    survey = Survey.objects.get()
    assert response.status_code == 302 and response.url == _url("detail", survey)
    assert (survey.title, survey.status, survey.programme, survey.created_by) == (
        "End of year",
        "draft",
        programme,
        team,
    )
    assert list(survey.questions.values_list("position", "kind", "statement")) == [
        (1, "agree_scale", "understood the frontline better"),
        (2, "free_text", ""),
    ]


def test_draft_problems_show_in_the_error_summary_and_save_nothing(client, team):
    data = _draft_data(
        ProgrammeFactory(),
        title="",
        **{
            "questions-0-kind": "yes_no",
            "questions-0-statement": "",
            "questions-2-text": "",
            "questions-2-kind": "",
            "questions-2-statement": "x",
        },
    )

    response = client.post(CREATE, data)

    assert response.status_code == 400
    assert _summary_messages(response) == [
        "Enter the survey’s title",
        "Question 1: Enter the result statement for a scale or yes/no question",
        "Question 3: Enter the question",
        "Question 3: Select the type of answer",
    ]
    assert "govuk-error-summary" in response.content.decode()
    assert Survey.objects.count() == 0


def test_a_draft_with_no_questions_is_refused(client, team):
    data = _draft_data(
        ProgrammeFactory(), **{"questions-0-text": "", "questions-0-statement": "", "questions-2-text": ""}
    )

    response = client.post(CREATE, data)

    assert (response.status_code, _summary_messages(response)) == (400, ["Ask at least one question"])


def test_a_tampered_question_count_is_refused(client, team):
    data = _draft_data(ProgrammeFactory(), **{"questions-TOTAL_FORMS": "1000"})

    response = client.post(CREATE, data)

    assert (response.status_code, _summary_messages(response)) == (400, ["Ask at most 10 questions"])
    assert Survey.objects.count() == 0


def test_team_changes_a_draft_but_not_an_opened_survey(client, team):
    draft = SurveyFactory()
    SurveyQuestionFactory(survey=draft)
    opened = OpenSurveyFactory()

    changed = client.post(
        _url("edit", draft), _draft_data(draft.programme, title="Renamed", **{"questions-INITIAL_FORMS": "1"})
    )
    refused = client.get(_url("edit", opened))

    draft.refresh_from_db()
    assert (changed.status_code, draft.title, draft.questions.count()) == (302, "Renamed", 2)
    assert (refused.status_code, refused.url) == (302, _url("detail", opened))


# --- Opening and closing ------------------------------------------------------------------------------


def test_open_confirm_page_says_how_many_will_be_invited_then_opens(
    client, team, django_capture_on_commit_callbacks
):
    programme = ProgrammeFactory()
    EnrolmentFactory.create_batch(2, programme=programme)
    survey = SurveyFactory(programme=programme)
    SurveyQuestionFactory(survey=survey)

    confirm = client.get(_url("open", survey))
    with django_capture_on_commit_callbacks(execute=True):
        opened = client.post(_url("open", survey))
        client.post(_url("open", survey))  # a double click

    assert (confirm.status_code, confirm.context["invitee_count"]) == (200, 2)
    assert "2 people will be invited by e-mail." in confirm.content.decode()
    assert (opened.status_code, Survey.objects.get().status) == (302, "open")
    assert (SurveyInvitation.objects.count(), OutboxMessage.objects.count(), len(mail.outbox)) == (2, 2, 2)


def test_team_closes_an_open_survey(client, team):
    survey = OpenSurveyFactory()

    confirm = client.get(_url("close", survey))
    closed = client.post(_url("close", survey))

    assert (confirm.status_code, closed.status_code, Survey.objects.get().status) == (200, 302, "closed")


# --- Results -----------------------------------------------------------------------------------------


def test_results_page_shows_rate_figures_and_free_text_without_names(client, team):
    survey = OpenSurveyFactory()
    scale = SurveyQuestionFactory(survey=survey)
    comments = SurveyQuestionFactory(survey=survey, position=2, kind=QuestionKind.FREE_TEXT, statement="")
    writer = ParticipantFactory(full_name="Ada Lovelace")
    answered(survey, {scale: 5, comments: "The huddle was brilliant."}, user=writer)
    answered(survey, {scale: 2})
    SurveyInvitationFactory.create_batch(2, survey=survey)

    response = client.get(_url("results", survey))

    page = response.content.decode()
    assert (response.context["invited"], response.context["answered"], response.context["response_rate"]) == (
        4,
        2,
        50,
    )
    assert [(r.question.pk, r.percent) for r in response.context["results"]] == [(scale.pk, 50)]
    assert [a.text for a in response.context["page"].object_list] == ["The huddle was brilliant."]
    assert "Ada Lovelace" not in page and writer.email not in page


def test_free_text_answers_are_paginated_50_a_page(client, team):
    survey = OpenSurveyFactory()
    comments = SurveyQuestionFactory(survey=survey, kind=QuestionKind.FREE_TEXT, statement="")
    for number in range(51):
        answered(survey, {comments: f"Comment {number}"})

    second = client.get(_url("results", survey), {"page": 2})

    assert [a.text for a in second.context["page"].object_list] == ["Comment 50"]


# --- The invitee's pages ---------------------------------------------------------------------------------


@pytest.fixture
def invited(client):
    survey = OpenSurveyFactory(title="Your year")
    SurveyQuestionFactory(survey=survey, position=1)
    SurveyQuestionFactory(survey=survey, position=2, kind=QuestionKind.YES_NO, statement="would go again")
    SurveyQuestionFactory(
        survey=survey, position=3, kind=QuestionKind.FREE_TEXT, statement="", required=False
    )
    invitation = SurveyInvitationFactory(survey=survey)
    client.force_login(invitation.user)
    return invitation


def _fields(invitation) -> list[str]:
    return [
        f"question_{pk}"
        for pk in invitation.survey.questions.order_by("position").values_list("pk", flat=True)
    ]


def _saved() -> list[tuple]:
    return list(
        SurveyAnswer.objects.order_by("question__position").values_list("question__position", "value", "text")
    )


def test_invitee_answers_once_and_sees_the_thank_you_page(client, invited):
    scale, yes_no, text = _fields(invited)

    page = client.get(_url("answer", invited.survey))
    sent = client.post(_url("answer", invited.survey), {scale: "4", yes_no: "0", text: "Good."})
    thanks = client.get(sent.url)
    again = client.post(_url("answer", invited.survey), {scale: "1", yes_no: "1"})

    assert page.status_code == 200 and 'name="question_' in page.content.decode()
    assert (sent.status_code, sent.url) == (302, _url("thanks", invited.survey))
    assert (thanks.status_code, again.status_code, again.url) == (200, 302, _url("thanks", invited.survey))
    assert _saved() == [(1, 4, ""), (2, 0, ""), (3, None, "Good.")]


def test_a_missing_answer_shows_the_error_summary_and_saves_nothing(client, invited):
    scale, _yes_no, _text = _fields(invited)

    response = client.post(_url("answer", invited.survey), {scale: "5"})

    page = response.content.decode()
    assert response.status_code == 400
    assert response.context["form"].errors == {_fields(invited)[1]: ["Select an answer to question 2"]}
    assert 'class="govuk-error-summary"' in page and "Select an answer to question 2" in page
    assert SurveyResponse.objects.count() == 0


def test_a_closed_survey_shows_a_closed_page_and_takes_nothing(client, invited):
    scale, yes_no, _text = _fields(invited)
    Survey.objects.filter(pk=invited.survey.pk).update(status="closed", closed_at=timezone.now())

    page = client.get(_url("answer", invited.survey))
    posted = client.post(_url("answer", invited.survey), {scale: "5", yes_no: "1"})

    assert (page.status_code, posted.status_code) == (200, 200)
    assert [t.name for t in page.templates][0] == "surveys/survey_closed.html"
    assert SurveyResponse.objects.count() == 0


@pytest.mark.parametrize(
    "make_user", [ParticipantFactory, ProgrammeTeamFactory, lambda: PartnerMembershipFactory().user]
)
def test_a_survey_not_invited_to_answers_404(client, invited, make_user):
    client.force_login(make_user())

    codes = [
        client.get(_url("answer", invited.survey)).status_code,
        client.post(_url("answer", invited.survey), {_fields(invited)[0]: "5"}).status_code,
        client.get(_url("thanks", invited.survey)).status_code,
    ]

    assert codes == [404, 404, 404]
    assert SurveyResponse.objects.count() == 0


def test_the_invitation_email_links_to_the_answer_page(client, django_capture_on_commit_callbacks):
    enrolment = EnrolmentFactory()
    survey = SurveyFactory(programme=enrolment.programme)
    SurveyQuestionFactory(survey=survey)
    client.force_login(ProgrammeTeamFactory())

    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("open", survey))

    client.force_login(enrolment.participant)
    link = next(line for line in mail.outbox[0].body.splitlines() if "/answer/" in line).split(": ", 1)[1]
    assert link == f"http://testserver{_url('answer', survey)}"
    assert client.get(link.removeprefix("http://testserver")).status_code == 200


# --- Hostile input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale_value", "text_value", "message_of"),
    [
        ("6", "", "scale"),
        ("0", "", "scale"),
        ("4.5", "", "scale"),
        ("<script>", "", "scale"),
        ("5", "x" * 5001, "text"),
        ("5", "a\x00b", "text"),
    ],
)
def test_hostile_answers_get_form_errors_and_save_nothing(
    client, invited, scale_value, text_value, message_of
):
    scale, yes_no, text = _fields(invited)

    response = client.post(
        _url("answer", invited.survey), {scale: scale_value, yes_no: "1", text: text_value}
    )

    expected = {
        "scale": {scale: ["Select an answer to question 1"]},
        "text": {
            text: [
                "Your answer to question 3 must be 5,000 characters or fewer"
                if len(text_value) > 10
                else "Your answer to question 3 must not include special characters"
            ]
        },
    }[message_of]
    assert (response.status_code, response.context["form"].errors) == (400, expected)
    assert SurveyResponse.objects.count() == 0


def test_answers_posted_for_another_surveys_questions_are_ignored(client, invited):
    scale, yes_no, _text = _fields(invited)
    stranger = SurveyQuestionFactory(survey=OpenSurveyFactory())

    response = client.post(
        _url("answer", invited.survey),
        {scale: "5", yes_no: "1", f"question_{stranger.pk}": "1", "question_abc": "x"},
    )

    assert response.status_code == 302
    assert _saved() == [(1, 5, ""), (2, 1, "")]
    assert SurveyAnswer.objects.filter(question=stranger).count() == 0


def test_a_non_numeric_survey_id_is_404(client, invited):
    assert client.get("/surveys/abc/answer/").status_code == 404


def test_markup_in_a_question_is_shown_as_text_not_run(client):
    survey = OpenSurveyFactory(title="<b>Bold</b> survey")
    SurveyQuestionFactory(survey=survey, text="<script>alert(1)</script> Was it useful?")
    invitation = SurveyInvitationFactory(survey=survey)
    client.force_login(invitation.user)

    page = client.get(_url("answer", survey)).content.decode()

    assert "<script>alert(1)</script>" not in page and "<b>Bold</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Was it useful?" in page
