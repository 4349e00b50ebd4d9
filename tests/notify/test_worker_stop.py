"""The mail worker stopped with SIGTERM (systemd, a deploy) while the server is accepting a
message: it finishes that message, marks it sent and exits cleanly, so nothing is sent twice.

Found by bench/load.py: before, SIGTERM ended the worker at once, and a message the server had
accepted but the outbox had not yet marked sent was sent again by the next worker.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import threading
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from portal.extensions import db
from portal.notify.models import OutboxMessage

from ..clock import command

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 25
STOP_AT = 3  # the message during whose DATA the worker is told to stop


class _StoppingServer:
    """Records each message; on the STOP_AT-th, sends SIGTERM to the worker before the 250."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.worker: subprocess.Popen | None = None
        self.signalled = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.ids.append(str(message["Message-ID"]))
        if len(self.ids) == STOP_AT and self.worker is not None:
            self.worker.send_signal(signal.SIGTERM)  # arrives while it waits for our 250
            self.signalled.set()
        return "250 Message accepted for delivery"


def _worker(database_url: str, port: int, *extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "worker-stop-test",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_CLAIM_SECONDS": "1",
    }
    return subprocess.Popen(
        command("flask", "--app", "portal", "worker", "--interval", "0.2", *extra),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _unsent(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )


def test_sigterm_mid_send_finishes_the_message_and_sends_nothing_twice(app, database_url):
    from ..conftest import free_port

    with app.app_context():
        db.session.add_all(
            OutboxMessage(kind="test", to_address=f"p{i}@example.org", subject="s", body_text="b")
            for i in range(MESSAGES)
        )
        db.session.commit()
    handler = _StoppingServer()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        worker = _worker(database_url, controller.port)
        handler.worker = worker
        try:
            assert worker.wait(60) == 0, "the worker did not stop cleanly on SIGTERM"
        finally:
            if worker.poll() is None:
                worker.kill()
        assert handler.signalled.is_set()
        # The message in hand when the signal came was finished and marked sent.
        assert _unsent(app) == MESSAGES - len(handler.ids)
        assert len(handler.ids) >= STOP_AT

        handler.worker = None
        again = _worker(database_url, controller.port, "--once")
        assert again.wait(60) == 0
    finally:
        controller.stop()
    assert _unsent(app) == 0
    counts = Counter(handler.ids)
    assert len(counts) == MESSAGES
    assert max(counts.values()) == 1, counts
