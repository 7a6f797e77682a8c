"""The booking state machine: every move, who made it, and what it does to places and people."""

import datetime
import itertools

import pytest
from django.core import signing
from django.utils import timezone
from icalendar import Calendar

from partners.models import PartnerMembership
from placements.models import (
    BOOKING_TRANSITIONS,
    Booking,
    BookingAction,
    BookingEvent,
    BookingStatus,
    ManagerApproval,
    OpportunityStatus,
    Slot,
)
from placements.services.bookings import (
    ApprovalLinkExpired,
    ApprovalLinkInvalid,
    BookingRefused,
    booking_answer_many,
    booking_cancel,
    booking_confirm,
    booking_decline,
    booking_for_manager_token,
    booking_manager_decide,
    booking_offer_accept,
    booking_offers_expire,
    booking_record_attendance,
    booking_request,
    booking_transition,
    manager_approval_token,
)
from placements.tasks import booking_deadlines_task, booking_event_notify_task
from tests.factories import (
    BookingFactory,
    EnrolmentFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerContactFactory,
    PartnerMembershipFactory,
    ProgrammeFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db
S = BookingStatus


@pytest.fixture
def programme():
    return ProgrammeFactory()


@pytest.fixture
def host(programme):
    """The partner admin of the opportunity every test books."""
    opportunity = OpportunityFactory(programmes=[programme], minimum_notice_working_days=5)
    return PartnerMembershipFactory(partner=opportunity.partner, is_admin=True).user


@pytest.fixture
def opportunity(host):
    return host.partner_memberships.get().partner.opportunities.get()


def _people(programme, count: int):
    people = [ParticipantFactory() for _ in range(count)]
    for person in people:
        EnrolmentFactory(programme=programme, participant=person)
    return people


def _history(booking) -> list[tuple[str, str, str, str]]:
    return [
        (event.action, event.from_status, event.to_status, event.actor_name)
        for event in BookingEvent.objects.filter(booking=booking).select_related("actor")
    ]


def _places(slot) -> int:
    return Slot.objects.get(pk=slot.pk).places_held


# --- Requesting ---------------------------------------------------------------------------------


def test_request_holds_a_place_and_records_who_asked(programme, opportunity):
    slot = SlotFactory(opportunity=opportunity)
    (person,) = _people(programme, 1)

    booking = booking_request(slot=slot, participant=person, programme=programme)

    assert (booking.status, _places(slot)) == (S.REQUESTED, 1)
    assert _history(booking) == [(BookingAction.REQUESTED, "", S.REQUESTED, person.full_name)]


def test_request_on_an_automatic_programme_is_confirmed_by_the_portal(opportunity):
    programme = ProgrammeFactory(bookings_confirmed_automatically=True)
    opportunity.programmes.add(programme)
    (person,) = _people(programme, 1)

    booking = booking_request(
        slot=SlotFactory(opportunity=opportunity), participant=person, programme=programme
    )

    assert booking.status == S.CONFIRMED
    assert _history(booking) == [
        (BookingAction.REQUESTED, "", S.REQUESTED, person.full_name),
        (BookingAction.CONFIRMED, S.REQUESTED, S.CONFIRMED, "Automatic"),
    ]


@pytest.mark.parametrize(
    ("setup", "code"),
    [("past", "past"), ("closed", "not_published"), ("paused", "not_published"), ("full", "full")],
)
def test_request_refused_for_past_closed_paused_or_full_slots_writes_nothing(
    programme, opportunity, setup, code
):
    slot = SlotFactory(opportunity=opportunity, capacity=1)
    first, person = _people(programme, 2)
    if setup == "full":
        booking_request(slot=slot, participant=first, programme=programme)
    if setup == "past":
        Slot.objects.filter(pk=slot.pk).update(
            starts_at=timezone.now() - datetime.timedelta(hours=1),
            ends_at=timezone.now() + datetime.timedelta(hours=1),
        )
    if setup in ("closed", "paused"):
        opportunity.status = OpportunityStatus(setup)
        opportunity.save()
    before = (Booking.objects.count(), BookingEvent.objects.count(), _places(slot))

    with pytest.raises(BookingRefused) as refused:
        booking_request(slot=slot, participant=person, programme=programme)

    assert refused.value.code == code
    assert (Booking.objects.count(), BookingEvent.objects.count(), _places(slot)) == before


def test_request_refused_when_it_clashes_with_a_confirmed_visit(opportunity):
    programme = ProgrammeFactory(bookings_confirmed_automatically=True)
    opportunity.programmes.add(programme)
    other = OpportunityFactory(programmes=[programme], minimum_notice_working_days=0)
    (person,) = _people(programme, 1)
    booking_request(slot=SlotFactory(opportunity=opportunity), participant=person, programme=programme)

    with pytest.raises(BookingRefused) as refused:
        booking_request(slot=SlotFactory(opportunity=other), participant=person, programme=programme)

    assert refused.value.code == "overlap"
    assert refused.value.messages[0].startswith(
        f"You already have a confirmed visit at that time: {opportunity.title}"
    )


# --- The state table ------------------------------------------------------------------------------

ILLEGAL_MOVES = [
    (current, wanted)
    for current, wanted in itertools.product(S.values, S.values)
    if current != wanted and wanted not in BOOKING_TRANSITIONS[current]
]


@pytest.mark.parametrize(("current", "wanted"), ILLEGAL_MOVES)
def test_every_move_outside_the_state_table_is_refused_and_changes_nothing(current, wanted):
    booking = BookingFactory(
        status=current,
        offer_expires_at=timezone.now() + datetime.timedelta(hours=1) if current == S.OFFERED else None,
    )

    with pytest.raises(BookingRefused) as refused:
        booking_transition(booking=booking, to=wanted, by=None)

    assert refused.value.code == "illegal_transition"
    assert refused.value.messages == [
        f"This booking is {S(current).label.lower()}, so it cannot be {S(wanted).label.lower()}."
    ]
    booking.refresh_from_db()
    assert (booking.status, booking.events.count()) == (current, 0)


def test_confirming_twice_is_quiet_and_recorded_once(programme, opportunity, host):
    (person,) = _people(programme, 1)
    booking = booking_request(
        slot=SlotFactory(opportunity=opportunity), participant=person, programme=programme
    )

    booking_confirm(booking=booking, by=host)
    booking_confirm(booking=booking, by=host)

    assert _history(booking)[1:] == [(BookingAction.CONFIRMED, S.REQUESTED, S.CONFIRMED, host.full_name)]


def test_confirm_refused_when_the_person_has_since_confirmed_an_overlapping_visit(
    programme, opportunity, host
):
    other = OpportunityFactory(programmes=[programme], minimum_notice_working_days=0)
    (person,) = _people(programme, 1)
    first = booking_request(
        slot=SlotFactory(opportunity=opportunity), participant=person, programme=programme
    )
    second = booking_request(slot=SlotFactory(opportunity=other), participant=person, programme=programme)
    booking_confirm(booking=first, by=host)

    with pytest.raises(BookingRefused) as refused:
        booking_confirm(booking=second, by=PartnerMembershipFactory(partner=other.partner).user)

    assert refused.value.code == "overlap"
    second.refresh_from_db()
    assert second.status == S.REQUESTED


# --- Decline, cancel, late ----------------------------------------------------------------------------


def test_decline_needs_a_reason_and_frees_the_place(programme, opportunity, host):
    slot = SlotFactory(opportunity=opportunity)
    (person,) = _people(programme, 1)
    booking = booking_request(slot=slot, participant=person, programme=programme)

    with pytest.raises(BookingRefused) as refused:
        booking_decline(booking=booking, by=host, reason="  ")
    assert refused.value.code == "reason_required"

    booking_decline(booking=booking, by=host, reason="Our team is short that week")

    booking.refresh_from_db()
    assert (booking.status, _places(slot)) == (S.DECLINED, 0)
    assert booking.events.last().reason == "Our team is short that week"


@pytest.mark.parametrize(("days_ahead", "late"), [(30, False), (4, True)])
def test_cancelling_a_confirmed_visit_inside_the_notice_period_is_marked_late(
    programme, opportunity, host, days_ahead, late
):
    opportunity.minimum_notice_working_days = 0
    opportunity.save()
    slot = SlotFactory(opportunity=opportunity, days_ahead=days_ahead)
    (person,) = _people(programme, 1)
    booking = booking_request(slot=slot, participant=person, programme=programme)
    booking_confirm(booking=booking, by=host)
    # The partner asks for ten working days' notice; four calendar days is inside it.
    opportunity.minimum_notice_working_days = 10
    opportunity.save()

    booking_cancel(booking=booking, by=person, reason="Ministerial visit moved")

    booking.refresh_from_db()
    event = booking.events.last()
    assert (booking.status, booking.cancelled_late, event.late, _places(slot)) == (S.CANCELLED, late, late, 0)
    assert (event.actor, event.reason) == (person, "Ministerial visit moved")


# --- Waiting list and offers --------------------------------------------------------------------------------


@pytest.fixture
def full_slot_with_queue(programme, opportunity):
    """A 2-place slot held by two people, with two more waiting in order."""
    slot = SlotFactory(opportunity=opportunity, capacity=2)
    holders = _people(programme, 2)
    waiting = _people(programme, 2)
    held = [booking_request(slot=slot, participant=p, programme=programme) for p in holders]
    queue = [
        booking_request(slot=slot, participant=p, programme=programme, join_waitlist=True) for p in waiting
    ]
    return slot, held, queue


def test_a_full_slot_refuses_unless_the_person_joins_the_waiting_list(full_slot_with_queue, programme):
    slot, _held, queue = full_slot_with_queue
    (late_comer,) = _people(programme, 1)

    with pytest.raises(BookingRefused) as refused:
        booking_request(slot=slot, participant=late_comer, programme=programme)

    assert refused.value.code == "full"
    assert [b.status for b in queue] == [S.WAITLISTED, S.WAITLISTED]
    assert _places(slot) == 2


def test_a_freed_place_is_offered_to_the_first_person_waiting_for_48_hours(full_slot_with_queue):
    slot, held, queue = full_slot_with_queue
    before = timezone.now()

    booking_cancel(booking=held[0], by=held[0].participant, reason="Diary clash")

    first, second = (Booking.objects.get(pk=b.pk) for b in queue)
    assert (first.status, second.status, _places(slot)) == (S.OFFERED, S.WAITLISTED, 2)
    assert (
        before + datetime.timedelta(hours=48)
        <= first.offer_expires_at
        <= timezone.now() + datetime.timedelta(hours=48)
    )
    assert _history(first)[-1] == (BookingAction.OFFERED, S.WAITLISTED, S.OFFERED, "Automatic")


def test_accepting_an_offer_confirms_the_visit(full_slot_with_queue):
    _slot, held, queue = full_slot_with_queue
    booking_cancel(booking=held[0], by=held[0].participant, reason="Diary clash")

    booking = booking_offer_accept(booking=queue[0], by=queue[0].participant)

    assert booking.status == S.CONFIRMED
    assert _history(booking)[-1] == (
        BookingAction.OFFER_ACCEPTED,
        S.OFFERED,
        S.CONFIRMED,
        queue[0].participant.full_name,
    )


def test_an_unanswered_offer_expires_and_passes_to_the_next_in_line(full_slot_with_queue, monkeypatch):
    slot, held, queue = full_slot_with_queue
    booking_cancel(booking=held[0], by=held[0].participant, reason="Diary clash")
    later = timezone.now() + datetime.timedelta(hours=49)
    monkeypatch.setattr(timezone, "now", lambda: later)

    with pytest.raises(BookingRefused) as refused:
        booking_offer_accept(booking=queue[0], by=queue[0].participant)
    assert refused.value.code == "offer_expired"
    booking_deadlines_task()

    first, second = (Booking.objects.get(pk=b.pk) for b in queue)
    assert (first.status, second.status, _places(slot)) == (S.EXPIRED, S.OFFERED, 2)
    assert second.offer_expires_at == later + datetime.timedelta(hours=48)
    assert booking_offers_expire() == 0  # a second sweep finds nothing to do


def test_an_offer_accepted_in_time_is_left_alone_by_the_sweep(full_slot_with_queue):
    _slot, held, queue = full_slot_with_queue
    booking_cancel(booking=held[0], by=held[0].participant, reason="Diary clash")

    assert booking_offers_expire() == 0
    assert Booking.objects.get(pk=queue[0].pk).status == S.OFFERED


# --- Line-manager approval ------------------------------------------------------------------------------


@pytest.fixture
def approval_programme(opportunity):
    programme = ProgrammeFactory(line_manager_approval_required=True)
    opportunity.programmes.add(programme)
    return programme


@pytest.mark.parametrize(("email", "code"), [("", "line_manager_required"), ("SELF", "line_manager_self")])
def test_request_needing_approval_refuses_a_missing_or_own_manager_address(
    approval_programme, opportunity, email, code
):
    (person,) = _people(approval_programme, 1)

    with pytest.raises(BookingRefused) as refused:
        booking_request(
            slot=SlotFactory(opportunity=opportunity),
            participant=person,
            programme=approval_programme,
            line_manager_email=person.email.upper() if email == "SELF" else email,
        )

    assert refused.value.code == code
    assert Booking.objects.count() == 0


def test_partner_cannot_confirm_before_the_line_manager_approves(approval_programme, opportunity, host):
    (person,) = _people(approval_programme, 1)
    booking = booking_request(
        slot=SlotFactory(opportunity=opportunity),
        participant=person,
        programme=approval_programme,
        line_manager_email="Boss@Dept.gov.uk",
    )
    assert (booking.manager_approval, booking.line_manager_email) == (
        ManagerApproval.PENDING,
        "boss@dept.gov.uk",
    )

    with pytest.raises(BookingRefused) as refused:
        booking_confirm(booking=booking, by=host)
    assert refused.value.code == "manager_pending"

    booking_manager_decide(booking=booking, approve=True)
    booking = booking_confirm(booking=booking, by=host)

    assert booking.status == S.CONFIRMED
    assert [row[0] for row in _history(booking)] == [
        BookingAction.REQUESTED,
        BookingAction.MANAGER_APPROVED,
        BookingAction.CONFIRMED,
    ]
    assert _history(booking)[1][3] == "Line manager (boss@dept.gov.uk)"


def test_manager_approval_on_an_automatic_programme_confirms_at_once(opportunity):
    programme = ProgrammeFactory(line_manager_approval_required=True, bookings_confirmed_automatically=True)
    opportunity.programmes.add(programme)
    (person,) = _people(programme, 1)
    booking = booking_request(
        slot=SlotFactory(opportunity=opportunity),
        participant=person,
        programme=programme,
        line_manager_email="boss@dept.gov.uk",
    )
    assert booking.status == S.REQUESTED

    booking = booking_manager_decide(booking=booking, approve=True)

    assert (booking.status, booking.manager_approval) == (S.CONFIRMED, ManagerApproval.APPROVED)


def test_manager_decline_ends_the_request_and_answering_twice_is_refused(approval_programme, opportunity):
    slot = SlotFactory(opportunity=opportunity)
    (person,) = _people(approval_programme, 1)
    booking = booking_request(
        slot=slot, participant=person, programme=approval_programme, line_manager_email="boss@dept.gov.uk"
    )

    with pytest.raises(BookingRefused):
        booking_manager_decide(booking=booking, approve=False, reason="")
    booking_manager_decide(booking=booking, approve=False, reason="Budget round that week")

    booking.refresh_from_db()
    assert (booking.status, booking.manager_approval, _places(slot)) == (
        S.DECLINED,
        ManagerApproval.DECLINED,
        0,
    )
    for approve in (True, False):
        with pytest.raises(BookingRefused) as refused:
            booking_manager_decide(booking=booking, approve=approve, reason="again")
        assert refused.value.messages == ["You have already declined this request."]
    assert booking.events.count() == 2


def test_manager_token_loads_its_booking_and_refuses_tampering_and_age(
    approval_programme, opportunity, settings, monkeypatch
):
    (person,) = _people(approval_programme, 1)
    booking = booking_request(
        slot=SlotFactory(opportunity=opportunity),
        participant=person,
        programme=approval_programme,
        line_manager_email="boss@dept.gov.uk",
    )
    token = manager_approval_token(booking=booking)

    assert booking_for_manager_token(token) == booking
    with pytest.raises(ApprovalLinkInvalid):
        booking_for_manager_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    forged = signing.dumps(
        {"booking": booking.pk, "email": "someone@else.gov.uk"}, salt="placements.booking.manager-approval"
    )
    with pytest.raises(ApprovalLinkInvalid):
        booking_for_manager_token(forged)
    eight_days_on = timezone.now().timestamp() + 8 * 86400
    monkeypatch.setattr("time.time", lambda: eight_days_on)
    with pytest.raises(ApprovalLinkExpired):
        booking_for_manager_token(token)


# --- Attendance and bulk answers ---------------------------------------------------------------------------


def test_attendance_waits_for_the_visit_and_can_be_corrected(programme, opportunity, host, monkeypatch):
    slot = SlotFactory(opportunity=opportunity)
    (person,) = _people(programme, 1)
    booking = booking_confirm(
        booking=booking_request(slot=slot, participant=person, programme=programme), by=host
    )

    with pytest.raises(BookingRefused) as refused:
        booking_record_attendance(booking=booking, by=host, attended=True)
    assert refused.value.code == "visit_not_started"

    during_visit = slot.starts_at + datetime.timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: during_visit)
    booking_record_attendance(booking=booking, by=host, attended=False)
    booking = booking_record_attendance(booking=booking, by=host, attended=True)

    assert booking.status == S.ATTENDED
    assert [row[2] for row in _history(booking)] == [S.REQUESTED, S.CONFIRMED, S.NO_SHOW, S.ATTENDED]
    assert _places(slot) == 1  # a visit that happened keeps its place


