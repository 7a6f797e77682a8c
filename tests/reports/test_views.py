"""The exports page, "Your exports" and downloads: who may, what comes back, and bad input."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connecting.reports.datasets import ExportFilters
from connecting.reports.models import ExportJob
from connecting.reports.services import export_job_create, export_job_run
from debriefs.models import DebriefAction
from tests.debriefs.review_support import messages_of
from tests.factories import (
    CohortFactory,
    DebriefFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
)
from tests.reports.support import XLSX, body, csv_rows, london, visit, xlsx_rows

pytestmark = pytest.mark.django_db

EXPORTS = reverse("reports:exports")
MINE = reverse("reports:mine")
DAY = datetime.date(2026, 3, 10)


def _post(client, **data):
    fields = {"dataset": "bookings", "file_format": "csv", "programme": "", "cohort": ""}
    fields.update(data)
    return client.post(EXPORTS, fields)


@pytest.fixture
def programme():
    return ProgrammeFactory(name="Connecting 2026")


@pytest.fixture
def booking(programme):
    return visit(
        partner=PartnerFactory(name="=cmd|' /C calc'!A0"),
        programme=programme,
        day=DAY,
        participant=ParticipantFactory(
            full_name="Ada Lovelace", email="ada@dhsc.gov.uk", directorate="Policy"
        ),
        status="attended",
        created_at=london(datetime.date(2026, 2, 1), 10),
    )


# --- The exports page -------------------------------------------------------------------------------


def test_exports_page_offers_the_data_formats_and_filters(client, team):
    response = client.get(EXPORTS)

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields) == [
        "dataset",
        "file_format",
        "programme",
        "cohort",
        "date_from",
        "date_to",
        "include_team_only",
    ]
    assert form.fields["dataset"].choices == [
        ("bookings", "Bookings"),
        ("debriefs", "Debriefs"),
        ("actions", "Debrief actions and policy actions"),
        ("partner_activity", "Partner activity"),
    ]
    content = response.content.decode()
    assert "Only you can download the exports you ask for." in content
    assert "An export of up to 5,000 rows downloads straight away." in content


def test_a_small_csv_export_downloads_at_once(client, team, booking):
    response = _post(client, file_format="csv", date_from_0="10", date_from_1="3", date_from_2="2026")

    day = timezone.localdate().isoformat()
    assert (
        response.status_code,
        response["Content-Type"],
        response["Content-Disposition"],
        response["X-Content-Type-Options"],
        response["Cache-Control"],
    ) == (
        200,
        "text/csv; charset=utf-8",
        f'attachment; filename="bookings-{day}.csv"',
        "nosniff",
        "private, no-store",
    )
    assert csv_rows(body(response))[1:] == [
        [
            str(booking.pk),
            "Attended",
            "2026-03-10 09:00",
            "2026-03-10 17:00",
            "Connecting 2026",
            "",
            "Ada Lovelace",
            "ada@dhsc.gov.uk",
            "Policy",
            "'=cmd|' /C calc'!A0",
            "Acute NHS trust",
            "North West",
            "A day at =cmd|' /C calc'!A0",
            "2026-02-01 10:00",
        ]
    ]
    assert ExportJob.objects.count() == 0


def test_a_small_xlsx_export_downloads_at_once_with_formulas_defused(client, team, booking):
    response = _post(client, file_format="xlsx")

    assert (response.status_code, response["Content-Type"], response["X-Content-Type-Options"]) == (
        200,
        XLSX,
        "nosniff",
    )
    assert (
        response["Content-Disposition"].endswith('.xlsx"') and "bookings-" in response["Content-Disposition"]
    )
    assert xlsx_rows(body(response))[1] == [
        booking.pk,
        "Attended",
        datetime.datetime(2026, 3, 10, 9, 0),
        datetime.datetime(2026, 3, 10, 17, 0),
        "Connecting 2026",
        None,
        "Ada Lovelace",
        "ada@dhsc.gov.uk",
        "Policy",
        "'=cmd|' /C calc'!A0",
        "Acute NHS trust",
        "North West",
        "A day at =cmd|' /C calc'!A0",
        datetime.datetime(2026, 2, 1, 10, 0),
    ]


def test_debriefs_export_leaves_out_team_only_debriefs_unless_the_box_is_ticked(client, team, programme):
    def debrief(consent):
        made = DebriefFactory(
            booking=visit(partner=PartnerFactory(), programme=programme, day=DAY),
            status="submitted",
            consent=consent,
            submitted_at=london(DAY, 18),
        )
        DebriefAction.objects.create(debrief=made, description=f"Action of {consent}", owner="Me", due_on=DAY)
        return made

    shared, team_only = debrief("anonymised"), debrief("team_only")

    def ids(**data):
        return [
            row[0]
            for row in xlsx_rows(body(_post(client, dataset="debriefs", file_format="xlsx", **data)))[1:]
        ]

    def actions(**data):
        return [row[2] for row in csv_rows(body(_post(client, dataset="actions", **data)))[1:]]

    assert ids() == [shared.pk]
    assert ids(include_team_only="on") == [shared.pk, team_only.pk]
    assert actions() == ["Action of anonymised"]
    assert actions(include_team_only="on") == ["Action of anonymised", "Action of team_only"]


def test_a_large_export_is_prepared_in_the_background_and_downloaded_when_ready(
    client, team, settings, booking, private_storage, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS = 0

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, dataset="bookings", file_format="xlsx")

    job = ExportJob.objects.get()
    assert (response.status_code, response["Location"], job.status, job.row_count) == (302, MINE, "ready", 1)
    listing = client.get(MINE)
    assert messages_of(listing) == [
        (
            "success",
            "Your export is being prepared. It will be ready shortly: download it from this page when it is.",
        )
    ]
    assert list(listing.context["page"].object_list) == [job]
    assert reverse("reports:download", args=[job.pk]) in listing.content.decode()

    download = client.get(reverse("reports:download", args=[job.pk]))

    assert (
        download.status_code,
        download["Content-Type"],
        download["Content-Disposition"],
        download["X-Content-Type-Options"],
        download["Cache-Control"],
    ) == (
        200,
        XLSX,
        f'attachment; filename="bookings-{timezone.localdate(job.created_at).isoformat()}.xlsx"',
        "nosniff",
        "private, no-store",
    )
    assert [row[0] for row in xlsx_rows(body(download))] == ["Booking ID", booking.pk]


HOSTILE = ["999999", "-1", "abc", "1\x00", "99999999999999999999999", "<script>"]


@pytest.mark.parametrize("value", HOSTILE)
def test_tampered_ids_and_choices_are_form_errors(client, team, value):
    response = _post(client, dataset=value, file_format=value, programme=value, cohort=value)

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "dataset": ["Select which data to export"],
        "file_format": ["Select a file format"],
        "programme": ["Choose a programme from the list"],
        "cohort": ["Choose a cohort from the list"],
    }
    assert 'class="govuk-error-summary"' in response.content.decode()
    assert ExportJob.objects.count() == 0


def test_a_cohort_of_another_programme_and_dates_the_wrong_way_round_are_form_errors(client, team, programme):
    other_cohort = CohortFactory()

    response = _post(
        client,
        programme=programme.pk,
        cohort=other_cohort.pk,
        date_from_0="2",
        date_from_1="3",
        date_from_2="2026",
        date_to_0="1",
        date_to_1="3",
        date_to_2="2026",
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "cohort": ["Choose a cohort of the programme you chose, or all cohorts"],
        "date_to": ["The last visit date must be the same as or after the first visit date"],
    }


@pytest.mark.parametrize("day", ["31", "3\x00", "<b>", "99999999999999999999"])
def test_a_date_that_is_not_one_is_a_form_error(client, team, day):
    response = _post(
        client, date_from_0=day, date_from_1="2", date_from_2="2026", date_to_0="1", date_to_2="2026"
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "date_from": ["The first visit date must be a real date"],
        "date_to": ["The last visit date must include a month"],
    }


def test_a_cohort_alone_brings_its_programme(
    client, team, booking, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS = -1
    cohort = CohortFactory(programme=booking.programme, name="Autumn")

    _post(client, cohort=cohort.pk)

    assert ExportJob.objects.get().filters == {
        "programme": booking.programme.pk,
        "cohort": cohort.pk,
        "date_from": None,
        "date_to": None,
        "include_team_only": False,
    }


# --- Your exports ----------------------------------------------------------------------------------------


def _job(user, **fields) -> ExportJob:
    return ExportJob.objects.create(requested_by=user, dataset="bookings", format="csv", **fields)


def test_your_exports_lists_only_your_own_newest_first_with_their_state(client, team):
    now = timezone.now()
    older = _job(team, created_at=now - datetime.timedelta(hours=2), status="failed", error="Boom")
    newer = _job(team, created_at=now - datetime.timedelta(hours=1), status="running")
    _job(ProgrammeTeamFactory())

    response = client.get(MINE)

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [newer, older]
    content = response.content.decode()
    assert '<strong class="govuk-tag govuk-tag--blue">Being prepared</strong>' in content
    assert '<strong class="govuk-tag govuk-tag--red">Failed</strong>' in content
    assert "Boom" not in content
    assert "Some exports are still being prepared." in content


def test_your_exports_is_paginated(client, team):
    for _ in range(26):
        _job(team)

    first, second = client.get(MINE), client.get(MINE, {"page": 2})

    assert (len(first.context["page"].object_list), len(second.context["page"].object_list)) == (25, 1)


def test_your_exports_query_count_does_not_grow_with_rows(client, team):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(MINE).status_code == 200
        return len(captured)

    _job(team, status="queued")
    one = queries()
    _job(team, status="failed")
    _job(team, status="expired")

    assert queries() == one


# --- Downloads ---------------------------------------------------------------------------------------------


@pytest.fixture
def ready_job(team, booking, private_storage):
    job = export_job_create(by=team, dataset="bookings", file_format="csv", filters=ExportFilters())
    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "ready"
    return job


def test_another_team_members_export_is_not_found(client, ready_job):
    client.force_login(ProgrammeTeamFactory())

    assert client.get(reverse("reports:download", args=[ready_job.pk])).status_code == 404


@pytest.mark.parametrize("status", ["queued", "running", "failed", "expired"])
def test_an_export_that_is_not_ready_is_not_found(client, team, status):
    job = _job(team, status=status)

    assert client.get(reverse("reports:download", args=[job.pk])).status_code == 404


def test_an_export_whose_file_is_gone_is_not_found(client, ready_job, private_storage):
    private_storage.delete(ready_job.file_name)

    assert client.get(reverse("reports:download", args=[ready_job.pk])).status_code == 404


@pytest.mark.parametrize("make_outsider", [ParticipantFactory, lambda: PartnerMembershipFactory().user])
def test_exports_are_for_the_programme_team_only(client, ready_job, make_outsider):
    client.force_login(make_outsider())

    statuses = [
        client.get(EXPORTS).status_code,
        _post(client).status_code,
        client.get(MINE).status_code,
        client.get(reverse("reports:download", args=[ready_job.pk])).status_code,
    ]

    assert statuses == [403, 403, 403, 403]
    assert ExportJob.objects.count() == 1
