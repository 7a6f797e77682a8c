"""Before and after a visit: the participant's preparation, the partner's joining instructions,
the debrief and its review, the host's feedback, policy follow-up and the learning library.

Every record here hangs off one booking, at most one of each kind per booking (the database holds
that with one-to-one keys). State columns accept only their declared values.
"""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.models import Partner, Region, Sector
from placements.models import Booking, Programme, Theme

# --- Before the visit -----------------------------------------------------------------------------


class PreparationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class Preparation(models.Model):
    """What the participant wants from the visit. The host reads it once it is submitted."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="preparation")
    status = models.CharField(
        _("status"), max_length=16, choices=PreparationStatus.choices, default=PreparationStatus.DRAFT
    )
    objectives = models.TextField(_("what you want to learn from the visit"), blank=True)
    questions = models.TextField(_("questions for your host"), blank=True)
    policy_area = models.ForeignKey(
        Theme,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("policy area it relates to"),
    )
    prior_knowledge = models.TextField(_("what you already know"), blank=True)
    access_needs = models.TextField(_("access needs"), blank=True)
    confidentiality_acknowledged = models.BooleanField(
        _("I will follow the partner's confidentiality and safeguarding expectations"), default=False
    )
    # The author saw the personal-data warnings and said the text is fine as it is.
    personal_data_confirmed = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # When the host's contacts were told it was submitted (once: later corrections are not mailed).
    host_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=PreparationStatus.values),
                name="debriefs_preparation_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="submitted")
                | (models.Q(submitted_at__isnull=False) & models.Q(confidentiality_acknowledged=True)),
                name="debriefs_preparation_submitted_acknowledged",
            ),
        ]

    def __str__(self) -> str:
        return f"Preparation for {self.booking}"

    @property
    def is_submitted(self) -> bool:
        return self.status == PreparationStatus.SUBMITTED


class JoiningInstructions(models.Model):
    """What the partner tells the visitor: where to go, who to ask for, timings, and a briefing pack."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="joining_instructions")
    where_to_go = models.TextField(_("where to go"))
    who_to_ask_for = models.CharField(_("who to ask for"), max_length=200)
    timings = models.TextField(_("timings"))
    other_information = models.TextField(_("anything else the visitor should know"), blank=True)
    # The stored name in the private storage (never the uploaded name) and what to call it.
    briefing_pack = models.CharField(max_length=255, blank=True)
    briefing_pack_filename = models.CharField(max_length=255, blank=True)
    briefing_pack_content_type = models.CharField(max_length=100, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # When the visitor was last e-mailed about them: behind `updated_at` means a change to tell.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "joining instructions"

    def __str__(self) -> str:
        return f"Joining instructions for {self.booking}"


# --- After the visit: the debrief and its review ---------------------------------------------------


class DebriefStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")


_D = DebriefStatus
# The whole review state machine. `debriefs.services.debrief_transition` is the only code that
# moves a debrief, and it refuses any move this table does not list.
DEBRIEF_TRANSITIONS: dict[str, frozenset[str]] = {
    _D.DRAFT: frozenset({_D.SUBMITTED}),
    _D.SUBMITTED: frozenset({_D.IN_REVIEW}),
    _D.IN_REVIEW: frozenset({_D.CHANGES_REQUESTED, _D.APPROVED}),
    _D.CHANGES_REQUESTED: frozenset({_D.SUBMITTED}),
    # Published only with sharing consent (the service checks); an approved debrief can be reopened.
    _D.APPROVED: frozenset({_D.PUBLISHED, _D.IN_REVIEW}),
    # Withdrawn from the library, back to approved.
    _D.PUBLISHED: frozenset({_D.APPROVED}),
}
# The author may change the text until a reviewer picks it up, and again when asked to.
DEBRIEF_EDITABLE_STATUSES = (_D.DRAFT, _D.SUBMITTED, _D.CHANGES_REQUESTED)
# In the review queue: everything the author has handed in that is not yet done with.
DEBRIEF_REVIEW_QUEUE_STATUSES = (_D.SUBMITTED, _D.IN_REVIEW, _D.CHANGES_REQUESTED)


class SharingConsent(models.TextChoices):
    TEAM_ONLY = "team_only", _("Visible to the programme team only")
    ANONYMISED = "anonymised", _("Shareable without my name")
    NAMED = "named", _("Shareable with my name")


SHAREABLE_CONSENTS = (SharingConsent.ANONYMISED, SharingConsent.NAMED)


class Debrief(models.Model):
    """What the participant learnt from one visit."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="debrief")
    status = models.CharField(_("status"), max_length=20, choices=DebriefStatus.choices, default=_D.DRAFT)
    what_i_saw = models.TextField(_("what I saw"), blank=True)
    what_i_learnt = models.TextField(_("what I learnt"), blank=True)
    what_surprised_me = models.TextField(_("what surprised me"), blank=True)
    what_works = models.TextField(_("what works"), blank=True)
    what_does_not_work = models.TextField(_("what does not work"), blank=True)
    policy_implications = models.TextField(_("implications for policy"), blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="debriefs", verbose_name=_("themes"))
    # Free tags, lower case, each at most 40 characters: words the taxonomy does not have.
    tags = models.JSONField(_("tags"), default=list, blank=True)
    usefulness = models.PositiveSmallIntegerField(
        _("how useful the visit was"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    consent = models.CharField(
        _("who may see it"), max_length=16, choices=SharingConsent.choices, default=SharingConsent.TEAM_ONLY
    )
    personal_data_confirmed = models.BooleanField(default=False)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="debriefs_to_review",
        verbose_name=_("reviewer"),
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="debriefs_debrief_queue"),
            # The review queue, oldest submitted first: its first page is the first rows of this.
            models.Index(
                fields=["submitted_at", "id"],
                condition=models.Q(status__in=DEBRIEF_REVIEW_QUEUE_STATUSES),
                name="debriefs_debrief_awaiting",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DebriefStatus.values), name="debriefs_debrief_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(consent__in=SharingConsent.values), name="debriefs_debrief_consent_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(usefulness__isnull=True)
                | (models.Q(usefulness__gte=1) & models.Q(usefulness__lte=5)),
                name="debriefs_debrief_usefulness_1_to_5",
            ),
            # Nothing reaches the library without the author's consent to share it.
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(consent__in=SHAREABLE_CONSENTS),
                name="debriefs_debrief_published_needs_consent",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(submitted_at__isnull=False),
                name="debriefs_debrief_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Debrief of {self.booking}"

    @property
    def is_shareable(self) -> bool:
        return self.consent in SHAREABLE_CONSENTS

    @property
    def is_editable(self) -> bool:
        return self.status in DEBRIEF_EDITABLE_STATUSES


class DebriefAction(models.Model):
    """Something the participant will do because of the visit."""

    debrief = models.ForeignKey(Debrief, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(_("action"), max_length=500)
    owner = models.CharField(_("owner"), max_length=150)
    due_on = models.DateField(_("due date"))

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.description


class ReviewAction(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    STARTED = "started", _("Review started")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published to the learning library")
    UNPUBLISHED = "unpublished", _("Withdrawn from the learning library")
    REOPENED = "reopened", _("Reopened for review")
    COMMENTED = "commented", _("Comment")
    ASSIGNED = "assigned", _("Reviewer assigned")
    FLAGGED = "flagged", _("Flagged for policy follow-up")


class ReviewEvent(models.Model):
    """One step in a debrief's review: who, when, from what to what, and the reviewer's comment.

    The author sees every event of their debrief, comments included.
    """

    debrief = models.ForeignKey(Debrief, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=ReviewAction.choices)
    from_status = models.CharField(max_length=20, choices=DebriefStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=DebriefStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=ReviewAction.values), name="debriefs_reviewevent_action_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(to_status__in=DebriefStatus.values), name="debriefs_reviewevent_to_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.debrief_id})"


# --- Policy follow-up: "you said, we did" ------------------------------------------------------------


class PolicyActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class PolicyAction(models.Model):
    """A follow-up the programme team flagged on a debrief, tracked to done with what was done."""

    debrief = models.ForeignKey(Debrief, on_delete=models.CASCADE, related_name="policy_actions")
    description = models.TextField(_("what needs to happen"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="policy_actions",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=PolicyActionStatus.choices, default=PolicyActionStatus.OPEN
    )
    outcome = models.TextField(_("what we did"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=PolicyActionStatus.values),
                name="debriefs_policyaction_status_valid",
            ),
            # "Done" means something was done, and says what.
            models.CheckConstraint(
                condition=~models.Q(status="done")
                | (~models.Q(outcome="") & models.Q(done_at__isnull=False)),
                name="debriefs_policyaction_done_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:80]


# --- The host's view -----------------------------------------------------------------------------------


class VisitorPrepared(models.TextChoices):
    YES = "yes", _("Yes, well prepared")
    PARTLY = "partly", _("Partly")
    NO = "no", _("No")


class WouldHostAgain(models.TextChoices):
    YES = "yes", _("Yes")
    MAYBE = "maybe", _("Maybe")
    NO = "no", _("No")


class PartnerFeedback(models.Model):
    """The host's view of one visit, for the programme team."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="partner_feedback")
    visitor_prepared = models.CharField(
        _("was the visitor prepared"), max_length=8, choices=VisitorPrepared.choices
    )
    value_to_partner = models.PositiveSmallIntegerField(
        _("value of the visit to your organisation"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    would_host_again = models.CharField(
        _("would you host again"), max_length=8, choices=WouldHostAgain.choices
    )
    comments = models.TextField(_("comments for the programme team"), blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "partner feedback"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(visitor_prepared__in=VisitorPrepared.values),
                name="debriefs_feedback_prepared_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(would_host_again__in=WouldHostAgain.values),
                name="debriefs_feedback_again_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(value_to_partner__gte=1) & models.Q(value_to_partner__lte=5),
                name="debriefs_feedback_value_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"Feedback on {self.booking}"


# --- The learning library --------------------------------------------------------------------------


class Insight(models.Model):
    """A published, consented extract of a debrief. The text is the reviewer's edit of the debrief,
    and an anonymised one carries no name. Partner, sector, region, programme and visit date are
    copied from the booking when it is published, so the library filters without joining bookings.
    """

    debrief = models.OneToOneField(Debrief, on_delete=models.CASCADE, related_name="insight")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    # Empty when the author chose to share without their name.
    attribution = models.CharField(_("attribution"), max_length=300, blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="insights")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="insights")
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="insights")
    sector = models.CharField(max_length=32, choices=Sector.choices)
    region = models.CharField(max_length=32, choices=Region.choices)
    visited_on = models.DateField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)
    # The library's full-text search document: title (weight A), text (B) and theme names (C).
    # PostgreSQL keeps it up to date with triggers, whoever writes the insight, its themes or a
    # theme's name (the insight_search_document migration); it stays empty on SQLite.
    search_document = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["partner", "-published_at"], name="debriefs_insight_partner"),
            models.Index(fields=["visited_on"], name="debriefs_insight_visited"),
            # The library's default order, so its first page reads 20 index entries, not a sort.
            models.Index(fields=["-published_at", "-id"], name="debriefs_insight_newest"),
            # Created on PostgreSQL only (see the migration).
            GinIndex(fields=["search_document"], name="debriefs_insight_search"),
        ]

    def __str__(self) -> str:
        return self.title