def test_bulk_confirm_answers_each_request_on_its_own(approval_programme, programme, opportunity, host):
    people = _people(programme, 2)
    (waiting_for_manager,) = _people(approval_programme, 1)
    bookings = [
        booking_request(slot=SlotFactory(opportunity=opportunity), participant=p, programme=programme)
        for p in people
    ]
    bookings.append(
        booking_request(
            slot=SlotFactory(opportunity=opportunity),
            participant=waiting_for_manager,
            programme=approval_programme,
            line_manager_email="boss@dept.gov.uk",
        )
    )

    results = booking_answer_many(bookings=bookings, by=host, confirm=True)

    assert [(r.booking.pk, r.error) for r in results] == [
        (bookings[0].pk, ""),
        (bookings[1].pk, ""),
        (
            bookings[2].pk,
            f"{waiting_for_manager.full_name}'s line manager has not approved this request yet.",
        ),
    ]
    assert [Booking.objects.get(pk=b.pk).status for b in bookings] == [S.CONFIRMED, S.CONFIRMED, S.REQUESTED]


# --- Notifications -------------------------------------------------------------------------------------


def _calendar_of(message) -> tuple[str, Calendar]:
    (part,) = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
    return part.get_param("method"), Calendar.from_ical(part.get_payload(decode=True))


