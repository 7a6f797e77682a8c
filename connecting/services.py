from datetime import datetime

from django.utils import timezone

from connecting.models import Heartbeat


def heartbeat_record(*, name: str, at: datetime | None = None) -> Heartbeat:
    """Record that `name` (e.g. the Celery worker fed by beat) is alive now."""
    heartbeat, _ = Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": at or timezone.now()})
    return heartbeat
