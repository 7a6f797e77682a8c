"""The reminder scheduler: what is due, when (London time, the partner's working days), once."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from connecting.models import OutboxMessage, OutboxStatus
from connecting.reminders import reminders_schedule
from connecting.tasks import reminders_schedule_task
from partners.models import Region
from placements.models import BookingAction, BookingStatus, ManagerApproval
from tests.factories import (
    BookingEventFactory,
    BookingFactory,
    DebriefFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    PreparationFactory,
    ProgrammeTeamFactory,
    SlotFactory,
)
from tests.support import run_at_once

LONDON = ZoneInfo("Europe/London")


def london(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


def _slot(starts_at, *, region=Region.NORTH_WEST, hours=8):
    partner = PartnerFactory(region=region)
    return SlotFactory(
        opportunity__partner=partner, starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=hours)
    )


def _confirmed(starts_at, **slot_options):
    return BookingFactory(slot=_slot(starts_at, **slot_options), status=BookingStatus.CONFIRMED)


def _written(kind_prefix="reminder.") -> list[tuple[str, str]]:
    return list(
        OutboxMessage.objects.filter(kind__startswith=kind_prefix)
        .order_by("idempotency_key")
        .values_list("idempotency_key", "to__0")
    )


# --- Before the visit ------------------------------------------------------------------------


def test_a_week_before_a_confirmed_visit_the_participant_is_reminded_with_a_link_to_prepare(db):
    booking = _confirmed(london(2026, 12, 15, 9))

    assert reminders_schedule(now=london(2026, 12, 8, 8, 59))["visits"] == 0
    assert reminders_schedule(now=london(2026, 12, 8, 9, 0))["visits"] == 1
    assert reminders_schedule(now=london(2026, 12, 8, 9, 5))["visits"] == 0  # once

    assert _written() == [(f"reminder.visit_week:{booking.pk}:2026-12-15", booking.participant.email)]
    message = OutboxMessage.objects.get()
    assert (
        message.subject == f"Connecting: Your visit to {booking.slot.opportunity.partner.name} is in a week"
    )
    assert (
        f"Prepare for your visit: http://testserver/bookings/{booking.pk}/preparation/" in message.body_text
    )
    assert "You have not sent your preparation yet" in message.body_text
    assert message.essential is False


def test_a_visit_reminder_points_to_the_booking_once_the_preparation_is_in(db):
    booking = _confirmed(london(2026, 12, 15, 9))
    PreparationFactory(
        booking=booking, status="submitted", confidentiality_acknowledged=True, submitted_at=timezone.now()
    )

    reminders_schedule(now=london(2026, 12, 8, 10))

    body = OutboxMessage.objects.get().body_text
    assert f"See your booking: http://testserver/bookings/{booking.pk}/" in body
    assert "preparation" not in body


@pytest.mark.parametrize(
    ("region", "visit", "due"),
    [
        # England: the working day before Tuesday 1 December is Monday 30 November.
        (Region.NORTH_WEST, london(2026, 12, 1, 9), london(2026, 11, 30, 9)),
        # Scotland: 30 November is St Andrew's Day, so the reminder goes on Friday 27th.
        (Region.SCOTLAND, london(2026, 12, 1, 9), london(2026, 11, 27, 9)),
        # Christmas: before Tuesday 29 December come Boxing Day (observed) and Christmas Day.
        (Region.LONDON, london(2026, 12, 29, 10), london(2026, 12, 24, 9)),
    ],
)
def test_the_day_before_reminder_goes_at_9am_on_the_partners_previous_working_day(db, region, visit, due):
    booking = _confirmed(visit, region=region)
    key = f"reminder.visit_day_before:{booking.pk}:{visit.date().isoformat()}"

    reminders_schedule(now=due - datetime.timedelta(minutes=1))
    assert key not in dict(_written())
    reminders_schedule(now=due)

    assert (key, booking.participant.email) in _written()


def test_no_visit_reminder_for_a_cancelled_booking_or_one_still_requested(db):
    _confirmed(london(2026, 12, 15, 9))
    BookingFactory(slot=_slot(london(2026, 12, 15, 9)), status=BookingStatus.CANCELLED)
    BookingFactory(slot=_slot(london(2026, 12, 15, 9)), status=BookingStatus.REQUESTED)

    assert reminders_schedule(now=london(2026, 12, 8, 10))["visits"] == 1


def test_a_visit_moved_to_another_day_is_reminded_of_again(db):
    booking = _confirmed(london(2026, 12, 15, 9))
    reminders_schedule(now=london(2026, 12, 8, 10))
    booking.slot.starts_at, booking.slot.ends_at = london(2026, 12, 17, 9), london(2026, 12, 17, 17)
    booking.slot.save()

    reminders_schedule(now=london(2026, 12, 10, 10))

    assert [key for key, _to in _written()] == [
        f"reminder.visit_week:{booking.pk}:2026-12-15",
        f"reminder.visit_week:{booking.pk}:2026-12-17",
    ]


def test_a_request_unanswered_for_two_working_days_is_chased_with_each_partner_contact(db):
    # Asked on Friday 4 December at 10:00: two working days later is Tuesday 8th at 10:00.
    slot = _slot(london(2027, 1, 12, 9))
    contacts = [PartnerMembershipFactory(partner=slot.opportunity.partner).user for _ in range(2)]
    booking = BookingFactory(slot=slot, status=BookingStatus.REQUESTED, created_at=london(2026, 12, 4, 10))

    assert reminders_schedule(now=london(2026, 12, 8, 9, 59))["unanswered_requests"] == 0
    assert reminders_schedule(now=london(2026, 12, 8, 10, 0))["unanswered_requests"] == 2
    assert reminders_schedule(now=london(2026, 12, 9, 10, 0))["unanswered_requests"] == 0

    assert _written() == sorted(
        (f"reminder.request_unanswered:{booking.pk}:{contact.pk}", contact.email) for contact in contacts
    )
    assert f"http://testserver/bookings/{booking.pk}/answer/" in OutboxMessage.objects.first().body_text


def test_a_request_waiting_for_the_line_manager_is_not_chased_with_the_partner(db):
    slot = _slot(london(2027, 1, 12, 9))
    PartnerMembershipFactory(partner=slot.opportunity.partner)
    BookingFactory(
        slot=slot,
        status=BookingStatus.REQUESTED,
        manager_approval=ManagerApproval.PENDING,
        created_at=london(2026, 12, 1, 10),
    )

    assert reminders_schedule(now=london(2026, 12, 10, 10))["unanswered_requests"] == 0


def test_the_partners_two_working_days_count_from_the_line_managers_approval(db):
    slot = _slot(london(2027, 1, 12, 9))
    PartnerMembershipFactory(partner=slot.opportunity.partner)
    booking = BookingFactory(
        slot=slot,
        status=BookingStatus.REQUESTED,
        manager_approval=ManagerApproval.APPROVED,
        created_at=london(2026, 12, 1, 10),
    )
    BookingEventFactory(
        booking=booking, action=BookingAction.MANAGER_APPROVED, created_at=london(2026, 12, 7, 15)
    )

    assert reminders_schedule(now=london(2026, 12, 9, 14, 59))["unanswered_requests"] == 0
    assert reminders_schedule(now=london(2026, 12, 9, 15, 0))["unanswered_requests"] == 1


def test_an_offer_close_to_running_out_sends_a_last_chance_reminder(db, settings):
    settings.OFFER_LAST_CHANCE_HOURS = 12
    now = london(2026, 12, 7, 9)
    soon = BookingFactory(
        slot=_slot(london(2027, 1, 12, 9)),
        status=BookingStatus.OFFERED,
        offer_expires_at=now + datetime.timedelta(hours=11),
    )
    BookingFactory(
        slot=_slot(london(2027, 1, 12, 9)),
        status=BookingStatus.OFFERED,
        offer_expires_at=now + datetime.timedelta(hours=13),
    )

    assert reminders_schedule(now=now)["offers"] == 1

    assert _written() == [
        (f"reminder.offer_expiring:{soon.pk}:{soon.offer_expires_at.isoformat()}", soon.participant.email)
    ]
    assert "held until 20:00 on Monday 7 December" in OutboxMessage.objects.get().body_text


# --- After the visit -------------------------------------------------------------------------


def test_the_debrief_is_due_the_evening_of_the_visit_then_chased_3_and_10_working_days_later(db):
    # Visit on Thursday 3 December 2026, 9:00 to 17:00 (England).
    booking = _confirmed(london(2026, 12, 3, 9))
    moments = [
        (london(2026, 12, 3, 16, 59), []),
        (london(2026, 12, 3, 17, 0), ["debrief_due"]),
        (london(2026, 12, 8, 8, 59), ["debrief_due"]),
        (london(2026, 12, 8, 9, 0), ["debrief_due", "debrief_chase_3"]),  # Fri, Mon, Tue
        (london(2026, 12, 17, 8, 59), ["debrief_due", "debrief_chase_3"]),
        (london(2026, 12, 17, 9, 0), ["debrief_due", "debrief_chase_3", "debrief_chase_10"]),
        (london(2026, 12, 24, 9, 0), ["debrief_due", "debrief_chase_3", "debrief_chase_10"]),
    ]

    seen = []
    for now, _expected in moments:
        reminders_schedule(now=now)
        seen.append(
            sorted(
                (key.split(":")[0].removeprefix("reminder.") for key, _to in _written()),
                key=["debrief_due", "debrief_chase_3", "debrief_chase_10"].index,
            )
        )
    assert seen == [expected for _now, expected in moments]
    assert {to for _key, to in _written()} == {booking.participant.email}


def test_a_submitted_debrief_stops_the_chasers_and_a_draft_does_not(db):
    draft = DebriefFactory(booking=_confirmed(london(2026, 12, 3, 9)), status="draft")
    DebriefFactory(
        booking=_confirmed(london(2026, 12, 3, 9)), status="submitted", submitted_at=london(2026, 12, 4, 9)
    )

    reminders_schedule(now=london(2026, 12, 8, 9))

    assert _written() == [(f"reminder.debrief_chase_3:{draft.booking.pk}", draft.booking.participant.email)]


def test_a_scheduler_back_from_an_outage_sends_only_the_latest_debrief_reminder(db):
    booking = _confirmed(london(2026, 12, 3, 9))

    reminders_schedule(now=london(2026, 12, 18, 9))

    assert _written() == [(f"reminder.debrief_chase_10:{booking.pk}", booking.participant.email)]


def test_no_debrief_reminder_after_a_no_show(db):
    BookingFactory(slot=_slot(london(2026, 12, 3, 9)), status=BookingStatus.NO_SHOW)

    assert reminders_schedule(now=london(2026, 12, 3, 18))["debriefs"] == 0


# --- The weekly digest -----------------------------------------------------------------------


def test_the_programme_team_gets_a_weekly_digest_on_monday_morning_once(db):
    team = [ProgrammeTeamFactory(), ProgrammeTeamFactory()]
    ProgrammeTeamFactory(is_active=False)
    DebriefFactory(status="submitted", submitted_at=london(2026, 12, 4, 12))
    DebriefFactory(status="submitted", submitted_at=london(2026, 11, 20, 12))
    _confirmed(london(2026, 11, 2, 9))  # a month ago, no debrief: overdue

    assert reminders_schedule(now=london(2026, 12, 7, 7, 59))["digests"] == 0
    assert reminders_schedule(now=london(2026, 12, 7, 8, 0))["digests"] == 2
    assert reminders_schedule(now=london(2026, 12, 7, 12, 0))["digests"] == 0
    assert reminders_schedule(now=london(2026, 12, 9, 8, 0))["digests"] == 0  # Wednesday: not a late one

    assert _written("digest.") == sorted((f"digest.weekly:{m.pk}:2026-W50", m.email) for m in team)
    body = OutboxMessage.objects.filter(kind="digest.weekly").first().body_text
    assert "New debriefs in the last 7 days: 1\n" in body
    assert "Visits more than two weeks ago with no debrief: 1\n" in body
    assert "Debriefs waiting for review: 2\n" in body
    assert "Longest wait for review: 16 days\n" in body


# --- Once, whoever asks ----------------------------------------------------------------------


def test_a_person_who_turned_reminders_off_gets_none_but_still_gets_confirmations(
    db, django_capture_on_commit_callbacks
):
    from placements.services.bookings import booking_confirm

    booking = _confirmed(london(2026, 12, 15, 9))
    booking.participant.reminders_off_at = timezone.now()
    booking.participant.save()

    with django_capture_on_commit_callbacks(execute=True):
        reminders_schedule(now=london(2026, 12, 8, 10))
    assert list(OutboxMessage.objects.values_list("status", flat=True)) == [OutboxStatus.SKIPPED]
    assert mail.outbox == []

    other = BookingFactory(slot=_slot(london(2027, 1, 12, 9)), participant=booking.participant)
    with django_capture_on_commit_callbacks(execute=True):
        booking_confirm(booking=other, by=ProgrammeTeamFactory())
    assert [m.to for m in mail.outbox] == [[booking.participant.email]]
    assert "is confirmed" in mail.outbox[0].subject


def test_the_scheduler_task_sends_the_reminder_through_the_outbox(db, django_capture_on_commit_callbacks):
    booking = _confirmed(timezone.now() + datetime.timedelta(days=7) - datetime.timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        reminders_schedule_task()

    (sent,) = mail.outbox
    assert sent.to == [booking.participant.email]
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_write_each_reminder_once(postgres):
    bookings = [_confirmed(london(2026, 12, 15, 9)) for _ in range(30)]
    results = run_at_once(lambda: reminders_schedule(now=london(2026, 12, 8, 10)), threads=2)

    assert sum(result["visits"] for result in results) == 30  # between them, each reminder once
    assert sorted(key for key, _to in _written()) == sorted(
        f"reminder.visit_week:{booking.pk}:2026-12-15" for booking in bookings
    )