def test_each_step_e_mails_the_people_it_concerns(
    programme, opportunity, host, django_capture_on_commit_callbacks, mailoutbox
):
    colleague = PartnerMembershipFactory(partner=opportunity.partner, user=PartnerContactFactory()).user
    (person,) = _people(programme, 1)
    slot = SlotFactory(opportunity=opportunity)

    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_request(slot=slot, participant=person, programme=programme)
    with django_capture_on_commit_callbacks(execute=True):
        booking_confirm(booking=booking, by=host)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, by=person, reason="Diary clash")

    contacts = sorted([host.email, colleague.email])
    visit_day = timezone.localtime(slot.starts_at).strftime("%-d %B %Y")
    assert [(m.to, m.subject) for m in mailoutbox] == [
        ([person.email], f"Connecting: Your request has been sent to {opportunity.partner.name}"),
        (contacts, f"Connecting: New request from {person.full_name}: {opportunity.title} on {visit_day}"),
        ([person.email], f"Connecting: Your visit to {opportunity.partner.name} is confirmed"),
        ([person.email], f"Connecting: Your booking with {opportunity.partner.name} is cancelled"),
        (
            contacts,
            f"Connecting: {person.full_name}'s booking is cancelled: {opportunity.title} on {visit_day}",
        ),
    ]
    assert all(len(m.alternatives) == 1 and m.alternatives[0].mimetype == "text/html" for m in mailoutbox)
    assert f"http://testserver/bookings/{booking.pk}/answer/" in mailoutbox[1].body
    invite_method, invite = _calendar_of(mailoutbox[2])
    cancel_method, cancel = _calendar_of(mailoutbox[3])
    (invite_event,) = invite.walk("VEVENT")
    (cancel_event,) = cancel.walk("VEVENT")
    assert (invite_method, cancel_method) == ("REQUEST", "CANCEL")
    assert invite_event["UID"] == cancel_event["UID"]
    assert (int(invite_event["SEQUENCE"]), int(cancel_event["SEQUENCE"])) == (1, 2)
    assert (str(invite_event["STATUS"]), str(cancel_event["STATUS"])) == ("CONFIRMED", "CANCELLED")
    assert "Diary clash" in mailoutbox[3].body


