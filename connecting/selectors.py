from datetime import timedelta
from typing import NamedTuple

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


class SqlScalar(NamedTuple):
    """A number `row_counts` reads as it is, from a query of one value (its values as parameters)."""

    sql: str
    params: list


def row_counts(**figures: QuerySet | SqlScalar) -> dict[str, int]:
    """How many rows each queryset has (or the value of each `SqlScalar`), read in one query
    (`SELECT (SELECT COUNT(*) FROM ...), ...`): for a page's unrelated totals, so each costs no
    round trip of its own. The querysets are compiled by the ORM, so their values travel as
    parameters."""
    selects, params, database = [], [], "default"
    for figure in figures.values():
        if isinstance(figure, SqlScalar):
            selects.append(f"({figure.sql})")
            params.extend(figure.params)
            continue
        sql, sql_params = figure.order_by().values("pk").query.sql_with_params()
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")  # noqa: S608 (the ORM's own SQL)
        params.extend(sql_params)
        database = figure.db
    with connections[database].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(selects)}", params)
        values = cursor.fetchone()
    return {name: int(value) for name, value in zip(figures, values, strict=True)}


def percent(part: int, whole: int) -> int:
    """A whole percentage, halves rounded up (so 85.5% reads 86%); 0 of nothing is 0."""
    # Works for Decimal days as for counts: integer arithmetic, no float rounding.
    return int((200 * part + whole) // (2 * whole)) if whole else 0
