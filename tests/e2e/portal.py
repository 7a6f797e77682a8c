"""The portal as the journeys see it: the live server, one Celery worker (with its beat) on a
queue of its own, the SMTP server it delivers to, browser contexts, screenshots and axe-core."""

import email
import re
import time
import uuid
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pytest
from django.db import connection

from tests.e2e.accessibility import AccessibilityLog
from tests.smtp_server import smtp_server
from tests.support import portal_env
from tests.test_outbox_worker import Workers


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Mail:
    to: list[str]
    subject: str
    text: str
    attachments: dict[str, bytes]

    def link(self, pattern: str) -> str:
        """The first link in the text whose address matches `pattern` (a regular expression)."""
        for url in re.findall(r"https?://[^\s<>\"]+", self.text):
            if re.search(pattern, url):
                return url
        raise AssertionError(f"No link matching {pattern!r} in {self.subject!r}:\n{self.text}")


def _parse(message: Message) -> Mail:
    text, attachments = "", {}
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if filename:
            attachments[filename] = part.get_payload(decode=True)
        elif part.get_content_type() == "text/plain" and not text:
            text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    to = [address for _name, address in email.utils.getaddresses(message.get_all("To", []))]
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    return Mail(to=to, subject=subject, text=text, attachments=attachments)


class Portal:
    def __init__(self, *, live_server_url, settings, redis_url, tmp_path: Path, artefacts: Path, browser):
        self.url = live_server_url
        self.settings, self.redis_url, self.tmp_path = settings, redis_url, tmp_path
        self.artefacts, self.browser = artefacts, browser
        self.accessibility = AccessibilityLog()
        self.contexts = []
        self.shots = 0

    # --- Processes ---------------------------------------------------------------------------

    def start(self) -> None:
        from connecting.celery import app

        self._mail = smtp_server()
        self.mail_handler, port = self._mail.__enter__()
        self.queue = f"e2e-{uuid.uuid4().hex[:8]}"
        # Links in e-mails point at the live server, whichever process renders them.
        self.settings.SITE_URL = self.url
        # The live server hands tasks to the worker through Redis, on the worker's own queue; the
        # producer caches its default queue, so the cached values are dropped (and again after).
        self.settings.CELERY_TASK_DEFAULT_QUEUE = self.queue
        app.conf.task_always_eager = False
        app.conf.task_default_queue = self.queue
        self._forget_cached_queue(app)
        env = portal_env(
            self.tmp_path,
            DATABASE_URL=_database_url(),
            REDIS_URL=self.redis_url,
            SECRET_KEY=self.settings.SECRET_KEY,
            EMAIL_URL=f"smtp://127.0.0.1:{port}",
            EMAIL_TIMEOUT="3",
            SITE_URL=self.url,
            CELERY_QUEUE=self.queue,
            OUTBOX_DISPATCH_SECONDS="1",
            HEARTBEAT_SECONDS="3600",
        )
        self.workers = Workers(self.tmp_path, env)
        self.workers.start()

    @staticmethod
    def _forget_cached_queue(app) -> None:
        for name in ("default_queue", "send_task_message", "queues", "router"):
            app.amqp.__dict__.pop(name, None)

    def stop(self, *, failed: bool) -> None:
        import redis

        from connecting.celery import app

        for context in self.contexts:
            context.close()
        self.workers.stop_all()
        if failed:
            (self.artefacts / "worker.log").write_text(self.workers.output())
        for log in self.workers.logs:
            log.close()
        self._mail.__exit__(None, None, None)
        app.conf.task_always_eager = True
        app.conf.task_default_queue = "celery"
        self._forget_cached_queue(app)
        redis.Redis.from_url(self.redis_url).delete(self.queue)

    # --- Browsers ----------------------------------------------------------------------------

    def new_page(self, *, javascript: bool = True):
        context = self.browser.new_context(
            base_url=self.url, java_script_enabled=javascript, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        page.javascript = javascript
        return page

    def visit(self, page, path: str):
        """Open `path` and check the page with axe-core."""
        response = page.goto(path)
        self.check(page)
        return response

    def check(self, page) -> None:
        """axe-core on the page as it stands (pages without JavaScript are checked where the
        journey with JavaScript visits the same page)."""
        if page.javascript:
            self.accessibility.check(page)

    def screenshot(self, page, name: str) -> None:
        self.shots += 1
        page.screenshot(path=self.artefacts / f"{self.shots:02d}-{name}.png", full_page=True)

    # --- Mail --------------------------------------------------------------------------------

    def wait_for_mail(self, *, to: str, subject: str, timeout: float = 30) -> Mail:
        """The first e-mail to `to` whose subject contains `subject`, once the worker sent it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.mail_handler.lock:
                messages = [_parse(m) for m in self.mail_handler.messages]
            for mail in messages:
                if to in mail.to and subject.lower() in mail.subject.lower():
                    return mail
            time.sleep(0.25)
        seen = [(m.to, m.subject) for m in messages]
        pytest.fail(
            f"No e-mail to {to} about {subject!r} within {timeout} s; received {seen}\n"
            f"{self.workers.output()[-3000:]}"
        )