def test_the_line_manager_gets_a_working_link_and_no_account_is_needed(
    approval_programme, opportunity, django_capture_on_commit_callbacks, mailoutbox
):
    (person,) = _people(approval_programme, 1)

    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_request(
            slot=SlotFactory(opportunity=opportunity),
            participant=person,
            programme=approval_programme,
            line_manager_email="boss@dept.gov.uk",
        )

    assert [m.to for m in mailoutbox] == [[person.email], ["boss@dept.gov.uk"]]
    link = next(line for line in mailoutbox[1].body.splitlines() if "/bookings/approve/" in line)
    token = link.rsplit("/bookings/approve/", 1)[1].strip("/ ")
    assert booking_for_manager_token(token) == booking
    assert "needs your approval" in mailoutbox[1].body


def test_an_offer_e_mail_says_until_when(
    full_slot_with_queue, django_capture_on_commit_callbacks, mailoutbox
):
    _slot, held, queue = full_slot_with_queue

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=held[0], by=held[0].participant, reason="Diary clash")

    offer = next(m for m in mailoutbox if m.to == [queue[0].participant.email])
    deadline = timezone.localtime(Booking.objects.get(pk=queue[0].pk).offer_expires_at)
    assert deadline.strftime("%-d %B %Y at %H:%M") in offer.body


