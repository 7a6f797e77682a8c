import logging
from smtplib import SMTPException

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from connecting.emails import email_send_templated
from debriefs.models import JoiningInstructions, Preparation, PreparationStatus, ReviewEvent
from debriefs.notifications import (
    joining_instructions_notices,
    preparation_submitted_notices,
    review_event_notices,
)

logger = logging.getLogger(__name__)


# E-mail is retried on transient failures only, with back-off, as the booking e-mails are.
_MAIL_TASK = {
    "ignore_result": True,
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": 30,
    "retry_backoff_max": 1800,
    "max_retries": 8,
}


def _send(notices) -> None:
    for notice in notices:
        email_send_templated(
            to=notice.to, template_prefix="placements/email/booking", context={"notice": notice}
        )


@shared_task(**_MAIL_TASK)
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
        _send(review_event_notices(event))
        event.notified_at = timezone.now()
        event.save(update_fields=["notified_at"])


@shared_task(**_MAIL_TASK)
def preparation_submitted_notify_task(*, preparation_id: int) -> None:
    """Tell the host's contacts that the visitor's preparation is in, once (the row is stamped)."""
    with transaction.atomic():
        preparation = (
            Preparation.objects.select_for_update(of=("self",))
            .select_related("booking__participant", "booking__slot__opportunity")
            .filter(pk=preparation_id, status=PreparationStatus.SUBMITTED, host_notified_at__isnull=True)
            .first()
        )
        if preparation is None:
            logger.info("preparation %s is gone, not submitted or already notified", preparation_id)
            return
        _send(preparation_submitted_notices(preparation))
        preparation.host_notified_at = timezone.now()
        preparation.save(update_fields=["host_notified_at"])


@shared_task(**_MAIL_TASK)
def joining_instructions_notify_task(*, instructions_id: int) -> None:
    """Send the visitor the joining instructions as they now stand, unless they already have them:
    a retry, or a second task for one change, finds `notified_at` past `updated_at` and sends nothing."""
    with transaction.atomic():
        instructions = (
            JoiningInstructions.objects.select_for_update(of=("self",))
            .select_related("booking__participant", "booking__slot__opportunity__partner")
            .filter(pk=instructions_id)
            .first()
        )
        if instructions is None:
            logger.info("joining instructions %s are gone", instructions_id)
            return
        if instructions.notified_at and instructions.notified_at >= instructions.updated_at:
            return
        _send(joining_instructions_notices(instructions, changed=instructions.notified_at is not None))
        instructions.notified_at = timezone.now()
        instructions.save(update_fields=["notified_at"])
