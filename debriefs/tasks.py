import logging
from smtplib import SMTPException

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from connecting.emails import email_send_templated
from debriefs.models import ReviewEvent
from debriefs.notifications import review_event_notices

logger = logging.getLogger(__name__)


@shared_task(
    ignore_result=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=8,
)
def review_event_notify_task(*, event_id: int) -> None:
    """Send the e-mail one review step causes, once: the event row is locked and stamped when sent."""
    with transaction.atomic():
        event = (
            ReviewEvent.objects.select_for_update(of=("self",))
            .select_related("debrief__booking__participant", "debrief__booking__slot__opportunity")
            .filter(pk=event_id, notified_at__isnull=True)
            .first()
        )
        if event is None:
            logger.info("review event %s is gone or already notified", event_id)
            return
        for notice in review_event_notices(event):
            email_send_templated(
                to=notice.to, template_prefix="placements/email/booking", context={"notice": notice}
            )
        event.notified_at = timezone.now()
        event.save(update_fields=["notified_at"])