def test_notifying_an_event_twice_sends_its_e_mails_once(
    programme, opportunity, mailoutbox, django_capture_on_commit_callbacks
):
    (person,) = _people(programme, 1)
    booking = booking_request(
        slot=SlotFactory(opportunity=opportunity), participant=person, programme=programme
    )
    event = booking.events.get()

    with django_capture_on_commit_callbacks(execute=True):
        booking_event_notify_task(event_id=event.pk)
        booking_event_notify_task(event_id=event.pk)

    assert len(mailoutbox) == 2  # participant and partner contacts, once each
    event.refresh_from_db()
    assert event.notified_at is not None


def test_partner_contacts_of_another_partner_hear_nothing(
    programme, opportunity, mailoutbox, django_capture_on_commit_callbacks
):
    outsider = PartnerMembershipFactory().user
    (person,) = _people(programme, 1)
    booking = booking_request(
        slot=SlotFactory(opportunity=opportunity), participant=person, programme=programme
    )

    with django_capture_on_commit_callbacks(execute=True):
        booking_event_notify_task(event_id=booking.events.get().pk)

    assert len(mailoutbox) == 2  # the participant, and the host's own contacts
    assert outsider.email not in {address for m in mailoutbox for address in m.to}
    assert PartnerMembership.objects.filter(user=outsider).count() == 1


