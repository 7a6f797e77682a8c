"""Asking for an export, the worker that writes a large one, and the sweep that clears them away."""

import datetime
import os
import stat

import pytest
from django.utils import timezone

from connecting.reports import services
from connecting.reports.datasets import ExportFilters
from connecting.reports.models import ExportJob
from connecting.reports.services import (
    EXPORT_STALE_AFTER,
    ExportRefused,
    export_job_create,
    export_job_run,
    export_jobs_expire,
    export_request,
)
from connecting.reports.tasks import export_job_run_task, export_jobs_expire_task
from tests.factories import ParticipantFactory, PartnerFactory, ProgrammeFactory
from tests.reports.support import csv_rows, visit, xlsx_rows

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 10)


@pytest.fixture
def bookings(team):
    """Three bookings of one programme, the programme and who asks."""
    programme = ProgrammeFactory(name="Connecting 2026")
    partner = PartnerFactory(name="Oakfield Hospice")
    made = [visit(partner=partner, programme=programme, day=DAY, status="confirmed") for _ in range(3)]
    return programme, made


def _files(storage) -> list[str]:
    found = []
    for root, _dirs, names in os.walk(storage.location):
        found += [os.path.relpath(os.path.join(root, name), storage.location) for name in names]
    return sorted(found)


def test_export_request_returns_none_for_an_export_small_enough_to_send_at_once(settings, team, bookings):
    settings.EXPORT_INLINE_MAX_ROWS = 3

    job = export_request(by=team, dataset="bookings", file_format="csv", filters=ExportFilters())

    assert (job, ExportJob.objects.count()) == (None, 0)


def test_export_request_queues_a_larger_export_and_the_worker_makes_it_ready(
    settings, team, bookings, private_storage, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS = 2
    programme, made = bookings

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = export_request(
            by=team, dataset="bookings", file_format="csv", filters=ExportFilters(programme=programme)
        )

    job.refresh_from_db()
    assert len(callbacks) == 1
    assert (job.requested_by, job.dataset, job.format, job.status, job.row_count, job.error) == (
        team,
        "bookings",
        "csv",
        "ready",
        3,
        "",
    )
    assert job.filters == {
        "programme": programme.pk,
        "cohort": None,
        "date_from": None,
        "date_to": None,
        "include_team_only": False,
    }
    assert job.description == "Connecting 2026"
    assert job.expires_at == job.finished_at + datetime.timedelta(days=7)
    assert _files(private_storage) == [job.file_name]
    assert job.file_name.startswith(f"exports/{job.pk}-") and job.file_name.endswith(".csv")
    assert stat.S_IMODE(os.stat(private_storage.path(job.file_name)).st_mode) == 0o600
    with private_storage.open(job.file_name, "rb") as file:
        rows = csv_rows(file.read())
    assert [row[0] for row in rows] == ["Booking ID", *(str(booking.pk) for booking in made)]


def test_a_large_xlsx_export_is_written_as_a_workbook(team, bookings, private_storage):
    job = export_job_create(by=team, dataset="partner_activity", file_format="xlsx", filters=ExportFilters())

    assert export_job_run(job_id=job.pk) == "ready"

    job.refresh_from_db()
    with private_storage.open(job.file_name, "rb") as file:
        rows = xlsx_rows(file.read())
    partner = bookings[1][0].slot.opportunity.partner
    assert (job.row_count, rows[1]) == (
        1,
        [partner.pk, "Oakfield Hospice", "Acute NHS trust", "North West", 3, 3, 12, 3, 3, 0, 0, 0, None],
    )


def test_running_the_task_twice_writes_the_export_once(team, bookings, private_storage):
    job = export_job_create(by=team, dataset="bookings", file_format="csv", filters=ExportFilters())

    export_job_run_task.delay(job_id=job.pk)
    job.refresh_from_db()
    first = (job.status, job.file_name, job.finished_at)
    export_job_run_task.delay(job_id=job.pk)
    job.refresh_from_db()

    assert (job.status, job.file_name, job.finished_at) == first
    assert _files(private_storage) == [job.file_name]


def test_a_job_already_running_is_left_alone(team, bookings, private_storage):
    job = export_job_create(by=team, dataset="bookings", file_format="csv", filters=ExportFilters())
    ExportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())

    assert (export_job_run(job_id=job.pk), export_job_run(job_id=job.pk + 1000)) == ("skipped", "skipped")
    job.refresh_from_db()
    assert (job.status, job.file_name, _files(private_storage)) == ("running", "", [])


