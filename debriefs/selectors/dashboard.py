"""Figures about debriefs for the programme dashboard."""

from django.db.models import QuerySet

from connecting.selectors import row_counts
from debriefs.models import Debrief, DebriefStatus, Insight, PolicyAction, PolicyActionStatus

D = DebriefStatus


def debrief_dashboard_querysets() -> dict[str, QuerySet]:
    """What the dashboard counts about debriefs, for `row_counts` (the dashboard reads them in the
    same query as its other totals)."""
    return {
        "waiting": Debrief.objects.filter(status=D.SUBMITTED),
        "in_review": Debrief.objects.filter(status=D.IN_REVIEW),
        "changes_requested": Debrief.objects.filter(status=D.CHANGES_REQUESTED),
        "approved": Debrief.objects.filter(status=D.APPROVED),
        "open_policy_actions": PolicyAction.objects.exclude(status=PolicyActionStatus.DONE),
        "insights": Insight.objects.all(),
    }


def debrief_dashboard_counts() -> dict[str, int]:
    """Debriefs waiting for a reviewer, in review, sent back to their authors, approved but not
    (or not yet) published, open policy actions and insights in the library: one query whatever
    the numbers."""
    return row_counts(**debrief_dashboard_querysets())
