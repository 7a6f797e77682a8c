"""Picking up review and visit e-mails whose hand-over to the broker was lost (see
`placements.services.notifications`): review steps not stamped as notified, submitted
preparations the host was not told of, and joining instructions changed since last sent."""

import datetime

from django.db import transaction
from django.db.models import F, Q

from debriefs.models import JoiningInstructions, Preparation, PreparationStatus, ReviewEvent
from placements.services.notifications import notification_window


def visit_record_notifications_resume(*, now: datetime.datetime) -> int:
    from debriefs import tasks

    since, until = notification_window(now)
    handovers = [
        (tasks.review_event_notify_task, "event_id", pk)
        for pk in ReviewEvent.objects.filter(
            notified_at__isnull=True, created_at__gte=since, created_at__lt=until
        ).values_list("pk", flat=True)
    ]
    handovers += [
        (tasks.preparation_submitted_notify_task, "preparation_id", pk)
        for pk in Preparation.objects.filter(
            status=PreparationStatus.SUBMITTED,
            host_notified_at__isnull=True,
            submitted_at__gte=since,
            submitted_at__lt=until,
        ).values_list("pk", flat=True)
    ]
    handovers += [
        (tasks.joining_instructions_notify_task, "instructions_id", pk)
        for pk in JoiningInstructions.objects.filter(updated_at__gte=since, updated_at__lt=until)
        .filter(Q(notified_at__isnull=True) | Q(notified_at__lt=F("updated_at")))
        .values_list("pk", flat=True)
    ]
    for task, argument, pk in handovers:
        transaction.on_commit(lambda task=task, argument=argument, pk=pk: task.delay(**{argument: pk}))
    return len(handovers)
