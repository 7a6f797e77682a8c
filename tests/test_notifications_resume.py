"""E-mails of booking and review steps whose hand-over to the broker was lost are picked up."""

import datetime

from django.core import mail
from django.utils import timezone

from connecting.models import OutboxMessage
from connecting.tasks import notifications_resume_task
from debriefs.models import ReviewAction
from placements.models import BookingAction, BookingEvent
from tests.factories import BookingEventFactory, DebriefFactory, PartnerMembershipFactory


def _ago(**delta) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**delta)


def test_a_booking_step_never_handed_over_has_its_e_mails_written_once(
    db, django_capture_on_commit_callbacks
):
    lost = BookingEventFactory(action=BookingAction.REQUESTED, created_at=_ago(minutes=5))
    PartnerMembershipFactory(partner=lost.booking.slot.opportunity.partner)
    BookingEventFactory(action=BookingAction.REQUESTED, created_at=_ago(seconds=30))  # still on its way
    BookingEventFactory(action=BookingAction.REQUESTED, created_at=_ago(days=3))  # old history

    with django_capture_on_commit_callbacks(execute=True):
        notifications_resume_task()
    with django_capture_on_commit_callbacks(execute=True):
        notifications_resume_task()  # the next run finds it stamped

    assert sorted(OutboxMessage.objects.values_list("idempotency_key", flat=True)) == [
        f"booking-event:{lost.pk}:0",
        f"booking-event:{lost.pk}:1",
    ]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [lost.booking.participant.email, lost.booking.slot.opportunity.partner.memberships.get().user.email]
    )
    assert BookingEvent.objects.get(pk=lost.pk).notified_at is not None


def test_a_review_step_never_handed_over_is_told_to_the_author(db, django_capture_on_commit_callbacks):
    debrief = DebriefFactory(status="approved", submitted_at=_ago(days=1))
    event = debrief.events.create(
        action=ReviewAction.APPROVED,
        from_status="in_review",
        to_status="approved",
        created_at=_ago(minutes=10),
    )

    with django_capture_on_commit_callbacks(execute=True):
        notifications_resume_task()

    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([debrief.booking.participant.email], "Connecting: Your debrief has been approved")
    ]
    event.refresh_from_db()
    assert event.notified_at is not None