def test_only_the_participant_can_take_up_an_offer(full_slot_with_queue, host):
    _slot, held, queue = full_slot_with_queue
    booking_cancel(booking=held[0], by=held[0].participant, reason="Diary clash")

    for answer in (
        lambda: booking_confirm(booking=queue[0], by=host),
        lambda: booking_decline(booking=queue[0], by=host, reason="No"),
    ):
        with pytest.raises(BookingRefused) as refused:
            answer()
        assert refused.value.code == "illegal_transition"
    assert Booking.objects.get(pk=queue[0].pk).status == S.OFFERED


def test_a_line_manager_can_decline_a_request_on_the_waiting_list(approval_programme, opportunity):
    slot = SlotFactory(opportunity=opportunity, capacity=1)
    first, second = _people(approval_programme, 2)
    booking_request(
        slot=slot, participant=first, programme=approval_programme, line_manager_email="a@dept.gov.uk"
    )
    waiting = booking_request(
        slot=slot,
        participant=second,
        programme=approval_programme,
        line_manager_email="b@dept.gov.uk",
        join_waitlist=True,
    )

    booking = booking_manager_decide(booking=waiting, approve=False, reason="Not this quarter")

    assert (booking.status, booking.manager_approval, _places(slot)) == (
        S.DECLINED,
        ManagerApproval.DECLINED,
        1,
    )


# --- A slot that moves -------------------------------------------------------------------------------


def test_moving_a_booked_slot_tells_everyone_and_updates_the_invite(
    programme, opportunity, host, django_capture_on_commit_callbacks, mailoutbox
):
    from placements.services.opportunities import slot_update

    slot = SlotFactory(opportunity=opportunity, capacity=2)
    confirmed_person, requested_person = _people(programme, 2)
    confirmed = booking_confirm(
        booking=booking_request(slot=slot, participant=confirmed_person, programme=programme), by=host
    )
    requested = booking_request(slot=slot, participant=requested_person, programme=programme)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        slot_update(
            slot=slot,
            starts_at=slot.starts_at + datetime.timedelta(days=7),
            ends_at=slot.ends_at + datetime.timedelta(days=7),
            capacity=2,
            by=host,
        )

    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.calendar_sequence) == (S.CONFIRMED, 2)
    assert _history(confirmed)[-1] == (BookingAction.RESCHEDULED, S.CONFIRMED, S.CONFIRMED, host.full_name)
    assert _history(requested)[-1] == (BookingAction.RESCHEDULED, S.REQUESTED, S.REQUESTED, host.full_name)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([confirmed_person.email, requested_person.email])
    update = next(m for m in mailoutbox if m.to == [confirmed_person.email])
    method, invite = _calendar_of(update)
    (event,) = invite.walk("VEVENT")
    assert (method, int(event["SEQUENCE"]), event["UID"]) == (
        "REQUEST",
        2,
        f"booking-{confirmed.pk}@testserver",
    )
    assert event.decoded("DTSTART") == slot.starts_at + datetime.timedelta(days=7)
    assert not [
        p
        for p in next(m for m in mailoutbox if m.to == [requested_person.email]).message().walk()
        if p.get_content_type() == "text/calendar"
    ]


def test_moving_a_slot_onto_another_confirmed_visit_is_refused_and_nothing_moves(
    programme, opportunity, host
):
    from django.core.exceptions import ValidationError

    from placements.services.opportunities import slot_update

    other = OpportunityFactory(programmes=[programme], minimum_notice_working_days=0)
    (person,) = _people(programme, 1)
    slot = SlotFactory(opportunity=opportunity, days_ahead=30)
    elsewhere = SlotFactory(opportunity=other, days_ahead=37)
    booking_confirm(booking=booking_request(slot=slot, participant=person, programme=programme), by=host)
    booking_confirm(
        booking=booking_request(slot=elsewhere, participant=person, programme=programme),
        by=PartnerMembershipFactory(partner=other.partner).user,
    )
    original = (slot.starts_at, slot.ends_at)

    with pytest.raises(ValidationError) as refused:
        slot_update(
            slot=slot,
            starts_at=elsewhere.starts_at,
            ends_at=elsewhere.ends_at,
            capacity=slot.capacity,
            by=host,
        )

    assert "already has a confirmed visit at that time" in refused.value.messages[0]
    slot.refresh_from_db()
    assert (slot.starts_at, slot.ends_at) == original
    assert not BookingEvent.objects.filter(action=BookingAction.RESCHEDULED).exists()


