"""Reminders end to end with real processes: Celery workers with their own beat on Redis,
PostgreSQL, and a real SMTP server on the loopback. Nothing is mocked.

The intervals are shortened through the environment (dispatch every second, a message
"sending" for 8 s counts as stranded) so that recoveries happen within the test.
"""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from connecting.models import OutboxMessage, OutboxStatus
from connecting.outbox import outbox_email
from tests.smtp_server import smtp_server
from tests.support import BASE_DIR, portal_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.postgres]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    """Starts, kills and stops worker processes, each with its own embedded beat."""

    def __init__(self, tmp_path, env):
        self.tmp_path, self.env = tmp_path, env
        self.processes: list[subprocess.Popen] = []
        self.logs = []

    def start(self) -> subprocess.Popen:
        number = len(self.processes)
        log = open(self.tmp_path / f"worker-{number}.log", "w+")  # noqa: SIM115 - closed in stop_all
        env = {**self.env, "CELERY_BEAT_SCHEDULE_FILENAME": str(self.tmp_path / f"beat-{number}")}
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "connecting", "worker", "--beat", "--pool=prefork",
             "--concurrency=2", "--loglevel=INFO", "-n", f"outbox-{number}-{uuid.uuid4().hex[:6]}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.processes.append(process)
        self.logs.append(log)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the worker, its pool and its beat at once: no chance to finish or acknowledge."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def output(self) -> str:
        text = []
        for log in self.logs:
            log.flush()
            log.seek(0)
            text.append(log.read())
        return "\n".join(text)


@pytest.fixture
def mail_server():
    with smtp_server() as (handler, port):
        yield handler, port


@pytest.fixture
def workers(tmp_path, redis_url, postgres, mail_server):
    from connecting.celery import app

    app.conf.task_always_eager = False
    _handler, port = mail_server
    queue = f"outbox-test-{uuid.uuid4().hex[:8]}"
    env = portal_env(
        tmp_path,
        DATABASE_URL=_database_url(),
        REDIS_URL=redis_url,
        EMAIL_URL=f"smtp://127.0.0.1:{port}",
        EMAIL_TIMEOUT="3",
        SITE_URL="http://testserver",
        CELERY_QUEUE=queue,
        OUTBOX_DISPATCH_SECONDS="1",
        REMINDERS_SCHEDULE_SECONDS="2",
        OUTBOX_SEND_TIME_LIMIT="6",
        OUTBOX_SENDING_TIMEOUT="8",
        OUTBOX_REQUEUE_AFTER="10",
        OUTBOX_RETRY_BASE_SECONDS="1",
        OUTBOX_RETRY_MAX_SECONDS="4",
        HEARTBEAT_SECONDS="3600",
    )
    running = Workers(tmp_path, env)
    yield running
    running.stop_all()
    import redis

    redis.Redis.from_url(redis_url).delete(queue)
    for log in running.logs:
        log.close()


