import logging

from celery import shared_task

from connecting.selectors import WORKER_HEARTBEAT
from connecting.services import heartbeat_record

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def heartbeat_task() -> None:
    """Scheduled by beat; proves the broker, the worker and the database all work together."""
    heartbeat_record(name=WORKER_HEARTBEAT)


@shared_task
def echo_task(*, payload: str) -> dict:
    """A round trip through broker, worker and result backend, for health checks and tests."""
    logger.info("echo_task received %d characters", len(payload))
    return {"payload": payload, "length": len(payload)}
