"""The booking page's "Before and after the visit": each person sees the records they may see,
with a link only where they can act or read, and the programme dashboard counts debriefs."""

import pytest
from django.urls import reverse

from debriefs.models import PolicyAction
from debriefs.selectors.dashboard import debrief_dashboard_counts
from debriefs.selectors.visit_records import VisitRecord, booking_visit_records
from placements.selectors.bookings import booking_get_for_user
from tests.factories import (
    BookingFactory,
    DebriefFactory,
    ParticipantFactory,
    PartnerFeedbackFactory,
    PartnerMembershipFactory,
    PastVisitFactory,
    PreparationFactory,
    ProgrammeTeamFactory,
)


def _records(booking, user):
    return booking_visit_records(booking=booking_get_for_user(booking_id=booking.pk, user=user), user=user)


def _host(booking):
    return PartnerMembershipFactory(partner=booking.slot.opportunity.partner).user


def test_an_upcoming_visit_offers_the_participant_preparation_and_the_host_joining_instructions(db):
    booking = BookingFactory(status="confirmed")
    host = _host(booking)
    preparation_url = f"/bookings/{booking.pk}/preparation/"
    instructions_url = f"/bookings/{booking.pk}/joining-instructions/"

    assert _records(booking, booking.participant) == [
        VisitRecord("Your preparation", "Not started", "Prepare for your visit", preparation_url),
        VisitRecord("Joining instructions", "Not given yet"),
        VisitRecord("Your debrief", "Opens on the day of your visit"),
    ]
    assert _records(booking, host) == [
        VisitRecord("The visitor's preparation", "Not submitted yet"),
        VisitRecord("Joining instructions", "Not given yet", "Give joining instructions", instructions_url),
        VisitRecord("Feedback from the host", "Not given yet"),
    ]


def test_a_submitted_preparation_is_readable_by_the_host(db):
    preparation = PreparationFactory(
        status="submitted", confidentiality_acknowledged=True, submitted_at="2026-01-01T09:00Z"
    )
    booking = preparation.booking

    assert _records(booking, _host(booking))[0] == VisitRecord(
        "The visitor's preparation",
        "Submitted",
        "Read the visitor's objectives and questions",
        f"/bookings/{booking.pk}/preparation/",
    )


def test_after_the_visit_the_participant_writes_the_debrief_and_the_host_gives_feedback(db):
    booking = PastVisitFactory(status="attended")
    host = _host(booking)

    assert _records(booking, booking.participant)[-1] == VisitRecord(
        "Your debrief", "Not started", "Write your debrief", f"/bookings/{booking.pk}/debrief/"
    )
    assert _records(booking, host)[-1] == VisitRecord(
        "Feedback from the host",
        "Not given yet",
        "Give feedback on the visit",
        f"/bookings/{booking.pk}/feedback/",
    )
    assert "Debrief" not in [record.title for record in _records(booking, host)]


def test_the_team_sees_the_debrief_in_review_and_the_hosts_feedback(db):
    debrief = DebriefFactory(status="submitted")
    booking = debrief.booking
    PartnerFeedbackFactory(booking=booking)
    team = ProgrammeTeamFactory(totp=False)

    records = _records(booking, team)

    assert [record.title for record in records] == [
        "The visitor's preparation",
        "Joining instructions",
        "Debrief",
        "Feedback from the host",
    ]
    assert records[2] == VisitRecord("Debrief", "Submitted", "Review the debrief", f"/review/{debrief.pk}/")
    assert records[3].url == f"/bookings/{booking.pk}/feedback/"


@pytest.mark.parametrize("status", ["requested", "cancelled", "declined", "waitlisted"])
def test_bookings_that_are_not_visits_have_no_records(db, status):
    booking = BookingFactory(status=status)

    assert _records(booking, booking.participant) == []


def test_the_booking_page_shows_the_records_section(client, db):
    booking = PastVisitFactory(status="attended")
    client.force_login(booking.participant)

    html = client.get(reverse("bookings:detail", args=[booking.pk])).content.decode()

    assert "Before and after the visit" in html
    assert f'href="/bookings/{booking.pk}/debrief/">Write your debrief</a>' in html


def test_another_participant_cannot_reach_the_booking_or_its_records(client, db):
    booking = PastVisitFactory(status="attended")
    client.force_login(ParticipantFactory())

    assert client.get(reverse("bookings:detail", args=[booking.pk])).status_code == 404


def test_dashboard_counts_debriefs_by_review_state_actions_and_insights(db):
    team = ProgrammeTeamFactory(totp=False)
    DebriefFactory(status="submitted")
    DebriefFactory(status="submitted")
    in_review = DebriefFactory(status="in_review")
    DebriefFactory(status="changes_requested")
    DebriefFactory(status="draft")
    DebriefFactory(status="approved")
    PolicyAction.objects.create(debrief=in_review, description="Tell the policy team", owner=team)

    assert debrief_dashboard_counts() == {
        "waiting": 2,
        "in_review": 1,
        "changes_requested": 1,
        "approved": 1,
        "open_policy_actions": 1,
        "insights": 0,
    }


def test_a_preparation_never_submitted_is_not_awaited_once_the_visit_has_happened(db):
    booking = PastVisitFactory(status="attended")

    assert _records(booking, _host(booking))[0] == VisitRecord("The visitor's preparation", "Not submitted")
