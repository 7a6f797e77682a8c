"""The reminder scheduler: every few minutes beat runs `reminders_schedule`, which reads from the
database what is due and writes it into the outbox.

Nothing is parked in the broker for later (an ETA task can run twice after Redis's visibility
timeout, or be lost with the broker): the database says what is due, and each occasion's
outbox key says whether it was already written. So the scheduler may fire twice, run in two
beats at once, or come back from an outage, and each reminder is still written once.
"""

import datetime

from django.utils import timezone

from debriefs.services.reminders import debrief_reminders_write, weekly_digest_write
from placements.services.reminders import (
    offer_reminders_write,
    request_reminders_write,
    visit_reminders_write,
)

SCHEDULE = {
    "visits": visit_reminders_write,
    "unanswered_requests": request_reminders_write,
    "offers": offer_reminders_write,
    "debriefs": debrief_reminders_write,
    "digests": weekly_digest_write,
}


def reminders_schedule(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Write every reminder due at `now` (default: now) into the outbox; returns how many of each."""
    now = now or timezone.now()
    return {name: write(now=now) for name, write in SCHEDULE.items()}
