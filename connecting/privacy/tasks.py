import logging

from celery import shared_task
from django.utils import timezone

from connecting.privacy.services import retention_apply

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def retention_apply_task() -> None:
    """Scheduled by beat (nightly): remove personal data past its retention period. Running it
    again, or twice at once, is harmless: it only touches rows that still hold something."""
    counts = retention_apply(now=timezone.now())
    if any(counts.values()):
        logger.info("retention: %s", counts)
