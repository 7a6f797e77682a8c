"""Every write to a survey: writing a draft, opening (which invites), closing, and answering."""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from connecting.outbox import outbox_enqueue
from connecting.surveys.models import (
    MAX_QUESTIONS,
    NO,
    SCALE_MAX,
    SCALE_MIN,
    SURVEY_TRANSITIONS,
    YES,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
)
from connecting.surveys.selectors import survey_invitee_list
from placements.notifications import Notice

logger = logging.getLogger(__name__)

S = SurveyStatus
ANSWER_MAX_LENGTH = 5000


@dataclass(frozen=True)
class QuestionInput:
    text: str
    kind: str
    statement: str = ""
    required: bool = True


@dataclass(frozen=True)
class SurveyInput:
    programme: object
    audience: str
    title: str
    cohort: object = None
    introduction: str = ""
    closes_on: datetime.date | None = None


# --- Drafts ----------------------------------------------------------------------------------------


def _check_draft(details: SurveyInput, questions: list[QuestionInput]) -> None:
    errors = {}
    if details.cohort is not None and details.cohort.programme_id != details.programme.pk:
        errors["cohort"] = _("Select a cohort of the programme, or no cohort")
    if details.closes_on is not None and details.closes_on < timezone.localdate():
        errors["closes_on"] = _("The closing date must be today or in the future")
    if not 1 <= len(questions) <= MAX_QUESTIONS:
        errors["questions"] = _("Ask between 1 and %(most)d questions") % {"most": MAX_QUESTIONS}
    for question in questions:
        if question.kind not in QuestionKind.values:
            errors["questions"] = _("Choose the type of answer for every question")
        elif question.kind != QuestionKind.FREE_TEXT and not question.statement.strip():
            errors["questions"] = _("Give every scale or yes/no question a result statement")
    if errors:
        raise ValidationError(errors)


def _write_questions(survey: Survey, questions: list[QuestionInput]) -> None:
    survey.questions.all().delete()
    SurveyQuestion.objects.bulk_create(
        SurveyQuestion(
            survey=survey,
            position=position,
            text=question.text.strip(),
            kind=question.kind,
            statement="" if question.kind == QuestionKind.FREE_TEXT else question.statement.strip(),
            # A free-text question is always optional: nobody should have to type to be counted.
            required=question.required and question.kind != QuestionKind.FREE_TEXT,
        )
        for position, question in enumerate(questions, start=1)
    )


@transaction.atomic
def survey_create(*, details: SurveyInput, questions: list[QuestionInput], by) -> Survey:
    """Write a draft survey and its questions (numbered in the order given); nobody hears of it yet."""
    _check_draft(details, questions)
    survey = Survey.objects.create(
        programme=details.programme,
        cohort=details.cohort,
        audience=details.audience,
        title=details.title.strip(),
        introduction=details.introduction.strip(),
        closes_on=details.closes_on,
        created_by=by,
    )
    _write_questions(survey, questions)
    return survey


@transaction.atomic
def survey_update(*, survey: Survey, details: SurveyInput, questions: list[QuestionInput], by) -> Survey:
    """Rewrite a draft and its questions. An opened survey has invitees: its questions stay fixed."""
    survey = Survey.objects.select_for_update(no_key=True).get(pk=survey.pk)
    if survey.status != S.DRAFT:
        raise ValidationError(_("This survey has been opened, so it can no longer be changed."))
    _check_draft(details, questions)
    survey.programme = details.programme
    survey.cohort = details.cohort
    survey.audience = details.audience
    survey.title = details.title.strip()
    survey.introduction = details.introduction.strip()
    survey.closes_on = details.closes_on
    survey.save(
        update_fields=["programme", "cohort", "audience", "title", "introduction", "closes_on", "updated_at"]
    )
    _write_questions(survey, questions)
    return survey


# --- Opening and closing ------------------------------------------------------------------------------


@transaction.atomic
def survey_transition(*, survey: Survey, to: str, by) -> Survey:
    """Move a survey along SURVEY_TRANSITIONS, under a lock on its row; already there is a quiet no-op
    (a double click). Opening stamps the time and invites the audience (see `_invite`)."""
    survey = Survey.objects.select_for_update(no_key=True).get(pk=survey.pk)
    if survey.status == to:
        return survey
    if to not in SURVEY_TRANSITIONS[survey.status]:
        raise ValidationError(
            _("This survey is %(status)s, so it cannot be %(verb)s.")
            % {"status": _state(survey.status), "verb": _verb(to)}
        )
    now = timezone.now()
    survey.status = to
    if to == S.OPEN:
        if not survey.questions.exists():
            raise ValidationError(_("Add at least one question before opening the survey."))
        survey.opened_at, survey.opened_by = now, by
        survey.save(update_fields=["status", "opened_at", "opened_by", "updated_at"])
        _invite(survey, now=now)
    else:
        survey.closed_at, survey.closed_by = now, by
        survey.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
    logger.info("survey %s %s by user %s", survey.pk, to, getattr(by, "pk", None))
    return survey


def _state(status: str) -> str:
    return {S.DRAFT: _("a draft"), S.OPEN: _("open"), S.CLOSED: _("closed")}[status]


def _verb(status: str) -> str:
    return {S.OPEN: _("opened"), S.CLOSED: _("closed")}.get(status, status)


