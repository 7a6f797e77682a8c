"""Reading surveys: the team's list and results, an invitee's one door, and the result lines the
dashboard and the impact pack show."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from connecting.accounts.models import User
from connecting.selectors import percent
from connecting.surveys.models import (
    NO,
    SCALE_AGREE_FROM,
    SCALE_MAX,
    SCALE_MIN,
    SCORED_KINDS,
    YES,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyAudience,
    SurveyInvitation,
    SurveyQuestion,
)
from connecting.working_days import london_at
from placements.models import BookingStatus, Enrolment

HOSTED_VISIT_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.ATTENDED)


# --- The programme team's pages ------------------------------------------------------------------


def survey_list() -> QuerySet[Survey]:
    """Every survey, newest first, with its programme, cohort and how many were invited and answered."""
    return (
        Survey.objects.select_related("programme", "cohort")
        .annotate(
            invited_count=Count("invitations"),
            answered_count=Count("invitations", filter=Q(invitations__answered_at__isnull=False)),
        )
        .order_by("-created_at", "-pk")
    )


def survey_get(*, survey_id: int) -> Survey:
    """A survey for the programme team (who may see every survey), with its questions; 404 if none."""
    return get_object_or_404(
        Survey.objects.select_related("programme", "cohort", "created_by").prefetch_related("questions"),
        pk=survey_id,
    )


def survey_invitee_list(*, survey: Survey) -> QuerySet[User]:
    """Who opening `survey` invites, in e-mail order.

    Participants: everyone enrolled in the programme (or in the survey's cohort).
    Partners: the active contacts of each partner that hosted at least one confirmed or attended
    visit for the programme (by a participant of the cohort, for a cohort's survey).
    """
    people = User.objects.filter(is_active=True)
    if survey.audience == SurveyAudience.PARTICIPANTS:
        enrolments = Enrolment.objects.filter(programme_id=survey.programme_id)
        if survey.cohort_id:
            enrolments = enrolments.filter(cohort_id=survey.cohort_id)
        people = people.filter(pk__in=enrolments.values("participant_id"))
    else:
        hosted = Q(
            partner_memberships__partner__opportunities__slots__bookings__programme_id=survey.programme_id,
            partner_memberships__partner__opportunities__slots__bookings__status__in=HOSTED_VISIT_STATUSES,
        )
        if survey.cohort_id:
            hosted &= Q(
                partner_memberships__partner__opportunities__slots__bookings__participant__enrolments__cohort_id=(
                    survey.cohort_id
                )
            )
        people = people.filter(pk__in=User.objects.filter(hosted).values("pk"))
    return people.order_by("email", "pk")


@dataclass(frozen=True)
class QuestionResult:
    question: SurveyQuestion
    answers: int
    percent: int  # agreed (4 or 5) on a scale; said yes to a yes/no; 0 for free text
    # (label, count, percent) for each choice, from the lowest; empty for free text
    distribution: tuple[tuple[str, int, int], ...]


def scale_labels() -> dict[int, str]:
    """The agree scale's words, translated when asked for (the module loads before any language is on)."""
    return {
        1: _("Strongly disagree"),
        2: _("Disagree"),
        3: _("Neither agree nor disagree"),
        4: _("Agree"),
        5: _("Strongly agree"),
    }


def survey_question_results(*, survey: Survey) -> list[QuestionResult]:
    """Each question's figures, in order, from one query: how many answered, the % agreeing or
    saying yes, and how many chose each value."""
    counts = {
        f"value_{value}": Count("answers", filter=Q(answers__value=value))
        for value in range(NO, SCALE_MAX + 1)
    }
    questions = (
        SurveyQuestion.objects.filter(survey=survey)
        .annotate(
            answer_count=Count("answers"),
            **counts,
        )
        .order_by("position")
    )
    labels = scale_labels()
    results = []
    for question in questions:
        total = question.answer_count
        if question.kind == QuestionKind.AGREE_SCALE:
            choices = [(labels[v], getattr(question, f"value_{v}")) for v in range(SCALE_MIN, SCALE_MAX + 1)]
            positive = sum(getattr(question, f"value_{v}") for v in range(SCALE_AGREE_FROM, SCALE_MAX + 1))
        elif question.kind == QuestionKind.YES_NO:
            choices = [
                (_("Yes"), getattr(question, f"value_{YES}")),
                (_("No"), getattr(question, f"value_{NO}")),
            ]
            positive = getattr(question, f"value_{YES}")
        else:
            choices, positive = [], 0
        results.append(
            QuestionResult(
                question=question,
                answers=total,
                percent=percent(positive, total),
                distribution=tuple((label, count, percent(count, total)) for label, count in choices),
            )
        )
    return results


def survey_free_text_answers(*, survey: Survey) -> QuerySet[SurveyAnswer]:
    """The free-text answers, question by question, without anything that says who wrote them."""
    return (
        SurveyAnswer.objects.filter(question__survey=survey, question__kind=QuestionKind.FREE_TEXT)
        .select_related("question")
        .only("text", "question", "question__text", "question__position")
        .order_by("question__position", "pk")
    )


# --- An invitee's one door -------------------------------------------------------------------------


def survey_invitation_get_for_user(*, survey_id: int, user) -> SurveyInvitation:
    """The signed-in person's invitation to the survey, with the survey and its questions; 404 for
    a survey they were not invited to (whoever they are), so a survey's existence does not leak."""
    invitation = (
        SurveyInvitation.objects.select_related("survey", "survey__programme")
        .prefetch_related("survey__questions")
        .filter(survey_id=survey_id, user_id=getattr(user, "pk", None))
        .first()
    )
    if invitation is None:
        raise Http404
    return invitation


# --- Result lines for the dashboard and the impact pack ------------------------------------------------


@dataclass(frozen=True)
class SurveyResultLine:
    audience: str  # "participants" or "partners"
    statement: str  # "85% of participants understood the frontline better"
    percent: int
    responses: int
    question_text: str
    survey_title: str


def _result_sentence(audience: str, value: int, statement: str) -> str:
    if audience == SurveyAudience.PARTNERS:
        return _("%(percent)d%% of partners %(statement)s") % {"percent": value, "statement": statement}
    return _("%(percent)d%% of participants %(statement)s") % {"percent": value, "statement": statement}


def _opened_within(start, end) -> Q:
    """Dates are whole local days, both ends included; datetimes are instants."""
    window = Q()
    if start is not None:
        if isinstance(start, datetime.datetime):
            window &= Q(survey__opened_at__gte=start)
        else:
            window &= Q(survey__opened_at__gte=london_at(start))
    if end is not None:
        if isinstance(end, datetime.datetime):
            window &= Q(survey__opened_at__lte=end)
        else:
            window &= Q(survey__opened_at__lt=london_at(end + datetime.timedelta(days=1)))
    return window


def survey_results_summary(*, programme, start=None, end=None) -> list[SurveyResultLine]:
    """One line per scale or yes/no question that has answers, of the programme's surveys opened
    within [start, end] (dates or datetimes, either may be None; programme None: every programme's):
    the share who agreed (4 or 5)
    or said yes, as a ready sentence. Ordered by when the survey opened, then question position.

    One query, whatever the number of surveys.
    """
    positive = Q(kind=QuestionKind.AGREE_SCALE, answers__value__gte=SCALE_AGREE_FROM) | Q(
        kind=QuestionKind.YES_NO, answers__value=YES
    )
    questions = (
        SurveyQuestion.objects.filter(
            _opened_within(start, end),
            Q() if programme is None else Q(survey__programme=programme),
            survey__opened_at__isnull=False,
            kind__in=SCORED_KINDS,
        )
        .annotate(
            answer_count=Count("answers", filter=Q(answers__value__isnull=False)),
            positive_count=Count("answers", filter=positive),
        )
        .filter(answer_count__gt=0)
        .select_related("survey")
        .order_by("survey__opened_at", "survey_id", "position")
    )
    lines = []
    for question in questions:
        value = percent(question.positive_count, question.answer_count)
        lines.append(
            SurveyResultLine(
                audience=str(question.survey.audience),
                statement=_result_sentence(question.survey.audience, value, question.statement),
                percent=value,
                responses=question.answer_count,
                question_text=question.text,
                survey_title=question.survey.title,
            )
        )
    return lines
