"""Each sensitive action writes exactly one audit event, with the right actor, verb and record."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from connecting.reports.datasets import ExportFilters
from connecting.reports.services import export_job_create, export_job_run
from partners import services as partner_services
from placements.services.bookings import booking_confirm
from tests.audit.support import audit_rows, described
from tests.debriefs.review_support import handed_in
from tests.factories import (
    TEST_PASSWORD,
    BookingFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeTeamFactory,
)
from tests.support import invitation_token_from

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("account_login")


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


# --- Sign-ins ------------------------------------------------------------------------------------------


def test_signing_in_records_who_signed_in_and_from_where(client):
    person = ParticipantFactory(email="aisha@dhsc.gov.uk")

    client.post(LOGIN_URL, {"login": "aisha@dhsc.gov.uk", "password": TEST_PASSWORD})

    assert audit_rows() == [
        (person.pk, described(person), "signed_in", "accounts.user", str(person.pk), "", person.pk)
    ]


def test_a_wrong_password_records_a_failed_sign_in_against_the_account_tried(client):
    person = ParticipantFactory(email="aisha@dhsc.gov.uk")

    client.post(LOGIN_URL, {"login": "aisha@dhsc.gov.uk", "password": "not-it"})

    assert audit_rows() == [
        (
            None,
            "Someone signing in as aisha@dhsc.gov.uk",
            "sign_in_failed",
            "accounts.user",
            str(person.pk),
            "",
            person.pk,
        )
    ]


def test_a_failed_sign_in_to_no_account_names_no_record(client):
    client.post(LOGIN_URL, {"login": "nobody@dhsc.gov.uk", "password": "not-it"})

    assert audit_rows() == [
        (None, "Someone signing in as nobody@dhsc.gov.uk", "sign_in_failed", "", "", "", None)
    ]


def test_force_login_in_tests_and_pages_read_record_no_sign_in(client):
    client.force_login(ParticipantFactory())

    client.get(reverse("accounts:participant_home"))

    assert audit_rows() == []


# --- Role changes ----------------------------------------------------------------------------------------


def test_grant_programme_team_records_the_role_change():
    person = ParticipantFactory(email="lead@dhsc.gov.uk")

    call_command("grant_programme_team", "lead@dhsc.gov.uk", stdout=io.StringIO())

    assert audit_rows() == [
        (
            None,
            "grant_programme_team command",
            "role_changed",
            "accounts.user",
            str(person.pk),
            "participant → programme_team",
            person.pk,
        )
    ]


def test_accepting_a_partner_invitation_records_the_new_partner_access(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    partner = PartnerFactory(name="St Columba's Hospice")
    with django_capture_on_commit_callbacks(execute=True):
        partner_services.partner_contact_invite(
            partner=partner, email="iona@hospice.example.org", invited_by=None, is_admin=True
        )
    token = invitation_token_from(mailoutbox[0])

    user = partner_services.partner_invitation_accept_new_account(
        token=token, full_name="Iona MacDonald", job_title="Director of Care", password="hospice-visits-2026"
    )

    assert audit_rows() == [
        (
            user.pk,
            "iona@hospice.example.org (Partner contact)",
            "role_changed",
            "accounts.user",
            str(user.pk),
            f"Partner contact of partner {partner.pk} (admin)",
            user.pk,
        )
    ]


# --- Debriefs read and exported by the programme team ------------------------------------------------------


def test_reading_a_debrief_in_review_records_the_view(client):
    team = ProgrammeTeamFactory()
    debrief = handed_in()
    client.force_login(team)

    response = client.get(reverse("review:detail", args=[debrief.pk]))

    assert response.status_code == 200
    assert audit_rows() == [
        (
            team.pk,
            described(team),
            "debrief_viewed",
            "debriefs.debrief",
            str(debrief.pk),
            "",
            debrief.booking.participant_id,
        )
    ]


def test_the_team_reading_a_debrief_on_its_booking_records_the_view_and_its_author_does_not(client):
    team = ProgrammeTeamFactory()
    debrief = handed_in(status="approved")
    url = reverse("debriefs:debrief", args=[debrief.booking_id])
    client.force_login(debrief.booking.participant)
    client.get(url)
    client.force_login(team)

    response = client.get(url)

    assert response.status_code == 200
    assert audit_rows() == [
        (
            team.pk,
            described(team),
            "debrief_viewed",
            "debriefs.debrief",
            str(debrief.pk),
            "",
            debrief.booking.participant_id,
        )
    ]


@pytest.mark.parametrize("name", ["review:export_debriefs", "review:export_actions"])
def test_exporting_debriefs_or_actions_records_the_export(client, name):
    team = ProgrammeTeamFactory()
    handed_in()
    client.force_login(team)

    response = client.get(reverse(name))

    assert response.status_code == 200
    filename = name.split("_")[-1] + ".csv"
    assert audit_rows() == [(team.pk, described(team), "exported", "", "", filename, None)]


def test_an_export_from_the_exports_page_records_the_dataset_and_format(client):
    team = ProgrammeTeamFactory()
    client.force_login(team)

    response = client.post(
        reverse("reports:exports"),
        {"dataset": "bookings", "file_format": "csv", "programme": "", "cohort": ""},
    )

    assert response.status_code == 200
    assert audit_rows() == [(team.pk, described(team), "exported", "", "", "bookings (csv)", None)]


def test_downloading_a_finished_export_records_the_download(client, private_storage):
    team = ProgrammeTeamFactory()
    job = export_job_create(by=team, dataset="bookings", file_format="csv", filters=ExportFilters())
    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    client.force_login(team)

    response = client.get(reverse("reports:download", args=[job.pk]))

    assert response.status_code == 200
    assert audit_rows() == [
        (
            team.pk,
            described(team),
            "export_downloaded",
            "reports.exportjob",
            str(job.pk),
            job.download_filename,
            None,
        )
    ]


# --- Booking state changes --------------------------------------------------------------------------------


def test_a_booking_transition_records_one_event_beside_its_booking_event():
    booking = BookingFactory(status="requested")
    contact = PartnerMembershipFactory(partner=booking.slot.opportunity.partner).user

    booking_confirm(booking=booking, by=contact)

    assert list(booking.events.values_list("from_status", "to_status", "actor")) == [
        ("requested", "confirmed", contact.pk)
    ]
    assert audit_rows() == [
        (
            contact.pk,
            described(contact),
            "booking_changed",
            "placements.booking",
            str(booking.pk),
            "requested → confirmed (confirmed)",
            booking.participant_id,
        )
    ]


def test_a_refused_transition_records_nothing():
    booking = BookingFactory(status="cancelled")
    contact = PartnerMembershipFactory(partner=booking.slot.opportunity.partner).user

    with pytest.raises(Exception, match="cannot be confirmed"):
        booking_confirm(booking=booking, by=contact)

    assert audit_rows() == []


def test_changing_a_role_in_the_django_admin_records_it(client):
    admin_user = ProgrammeTeamFactory(is_staff=True, is_superuser=True)
    person = ParticipantFactory(email="ben@dhsc.gov.uk", full_name="Ben Okri")
    client.force_login(admin_user)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        role="partner_contact",
        groups=[],
        date_joined_0=person.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=person.date_joined.strftime("%H:%M:%S"),
    )
    data = {
        name: value
        for name, value in data.items()
        if name not in ("date_joined", "last_login", "user_permissions")
    }

    response = client.post(url, data)

    assert response.status_code == 302
    assert audit_rows() == [
        (
            admin_user.pk,
            described(admin_user),
            "role_changed",
            "accounts.user",
            str(person.pk),
            "Changed in the admin: role (role now partner_contact)",
            person.pk,
        )
    ]
