"""E-mails before a visit: the host hears once that the preparation is in; the visitor gets the
joining instructions, and again only when they change. Each task can run twice and send once."""

import pytest
from django.utils import timezone

from debriefs.models import JoiningInstructions, Preparation
from debriefs.services.preparation import joining_instructions_save, preparation_save
from debriefs.tasks import joining_instructions_notify_task, preparation_submitted_notify_task
from tests.factories import BookingFactory, PartnerMembershipFactory

pytestmark = pytest.mark.django_db

INSTRUCTIONS = {
    "where_to_go": "Main reception, Northbridge Hospital",
    "who_to_ask_for": "Sam Host, discharge lead",
    "timings": "09:00 to 17:00",
}


@pytest.fixture
def booking():
    return BookingFactory(status="confirmed", participant__full_name="Aisha Rahman")


@pytest.fixture
def host(booking):
    return PartnerMembershipFactory(partner=booking.slot.opportunity.partner).user


def _submit(booking, **changes):
    fields = {
        "objectives": "See how discharge decisions are made.",
        "questions": "What stops a patient going home on a Saturday?",
        "confidentiality_acknowledged": True,
        "submit": True,
        **changes,
    }
    return preparation_save(booking=booking, by=booking.participant, **fields)


def test_submitting_a_preparation_tells_the_hosts_contacts_once(
    booking, host, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        preparation_save(booking=booking, by=booking.participant, objectives="Draft only")
    assert mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):
        preparation = _submit(booking)
    with django_capture_on_commit_callbacks(execute=True):
        _submit(booking, questions="Who decides on a weekend discharge?")
    with django_capture_on_commit_callbacks(execute=True):
        preparation_submitted_notify_task(preparation_id=preparation.pk)  # a retry

    assert [(m.to, m.subject) for m in mailoutbox] == [
        ([host.email], "Connecting: Aisha Rahman has prepared for their visit")
    ]
    assert f"/bookings/{booking.pk}/preparation/" in mailoutbox[0].body
    assert Preparation.objects.get().host_notified_at is not None


def test_joining_instructions_are_sent_to_the_visitor_and_again_only_when_they_change(
    booking, host, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        instructions = joining_instructions_save(booking=booking, by=host, **INSTRUCTIONS)
    with django_capture_on_commit_callbacks(execute=True):
        joining_instructions_save(booking=booking, by=host, **INSTRUCTIONS)  # unchanged
    with django_capture_on_commit_callbacks(execute=True):
        joining_instructions_notify_task(instructions_id=instructions.pk)  # a retry
    with django_capture_on_commit_callbacks(execute=True):
        joining_instructions_save(booking=booking, by=host, **{**INSTRUCTIONS, "timings": "10:00 to 16:00"})

    partner = booking.slot.opportunity.partner.name
    assert [(m.to, m.subject) for m in mailoutbox] == [
        ([booking.participant.email], f"Connecting: Joining instructions from {partner}"),
        ([booking.participant.email], f"Connecting: Changed joining instructions from {partner}"),
    ]
    assert "Who to ask for: Sam Host, discharge lead" in mailoutbox[0].body
    assert "Timings: 10:00 to 16:00" in mailoutbox[1].body
    stored = JoiningInstructions.objects.get()
    assert stored.notified_at >= stored.updated_at


def test_the_instructions_task_does_nothing_for_instructions_that_are_gone(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        joining_instructions_notify_task(instructions_id=987654)
        preparation_submitted_notify_task(preparation_id=987654)

    assert mailoutbox == []


def test_a_visitor_whose_account_is_closed_is_not_e_mailed(
    booking, host, mailoutbox, django_capture_on_commit_callbacks
):
    booking.participant.is_active = False
    booking.participant.save(update_fields=["is_active"])

    with django_capture_on_commit_callbacks(execute=True):
        instructions = joining_instructions_save(booking=booking, by=host, **INSTRUCTIONS)

    instructions.refresh_from_db()
    assert (mailoutbox, instructions.notified_at is not None) == ([], True)
    assert instructions.notified_at <= timezone.now()
