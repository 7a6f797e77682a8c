"""The rules the database holds for surveys, whatever code writes the rows."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from connecting.surveys.models import QuestionKind, SurveyAnswer, SurveyInvitation, SurveyResponse
from tests.surveys.support import (
    OpenSurveyFactory,
    SurveyFactory,
    SurveyInvitationFactory,
    SurveyQuestionFactory,
)

pytestmark = pytest.mark.django_db


def _refused(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


def test_survey_audience_and_status_accept_only_their_values():
    assert _refused(lambda: SurveyFactory(audience="everyone"))
    assert _refused(lambda: SurveyFactory(status="archived"))


def test_an_opened_survey_has_an_opening_time_and_a_closed_one_a_closing_time():
    assert _refused(lambda: SurveyFactory(status="open", opened_at=None))
    assert _refused(lambda: SurveyFactory(status="closed", opened_at=timezone.now(), closed_at=None))
    assert not _refused(
        lambda: SurveyFactory(status="closed", opened_at=timezone.now(), closed_at=timezone.now())
    )


def test_question_positions_are_unique_within_a_survey_and_between_1_and_10():
    survey = SurveyFactory()
    SurveyQuestionFactory(survey=survey, position=1)

    assert _refused(lambda: SurveyQuestionFactory(survey=survey, position=1))
    assert _refused(lambda: SurveyQuestionFactory(survey=survey, position=0))
    assert _refused(lambda: SurveyQuestionFactory(survey=survey, position=11))
    assert not _refused(lambda: SurveyQuestionFactory(survey=SurveyFactory(), position=1))


def test_a_scored_question_needs_a_statement_and_kinds_are_checked():
    assert _refused(lambda: SurveyQuestionFactory(kind=QuestionKind.YES_NO, statement=""))
    assert _refused(lambda: SurveyQuestionFactory(kind="stars"))
    assert not _refused(lambda: SurveyQuestionFactory(kind=QuestionKind.FREE_TEXT, statement=""))


def test_one_invitation_per_person_and_survey():
    invitation = SurveyInvitationFactory()

    assert _refused(lambda: SurveyInvitation.objects.create(survey=invitation.survey, user=invitation.user))


def test_one_response_per_invitation():
    invitation = SurveyInvitationFactory()
    SurveyResponse.objects.create(invitation=invitation, survey=invitation.survey)

    assert _refused(lambda: SurveyResponse.objects.create(invitation=invitation, survey=invitation.survey))


def test_an_answer_is_a_value_in_range_or_a_text_once_per_question():
    survey = OpenSurveyFactory()
    question = SurveyQuestionFactory(survey=survey)
    invitation = SurveyInvitationFactory(survey=survey)
    response = SurveyResponse.objects.create(invitation=invitation, survey=survey)

    assert _refused(lambda: SurveyAnswer.objects.create(response=response, question=question, value=6))
    assert _refused(lambda: SurveyAnswer.objects.create(response=response, question=question))
    assert _refused(
        lambda: SurveyAnswer.objects.create(response=response, question=question, value=3, text="x")
    )
    SurveyAnswer.objects.create(response=response, question=question, value=5)
    assert _refused(lambda: SurveyAnswer.objects.create(response=response, question=question, value=4))