# --- The learning-theme roll-up ------------------------------------------------------------------
# Built by `debriefs.services.rollup.theme_rollup_refresh` and nothing else; see
# docs/design-notes.md ("Theme roll-up") for the incremental rule.


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


# Every debrief handed in counts in the roll-up, whatever the review made of it so far.
ROLLUP_STATUSES = (_D.SUBMITTED, _D.IN_REVIEW, _D.CHANGES_REQUESTED, _D.APPROVED, _D.PUBLISHED)
# Quotes come only from debriefs the team has approved and whose author consented to sharing.
QUOTABLE_STATUSES = (_D.APPROVED, _D.PUBLISHED)


class RollupDebriefFact(models.Model):
    """One counted debrief as the roll-up last saw it: its dimensions, themes and (in
    `RollupDebriefText`) what quotes and phrases take from its text.

    `debrief` has no database constraint and is not cascaded: when a debrief is deleted its fact
    stays until the next refresh, which needs it to know which periods to rebuild.

    Like `ThemeRollup`, the facts, their themes and texts are derived, and written only by the
    refresh (a full one writes over half a million of these rows), so their keys carry no database
    constraint either: checked a row at a time at commit, they took 4.5 s of a 33 s full refresh.
    Deleting a programme or theme through the portal still deletes their rows (`on_delete`, and
    Django's own clean-up of a many-to-many table); a key left dangling by a deletion during a
    refresh differs from the debrief's, so the next refresh reprocesses that debrief.
    """

    debrief = models.OneToOneField(
        Debrief, on_delete=models.DO_NOTHING, db_constraint=False, related_name="rollup_fact"
    )
    debrief_updated_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=DebriefStatus.choices)
    consent = models.CharField(max_length=16, choices=SharingConsent.choices)
    # No index of its own: the cell indexes below start with it.
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    visited_on = models.DateField()
    month_start = models.DateField()
    quarter_start = models.DateField()
    sector = models.CharField(max_length=32, choices=Sector.choices)
    region = models.CharField(max_length=32, choices=Region.choices)
    directorate = models.CharField(max_length=150, blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="+", db_constraint=False)
    # MD5s of the debrief's text and of its author's name, which quotes and phrases are made of:
    # both can change without `updated_at` moving (erasure writes with `QuerySet.update`).
    text_digest = models.CharField(max_length=32, blank=True)
    author_digest = models.CharField(max_length=32, blank=True)
    # Approved or published, shared with consent, with something learnt or a policy implication to
    # quote (its excerpt is in `RollupDebriefText`).
    quoted = models.BooleanField(default=False)

    class Meta:
        # Whole cells first: a refresh rebuilds the roll-up cell by cell.
        indexes = [
            models.Index(
                fields=["programme", "month_start", "sector", "region", "directorate"],
                name="debriefs_fact_month_cell",
            ),
            models.Index(
                fields=["programme", "quarter_start", "sector", "region", "directorate"],
                name="debriefs_fact_quarter_cell",
            ),
        ]

    def __str__(self) -> str:
        return f"Roll-up fact of debrief {self.debrief_id}"


