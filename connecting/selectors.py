from datetime import timedelta

from django.conf import settings
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
