"""Figures about debriefs for the programme dashboard."""

from django.db import connection
from django.db.models import QuerySet

from connecting.selectors import SqlScalar, row_counts
from debriefs.models import (
    DashboardCount,
    DashboardCountChange,
    Debrief,
    DebriefStatus,
    Insight,
    PolicyAction,
    PolicyActionStatus,
)

D = DebriefStatus

# The `DashboardCount` key of each figure (the triggers of migration debriefs 0009 name them).
_COUNT_KEYS = {
    "waiting": f"debrief:{D.SUBMITTED}",
    "in_review": f"debrief:{D.IN_REVIEW}",
    "changes_requested": f"debrief:{D.CHANGES_REQUESTED}",
    "approved": f"debrief:{D.APPROVED}",
    "open_policy_actions": "policy_action:open",
    "insights": "insight",
}


def debrief_dashboard_querysets() -> dict[str, QuerySet]:
    """The rows each figure of `debrief_dashboard_counts` counts."""
    return {
        "waiting": Debrief.objects.filter(status=D.SUBMITTED),
        "in_review": Debrief.objects.filter(status=D.IN_REVIEW),
        "changes_requested": Debrief.objects.filter(status=D.CHANGES_REQUESTED),
        "approved": Debrief.objects.filter(status=D.APPROVED),
        "open_policy_actions": PolicyAction.objects.exclude(status=PolicyActionStatus.DONE),
        "insights": Insight.objects.all(),
    }


def debrief_dashboard_figures() -> dict[str, QuerySet | SqlScalar]:
    """What `row_counts` reads for each review figure: on PostgreSQL the `DashboardCount` kept by
    triggers (an index lookup and the few changes not yet folded in, whatever the numbers; counting
    the rows took 12 ms at national scale), elsewhere the rows themselves."""
    if connection.vendor != "postgresql":
        return debrief_dashboard_querysets()
    counts, changes = DashboardCount._meta.db_table, DashboardCountChange._meta.db_table
    sql = (
        f"SELECT coalesce(sum(n), 0) FROM (SELECT count AS n FROM {counts} WHERE key = %s "  # noqa: S608
        f"UNION ALL SELECT delta FROM {changes} WHERE key = %s) AS kept"
    )
    return {name: SqlScalar(sql, [key, key]) for name, key in _COUNT_KEYS.items()}


def debrief_dashboard_counts() -> dict[str, int]:
    """Debriefs waiting for a reviewer, in review, sent back to their authors, approved but not
    (or not yet) published, open policy actions and insights in the library: exact at every
    commit, in one query."""
    return row_counts(**debrief_dashboard_figures())
