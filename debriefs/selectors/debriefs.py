"""Reads for the debrief page: one booking's debrief, with what the page shows of it loaded."""

from django.db.models import Prefetch, QuerySet

from debriefs.models import Debrief, DebriefAction, DebriefStatus, ReviewAction, ReviewEvent
from placements.models import Booking, Theme

# Steps the programme team keeps to itself: who reviews, and what it follows up in policy.
TEAM_ONLY_REVIEW_ACTIONS = (ReviewAction.ASSIGNED, ReviewAction.FLAGGED)


def debrief_get_for_booking(*, booking: Booking) -> Debrief | None:
    """The booking's debrief with its themes (by name) and actions (by due date), or None. Whether
    the person may see it is the view's question (`debriefs.permissions.can_view_debrief`)."""
    return (
        Debrief.objects.filter(booking=booking)
        .prefetch_related(
            Prefetch("themes", queryset=Theme.objects.order_by("name", "pk")),
            Prefetch("actions", queryset=DebriefAction.objects.order_by("due_on", "pk")),
        )
        .first()
    )


def debrief_get_for_reader(*, booking: Booking, user) -> Debrief | None:
    """The debrief as this person may read it: its author's in any state; for anyone else (the
    programme team) only once it is submitted, since a draft is its author's own and its text has
    not yet been checked for personal data. None when there is nothing they may read."""
    debrief = debrief_get_for_booking(booking=booking)
    if debrief is None or debrief.status != DebriefStatus.DRAFT or booking.participant_id == user.pk:
        return debrief
    return None


def review_event_list_for_debrief(*, debrief: Debrief, include_team_only: bool) -> QuerySet[ReviewEvent]:
    """The debrief's review history, oldest first, each with who acted. The author's view leaves
    out the team's own steps (`include_team_only=False`)."""
    events = ReviewEvent.objects.filter(debrief=debrief).select_related("actor").order_by("created_at", "pk")
    if not include_team_only:
        events = events.exclude(action__in=TEAM_ONLY_REVIEW_ACTIONS)
    return events
