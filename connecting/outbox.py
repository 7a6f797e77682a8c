"""The outbox: every e-mail the portal sends is a row here first, then a Celery task sends it.

Why a table rather than sending from the task that decided to write:
- one message per idempotency key, whoever asks twice (a scheduler firing twice, two beats, a
  retried task): the key is unique in the database;
- at least once: a message is only "sent" once the mail server took it. A failure of the server
  is retried with exponential back-off; a worker that dies leaves the message "waiting" (handed
  over again after OUTBOX_REQUEUE_AFTER) or "sending" (sent again after OUTBOX_SENDING_TIMEOUT);
- the one window no SMTP system closes, the server accepting the message and the worker dying
  before it records so, is the "sending" case: such a message is flagged and logged as a
  possible duplicate. Each message carries a stable Message-ID, so a mail system can fold a
  duplicate into one.

States: pending -> sending -> sent; sending -> retrying -> sending ...; retrying -> failed after
OUTBOX_MAX_ATTEMPTS or at once on a permanent refusal (5xx); failed -> pending by the team's
retry. A non-essential message to someone who turned reminders off is stored as skipped.
"""

import hashlib
import logging
import random
import smtplib
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.mime.base import MIMEBase
from functools import partial
from urllib.parse import urlparse

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from connecting.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

S = OutboxStatus
UNSUBSCRIBE_SALT = "connecting.reminders.unsubscribe"
MAX_ERROR_LENGTH = 2000


# --- Writing a message -----------------------------------------------------------------------


def _render_plain_text(template_name: str, context: dict) -> str:
    # Plain text is not HTML: "St Columba's" must not arrive as "St Columba&#x27;s".
    return get_template(template_name).template.render(Context(context, autoescape=False))


