"""A real SMTP server on the loopback for the outbox tests (aiosmtpd), that can be told to
refuse mail for a while, as a provider's outage would."""

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

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            if self.refuse_with:
                self.refused += 1
                return self.refuse_with
            message = email.message_from_bytes(envelope.content)
            self.messages.append(message)
            self.message_ids.append(message["Message-ID"])
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