def test_moving_booked_visitors_into_a_full_week_is_refused(programme, opportunity, host):
    from django.core.exceptions import ValidationError

    from placements.services.opportunities import slot_update

    partner = opportunity.partner
    partner.max_visitors_per_week = 1
    partner.save()
    people = _people(programme, 2)
    here = SlotFactory(opportunity=opportunity, days_ahead=30)
    there = SlotFactory(opportunity=opportunity, days_ahead=44)
    for slot, person in zip([here, there], people, strict=True):
        booking_request(slot=slot, participant=person, programme=programme)

    with pytest.raises(ValidationError) as refused:
        slot_update(
            slot=here,
            starts_at=there.starts_at + datetime.timedelta(hours=9),
            ends_at=there.ends_at + datetime.timedelta(hours=9),
            capacity=here.capacity,
            by=host,
        )

    assert refused.value.messages == [
        f"{partner.name} hosts at most 1 visitors a week: moving these visitors there would exceed it."
    ]
    assert Slot.objects.get(pk=here.pk).starts_at == here.starts_at


# --- Who acted decides what people are told ---------------------------------------------------------


def test_a_partner_calling_off_a_visit_late_is_not_a_late_cancellation(programme, opportunity, host):
    opportunity.minimum_notice_working_days = 0
    opportunity.save()
    slot = SlotFactory(opportunity=opportunity, days_ahead=3)
    (person,) = _people(programme, 1)
    booking = booking_confirm(
        booking=booking_request(slot=slot, participant=person, programme=programme), by=host
    )
    opportunity.minimum_notice_working_days = 10
    opportunity.save()

    booking_cancel(booking=booking, by=host, reason="Staff shortage")

    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_late, booking.events.last().late) == (S.CANCELLED, False, False)


