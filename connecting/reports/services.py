"""Asking for an export, producing it in the background, and clearing finished ones away.

A small export (at most `EXPORT_INLINE_MAX_ROWS` rows) is sent back at once by the page; a larger
one becomes an ExportJob, written by a worker (`export_job_run_task`) into the private storage and
offered on "Your exports" to the person who asked for it, for `EXPORT_KEEP_DAYS` days.

Every move of a job's status is one conditional UPDATE (`WHERE status = <from>`, see
`EXPORT_TRANSITIONS`), so a task delivered twice, two workers, or a worker and the expiry sweep
can never both make the same move.
"""

import datetime
import logging
import tempfile
import uuid
from functools import partial

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from connecting.reports.datasets import CHUNK_SIZE, DATASETS, ExportFilters
from connecting.reports.models import EXPORT_TRANSITIONS, ExportJob, ExportStatus
from connecting.reports.permissions import can_export_reports
from connecting.reports.writers import export_write
from connecting.uploads import document_delete

logger = logging.getLogger(__name__)

S = ExportStatus
EXPORT_KEEP_DAYS = 7
EXPORT_FOLDER = "exports"
# The worker's limits for one export (the settings' defaults suit e-mails, not a large file); kept
# well inside Redis's visibility timeout (3,600 s), or a long export would be delivered twice.
EXPORT_TIME_LIMIT = settings.EXPORT_TIME_LIMIT
EXPORT_SOFT_TIME_LIMIT = EXPORT_TIME_LIMIT - 5 * 60
# A job still "running" this long after it started lost its worker: the sweep marks it failed.
EXPORT_STALE_AFTER = datetime.timedelta(seconds=EXPORT_TIME_LIMIT + 10 * 60)
# A job still queued this long after it was asked for may have missed the broker: handed over again.
EXPORT_REQUEUE_AFTER = datetime.timedelta(minutes=10)
ERROR_MAX_LENGTH = 2000


class ExportRefused(Exception):
    """The job cannot be produced as asked (its owner may no longer export)."""


def export_inline_max_rows() -> int:
    return getattr(settings, "EXPORT_INLINE_MAX_ROWS", 5000)


def export_row_count(*, dataset: str, filters: ExportFilters, user) -> int:
    return DATASETS[dataset].count(filters, user=user)


def export_request(*, by, dataset: str, file_format: str, filters: ExportFilters) -> ExportJob | None:
    """Decide how an export is delivered. None: it has at most `EXPORT_INLINE_MAX_ROWS` rows, and
    the page sends it at once. Otherwise a queued ExportJob, handed to a worker once committed."""
    if not can_export_reports(by):
        raise ExportRefused("Only the programme team can export.")
    rows = export_row_count(dataset=dataset, filters=filters, user=by)
    if rows <= export_inline_max_rows():
        return None
    return export_job_create(by=by, dataset=dataset, file_format=file_format, filters=filters)


@transaction.atomic
def export_job_create(*, by, dataset: str, file_format: str, filters: ExportFilters) -> ExportJob:
    """Queue an export for the background; the worker is asked for it only after the commit, so it
    always finds the row."""
    from connecting.reports.tasks import export_job_run_task

    job = ExportJob.objects.create(
        requested_by=by,
        dataset=dataset,
        format=file_format,
        filters=filters.to_json(),
        description=filters.describe(dataset)[:500],
    )
    transaction.on_commit(partial(export_job_run_task.delay, job_id=job.pk))
    return job


def _move(job_id: int, *, frm: str, to: str, **fields) -> bool:
    """Move the job from `frm` to `to` (with `fields`) if it is still in `frm`; whether it moved."""
    if to not in EXPORT_TRANSITIONS[frm]:
        raise ValueError(f"An export job cannot go from {frm} to {to}.")
    return bool(ExportJob.objects.filter(pk=job_id, status=frm).update(status=to, **fields))


