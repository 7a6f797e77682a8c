"""Participant and partner surveys: questions set by the programme team, answered in the portal.

A survey is written as a draft, opened (which invites its audience by e-mail) and closed. Each
invitee answers once: one response per invitation, one answer per question, held by the database.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from placements.models import Cohort, Programme

MAX_QUESTIONS = 10
SCALE_MIN, SCALE_MAX = 1, 5
# "Agree" and "strongly agree": what a result line counts as agreeing.
SCALE_AGREE_FROM = 4
YES, NO = 1, 0


class SurveyAudience(models.TextChoices):
    PARTICIPANTS = "participants", _("Participants")
    PARTNERS = "partners", _("Partners")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


_S = SurveyStatus
# The whole life of a survey. `connecting.surveys.services.survey_transition` is the only code
# that moves one, and it refuses any move this table does not list.
SURVEY_TRANSITIONS: dict[str, frozenset[str]] = {
    _S.DRAFT: frozenset({_S.OPEN}),
    _S.OPEN: frozenset({_S.CLOSED}),
    _S.CLOSED: frozenset(),
}


class QuestionKind(models.TextChoices):
    AGREE_SCALE = "agree_scale", _("Agree or disagree, on a scale of 1 to 5")
    YES_NO = "yes_no", _("Yes or no")
    FREE_TEXT = "free_text", _("Free text")


# The kinds a result line can be written for: a percentage needs a scale or a yes/no.
SCORED_KINDS = (QuestionKind.AGREE_SCALE, QuestionKind.YES_NO)


class Survey(models.Model):
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="surveys", verbose_name=_("programme")
    )
    cohort = models.ForeignKey(
        Cohort,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="surveys",
        verbose_name=_("cohort"),
    )
    audience = models.CharField(_("who it is for"), max_length=16, choices=SurveyAudience.choices)
    title = models.CharField(_("title"), max_length=200)
    introduction = models.TextField(_("introduction"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=SurveyStatus.choices, default=_S.DRAFT)
    closes_on = models.DateField(_("closing date"), null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="surveys_created"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["programme", "opened_at"], name="surveys_programme_opened")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(audience__in=SurveyAudience.values), name="surveys_survey_audience_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=SurveyStatus.values), name="surveys_survey_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status=_S.DRAFT) | models.Q(opened_at__isnull=False),
                name="surveys_survey_opened_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=_S.CLOSED) | models.Q(closed_at__isnull=False),
                name="surveys_survey_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.status == _S.DRAFT

    @property
    def is_accepting_answers(self) -> bool:
        """Open, and its closing date (the last day answers are taken) has not passed."""
        return self.status == _S.OPEN and (self.closes_on is None or timezone.localdate() <= self.closes_on)


class SurveyQuestion(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("type of answer"), max_length=16, choices=QuestionKind.choices)
    # The phrase a result line uses: "85% of participants <understood the frontline better>".
    statement = models.CharField(_("result statement"), max_length=200, blank=True)
    required = models.BooleanField(_("an answer is required"), default=True)

    class Meta:
        ordering = ["survey", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="surveys_question_position_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=QuestionKind.values), name="surveys_question_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(position__gte=1, position__lte=MAX_QUESTIONS),
                name="surveys_question_position_range",
            ),
            models.CheckConstraint(
                condition=models.Q(kind=QuestionKind.FREE_TEXT) | ~models.Q(statement=""),
                name="surveys_question_scored_has_statement",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class SurveyInvitation(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_invitations"
    )
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["survey", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "user"], name="surveys_invitation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} to {self.survey}"


class SurveyResponse(models.Model):
    """One invitee's answers. It names the invitation, never shown beside the answers' text."""

    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.CASCADE, related_name="response")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["survey", "pk"]

    def __str__(self) -> str:
        return f"Response {self.pk} to {self.survey}"


class SurveyAnswer(models.Model):
    """A number (1 to 5 on a scale; 1 yes, 0 no) or a text, never both, never neither."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="answers")
    value = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["response", "question__position"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="surveys_answer_unique"),
            models.CheckConstraint(
                condition=(models.Q(value__isnull=False) & models.Q(text=""))
                | (models.Q(value__isnull=True) & ~models.Q(text="")),
                name="surveys_answer_value_or_text",
            ),
            models.CheckConstraint(
                condition=models.Q(value__isnull=True) | models.Q(value__gte=NO, value__lte=SCALE_MAX),
                name="surveys_answer_value_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Answer to {self.question}"