def test_when_the_team_answers_for_a_partner_the_partner_is_told_and_the_participant_is_not_misled(
    programme, opportunity, host, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.factories import ProgrammeTeamFactory

    team = ProgrammeTeamFactory()
    first, second = _people(programme, 2)
    to_confirm = booking_request(
        slot=SlotFactory(opportunity=opportunity), participant=first, programme=programme
    )
    to_decline = booking_request(
        slot=SlotFactory(opportunity=opportunity), participant=second, programme=programme
    )
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        booking_confirm(booking=to_confirm, by=team)
    with django_capture_on_commit_callbacks(execute=True):
        booking_decline(booking=to_decline, by=team, reason="Programme budget")

    day = timezone.localtime(to_confirm.slot.starts_at).strftime("%-d %B %Y")
    decline_day = timezone.localtime(to_decline.slot.starts_at).strftime("%-d %B %Y")
    assert [(m.to, m.subject) for m in mailoutbox] == [
        ([first.email], f"Connecting: Your visit to {opportunity.partner.name} is confirmed"),
        ([host.email], f"Connecting: {first.full_name} is confirmed: {opportunity.title} on {day}"),
        ([second.email], f"Connecting: Your request for {opportunity.title} on {decline_day} was declined"),
    ]


def test_a_line_manager_must_have_a_work_address(approval_programme, opportunity, settings):
    settings.SIGNUP_ALLOWED_EMAIL_DOMAINS = ["gov.uk"]
    (person,) = _people(approval_programme, 1)

    with pytest.raises(BookingRefused) as refused:
        booking_request(
            slot=SlotFactory(opportunity=opportunity),
            participant=person,
            programme=approval_programme,
            line_manager_email=" Zoe.Personal@GMAIL.com ",
        )

    assert (refused.value.code, refused.value.messages) == (
        "line_manager_domain",
        ["Enter your line manager's work e-mail address, ending in gov.uk."],
    )


def test_one_person_cannot_hold_more_than_the_limit_of_bookings(programme, opportunity, settings):
    settings.MAX_BOOKINGS_IN_HAND = 2
    (person,) = _people(programme, 1)
    slots = [SlotFactory(opportunity=opportunity, days_ahead=30 + week * 7) for week in range(3)]
    for slot in slots[:2]:
        booking_request(slot=slot, participant=person, programme=programme)

    with pytest.raises(BookingRefused) as refused:
        booking_request(slot=slots[2], participant=person, programme=programme)

    assert refused.value.code == "too_many"
    assert refused.value.messages[0].startswith("You already have 2 requests, offers, waiting-list places")
    assert Booking.objects.filter(participant=person).count() == 2


def test_a_request_the_line_manager_never_answers_is_declined_when_the_link_expires(
    approval_programme, opportunity, monkeypatch
):
    slot = SlotFactory(opportunity=opportunity, days_ahead=40)
    (person,) = _people(approval_programme, 1)
    booking = booking_request(
        slot=slot, participant=person, programme=approval_programme, line_manager_email="boss@dept.gov.uk"
    )

    assert booking_deadlines_task() is None and Booking.objects.get(pk=booking.pk).status == S.REQUESTED
    eight_days_on = timezone.now() + datetime.timedelta(days=8)
    monkeypatch.setattr(timezone, "now", lambda: eight_days_on)
    booking_deadlines_task()

    booking.refresh_from_db()
    assert (booking.status, _places(slot)) == (S.DECLINED, 0)
    assert _history(booking)[-1] == (BookingAction.DECLINED, S.REQUESTED, S.DECLINED, "Automatic")
    assert booking.events.last().reason == "The line manager did not answer within 7 days."


def test_a_partner_cannot_decline_a_request_its_line_manager_has_not_approved(
    approval_programme, opportunity, host
):
    from tests.factories import ProgrammeTeamFactory

    (person,) = _people(approval_programme, 1)
    booking = booking_request(
        slot=SlotFactory(opportunity=opportunity),
        participant=person,
        programme=approval_programme,
        line_manager_email="boss@dept.gov.uk",
    )

    with pytest.raises(BookingRefused) as refused:
        booking_decline(booking=booking, by=host, reason="No room")
    assert refused.value.code == "manager_pending"

    booking = booking_decline(booking=booking, by=ProgrammeTeamFactory(), reason="Programme paused")
    assert booking.status == S.DECLINED


def test_a_visit_that_has_started_can_no_longer_be_cancelled(programme, opportunity, host, monkeypatch):
    slot = SlotFactory(opportunity=opportunity)
    (person,) = _people(programme, 1)
    booking = booking_confirm(
        booking=booking_request(slot=slot, participant=person, programme=programme), by=host
    )
    during_visit = slot.starts_at + datetime.timedelta(minutes=5)
    monkeypatch.setattr(timezone, "now", lambda: during_visit)

    for who in (person, host):
        with pytest.raises(BookingRefused) as refused:
            booking_cancel(booking=booking, by=who, reason="Changed my mind")
        assert refused.value.code == "visit_started"
    assert Booking.objects.get(pk=booking.pk).status == S.CONFIRMED


def test_a_partner_declines_a_request_rather_than_cancelling_it(programme, opportunity, host):
    (person,) = _people(programme, 1)
    booking = booking_request(
        slot=SlotFactory(opportunity=opportunity), participant=person, programme=programme
    )

    with pytest.raises(BookingRefused) as refused:
        booking_cancel(booking=booking, by=host, reason="No room")

    assert refused.value.code == "decline_instead"
    assert Booking.objects.get(pk=booking.pk).status == S.REQUESTED


def test_attendance_on_a_declined_booking_says_it_is_declined(programme, opportunity, host, monkeypatch):
    slot = SlotFactory(opportunity=opportunity)
    (person,) = _people(programme, 1)
    booking = booking_decline(
        booking=booking_request(slot=slot, participant=person, programme=programme), by=host, reason="No room"
    )

    with pytest.raises(BookingRefused) as refused:
        booking_record_attendance(booking=booking, by=host, attended=True)

    assert refused.value.messages == ["This booking is declined, so it cannot be attended."]


def test_a_confirmation_sent_after_a_cancellation_keeps_its_own_lower_sequence(
    programme, opportunity, host, mailoutbox, django_capture_on_commit_callbacks
):
    (person,) = _people(programme, 1)
    booking = booking_confirm(
        booking=booking_request(
            slot=SlotFactory(opportunity=opportunity), participant=person, programme=programme
        ),
        by=host,
    )
    booking_cancel(booking=booking, by=person, reason="Diary clash")
    confirmed, cancelled = booking.events.filter(action__in=["confirmed", "cancelled"]).order_by("pk")

    # The worker sends the cancellation first, then the (older) confirmation.
    with django_capture_on_commit_callbacks(execute=True):
        booking_event_notify_task(event_id=cancelled.pk)
        booking_event_notify_task(event_id=confirmed.pk)

    sequences = {}
    for message in mailoutbox:
        for part in message.message().walk():
            if part.get_content_type() == "text/calendar":
                (event,) = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
                sequences[part.get_param("method")] = int(event["SEQUENCE"])
    assert sequences == {"CANCEL": 2, "REQUEST": 1}


def test_a_partner_feed_names_the_visitor(programme, opportunity, host):
    from placements.calendar import calendar_feed_ics

    (person,) = _people(programme, 1)
    booking_confirm(
        booking=booking_request(
            slot=SlotFactory(opportunity=opportunity), participant=person, programme=programme
        ),
        by=host,
    )

    (host_event,) = Calendar.from_ical(calendar_feed_ics(user=host)).walk("VEVENT")
    (visitor_event,) = Calendar.from_ical(calendar_feed_ics(user=person)).walk("VEVENT")

    assert str(host_event["SUMMARY"]) == f"Visitor: {person.full_name}, {opportunity.title}"
    assert f"Programme: {programme.name}" in str(host_event["DESCRIPTION"])
    assert str(visitor_event["SUMMARY"]) == f"{opportunity.title} with {opportunity.partner.name}"
