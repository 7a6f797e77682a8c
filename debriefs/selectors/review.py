"""What the programme team reads to review debriefs: the queue, one debrief with all it needs, the
policy follow-up list, and the rows of the CSV exports.

A draft is its author's own until it is submitted: no selector here ever returns one.
"""

import datetime

from django.db.models import (
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from connecting.accounts.models import Role, User
from debriefs.models import (
    DEBRIEF_REVIEW_QUEUE_STATUSES,
    Debrief,
    DebriefAction,
    DebriefStatus,
    PolicyAction,
    PolicyActionStatus,
    ReviewEvent,
    SharingConsent,
)
from placements.models import Enrolment

# The status filter's extra value: every debrief handed in, whatever its state.
STATUS_ALL = "all"
# The reviewer filter's two fixed values; any other value is a team member's id.
REVIEWER_ME, REVIEWER_NONE = "me", "none"
POLICY_OWNER_MINE = "mine"

_ROW_RELATIONS = (
    "booking__participant",
    "booking__slot__opportunity__partner",
    "booking__programme",
    "reviewer",
)


def _handed_in() -> QuerySet[Debrief]:
    return Debrief.objects.exclude(status=DebriefStatus.DRAFT)


def _open_policy_actions():
    return PolicyAction.objects.filter(debrief=OuterRef("pk")).exclude(status=PolicyActionStatus.DONE)


def _cohort_name():
    """The cohort of the participant's enrolment in the programme the visit counts towards."""
    return Enrolment.objects.filter(
        participant=OuterRef("booking__participant"), programme=OuterRef("booking__programme")
    ).values("cohort__name")[:1]


def debrief_list_filtered(
    *,
    user,
    programme=None,
    cohort=None,
    sector: str = "",
    theme=None,
    status: str = "",
    older_than_days: int | None = None,
    reviewer: str = "",
    now: datetime.datetime | None = None,
) -> QuerySet[Debrief]:
    """Handed-in debriefs matching the filters, unordered: the queue and the exports order them.

    `status` "" means the queue (submitted, in review, changes requested), "all" every state but
    draft. `cohort` is the cohort of the participant's enrolment in the booking's programme.
    `older_than_days` keeps those submitted more than that many days ago. `reviewer` is "me",
    "none" (unassigned) or a team member's id.
    """
    debriefs = _handed_in()
    if status == STATUS_ALL:
        pass
    elif status:
        debriefs = debriefs.filter(status=status)
    else:
        debriefs = debriefs.filter(status__in=DEBRIEF_REVIEW_QUEUE_STATUSES)
    if programme is not None:
        debriefs = debriefs.filter(booking__programme=programme)
    if cohort is not None:
        debriefs = debriefs.filter(
            Exists(
                Enrolment.objects.filter(
                    participant=OuterRef("booking__participant"),
                    programme=OuterRef("booking__programme"),
                    cohort=cohort,
                )
            )
        )
    if sector:
        debriefs = debriefs.filter(booking__slot__opportunity__partner__sector=sector)
    if theme is not None:
        # Exists, not a join: a debrief with two matching themes is still one row.
        debriefs = debriefs.filter(
            Exists(Debrief.themes.through.objects.filter(debrief=OuterRef("pk"), theme=theme))
        )
    if older_than_days:
        cutoff = (now or timezone.now()) - datetime.timedelta(days=older_than_days)
        debriefs = debriefs.filter(submitted_at__lt=cutoff)
    if reviewer == REVIEWER_ME:
        debriefs = debriefs.filter(reviewer=user)
    elif reviewer == REVIEWER_NONE:
        debriefs = debriefs.filter(reviewer__isnull=True)
    elif reviewer:
        debriefs = debriefs.filter(reviewer_id=int(reviewer))
    return debriefs


# What a queue row shows, and no more: a debrief's own texts and the opportunity's descriptions
# are long, and a page of rows has no use for them.
_QUEUE_ROW_FIELDS = (
    "status",
    "submitted_at",
    "booking__participant__full_name",
    "booking__participant__email",
    "booking__slot__starts_at",
    "booking__slot__opportunity__title",
    "booking__slot__opportunity__partner__name",
    "reviewer__full_name",
    "reviewer__email",
)


def debrief_review_queue(*, user, **filters) -> QuerySet[Debrief]:
    """The review queue: the filtered debriefs, oldest submitted first, each with its participant,
    opportunity, partner, reviewer and whether it has open policy actions (`flagged`). Only the
    columns a row shows are loaded (`_QUEUE_ROW_FIELDS`).

    The default queue is read through the partial index `debriefs_debrief_awaiting` (submitted_at,
    id of the debriefs waiting for review), so a page is the first rows of an index, not a sort
    of every debrief waiting."""
    return (
        debrief_list_filtered(user=user, **filters)
        .select_related("booking__participant", "booking__slot__opportunity__partner", "reviewer")
        .only(*_QUEUE_ROW_FIELDS)
        .annotate(flagged=Exists(_open_policy_actions()))
        .order_by("submitted_at", "pk")
    )


def debrief_get_for_review(*, debrief_id: int) -> Debrief:
    """The one door from a review URL to a debrief: 404 for one that does not exist or is a draft.

    Loads everything the review page shows: the booking and who is in it, the preparation and the
    host's feedback, the insight, the history with who acted, the participant's actions, the
    themes and the policy actions with their owners.
    """
    debrief = (
        _handed_in()
        .select_related(
            *_ROW_RELATIONS,
            "booking__preparation",
            "booking__partner_feedback__given_by",
            "insight",
        )
        .prefetch_related(
            Prefetch(
                "events", queryset=ReviewEvent.objects.select_related("actor").order_by("created_at", "pk")
            ),
            "actions",
            "themes",
            Prefetch(
                "policy_actions",
                queryset=PolicyAction.objects.select_related("owner").order_by("-created_at", "-pk"),
            ),
        )
        .filter(pk=debrief_id)
        .first()
    )
    if debrief is None:
        raise Http404("No such debrief.")
    return debrief


def programme_team_choices() -> QuerySet[User]:
    """Who can review a debrief or own a policy action: active programme-team members, by name.
    Read through the partial index `accounts_user_team`: a handful of people among tens of
    thousands of participants."""
    return User.objects.filter(role=Role.PROGRAMME_TEAM, is_active=True).order_by("full_name", "email", "pk")


# --- Policy follow-up -----------------------------------------------------------------------------

_STATUS_ORDER = Case(
    When(status=PolicyActionStatus.OPEN, then=Value(0)),
    When(status=PolicyActionStatus.IN_PROGRESS, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def policy_action_list(*, user, status: str = "", owner: str = "") -> QuerySet[PolicyAction]:
    """Policy actions, open ones first, then in progress, then done; newest first within each.
    `owner` "mine" keeps the user's own."""
    actions = PolicyAction.objects.select_related(
        "owner", "debrief__booking__participant", "debrief__booking__slot__opportunity__partner"
    )
    if status:
        actions = actions.filter(status=status)
    if owner == POLICY_OWNER_MINE:
        actions = actions.filter(owner=user)
    return actions.order_by(_STATUS_ORDER, "-created_at", "-pk")


def policy_action_get(*, action_id: int) -> PolicyAction:
    action = (
        PolicyAction.objects.select_related(
            "owner",
            "created_by",
            "debrief__booking__participant",
            "debrief__booking__slot__opportunity__partner",
        )
        .filter(pk=action_id)
        .first()
    )
    if action is None:
        raise Http404("No such policy action.")
    return action


# --- Exports --------------------------------------------------------------------------------------


def _consented(debriefs: QuerySet[Debrief], *, include_team_only: bool) -> QuerySet[Debrief]:
    if include_team_only:
        return debriefs
    return debriefs.exclude(consent=SharingConsent.TEAM_ONLY)


def debrief_export_rows(*, user, include_team_only: bool = False, **filters) -> QuerySet[Debrief]:
    """The debriefs export: filtered like the queue, the team-only ones left out unless asked for,
    oldest submitted first, with the cohort's name annotated (`cohort_name`) and the themes loaded."""
    debriefs = _consented(debrief_list_filtered(user=user, **filters), include_team_only=include_team_only)
    return (
        debriefs.select_related(*_ROW_RELATIONS)
        .annotate(cohort_name=Subquery(_cohort_name()))
        .prefetch_related("themes")
        .order_by("submitted_at", "pk")
    )


def action_export_rows(*, user, include_team_only: bool = False, **filters) -> tuple[QuerySet, QuerySet]:
    """The actions export: the participants' own actions, then the team's policy follow-ups, of the
    debriefs the debriefs export would hold; each with its debrief, author and the debrief's themes."""
    debriefs = _consented(debrief_list_filtered(user=user, **filters), include_team_only=include_team_only)
    in_export = Q(debrief__in=debriefs.values("pk"))
    relations = ("debrief__booking__participant",)
    participant_actions = (
        DebriefAction.objects.filter(in_export)
        .select_related(*relations)
        .prefetch_related("debrief__themes")
        .order_by("debrief__submitted_at", "debrief_id", "due_on", "pk")
    )
    policy_actions = (
        PolicyAction.objects.filter(in_export)
        .select_related(*relations, "owner")
        .prefetch_related("debrief__themes")
        .order_by("debrief__submitted_at", "debrief_id", "created_at", "pk")
    )
    return participant_actions, policy_actions
