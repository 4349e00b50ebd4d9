"""A real SMTP server on loopback (aiosmtpd), so tests hold an actual SMTP conversation."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage

from aiosmtpd.controller import Controller

LINK_RE = re.compile(r"https?://\S+")


class _Collector:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self) -> None:
        from .conftest import free_port

        self.host = "127.0.0.1"
        self.port = free_port()
        self.handler = _Collector()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def start(self) -> None:
        """Listen on the same port each time, like a mail server coming back after an outage."""
        self.controller = Controller(self.handler, hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def text(message: EmailMessage) -> str:
        return message.get_body(("plain",)).get_content()

    def link_in_last(self, address: str) -> str:
        messages = self.to(address)
        assert messages, f"no email reached {address}"
        match = LINK_RE.search(self.text(messages[-1]))
        assert match, "the email carries no link"
        return match.group(0)
