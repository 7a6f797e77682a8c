"""The outbox: one message per key, sent at least once, retried with back-off, never lost.

Sending goes to a real SMTP server on the loopback (aiosmtpd), so a refusal is the mail
server's own answer, not a mock's.
"""

import datetime
import logging
import threading

import pytest
from django.core import mail
from django.utils import timezone

from connecting.models import OutboxMessage, OutboxStatus
from connecting.outbox import (
    is_transient,
    outbox_dispatch,
    outbox_enqueue,
    outbox_retry,
    outbox_send,
    retry_delay,
    unsubscribe_user_id,
)
from tests.factories import ParticipantFactory
from tests.smtp_server import smtp_server
from tests.support import run_at_once

S = OutboxStatus


def _enqueue(key="test:1", **extra):
    fields = {
        "key": key,
        "kind": "test",
        "to": ["aisha@dhsc.gov.uk"],
        "template_prefix": "placements/email/booking",
        "context": {"notice": {"subject": "Hello", "lines": ["First line", "Second line"]}},
    }
    fields.update(extra)
    return outbox_enqueue(**fields)


@pytest.fixture
def real_smtp(settings):
    with smtp_server() as (handler, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_TIMEOUT = 5
        yield handler


def test_enqueue_renders_and_stores_one_message_per_key(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _enqueue()
        second = _enqueue()

    assert second is None
    assert list(OutboxMessage.objects.values_list("idempotency_key", "status", "attempts")) == [
        ("test:1", S.SENT, 1)
    ]
    assert first.subject == "Connecting: Hello"
    assert first.body_text.startswith("First line\n\nSecond line\n")
    assert [m.subject for m in mail.outbox] == ["Connecting: Hello"]


def test_enqueue_sends_only_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _enqueue()

    assert mail.outbox == []
    assert OutboxMessage.objects.get().status == S.PENDING
    assert len(callbacks) == 1


def test_sent_message_carries_a_stable_message_id_and_its_attachment(db):
    message = _enqueue(
        attachments=[
            {
                "filename": "invite.ics",
                "content_type": "text/calendar",
                "params": {"method": "REQUEST"},
                "content": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            }
        ]
    )

    assert outbox_send(message_id=message.pk) == "sent"

    (sent,) = mail.outbox
    message_id = sent.extra_headers["Message-ID"]
    assert message_id.startswith(f"<outbox.{message.pk}.") and message_id.endswith("@testserver>")
    part = sent.attachments[0]
    assert (part.get_content_type(), part.get_param("method"), part.get_filename()) == (
        "text/calendar",
        "REQUEST",
        "invite.ics",
    )


def test_sending_twice_sends_once(db):
    message = _enqueue()

    assert [outbox_send(message_id=message.pk), outbox_send(message_id=message.pk)] == ["sent", "not due"]
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (S.SENT, 1)


def test_a_mail_server_outage_is_retried_with_back_off_until_it_recovers(
    db, real_smtp, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    message = _enqueue()
    real_smtp.refuse_with = "451 4.3.0 Try again later"

    assert outbox_send(message_id=message.pk) == "retrying"
    message.refresh_from_db()
    assert (message.status, message.attempts) == (S.RETRYING, 1)
    assert "451" in message.last_error
    first_wait = (message.next_attempt_at - timezone.now()).total_seconds()
    assert 20 < first_wait <= 36  # 30 s, with jitter
    # Not yet due: a dispatcher or a stray task leaves it alone.
    assert outbox_send(message_id=message.pk) == "not due"
    assert outbox_dispatch()["handed_over"] == 0

    later = message.next_attempt_at + datetime.timedelta(seconds=1)
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbox_send(message_id=message.pk) == "retrying"
    message.refresh_from_db()
    assert 2 * 20 < (message.next_attempt_at - timezone.now()).total_seconds() <= 2 * 36  # doubled

    real_smtp.refuse_with = None
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_dispatch(now=later)["handed_over"] == 1  # eager here: the dispatcher's task sends it
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (S.SENT, 3, "")
    assert real_smtp.refused == 2
    assert len(real_smtp.received()) == 1


def test_a_permanent_refusal_fails_at_once(db, real_smtp):
    message = _enqueue()
    real_smtp.refuse_with = "550 5.1.1 No such mailbox"

    assert outbox_send(message_id=message.pk) == "failed"

    message.refresh_from_db()
    assert (message.status, message.attempts) == (S.FAILED, 1)
    assert "550" in message.last_error


def test_an_unreachable_mail_server_fails_after_the_last_attempt(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    settings.OUTBOX_MAX_ATTEMPTS = 3
    message = _enqueue()

    outcomes = []
    for _attempt in range(3):
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        outcomes.append(outbox_send(message_id=message.pk))

    assert outcomes == ["retrying", "retrying", "failed"]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (S.FAILED, 3)
    assert "ConnectionRefusedError" in message.last_error


def test_transient_and_permanent_failures_are_told_apart():
    import smtplib

    assert is_transient(smtplib.SMTPServerDisconnected("gone"))
    assert is_transient(smtplib.SMTPDataError(451, b"later"))
    assert is_transient(ConnectionRefusedError())
    assert is_transient(TimeoutError())
    assert not is_transient(smtplib.SMTPDataError(554, b"rejected"))
    assert not is_transient(smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"unknown")}))
    assert is_transient(smtplib.SMTPRecipientsRefused({"x@example.org": (452, b"mailbox full")}))
    assert not is_transient(ValueError("a bug"))


def test_back_off_doubles_and_is_capped(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS = 30, 600

    waits = [retry_delay(attempts).total_seconds() for attempts in (1, 2, 3, 4, 5, 9)]

    for wait, expected in zip(waits, [30, 60, 120, 240, 480, 600], strict=True):
        assert expected * 0.8 <= wait <= expected * 1.2


def test_a_message_whose_worker_died_while_sending_is_sent_again_and_logged_as_a_possible_duplicate(
    db, settings, caplog, django_capture_on_commit_callbacks
):
    settings.OUTBOX_SENDING_TIMEOUT = 600
    message = _enqueue()
    claimed = timezone.now() - datetime.timedelta(seconds=601)
    OutboxMessage.objects.filter(pk=message.pk).update(status=S.SENDING, claimed_at=claimed, attempts=1)

    with (
        caplog.at_level(logging.WARNING, logger="connecting.outbox"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert outbox_dispatch() == {"handed_over": 1, "stranded": 1}

    message.refresh_from_db()
    assert (message.status, message.attempts, message.possible_duplicate) == (S.SENT, 2, True)
    assert [r.getMessage() for r in caplog.records if "possible duplicate" in r.getMessage()] == [
        f"outbox {message.pk} (test:1): its worker stopped while sending; sending again, a possible duplicate"
    ]
    assert len(mail.outbox) == 1


def test_a_message_sending_for_less_than_the_timeout_is_left_to_its_worker(db, settings):
    settings.OUTBOX_SENDING_TIMEOUT = 600
    message = _enqueue()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=S.SENDING, claimed_at=timezone.now() - datetime.timedelta(seconds=500)
    )

    assert outbox_dispatch() == {"handed_over": 0, "stranded": 0}
    assert OutboxMessage.objects.get().status == S.SENDING


def test_a_waiting_message_whose_hand_over_was_lost_is_handed_over_again(
    db, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_REQUEUE_AFTER = 300
    message = _enqueue()  # its on-commit hand-over never runs: as if the broker was down
    assert outbox_dispatch() == {"handed_over": 0, "stranded": 0}  # handed over just now

    OutboxMessage.objects.filter(pk=message.pk).update(
        enqueued_at=timezone.now() - datetime.timedelta(seconds=301)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_dispatch() == {"handed_over": 1, "stranded": 0}

    assert OutboxMessage.objects.get().status == S.SENT
    assert len(mail.outbox) == 1


def test_a_non_essential_message_to_someone_who_turned_reminders_off_is_stored_not_sent(
    db, django_capture_on_commit_callbacks
):
    person = ParticipantFactory(reminders_off_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        reminder = _enqueue(key="reminder:1", recipient=person, essential=False, to=[person.email])
        essential = _enqueue(key="booking:1", recipient=person, essential=True, to=[person.email])

    assert (reminder.status, essential.status) == (S.SKIPPED, S.PENDING)
    assert OutboxMessage.objects.get(pk=essential.pk).status == S.SENT
    assert [m.to for m in mail.outbox] == [[person.email]]


def test_a_reminder_carries_a_signed_unsubscribe_link_and_one_click_headers(db):
    person = ParticipantFactory()

    message = _enqueue(key="reminder:2", recipient=person, essential=False, to=[person.email])

    url = message.headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://testserver/account/reminders/unsubscribe/")
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.body_text and url in message.body_html
    token = url.rstrip("/").rsplit("/", 1)[-1]
    assert unsubscribe_user_id(token) == person.pk
    assert unsubscribe_user_id(token[:-2] + "xx") is None


def test_the_team_can_retry_a_failed_message(db, django_capture_on_commit_callbacks, programme_team_member):
    message = _enqueue()
    OutboxMessage.objects.filter(pk=message.pk).update(status=S.FAILED, attempts=10, last_error="550")

    with django_capture_on_commit_callbacks(execute=True):
        outbox_retry(message=message, by=programme_team_member)

    message.refresh_from_db()
    assert (message.status, message.attempts) == (S.SENT, 11)
    assert len(mail.outbox) == 1


def test_a_sent_message_cannot_be_retried(db, programme_team_member):
    from django.core.exceptions import ValidationError

    message = _enqueue()
    outbox_send(message_id=message.pk)

    with pytest.raises(ValidationError, match="This message is sent, so it cannot be retried."):
        outbox_retry(message=message, by=programme_team_member)
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_eight_writers_of_one_key_at_once_leave_one_message(postgres):
    results = run_at_once(lambda: _enqueue(key="race:1"), threads=8)

    assert all(result is None or isinstance(result, OutboxMessage) for result in results), results
    assert sum(result is not None for result in results) == 1
    assert OutboxMessage.objects.filter(idempotency_key="race:1").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_hand_each_message_over_once(postgres, settings):
    from connecting.celery import app

    app.conf.task_always_eager = False  # count hand-overs, not sends
    handed: list[int] = []
    lock = threading.Lock()
    from connecting import outbox as outbox_module

    original = outbox_module._hand_to_worker

    def record(message_id):
        with lock:
            handed.append(message_id)

    outbox_module._hand_to_worker = record
    try:
        ids = [_enqueue(key=f"dispatch:{n}").pk for n in range(40)]
        OutboxMessage.objects.update(enqueued_at=None)
        handed.clear()
        dispatched = run_at_once(outbox_dispatch, threads=2)
    finally:
        outbox_module._hand_to_worker = original
        app.conf.task_always_eager = True

    assert sorted(handed) == sorted(ids)
    assert sum(result["handed_over"] for result in dispatched) == 40