class RollupWord(models.Model):
    """A word of the phrase finder's vocabulary. The roll-up alone writes it, under its lock, so a
    word has one id without a unique index (which would refuse a token longer than an index row)."""

    id = models.PositiveIntegerField(primary_key=True)
    word = models.TextField()

    def __str__(self) -> str:
        return self.word


class RollupDebriefText(models.Model):
    """What the roll-up takes from a fact's debrief's text, so that a refresh rebuilds a period's
    quotes and emerging phrases without reading or splitting the texts again: the words the
    phrase finder reads (lower case, stop words dropped), in order, as `RollupWord` ids packed in
    little-endian 32-bit integers; and, if the debrief may be quoted, its excerpt."""

    fact = models.OneToOneField(
        RollupDebriefFact,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="text",
        db_constraint=False,
    )
    words = models.BinaryField()
    quote = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"Text of roll-up fact {self.fact_id}"


class ThemeRollup(models.Model):
    """How many debriefs of one programme × period × sector × region × directorate named a theme.

    `share` is that count over every debrief counted in the same cell (`cell_debrief_count`,
    themed or not); `change` is the count minus the same key's count in the previous period. A key
    that was counted in the previous period and not in this one has a row with count 0.

    Derived from the facts and rewritten by every refresh (three quarters of a million rows in a
    full one), so its programme and theme carry no database constraint: each would be checked a
    row at a time at commit, a quarter of a full refresh's time. Deleting a programme or a theme
    through the portal still deletes its rows (`on_delete`), and a full refresh rewrites them all.
    The cell key's index serves lookups by programme and period.
    """

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    period_kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField()
    sector = models.CharField(max_length=32, choices=Sector.choices)
    region = models.CharField(max_length=32, choices=Region.choices)
    directorate = models.CharField(max_length=150, blank=True)
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="rollups", db_constraint=False)
    debrief_count = models.PositiveIntegerField()
    cell_debrief_count = models.PositiveIntegerField()
    share = models.DecimalField(max_digits=5, decimal_places=4)
    previous_count = models.PositiveIntegerField()
    change = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "programme",
                    "period_kind",
                    "period_start",
                    "sector",
                    "region",
                    "directorate",
                    "theme",
                ],
                name="debriefs_themerollup_key",
            ),
            models.CheckConstraint(
                condition=models.Q(period_kind__in=PeriodKind.values), name="debriefs_themerollup_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.theme_id} in {self.period_kind} {self.period_start}: {self.debrief_count}"


class ThemeQuote(models.Model):
    """A short excerpt standing for a theme in one programme × period: at most three each, only
    from approved or published debriefs shared with consent, and never with the author's name."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="+")
    period_kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField()
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+")
    debrief = models.ForeignKey(Debrief, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "period_kind", "period_start", "theme", "position"],
                name="debriefs_themequote_position",
            ),
            models.CheckConstraint(
                condition=models.Q(position__gte=1) & models.Q(position__lte=3),
                name="debriefs_themequote_at_most_three",
            ),
            models.CheckConstraint(
                condition=models.Q(period_kind__in=PeriodKind.values), name="debriefs_themequote_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["programme", "period_kind", "period_start"], name="debriefs_quote_period"),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class EmergingTheme(models.Model):
    """A phrase that debriefs of one programme × period keep using and the taxonomy does not name."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="+")
    period_kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField()
    phrase = models.CharField(max_length=200)
    debrief_count = models.PositiveIntegerField()
    score = models.FloatField()

    class Meta:
        ordering = ["-score", "phrase"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "period_kind", "period_start", "phrase"],
                name="debriefs_emergingtheme_key",
            ),
            models.CheckConstraint(
                condition=models.Q(period_kind__in=PeriodKind.values),
                name="debriefs_emergingtheme_kind_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["programme", "period_kind", "period_start"], name="debriefs_emerging_period"
            ),
        ]

    def __str__(self) -> str:
        return self.phrase


class DashboardCount(models.Model):
    """How many debriefs are in each state (`debrief:<status>`), how many policy actions are open
    (`policy_action:open`) and how many insights there are (`insight`), for the programme
    dashboard: its count plus the `DashboardCountChange`s not yet folded in.

    On PostgreSQL, triggers on the three tables append a change in the same transaction as any
    insert, update, delete or truncate, however it is made (a service, a bulk update, a data
    fix), so the sum is exact at every commit and reading it costs the same at any scale. Writers
    only ever append changes, so no two of them wait for each other; `dashboard_counts_compact`
    folds the changes in. SQLite (the embedded default, with little data) counts the rows
    instead (`debriefs.selectors.dashboard`)."""

    key = models.CharField(max_length=40, primary_key=True)
    count = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class DashboardCountChange(models.Model):
    """A change to a `DashboardCount`, appended by a trigger; see there."""

    key = models.CharField(max_length=40, db_index=True)
    delta = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.key}: {self.delta:+d}"
