import logging

from celery import shared_task

from connecting.surveys.services import survey_close_due

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def survey_close_due_task() -> None:
    """For beat, daily: close open surveys whose closing date has passed. Safe to run twice: a
    closed survey is left alone. (Answers already stop after the closing date without it; this
    makes the status say so.)"""
    closed = survey_close_due()
    if closed:
        logger.info("surveys closed after their closing date: %d", closed)
