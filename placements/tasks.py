import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from placements.models import BookingEvent
from placements.notifications import booking_event_notices, notices_enqueue
from placements.services.bookings import booking_manager_approvals_expire, booking_offers_expire

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def booking_event_notify_task(*, event_id: int) -> None:
    """Write the e-mails one booking step causes into the outbox, once: the event row is locked,
    and stamped in the same transaction as the outbox rows."""
    with transaction.atomic():
        event = (
            BookingEvent.objects.select_for_update(of=("self",))
            .select_related(
                "actor", "booking__participant", "booking__programme", "booking__slot__opportunity__partner"
            )
            .filter(pk=event_id, notified_at__isnull=True)
            .first()
        )
        if event is None:
            logger.info("booking event %s is gone or already notified", event_id)
            return
        # Invites carry the sequence of this step, not the booking's latest, so a confirmation sent
        # after a later cancellation cannot outrank it in anyone's calendar.
        event.booking.calendar_sequence = event.calendar_sequence
        notices_enqueue(
            notices=booking_event_notices(event),
            key=f"booking-event:{event.pk}",
            kind=f"booking.{event.action}",
            booking=event.booking,
        )
        event.notified_at = timezone.now()
        event.save(update_fields=["notified_at"])


@shared_task(ignore_result=True)
def booking_deadlines_task() -> None:
    """Scheduled by beat: expire unanswered waiting-list offers (passing each place on) and requests
    whose line manager let the link run out."""
    offers = booking_offers_expire()
    approvals = booking_manager_approvals_expire()
    if offers or approvals:
        logger.info("expired %d offers and %d unanswered approvals", offers, approvals)