def export_job_run(*, job_id: int) -> str:
    """Produce one queued export and mark it ready; return what happened ("ready", "failed", or
    "skipped" for a job that is gone or already claimed, running, ready, failed or expired).

    The job is claimed first (queued -> running), so a second delivery of the task does nothing.
    The rows are read a chunk at a time into a temporary file, which is then saved to the private
    storage under a random name; only then is the job marked ready, with the row count and the
    day it expires. Any error marks it failed, with the error kept for the admin, and removes a
    file already saved.
    """
    if not _move(job_id, frm=S.QUEUED, to=S.RUNNING, started_at=timezone.now()):
        logger.info("export job %s is gone or already taken", job_id)
        return "skipped"
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    stored = ""
    try:
        if not can_export_reports(job.requested_by):
            raise ExportRefused("The person who asked for this export can no longer export.")
        filters = ExportFilters.from_json(job.filters)
        dataset = DATASETS[job.dataset]
        rows = dataset.rows(filters, user=job.requested_by, chunk_size=CHUNK_SIZE)
        with tempfile.TemporaryFile() as file:
            count = export_write(
                file,
                file_format=job.format,
                header=dataset.header,
                rows=rows,
                sheet_title=dataset.sheet_title,
            )
            file.seek(0)
            stored = storages["private"].save(
                f"{EXPORT_FOLDER}/{job.pk}-{uuid.uuid4().hex}.{job.format}", File(file)
            )
        finished = timezone.now()
        if not _move(
            job_id,
            frm=S.RUNNING,
            to=S.READY,
            file_name=stored,
            row_count=count,
            finished_at=finished,
            expires_at=finished + datetime.timedelta(days=EXPORT_KEEP_DAYS),
        ):
            # The sweep gave up on it meanwhile: the file would belong to nothing.
            document_delete(stored)
            logger.warning("export job %s was no longer running when it finished", job_id)
            return "skipped"
    except Exception as error:
        logger.exception("export job %s failed", job_id)
        if stored:
            document_delete(stored)
        _move(
            job_id,
            frm=S.RUNNING,
            to=S.FAILED,
            error=f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH],
            finished_at=timezone.now(),
        )
        return "failed"
    logger.info("export job %s ready: %s rows", job_id, count)
    return "ready"


def export_jobs_expire(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete the files of ready exports past their day and mark them expired; mark failed the
    jobs whose worker stopped (running longer than any run may take); hand the broker again the
    jobs still queued after `EXPORT_REQUEUE_AFTER` (the claim makes a second delivery harmless).
    Returns the counts.

    The file goes first, then the mark: if the sweep stops in between, the job stays ready with no
    file (its download answers 404) and the next sweep finishes it; it never leaves a file behind.
    """
    now = now or timezone.now()
    expired = 0
    due = ExportJob.objects.filter(status=S.READY, expires_at__lte=now).values_list("pk", "file_name")
    for job_id, name in due.iterator(chunk_size=CHUNK_SIZE):
        document_delete(name)
        if _move(job_id, frm=S.READY, to=S.EXPIRED, file_name=""):
            expired += 1
    stale = ExportJob.objects.filter(status=S.RUNNING, started_at__lt=now - EXPORT_STALE_AFTER).values_list(
        "pk", flat=True
    )
    stopped = sum(
        _move(
            job_id,
            frm=S.RUNNING,
            to=S.FAILED,
            error="The worker stopped before the export was finished.",
            finished_at=now,
        )
        for job_id in list(stale)
    )
    from connecting.reports.tasks import export_job_run_task

    waiting = list(
        ExportJob.objects.filter(status=S.QUEUED, created_at__lt=now - EXPORT_REQUEUE_AFTER).values_list(
            "pk", flat=True
        )
    )
    for job_id in waiting:
        export_job_run_task.delay(job_id=job_id)
    return {"expired": expired, "stopped": stopped, "requeued": len(waiting)}
