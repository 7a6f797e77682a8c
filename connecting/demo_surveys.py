"""Demo surveys: one for the Connecting programme's participants and one for its host partners,
opened two weeks ago through the survey services and mostly answered, so the dashboard and the
impact pack show results. Keyed on the survey title, so seeding twice adds nothing."""

import datetime

from django.utils import timezone

from connecting.surveys.models import QuestionKind, Survey, SurveyAudience, SurveyInvitation
from connecting.surveys.services import (
    QuestionInput,
    SurveyInput,
    survey_answer,
    survey_create,
    survey_open,
)
from placements.models import Programme

PARTICIPANT_SURVEY = "Connecting 2026: what your visits gave you"
PARTNER_SURVEY = "Hosting Connecting visits: was it worth it?"

# For the n-th invitee (in e-mail order): (agree 1-5, yes 1 / no 0, comment), or None for no answer.
PARTICIPANT_ANSWERS = [
    (5, 1, "Seeing a discharge huddle changed how I read our own guidance."),
    (4, 1, "More time with frontline staff, less with managers."),
    (5, 1, ""),
    (4, 0, "Hard to find a date that suited both of us."),
    (3, 1, ""),
    (5, 1, "Every policy team should do this before a spending review."),
    None,
    None,
]
PARTNER_ANSWERS = [(5, 1, "The visitor's questions made us look again at our own process."), (4, 1, ""), None]


def _questions(
    agree_text: str, agree_statement: str, yes_text: str, yes_statement: str
) -> list[QuestionInput]:
    return [
        QuestionInput(text=agree_text, kind=QuestionKind.AGREE_SCALE, statement=agree_statement),
        QuestionInput(text=yes_text, kind=QuestionKind.YES_NO, statement=yes_statement),
        QuestionInput(text="What should we change?", kind=QuestionKind.FREE_TEXT, required=False),
    ]


def _seed(title: str, audience: str, questions: list[QuestionInput], answers, *, programme, team_user) -> int:
    if Survey.objects.filter(title=title).exists():
        return 0
    survey = survey_create(
        details=SurveyInput(
            programme=programme,
            audience=audience,
            title=title,
            introduction="Three questions about the visits of this programme year.",
            closes_on=timezone.localdate() + datetime.timedelta(days=14),
        ),
        questions=questions,
        by=team_user,
    )
    survey = survey_open(survey=survey, by=team_user)
    opened_at = timezone.now() - datetime.timedelta(days=14)
    Survey.objects.filter(pk=survey.pk).update(opened_at=opened_at)
    question_ids = list(survey.questions.order_by("position").values_list("pk", flat=True))
    invitations = (
        SurveyInvitation.objects.filter(survey=survey).select_related("user").order_by("user__email")
    )
    for invitation, answer in zip(invitations, answers, strict=False):
        if answer is not None:
            survey_answer(
                survey=survey, user=invitation.user, answers=dict(zip(question_ids, answer, strict=True))
            )
    return 1


def demo_seed_surveys(created: dict, *, team_user) -> None:
    programme = Programme.objects.get(slug="connecting")
    created["surveys"] = _seed(
        PARTICIPANT_SURVEY,
        SurveyAudience.PARTICIPANTS,
        _questions(
            "My visits helped me understand the frontline better.",
            "understood the frontline better",
            "Would you recommend a visit to a colleague?",
            "would recommend a visit to a colleague",
        ),
        PARTICIPANT_ANSWERS,
        programme=programme,
        team_user=team_user,
    ) + _seed(
        PARTNER_SURVEY,
        SurveyAudience.PARTNERS,
        _questions(
            "Hosting visitors was a good opportunity for our organisation.",
            "rated it a good opportunity",
            "Would you host again?",
            "would host again",
        ),
        PARTNER_ANSWERS,
        programme=programme,
        team_user=team_user,
    )
