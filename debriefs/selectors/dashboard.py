"""Figures about debriefs for the programme dashboard."""

from django.db.models import Count, Q

from debriefs.models import Debrief, DebriefStatus, Insight, PolicyAction, PolicyActionStatus

D = DebriefStatus


def debrief_dashboard_counts() -> dict[str, int]:
    """Debriefs waiting for a reviewer, in review, sent back to their authors, approved but not
    (or not yet) published, open policy actions and insights in the library: three queries
    whatever the numbers."""
    debriefs = Debrief.objects.aggregate(
        waiting=Count("pk", filter=Q(status=D.SUBMITTED)),
        in_review=Count("pk", filter=Q(status=D.IN_REVIEW)),
        changes_requested=Count("pk", filter=Q(status=D.CHANGES_REQUESTED)),
        approved=Count("pk", filter=Q(status=D.APPROVED)),
    )
    return {
        **debriefs,
        "open_policy_actions": PolicyAction.objects.exclude(status=PolicyActionStatus.DONE).count(),
        "insights": Insight.objects.count(),
    }
