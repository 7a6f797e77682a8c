import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from debriefs.models import JoiningInstructions, Preparation, PreparationStatus, ReviewEvent
from debriefs.notifications import (
    joining_instructions_notices,
    preparation_submitted_notices,
    review_event_notices,
)
from placements.notifications import notices_enqueue

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def review_event_notify_task(*, event_id: int) -> None:
    """Write the e-mail one review step causes into the outbox, once: the event row is locked and
    stamped in the same transaction."""
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
        notices_enqueue(
            notices=review_event_notices(event), key=f"review-event:{event.pk}", kind=f"review.{event.action}"
        )
        event.notified_at = timezone.now()
        event.save(update_fields=["notified_at"])


@shared_task(ignore_result=True)
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
        notices_enqueue(
            notices=preparation_submitted_notices(preparation),
            key=f"preparation-submitted:{preparation.pk}",
            kind="preparation.submitted",
        )
        preparation.host_notified_at = timezone.now()
        preparation.save(update_fields=["host_notified_at"])


@shared_task(ignore_result=True)
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
        notices_enqueue(
            notices=joining_instructions_notices(instructions, changed=instructions.notified_at is not None),
            # One e-mail per version of the instructions: a change is a new occasion.
            key=f"joining-instructions:{instructions.pk}:{instructions.updated_at.isoformat()}",
            kind="joining_instructions",
        )
        instructions.notified_at = timezone.now()
        instructions.save(update_fields=["notified_at"])


@shared_task(
    ignore_result=True,
    time_limit=settings.ROLLUP_TIME_LIMIT,
    soft_time_limit=settings.ROLLUP_TIME_LIMIT - 60,
)
def theme_rollup_refresh_task(*, full: bool = False) -> None:
    """Bring the learning-theme roll-up up to date (beat runs it every 15 minutes). Harmless to run
    twice: the service takes a lock, and a second run finds nothing changed."""
    from debriefs.services.rollup import theme_rollup_refresh

    result = theme_rollup_refresh(full=full)
    logger.info(
        "theme roll-up: %s debriefs reprocessed, %s periods rebuilt",
        result.debriefs_reprocessed,
        result.periods_rebuilt,
    )


@shared_task(ignore_result=True)
def dashboard_counts_compact_task() -> None:
    """Fold the dashboard counts' changes in (beat, every few minutes); harmless to run twice."""
    from debriefs.services.dashboard import dashboard_counts_compact

    folded = dashboard_counts_compact()
    if folded:
        logger.info("dashboard counts: %s changes folded in", folded)
