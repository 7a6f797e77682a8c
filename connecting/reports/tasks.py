import logging

from celery import shared_task

from connecting.reports.services import (
    EXPORT_SOFT_TIME_LIMIT,
    EXPORT_TIME_LIMIT,
    export_job_run,
    export_jobs_expire,
)

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True, soft_time_limit=EXPORT_SOFT_TIME_LIMIT, time_limit=EXPORT_TIME_LIMIT)
def export_job_run_task(*, job_id: int) -> None:
    """Produce one export asked for on the exports page. Safe to run twice: only the run that
    claims the queued job writes it; a job already running, ready, failed or gone is left alone."""
    outcome = export_job_run(job_id=job_id)
    logger.info("export job %s: %s", job_id, outcome)


@shared_task(ignore_result=True)
def export_jobs_expire_task() -> None:
    """Scheduled by beat: delete expired export files, fail stopped jobs, requeue stranded ones."""
    counts = export_jobs_expire()
    if any(counts.values()):
        logger.info("export jobs swept: %s", counts)