def test_a_job_whose_programme_was_deleted_fails_with_the_reason(team, private_storage):
    programme = ProgrammeFactory()
    job = export_job_create(
        by=team, dataset="bookings", file_format="csv", filters=ExportFilters(programme=programme)
    )
    programme.delete()

    assert export_job_run(job_id=job.pk) == "failed"

    job.refresh_from_db()
    assert (job.status, job.error, job.file_name, job.finished_at is not None, _files(private_storage)) == (
        "failed",
        "ExportFiltersGone: The programme of this export no longer exists.",
        "",
        True,
        [],
    )


def test_a_job_fails_when_its_owner_has_left_the_programme_team(team, bookings, private_storage):
    job = export_job_create(by=team, dataset="bookings", file_format="csv", filters=ExportFilters())
    team.role = "participant"
    team.save(update_fields=["role"])

    export_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.error, _files(private_storage)) == (
        "failed",
        "ExportRefused: The person who asked for this export can no longer export.",
        [],
    )


def test_a_failure_after_the_file_was_saved_removes_the_file(team, bookings, private_storage, monkeypatch):
    job = export_job_create(by=team, dataset="bookings", file_format="csv", filters=ExportFilters())
    moves = []
    real_move = services._move

    def failing_move(job_id, *, frm, to, **fields):
        moves.append((frm, to))
        if to == "ready":
            raise RuntimeError("database went away")
        return real_move(job_id, frm=frm, to=to, **fields)

    monkeypatch.setattr(services, "_move", failing_move)

    assert export_job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert (moves, job.status, _files(private_storage)) == (
        [("queued", "running"), ("running", "ready"), ("running", "failed")],
        "failed",
        [],
    )


def test_the_tasks_are_ordinary_celery_tasks_with_the_names_beat_uses():
    assert (export_job_run_task.name, export_jobs_expire_task.name) == (
        "connecting.reports.tasks.export_job_run_task",
        "connecting.reports.tasks.export_jobs_expire_task",
    )


def test_only_the_programme_team_can_ask_for_an_export(bookings):
    with pytest.raises(ExportRefused):
        export_request(
            by=ParticipantFactory(), dataset="bookings", file_format="csv", filters=ExportFilters()
        )


# --- The sweep -------------------------------------------------------------------------------------


def _ready_job(team, private_storage, *, expires_in: datetime.timedelta) -> ExportJob:
    job = export_job_create(by=team, dataset="bookings", file_format="csv", filters=ExportFilters())
    export_job_run(job_id=job.pk)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() + expires_in)
    job.refresh_from_db()
    return job


def test_expiry_deletes_the_files_of_exports_past_their_day_and_marks_them_expired(
    team, bookings, private_storage
):
    old = _ready_job(team, private_storage, expires_in=-datetime.timedelta(minutes=1))
    fresh = _ready_job(team, private_storage, expires_in=datetime.timedelta(days=1))

    assert export_jobs_expire() == {"expired": 1, "stopped": 0, "requeued": 0}

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert [(old.status, old.file_name), (fresh.status)] == [("expired", ""), "ready"]
    assert _files(private_storage) == [fresh.file_name]
    assert export_jobs_expire() == {"expired": 0, "stopped": 0, "requeued": 0}


def test_expiry_fails_jobs_whose_worker_stopped_and_hands_stranded_ones_over_again(
    team, bookings, private_storage
):
    now = timezone.now()
    stopped = export_job_create(by=team, dataset="bookings", file_format="csv", filters=ExportFilters())
    ExportJob.objects.filter(pk=stopped.pk).update(
        status="running", started_at=now - EXPORT_STALE_AFTER - datetime.timedelta(minutes=1)
    )
    working = export_job_create(by=team, dataset="bookings", file_format="csv", filters=ExportFilters())
    ExportJob.objects.filter(pk=working.pk).update(status="running", started_at=now)
    stranded = export_job_create(by=team, dataset="bookings", file_format="csv", filters=ExportFilters())
    ExportJob.objects.filter(pk=stranded.pk).update(created_at=now - datetime.timedelta(hours=1))

    export_jobs_expire_task.delay()

    statuses = dict(ExportJob.objects.values_list("pk", "status"))
    assert statuses == {stopped.pk: "failed", working.pk: "running", stranded.pk: "ready"}
    assert ExportJob.objects.get(pk=stopped.pk).error == "The worker stopped before the export was finished."
