"""Factories and helpers for the survey tests (kept here: tests/factories.py is shared)."""

import factory
from django.utils import timezone

from connecting.surveys.models import (
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyAudience,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
)
from tests.factories import ParticipantFactory, ProgrammeFactory


class SurveyFactory(factory.django.DjangoModelFactory):
    """A draft participants survey; pass status=open (with opened_at) for an open one."""

    class Meta:
        model = Survey

    programme = factory.SubFactory(ProgrammeFactory)
    audience = SurveyAudience.PARTICIPANTS
    title = factory.Sequence(lambda n: f"End of year survey {n}")
    status = SurveyStatus.DRAFT


class OpenSurveyFactory(SurveyFactory):
    status = SurveyStatus.OPEN
    opened_at = factory.LazyFunction(timezone.now)


class SurveyQuestionFactory(factory.django.DjangoModelFactory):
    """An agree-scale question; give `position` when a survey has several."""

    class Meta:
        model = SurveyQuestion

    survey = factory.SubFactory(SurveyFactory)
    position = 1
    text = "The visit helped me understand the frontline better"
    kind = QuestionKind.AGREE_SCALE
    statement = "understood the frontline better"


class SurveyInvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyInvitation

    survey = factory.SubFactory(OpenSurveyFactory)
    user = factory.SubFactory(ParticipantFactory)


def answered(survey: Survey, answers: dict, *, user=None) -> SurveyResponse:
    """A new invitee's response written directly: `answers` maps questions to a number or a text."""
    invitation = SurveyInvitationFactory(
        survey=survey, answered_at=timezone.now(), **({"user": user} if user else {})
    )
    response = SurveyResponse.objects.create(invitation=invitation, survey=survey)
    for question, answer in answers.items():
        if isinstance(answer, str):
            SurveyAnswer.objects.create(response=response, question=question, text=answer)
        else:
            SurveyAnswer.objects.create(response=response, question=question, value=answer)
    return response
