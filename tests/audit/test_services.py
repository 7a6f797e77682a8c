"""audit_record itself, the append-only table and the read-only admin."""

import pytest
from django.contrib import admin
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from connecting.audit.models import AuditEvent, AuditVerb
from connecting.audit.services import audit_record
from tests.audit.support import audit_rows, described
from tests.factories import BookingFactory, ParticipantFactory, ProgrammeTeamFactory

pytestmark = pytest.mark.django_db


def test_audit_record_keeps_actor_object_person_ip_and_extra():
    team = ProgrammeTeamFactory(email="rita@dhsc.gov.uk")
    booking = BookingFactory()
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9")

    event = audit_record(
        actor=team, verb=AuditVerb.BOOKING_CHANGED, obj=booking, description="x", request=request, n=1
    )

    assert audit_rows() == [
        (
            team.pk,
            "rita@dhsc.gov.uk (Programme team)",
            "booking_changed",
            "placements.booking",
            str(booking.pk),
            "x",
            booking.participant_id,
        )
    ]
    assert (event.ip_address, event.extra) == ("203.0.113.9", {"n": 1})


def test_audit_record_without_a_user_names_the_portal_or_what_acted():
    audit_record(actor=None, verb=AuditVerb.RETENTION_APPLIED)
    audit_record(actor=None, verb=AuditVerb.BOOKING_CHANGED, actor_description="manager@dhsc.gov.uk")

    assert [row[:3] for row in audit_rows()] == [
        (None, "The portal", "retention_applied"),
        (None, "manager@dhsc.gov.uk", "booking_changed"),
    ]


def test_audit_record_takes_the_client_address_the_trusted_proxy_saw(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")

    event = audit_record(actor=None, verb=AuditVerb.SIGN_IN_FAILED, request=request)

    assert event.ip_address == "198.51.100.7"


def test_audit_record_refuses_an_unknown_verb_and_writes_nothing():
    with pytest.raises(ValueError):
        audit_record(actor=None, verb="deleted_everything")

    assert audit_rows() == []


def test_the_database_refuses_an_unknown_verb():
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.create(verb="made_up", actor_description="x")


def test_postgresql_refuses_to_update_or_delete_an_audit_event(postgres):
    person = ParticipantFactory()
    event = audit_record(actor=person, verb=AuditVerb.SIGNED_IN, obj=person)

    with pytest.raises(IntegrityError, match="cannot be changed or deleted"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(description="nothing happened")
    with pytest.raises(IntegrityError, match="cannot be changed or deleted"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    # Deleting the actor would set the key to NULL: refused too (people are anonymised, not deleted).
    with pytest.raises(IntegrityError, match="cannot be changed or deleted"), transaction.atomic():
        person.delete()

    assert audit_rows() == [
        (person.pk, described(person), "signed_in", "accounts.user", str(person.pk), "", person.pk)
    ]


def test_admin_shows_the_log_but_cannot_add_change_or_delete():
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/")
    request.user = ProgrammeTeamFactory(is_staff=True, is_superuser=True)
    event = audit_record(actor=None, verb=AuditVerb.RETENTION_APPLIED)

    assert (
        model_admin.has_view_permission(request, event),
        model_admin.has_add_permission(request),
        model_admin.has_change_permission(request, event),
        model_admin.has_delete_permission(request, event),
    ) == (True, False, False, False)
