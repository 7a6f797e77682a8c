"""A real SMTP server on the loopback for the outbox tests (aiosmtpd), that can be told to
refuse mail for a while, as a provider's outage would."""

import asyncio
import email
import socket
import threading
from contextlib import contextmanager

from aiosmtpd.controller import Controller


class RecordingHandler:
    def __init__(self):
        self.lock = threading.Lock()
        self.message_ids: list[str] = []
        self.messages: list[email.message.Message] = []
        self.refuse_with: str | None = None  # e.g. "451 4.3.0 Try again later"
        self.refused = 0
        # While set, the server holds each conversation: before it has the message (at RCPT),
        # or after it has recorded it but before it says "250 OK".
        self.hold_before_accepting = threading.Event()
        self.hold_after_accepting = threading.Event()
        self.held = 0

    async def _hold(self, event: threading.Event) -> None:
        if event.is_set():
            with self.lock:
                self.held += 1
        while event.is_set():
            await asyncio.sleep(0.1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        await self._hold(self.hold_before_accepting)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            if self.refuse_with:
                self.refused += 1
                return self.refuse_with
            message = email.message_from_bytes(envelope.content)
            self.messages.append(message)
            self.message_ids.append(message["Message-ID"])
        await self._hold(self.hold_after_accepting)
        return "250 OK"

    def received(self) -> list[str]:
        with self.lock:
            return list(self.message_ids)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_server():
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()