def unsubscribe_token(user) -> str:
    """A signed, unexpiring token that turns off `user`'s reminders; in every non-essential e-mail."""
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_user_id(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    user_id = value.get("u") if isinstance(value, dict) else None
    return user_id if isinstance(user_id, int) else None


def unsubscribe_url(user) -> str:
    return settings.SITE_URL + reverse("accounts:unsubscribe", kwargs={"token": unsubscribe_token(user)})


def calendar_attachment(ics: bytes, method: str) -> dict:
    """An .ics invite (REQUEST) or cancellation (CANCEL), stored as the outbox keeps attachments."""
    return {
        "filename": "invite.ics" if method == "REQUEST" else "cancel.ics",
        "content_type": "text/calendar",
        "params": {"method": method},
        "content": ics.decode("utf-8"),
    }


def outbox_enqueue(
    *,
    key: str,
    kind: str,
    to: list[str],
    template_prefix: str,
    context: dict,
    recipient=None,
    essential: bool = True,
    attachments: Iterable[dict] = (),
) -> OutboxMessage | None:
    """Render `<prefix>_subject.txt`, `_message.txt` and `_message.html` into an outbox row under
    `key`, and hand it to a worker once the surrounding transaction commits.

    Returns None, writing nothing, when the key is already taken: the occasion has its e-mail.
    A non-essential message to a `recipient` who turned reminders off is stored as skipped, so
    the key is taken and the scheduler does not come back to it.
    """
    if not to:
        return None
    if OutboxMessage.objects.filter(idempotency_key=key).exists():
        return None
    skipped = not essential and recipient is not None and recipient.reminders_off_at is not None
    headers = {}
    context = {"service_name": settings.SERVICE_NAME, "site_url": settings.SITE_URL, **context}
    if not essential and recipient is not None:
        context["unsubscribe_url"] = unsubscribe_url(recipient)
        # RFC 8058 one-click unsubscribe: mail clients show their own "Unsubscribe" button.
        headers = {
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    subject = " ".join(_render_plain_text(f"{template_prefix}_subject.txt", context).split())
    now = timezone.now()
    fields = {
        "kind": kind,
        "essential": essential,
        "recipient": recipient,
        "to": list(to),
        "subject": f"{settings.SERVICE_NAME}: {subject}"[:400],
        "body_text": _render_plain_text(f"{template_prefix}_message.txt", context),
        "body_html": render_to_string(f"{template_prefix}_message.html", context),
        "headers": headers,
        "attachments": list(attachments),
        "status": S.SKIPPED if skipped else S.PENDING,
        "created_at": now,
        "next_attempt_at": now,
        "enqueued_at": None if skipped else now,
    }
    try:
        # A savepoint, so a key taken by a concurrent writer leaves the caller's transaction usable.
        with transaction.atomic():
            message = OutboxMessage.objects.create(idempotency_key=key, **fields)
    except IntegrityError:
        if OutboxMessage.objects.filter(idempotency_key=key).exists():
            return None
        raise
    if not skipped:
        transaction.on_commit(partial(_hand_to_worker, message.pk), robust=True)
    return message


def outbox_enqueue_email(*, key: str, kind: str, email: EmailMessage) -> OutboxMessage | None:
    """Store an e-mail another library rendered (allauth's account e-mails) and send it on commit.
    These are all essential: sign-in codes, address confirmations, password resets."""
    html = next(
        (content for content, mimetype in getattr(email, "alternatives", []) if mimetype == "text/html"), ""
    )
    now = timezone.now()
    message = OutboxMessage.objects.create(
        idempotency_key=key,
        kind=kind,
        to=list(email.to),
        subject=str(email.subject)[:400],
        body_text=email.body,
        body_html=html,
        created_at=now,
        next_attempt_at=now,
        enqueued_at=now,
    )
    transaction.on_commit(partial(_hand_to_worker, message.pk), robust=True)
    return message


def _hand_to_worker(message_id: int) -> None:
    from connecting.tasks import outbox_send_task

    outbox_send_task.delay(message_id=message_id)


# --- Sending ---------------------------------------------------------------------------------


def _message_id(message: OutboxMessage) -> str:
    domain = urlparse(settings.SITE_URL).hostname or "connecting.localhost"
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:20]
    return f"<outbox.{message.pk}.{digest}@{domain}>"


def outbox_email(message: OutboxMessage) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        to=message.to,
        headers={"Message-ID": _message_id(message), **message.headers},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments:
        maintype, subtype = attachment["content_type"].split("/", 1)
        part = MIMEBase(maintype, subtype, charset="utf-8", **attachment.get("params", {}))
        part.set_payload(attachment["content"], charset="utf-8")
        part.add_header("Content-Disposition", "attachment", filename=attachment["filename"])
        email.attach(part)
    return email


def is_transient(error: BaseException) -> bool:
    """A failure worth another try: the server was unreachable, busy or said 'try later' (4xx)."""
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _message in error.recipients.values())
    return isinstance(error, smtplib.SMTPException | OSError)


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off with jitter: base, 2 x base, 4 x base ... capped."""
    seconds = min(
        settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.OUTBOX_RETRY_MAX_SECONDS
    )
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def outbox_send(*, message_id: int) -> str:
    """Send one message if it is due and nobody else is sending it; returns what happened.

    The claim is one conditional UPDATE (committed at once), so two workers handed the same
    message cannot both send it. Only after the mail server accepted it is it marked sent.
    """
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        pk=message_id, status__in=(S.PENDING, S.RETRYING), next_attempt_at__lte=now
    ).update(status=S.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "not due"
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        outbox_email(message).send()
    except Exception as error:
        return _record_failure(message, error)
    OutboxMessage.objects.filter(pk=message.pk, status=S.SENDING, claimed_at=now).update(
        status=S.SENT, sent_at=timezone.now(), last_error=""
    )
    return "sent"


def _record_failure(message: OutboxMessage, error: Exception) -> str:
    description = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
    transient = is_transient(error)
    if transient and message.attempts < settings.OUTBOX_MAX_ATTEMPTS:
        OutboxMessage.objects.filter(pk=message.pk, status=S.SENDING).update(
            status=S.RETRYING,
            next_attempt_at=timezone.now() + retry_delay(message.attempts),
            enqueued_at=None,
            last_error=description,
        )
        logger.warning(
            "outbox %s: attempt %d failed, will retry: %s", message.pk, message.attempts, description
        )
        return "retrying"
    OutboxMessage.objects.filter(pk=message.pk, status=S.SENDING).update(
        status=S.FAILED, last_error=description
    )
    logger.error("outbox %s failed after %d attempts: %s", message.pk, message.attempts, description)
    if not transient:
        # Not the mail server's weather: a bug or a refused address. Say so loudly.
        logger.exception("outbox %s: permanent failure", message.pk, exc_info=error)
    return "failed"


# --- Keeping every message moving --------------------------------------------------------------


def outbox_dispatch(*, now: datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Hand due messages to the workers: new ones nobody handed over, retries whose time came,
    and ones whose worker died ("sending" for longer than OUTBOX_SENDING_TIMEOUT).

    Rows are claimed with SKIP LOCKED, so two dispatchers at once share the work instead of
    doubling it; a message handed over twice is still sent once (see `outbox_send`).
    """
    now = now or timezone.now()
    stale_hand_over = now - timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER)
    with transaction.atomic():
        stranded = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=S.SENDING, claimed_at__lt=now - timedelta(seconds=settings.OUTBOX_SENDING_TIMEOUT))
            .values_list("pk", "idempotency_key")[:limit]
        )
        for pk, key in stranded:
            logger.warning(
                "outbox %s (%s): its worker stopped while sending; sending again, a possible duplicate",
                pk,
                key,
            )
        if stranded:
            OutboxMessage.objects.filter(pk__in=[pk for pk, _key in stranded]).update(
                status=S.RETRYING, possible_duplicate=True, next_attempt_at=now, enqueued_at=None
            )
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status__in=(S.PENDING, S.RETRYING), next_attempt_at__lte=now)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale_hand_over))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if due:
            OutboxMessage.objects.filter(pk__in=due).update(enqueued_at=now)
            transaction.on_commit(partial(_hand_all_to_workers, due), robust=True)
    return {"handed_over": len(due), "stranded": len(stranded)}


def _hand_all_to_workers(message_ids: list[int]) -> None:
    for message_id in message_ids:
        _hand_to_worker(message_id)


@transaction.atomic
def outbox_retry(*, message: OutboxMessage, by) -> OutboxMessage:
    """The programme team sends a failed or retrying message again, now."""
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if message.status not in (S.FAILED, S.RETRYING):
        raise ValidationError(
            _("This message is %(status)s, so it cannot be retried.")
            % {"status": message.get_status_display().lower()}
        )
    message.status = S.PENDING
    message.next_attempt_at = timezone.now()
    message.enqueued_at = timezone.now()
    message.save(update_fields=["status", "next_attempt_at", "enqueued_at"])
    logger.info("outbox %s retried by user %s", message.pk, getattr(by, "pk", None))
    transaction.on_commit(partial(_hand_to_worker, message.pk), robust=True)
    return message
