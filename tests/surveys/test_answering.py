"""An invitee answers once: everything checked first, then the response, its answers and the
invitation's stamp written together; a refusal writes nothing."""

import datetime
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from connecting.surveys.models import QuestionKind, SurveyAnswer, SurveyInvitation, SurveyResponse
from connecting.surveys.services import survey_answer, survey_close
from tests.factories import ParticipantFactory, ProgrammeTeamFactory
from tests.support import Raised, run_at_once
from tests.surveys.support import OpenSurveyFactory, SurveyInvitationFactory, SurveyQuestionFactory


@pytest.fixture
def invitation(db):
    survey = OpenSurveyFactory()
    SurveyQuestionFactory(survey=survey, position=1)
    SurveyQuestionFactory(survey=survey, position=2, kind=QuestionKind.YES_NO, statement="would go again")
    SurveyQuestionFactory(
        survey=survey, position=3, kind=QuestionKind.FREE_TEXT, statement="", required=False
    )
    return SurveyInvitationFactory(survey=survey)


def _ids(invitation) -> list[int]:
    return list(invitation.survey.questions.order_by("position").values_list("pk", flat=True))


def _saved() -> list[tuple]:
    return list(
        SurveyAnswer.objects.order_by("question__position").values_list("question__position", "value", "text")
    )


def test_survey_answer_writes_the_response_its_answers_and_stamps_the_invitation(invitation):
    scale, yes_no, text = _ids(invitation)

    response = survey_answer(
        survey=invitation.survey,
        user=invitation.user,
        answers={scale: 4, yes_no: 1, text: "  Eye-opening.  "},
    )

    invitation.refresh_from_db()
    assert (response.invitation, response.survey) == (invitation, invitation.survey)
    assert _saved() == [(1, 4, ""), (2, 1, ""), (3, None, "Eye-opening.")]
    assert invitation.answered_at is not None


def test_an_optional_free_text_question_may_be_left_empty(invitation):
    scale, yes_no, text = _ids(invitation)

    survey_answer(survey=invitation.survey, user=invitation.user, answers={scale: 1, yes_no: 0, text: "   "})

    assert _saved() == [(1, 1, ""), (2, 0, "")]


def test_a_second_answer_is_refused(invitation):
    scale, yes_no, _text = _ids(invitation)
    survey_answer(survey=invitation.survey, user=invitation.user, answers={scale: 5, yes_no: 1})

    with pytest.raises(ValidationError) as refused:
        survey_answer(survey=invitation.survey, user=invitation.user, answers={scale: 1, yes_no: 0})

    assert refused.value.messages == ["You have already answered this survey. Thank you."]
    assert _saved() == [(1, 5, ""), (2, 1, "")]


def test_a_closed_survey_refuses_answers(invitation):
    scale, yes_no, _text = _ids(invitation)
    survey_close(survey=invitation.survey, by=ProgrammeTeamFactory(totp=False))

    with pytest.raises(ValidationError) as refused:
        survey_answer(survey=invitation.survey, user=invitation.user, answers={scale: 5, yes_no: 1})

    assert refused.value.messages == ["This survey has closed, so it no longer takes answers."]
    assert SurveyResponse.objects.count() == 0


def test_a_survey_past_its_closing_date_refuses_answers_before_it_is_closed(invitation):
    scale, yes_no, _text = _ids(invitation)
    invitation.survey.closes_on = timezone.localdate() - datetime.timedelta(days=1)
    invitation.survey.save()

    with pytest.raises(ValidationError) as refused:
        survey_answer(survey=invitation.survey, user=invitation.user, answers={scale: 5, yes_no: 1})

    assert refused.value.messages == ["This survey has closed, so it no longer takes answers."]


def test_someone_not_invited_is_refused(invitation):
    scale, yes_no, _text = _ids(invitation)

    with pytest.raises(ValidationError) as refused:
        survey_answer(survey=invitation.survey, user=ParticipantFactory(), answers={scale: 5, yes_no: 1})

    assert refused.value.messages == ["You were not invited to answer this survey."]
    assert SurveyResponse.objects.count() == 0


def test_missing_and_wrong_answers_are_named_per_question_and_nothing_is_saved(invitation):
    scale, yes_no, text = _ids(invitation)

    with pytest.raises(ValidationError) as refused:
        survey_answer(survey=invitation.survey, user=invitation.user, answers={scale: 6, text: "x" * 5001})

    assert refused.value.message_dict == {
        f"question_{scale}": ["Select one of the answers given"],
        f"question_{yes_no}": ["Answer this question"],
        f"question_{text}": ["Your answer must be 5,000 characters or fewer"],
    }
    assert (SurveyResponse.objects.count(), SurveyInvitation.objects.get().answered_at) == (0, None)


@pytest.mark.parametrize("value", [7, -1, 2, "1.5", "yes", True, None, ""])
def test_a_yes_no_answer_is_1_or_0_only(invitation, value):
    scale, yes_no, _text = _ids(invitation)

    with pytest.raises(ValidationError):
        survey_answer(
            survey=invitation.survey,
            user=invitation.user,
            answers={scale: 3, yes_no: value},
        )

    assert SurveyResponse.objects.count() == 0


def test_answers_to_questions_of_another_survey_are_refused(invitation):
    scale, yes_no, _text = _ids(invitation)
    stranger = SurveyQuestionFactory(survey=OpenSurveyFactory())

    with pytest.raises(ValidationError) as refused:
        survey_answer(
            survey=invitation.survey, user=invitation.user, answers={scale: 3, yes_no: 1, stranger.pk: 5}
        )

    assert refused.value.messages == ["Some answers were not for this survey: answer its questions again."]
    assert SurveyResponse.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_submits_at_once_leave_one_response(postgres):
    survey = OpenSurveyFactory()
    question = SurveyQuestionFactory(survey=survey)
    invitation = SurveyInvitationFactory(survey=survey)

    results = run_at_once(
        lambda: survey_answer(survey=survey, user=invitation.user, answers={question.pk: 5}), threads=8
    )

    outcomes = Counter(str(result) if isinstance(result, Raised) else "ok" for result in results)
    assert outcomes == Counter(
        {"ok": 1, "ValidationError: ['You have already answered this survey. Thank you.']": 7}
    )
    assert (SurveyResponse.objects.count(), SurveyAnswer.objects.count()) == (1, 1)
