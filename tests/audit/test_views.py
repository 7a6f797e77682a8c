"""The audit log page: team only, newest first, filtered, paginated, no other table read."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connecting.audit.models import AuditVerb
from connecting.audit.services import audit_record
from tests.factories import ParticipantFactory, PartnerContactFactory, ProgrammeTeamFactory

pytestmark = pytest.mark.django_db

URL = reverse("audit:list")


@pytest.fixture
def team(client):
    member = ProgrammeTeamFactory(email="rita@dhsc.gov.uk")
    client.force_login(member)
    return member


def _shown(response) -> list[int]:
    return [event.pk for event in response.context["page"].object_list]


def test_the_team_sees_every_event_newest_first(client, team):
    first = audit_record(actor=team, verb=AuditVerb.SIGNED_IN, obj=team)
    second = audit_record(actor=None, verb=AuditVerb.RETENTION_APPLIED, description="old data removed")

    response = client.get(URL)

    assert response.status_code == 200
    assert _shown(response) == [second.pk, first.pk]
    assert "old data removed" in response.content.decode()


@pytest.mark.parametrize("factory", [ParticipantFactory, PartnerContactFactory])
def test_anyone_else_is_refused(client, factory):
    client.force_login(factory())

    assert client.get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_page_has_no_way_to_change_or_delete_an_event(client, team):
    assert client.post(URL).status_code == 405


def test_filters_by_verb_actor_record_and_day(client, team):
    other = ParticipantFactory(email="ben@dhsc.gov.uk")
    signed_in = audit_record(actor=other, verb=AuditVerb.SIGNED_IN, obj=other)
    audit_record(actor=team, verb=AuditVerb.SIGNED_IN, obj=team)
    viewed = audit_record(actor=team, verb=AuditVerb.DEBRIEF_VIEWED, obj=other)
    today = timezone.localdate().strftime("%d/%m/%Y")
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).strftime("%d/%m/%Y")

    assert _shown(client.get(URL, {"verb": "signed_in", "actor": "ben@"})) == [signed_in.pk]
    assert _shown(client.get(URL, {"object_type": "accounts.user", "object_id": other.pk})) == [
        viewed.pk,
        signed_in.pk,
    ]
    assert _shown(client.get(URL, {"verb": "debrief_viewed", "date_from": today, "date_to": today})) == [
        viewed.pk
    ]
    assert _shown(client.get(URL, {"date_to": yesterday})) == []


def test_a_bad_filter_is_named_in_the_error_summary_and_dropped(client, team):
    event = audit_record(actor=team, verb=AuditVerb.SIGNED_IN, obj=team)

    response = client.get(URL, {"verb": "hacked", "date_from": "31/02/2026"})

    assert response.status_code == 400
    assert _shown(response) == [event.pk]
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Choose what happened from the list" in page
    assert "Enter the first day as day/month/year, like 27/03/2026" in page


def test_fifty_events_a_page(client, team):
    events = [audit_record(actor=None, verb=AuditVerb.RETENTION_APPLIED) for _ in range(51)]

    first, second = client.get(URL), client.get(URL, {"page": 2})

    assert (len(_shown(first)), _shown(second)) == (50, [events[0].pk])


def test_the_list_takes_as_many_queries_for_three_events_as_for_one(client, team):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    audit_record(actor=team, verb=AuditVerb.SIGNED_IN, obj=team)
    client.get(URL)  # the first request of a session does its own one-off work
    for_one = queries()
    other = ParticipantFactory()
    audit_record(actor=other, verb=AuditVerb.DATA_DOWNLOADED, obj=other)
    audit_record(actor=None, verb=AuditVerb.BOOKING_CHANGED, actor_description="manager@dhsc.gov.uk")

    assert queries() == for_one
