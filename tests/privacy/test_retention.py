"""Retention: personal data from old visits goes, recent data stays, a second run changes nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from connecting.models import OutboxMessage
from connecting.privacy.services import retention_apply
from connecting.privacy.tasks import retention_apply_task
from debriefs.models import Debrief, DebriefAction, PartnerFeedback, Preparation, ReviewEvent
from placements.models import Booking, BookingEvent
from tests.audit.support import audit_rows
from tests.factories import ParticipantFactory
from tests.privacy.support import at, person_with_data

pytestmark = pytest.mark.django_db

NOW = at(datetime.date(2026, 6, 1), 2)
OLD = datetime.date(2024, 5, 1)  # more than 730 days before NOW
RECENT = datetime.date(2025, 9, 1)


def _texts(booking) -> tuple:
    debrief = Debrief.objects.get(booking=booking)
    return (
        Booking.objects.get(pk=booking.pk).line_manager_email,
        list(BookingEvent.objects.filter(booking=booking).values_list("reason", "actor_description")),
        list(Preparation.objects.filter(booking=booking).values_list("objectives", "access_needs")),
        (debrief.what_i_saw, debrief.what_i_learnt, debrief.status, debrief.usefulness),
        list(DebriefAction.objects.filter(debrief=debrief).values_list("description", "owner")),
        list(ReviewEvent.objects.filter(debrief=debrief).values_list("comment", flat=True)),
        list(PartnerFeedback.objects.filter(booking=booking).values_list("comments", "value_to_partner")),
        list(
            OutboxMessage.objects.filter(recipient=booking.participant).values_list(
                "subject", "body_text", "body_html"
            )
        ),
    )


@pytest.fixture
def visits():
    old = person_with_data(ParticipantFactory(), day=OLD, tag="OLD")["booking"]
    recent = person_with_data(ParticipantFactory(), day=RECENT, tag="NEW")["booking"]
    return old, recent


def test_old_visits_lose_their_personal_data_and_recent_ones_keep_it(visits):
    old, recent = visits
    recent_before = _texts(recent)

    counts = retention_apply(now=NOW)

    assert _texts(old) == (
        "",
        [("", ""), ("", "Line manager")],
        [("", "")],
        ("", "", "approved", 4),
        [("[removed]", "[removed]")],
        [""],
        [("", 5)],
        [("Subject OLD", "", "")],
    )
    assert _texts(recent) == recent_before
    assert counts == {
        "debriefs": 1,
        "debrief_actions": 1,
        "review_comments": 1,
        "theme_quotes": 0,
        "insight_names": 0,
        "preparations": 1,
        "partner_feedback": 1,
        "line_manager_emails": 1,
        "booking_reasons": 1,
        "booking_actor_emails": 1,
        "messages": 1,
        "survey_answers": 0,
    }
    assert [row[:3] for row in audit_rows(verb="retention_applied")] == [
        (None, "Retention task", "retention_applied")
    ]


def test_running_twice_changes_nothing_and_records_nothing(visits):
    old, recent = visits
    retention_apply(now=NOW)
    after_first = (_texts(old), _texts(recent))

    counts = retention_apply(now=NOW)

    assert (_texts(old), _texts(recent)) == after_first
    assert set(counts.values()) == {0}
    assert len(audit_rows(verb="retention_applied")) == 1


def test_the_period_comes_from_settings(visits, settings):
    old, recent = visits
    settings.RETENTION_DAYS = 100

    retention_apply(now=NOW)

    assert Debrief.objects.get(booking=recent).what_i_saw == ""


def test_the_task_applies_retention_as_of_now(visits):
    old, _recent = visits

    retention_apply_task.delay()

    assert Debrief.objects.get(booking=old).what_i_saw == ""
    assert timezone.now() > NOW


def test_the_privacy_notice_is_public_and_says_what_it_must(client):
    response = client.get(reverse("privacy"))

    assert response.status_code == 200
    page = response.content.decode()
    assert [
        heading in page
        for heading in (
            "What we collect",
            "Why we use it",
            "Who sees what",
            "How long we keep it",
            "Your rights",
            "Contact",
        )
    ] == [True] * 6
    assert "730 days" in page
