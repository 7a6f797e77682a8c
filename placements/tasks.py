import logging
from email.mime.base import MIMEBase
from smtplib import SMTPException

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from connecting.emails import email_send_templated
from placements.models import BookingEvent
from placements.notifications import Notice, booking_event_notices, notice_calendar_attachment
from placements.services.bookings import booking_manager_approvals_expire, booking_offers_expire

logger = logging.getLogger(__name__)


def _calendar_part(ics: bytes, method: str) -> MIMEBase:
    part = MIMEBase("text", "calendar", method=method, charset="utf-8")
    part.set_payload(ics.decode("utf-8"), charset="utf-8")
    part.add_header(
        "Content-Disposition", "attachment", filename="invite.ics" if method == "REQUEST" else "cancel.ics"
    )
    return part


def _send(notice: Notice, booking) -> None:
    ics = notice_calendar_attachment(notice, booking)
    email_send_templated(
        to=notice.to,
        template_prefix="placements/email/booking",
        context={"notice": notice},
        attachments=[_calendar_part(ics, notice.calendar_method)] if ics else [],
    )


@shared_task(
    ignore_result=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=8,
)
def booking_event_notify_task(*, event_id: int) -> None:
    """Send the e-mails one booking step causes, once: the event row is locked and stamped when sent."""
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
        for notice in booking_event_notices(event):
            _send(notice, event.booking)
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
