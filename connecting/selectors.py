from datetime import timedelta

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone

from connecting.models import Heartbeat

WORKER_HEARTBEAT = "worker"


def background_jobs_status() -> dict:
    """Whether the Celery worker and beat are running, judged by the last heartbeat they wrote.

    Beat enqueues the heartbeat task every HEARTBEAT_SECONDS and the worker runs it, so a recent
    row proves both. Three missed beats count as down.
    """
    heartbeat = Heartbeat.objects.filter(name=WORKER_HEARTBEAT).first()
    if heartbeat is None:
        return {"running": False, "last_seen": None}
    allowed_gap = timedelta(seconds=settings.HEARTBEAT_SECONDS * 3)
    return {"running": timezone.now() - heartbeat.seen_at <= allowed_gap, "last_seen": heartbeat.seen_at}


def row_counts(**querysets: QuerySet) -> dict[str, int]:
    """How many rows each queryset has, read in one query (`SELECT (SELECT COUNT(*) FROM ...), ...`):
    for a page's unrelated totals, so each costs no round trip of its own. The querysets are
    compiled by the ORM, so their values travel as parameters."""
    selects, params = [], []
    for queryset in querysets.values():
        sql, sql_params = queryset.order_by().values("pk").query.sql_with_params()
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")  # noqa: S608 (the ORM's own SQL)
        params.extend(sql_params)
    with connections[next(iter(querysets.values())).db].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(selects)}", params)
        values = cursor.fetchone()
    return dict(zip(querysets, values, strict=True))


def percent(part: int, whole: int) -> int:
    """A whole percentage, halves rounded up (so 85.5% reads 86%); 0 of nothing is 0."""
    # Works for Decimal days as for counts: integer arithmetic, no float rounding.
    return int((200 * part + whole) // (2 * whole)) if whole else 0