def _confirmed_visits_due_a_week_reminder(count: int) -> list[int]:
    """`count` confirmed visits starting in just under a week, created in bulk."""
    from connecting.accounts.models import User
    from placements.models import Booking, BookingStatus
    from tests.factories import SlotFactory

    starts_at = timezone.now() + timezone.timedelta(days=7) - timezone.timedelta(hours=1)
    slots = [
        SlotFactory(starts_at=starts_at, ends_at=starts_at + timezone.timedelta(hours=8), capacity=100)
        for _ in range(max(count // 100, 1))
    ]
    tag = uuid.uuid4().hex[:6]
    people = User.objects.bulk_create(
        User(email=f"visitor{n}-{tag}@dhsc.gov.uk", full_name=f"Visitor {n}") for n in range(count)
    )
    bookings = Booking.objects.bulk_create(
        Booking(
            slot=slots[n % len(slots)],
            participant=person,
            programme=slots[n % len(slots)].opportunity.programmes.first(),
            status=BookingStatus.CONFIRMED,
        )
        for n, person in enumerate(people)
    )
    return [booking.pk for booking in bookings]


def _wait_for(condition, *, timeout: float, what: str, workers: Workers):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    pytest.fail(f"{what} did not happen within {timeout} s\n{workers.output()[-4000:]}")


def _statuses() -> dict[str, int]:
    from django.db.models import Count

    return dict(
        OutboxMessage.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )


def test_a_reminder_goes_from_schedule_to_outbox_to_the_mail_server(workers, mail_server):
    handler, _port = mail_server
    (booking_id,) = _confirmed_visits_due_a_week_reminder(1)

    workers.start()
    _wait_for(
        lambda: len(handler.received()) == 1, timeout=90, what="the reminder's delivery", workers=workers
    )

    message = OutboxMessage.objects.get()
    assert (message.idempotency_key.split(":")[:2], message.status, message.attempts) == (
        ["reminder.visit_week", str(booking_id)],
        OutboxStatus.SENT,
        1,
    )
    (received,) = handler.messages
    assert received["Message-ID"] == outbox_email(message).extra_headers["Message-ID"]
    assert received["Subject"] == message.subject
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_mail_server_outage_delays_reminders_but_loses_and_doubles_none(workers, mail_server):
    handler, _port = mail_server
    _confirmed_visits_due_a_week_reminder(20)
    handler.refuse_with = "451 4.3.0 Mail server busy, try again later"

    workers.start()
    _wait_for(lambda: handler.refused >= 20, timeout=90, what="20 refusals", workers=workers)
    assert handler.received() == []
    handler.refuse_with = None
    _wait_for(lambda: _statuses() == {"sent": 20}, timeout=120, what="every reminder sent", workers=workers)

    received = handler.received()
    assert len(received) == len(set(received)) == 20
    assert OutboxMessage.objects.filter(attempts__gt=1).count() >= 1
    assert not OutboxMessage.objects.filter(possible_duplicate=True).exists()


def test_a_thousand_reminders_survive_three_killed_workers_and_two_beats(workers, mail_server):
    """1,000 reminders due; two workers, each with its own beat; a worker SIGKILLed three times
    mid-run and started again. Every reminder is delivered; any duplicate is a logged possible one."""
    handler, _port = mail_server
    _confirmed_visits_due_a_week_reminder(1000)
    started = time.monotonic()

    survivor = workers.start()
    victim = workers.start()
    for delivered in (150, 400, 650):
        _wait_for(
            lambda d=delivered: len(handler.received()) >= d,
            timeout=180,
            what=f"{delivered} deliveries",
            workers=workers,
        )
        workers.kill(victim)
        victim = workers.start()

    _wait_for(
        lambda: _statuses() == {"sent": 1000} and len(set(handler.received())) == 1000,
        timeout=300,
        what="all 1,000 reminders sent",
        workers=workers,
    )
    elapsed = time.monotonic() - started
    received = handler.received()
    duplicates = len(received) - len(set(received))
    flagged = OutboxMessage.objects.filter(possible_duplicate=True).count()
    logged = workers.output().count("a possible duplicate")

    expected_ids = {outbox_email(m).extra_headers["Message-ID"] for m in OutboxMessage.objects.all()}
    assert set(received) == expected_ids
    assert OutboxMessage.objects.values("idempotency_key").distinct().count() == 1000
    assert duplicates <= flagged <= logged
    assert survivor.poll() is None
    print(
        f"\n1,000 reminders, 3 SIGKILLs, 2 beats: delivered {len(set(received))}, "
        f"received {len(received)}, duplicates {duplicates}, flagged possible duplicates {flagged}, "
        f"logged {logged}, {elapsed:.0f} s"
    )


def _kill_while_the_mail_server_holds(workers: Workers, hold, handler) -> None:
    """Start a worker, let it claim the one message and reach the mail server, which holds the
    conversation; SIGKILL the worker there, release the server and start a fresh worker."""
    hold.set()
    worker = workers.start()
    _wait_for(
        lambda: handler.held >= 1, timeout=90, what="the send reaching the mail server", workers=workers
    )
    assert _statuses() == {"sending": 1}
    workers.kill(worker)
    hold.clear()
    workers.start()
    _wait_for(lambda: _statuses() == {"sent": 1}, timeout=90, what="the message sent again", workers=workers)


def test_a_worker_killed_before_the_mail_server_took_the_message_leads_to_one_delivery(workers, mail_server):
    handler, _port = mail_server
    _confirmed_visits_due_a_week_reminder(1)

    _kill_while_the_mail_server_holds(workers, handler.hold_before_accepting, handler)

    message = OutboxMessage.objects.get()
    assert len(handler.received()) == 1
    # The portal cannot tell this case from the next one, so it flags both.
    assert (message.attempts, message.possible_duplicate) == (2, True)


def test_a_worker_killed_after_the_mail_server_took_the_message_is_a_logged_possible_duplicate(
    workers, mail_server
):
    handler, _port = mail_server
    _confirmed_visits_due_a_week_reminder(1)

    _kill_while_the_mail_server_holds(workers, handler.hold_after_accepting, handler)

    message = OutboxMessage.objects.get()
    received = handler.received()
    assert len(received) == 2 and len(set(received)) == 1  # the same Message-ID twice
    assert (message.attempts, message.possible_duplicate) == (2, True)
    assert (
        f"outbox {message.pk} ({message.idempotency_key}): its worker stopped while sending"
        in workers.output()
    )