def _invite(survey: Survey, *, now: datetime.datetime) -> int:
    """Invite everyone the survey is for, once, and queue each an e-mail in the outbox.

    Runs inside the opening transaction: the invitations and their e-mails are written together or
    not at all, and the outbox sends only after commit. Its keys make a retry send nothing twice.
    """
    invitees = list(survey_invitee_list(survey=survey))
    SurveyInvitation.objects.bulk_create(
        [SurveyInvitation(survey=survey, user=user, created_at=now) for user in invitees],
        ignore_conflicts=True,
    )
    for user in invitees:
        outbox_enqueue(
            key=f"survey-invitation:{survey.pk}:{user.pk}",
            kind="survey.invitation",
            to=[user.email],
            template_prefix="placements/email/booking",
            context={"notice": survey_invitation_notice(survey, user)},
            recipient=user,
            essential=True,  # an invitation, not a reminder: it goes even with reminders off
        )
    return len(invitees)


def survey_invitation_notice(survey: Survey, user) -> Notice:
    lines = [
        _("The %(programme)s team would like to hear from you.") % {"programme": survey.programme.name},
    ]
    if survey.introduction:
        lines.append(survey.introduction)
    lines.append(_("It takes a few minutes. Your answers are not shown with your name."))
    if survey.closes_on:
        lines.append(
            _("Please answer by %(day)s.") % {"day": survey.closes_on.strftime("%-d %B %Y")},
        )
    return Notice(
        to=[user.email],
        subject=_("Survey: %(title)s") % {"title": survey.title},
        lines=lines,
        link_url=settings.SITE_URL + reverse("surveys:answer", args=[survey.pk]),
        link_label=_("Answer the survey"),
        recipient=user,
    )


def survey_open(*, survey: Survey, by) -> Survey:
    """Open a draft: it can no longer be changed, and everyone it is for is invited by e-mail."""
    return survey_transition(survey=survey, to=S.OPEN, by=by)


def survey_close(*, survey: Survey, by) -> Survey:
    """Stop taking answers; the results stay."""
    return survey_transition(survey=survey, to=S.CLOSED, by=by)


def survey_close_due(*, today: datetime.date | None = None) -> int:
    """Close every open survey whose closing date has passed; returns how many. Safe to repeat."""
    today = today or timezone.localdate()
    closed = 0
    for survey in Survey.objects.filter(status=S.OPEN, closes_on__lt=today).only("pk"):
        if survey_transition(survey=survey, to=S.CLOSED, by=None).status == S.CLOSED:
            closed += 1
    return closed


# --- Answering ------------------------------------------------------------------------------------------


def _clean_answer(question: SurveyQuestion, raw) -> tuple[int | None, str] | None:
    """(value, text) for what was given, None when nothing was; ValidationError for a wrong answer."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if question.kind == QuestionKind.FREE_TEXT:
        text = str(raw).strip()
        if len(text) > ANSWER_MAX_LENGTH:
            raise ValidationError(
                _("Your answer must be %(most)s characters or fewer") % {"most": f"{ANSWER_MAX_LENGTH:,}"}
            )
        if "\x00" in text:
            raise ValidationError(_("Your answer must not include special characters"))
        return None, text
    allowed = range(SCALE_MIN, SCALE_MAX + 1) if question.kind == QuestionKind.AGREE_SCALE else (NO, YES)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = None
    if value not in allowed or isinstance(raw, bool | float):
        raise ValidationError(_("Select one of the answers given"))
    return value, ""


@transaction.atomic
def survey_answer(*, survey: Survey, user, answers: dict[int, object]) -> SurveyResponse:
    """Record `user`'s one response to `survey`: `answers` maps question ids to a value (1 to 5 for
    a scale, 1 yes or 0 no) or a text.

    Everything is checked before anything is written, so a refusal saves nothing. The invitation is
    locked first, so two submits at once give one response: the second waits, then sees the first.
    Errors name the question (`question_<id>`) where they belong to one.
    """
    invitation = (
        SurveyInvitation.objects.select_for_update(no_key=True)
        .select_related("survey")
        .filter(survey_id=survey.pk, user_id=getattr(user, "pk", None))
        .first()
    )
    if invitation is None:
        raise ValidationError(_("You were not invited to answer this survey."), code="not_invited")
    if invitation.answered_at is not None:
        raise ValidationError(_("You have already answered this survey. Thank you."), code="answered")
    survey = invitation.survey
    if not survey.is_accepting_answers:
        raise ValidationError(_("This survey has closed, so it no longer takes answers."), code="closed")
    questions = {question.pk: question for question in survey.questions.all()}
    unknown = [key for key in answers if key not in questions]
    if unknown:
        raise ValidationError(
            _("Some answers were not for this survey: answer its questions again."), code="tampered"
        )
    errors, cleaned = {}, {}
    for pk, question in questions.items():
        try:
            answer = _clean_answer(question, answers.get(pk))
        except ValidationError as error:
            errors[f"question_{pk}"] = error
            continue
        if answer is None:
            if question.required:
                errors[f"question_{pk}"] = ValidationError(_("Answer this question"), code="required")
        else:
            cleaned[pk] = answer
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    response = SurveyResponse.objects.create(invitation=invitation, survey=survey, created_at=now)
    SurveyAnswer.objects.bulk_create(
        SurveyAnswer(response=response, question_id=pk, value=value, text=text)
        for pk, (value, text) in sorted(cleaned.items(), key=lambda item: questions[item[0]].position)
    )
    invitation.answered_at = now
    invitation.save(update_fields=["answered_at"])
    return response
