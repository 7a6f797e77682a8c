"""Picking up booking e-mails whose hand-over to the broker was lost.

A booking step asks for its e-mails on commit; if the broker was down at that moment the
request is lost (the step itself is saved). Beat runs `booking_event_notifications_resume`,
which hands every step not yet stamped as notified to the notify task again. The task locks and
stamps the step, so a step handed over twice still writes its e-mails once.
"""

import datetime

from django.db import transaction

from placements.models import BookingEvent

# Long enough for the normal hand-over to have happened; recent enough not to wake old history.
RESUME_AFTER = datetime.timedelta(minutes=2)
RESUME_WITHIN = datetime.timedelta(days=2)


def notification_window(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    return now - RESUME_WITHIN, now - RESUME_AFTER


def booking_event_notifications_resume(*, now: datetime.datetime) -> int:
    from placements.tasks import booking_event_notify_task

    since, until = notification_window(now)
    ids = list(
        BookingEvent.objects.filter(notified_at__isnull=True, created_at__gte=since, created_at__lt=until)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for event_id in ids:
        transaction.on_commit(lambda event_id=event_id: booking_event_notify_task.delay(event_id=event_id))
    return len(ids)
