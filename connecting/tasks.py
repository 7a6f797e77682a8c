import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from connecting.outbox import outbox_dispatch, outbox_send
from connecting.reminders import reminders_schedule
from connecting.selectors import WORKER_HEARTBEAT
from connecting.services import heartbeat_record
from debriefs.services.notifications import visit_record_notifications_resume
from placements.services.notifications import booking_event_notifications_resume

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def heartbeat_task() -> None:
    """Scheduled by beat; proves the broker, the worker and the database all work together."""
    heartbeat_record(name=WORKER_HEARTBEAT)


@shared_task
def echo_task(*, payload: str) -> dict:
    """A round trip through broker, worker and result backend, for health checks and tests."""
    logger.info("echo_task received %d characters", len(payload))
    return {"payload": payload, "length": len(payload)}


@shared_task(
    ignore_result=True,
    time_limit=settings.OUTBOX_SEND_TIME_LIMIT,
    soft_time_limit=max(settings.OUTBOX_SEND_TIME_LIMIT - 10, 1),
)
def outbox_send_task(*, message_id: int) -> None:
    """Send one outbox message. Safe to run twice: the claim lets only one run send it, and a
    message already sent, or not yet due for its retry, is left alone. Back-off lives in the
    outbox (`next_attempt_at`), which `outbox_dispatch_task` reads, not in parked broker tasks."""
    outcome = outbox_send(message_id=message_id)
    logger.info("outbox %s: %s", message_id, outcome)


@shared_task(ignore_result=True)
def outbox_dispatch_task() -> None:
    """Scheduled by beat: hand due, retrying and stranded outbox messages to the workers."""
    counts = outbox_dispatch()
    if any(counts.values()):
        logger.info("outbox dispatch: %s", counts)


@shared_task(ignore_result=True)
def reminders_schedule_task() -> None:
    """Scheduled by beat: write every reminder now due into the outbox, once per occasion."""
    counts = reminders_schedule()
    if any(counts.values()):
        logger.info("reminders written: %s", counts)


@shared_task(ignore_result=True)
def notifications_resume_task() -> None:
    """Scheduled by beat: hand over again the e-mails of booking and review steps whose
    hand-over to the broker was lost (each notify task writes its e-mails once)."""
    now = timezone.now()
    resumed = booking_event_notifications_resume(now=now) + visit_record_notifications_resume(now=now)
    if resumed:
        logger.warning("handed over %d notifications again: their first hand-over was lost", resumed)
