"""The mail worker killed mid-send and restarted: nothing is lost, nothing is sent twice except
the one copy a crash after the server's acceptance cannot avoid, and that copy carries the same
Message-ID so the receiving side can drop it.

The worker runs as its own process (`flask --app portal worker`), talks SMTP to a real server on
loopback, and is killed with SIGKILL at a chosen point of the conversation.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from portal.auth.models import User
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.notify.services import message_id, notify_user

from ..clock import command
from ..factories import make_user
from ..mail import _Collector

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 5
HOLD_AT = 3  # the conversation the worker is killed in


class _GatedServer(_Collector):
    """Records accepted mail; holds one conversation at RCPT or after DATA until released."""

    def __init__(self, stage: str) -> None:
        super().__init__()
        self.stage = stage
        self.seen = Counter()
        self.reached = threading.Event()
        self.release = threading.Event()

    async def _hold(self, stage: str) -> None:
        self.seen[stage] += 1
        if stage == self.stage and self.seen[stage] == HOLD_AT:
            self.reached.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        await self._hold("rcpt")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        # Like a real server, the message is stored before the 250 goes back.
        reply = await super().handle_DATA(server, session, envelope)
        await self._hold("data")
        return reply


def _queue(app) -> set[str]:
    """Safety messages, which always go by email; returns their Message-IDs."""
    users = [make_user(roles=("champion",)) for _ in range(MESSAGES)]
    with app.app_context():
        for user in users:
            person = db.session.get(User, user.id)
            notify_user(person, "help_requested", "A volunteer asked for help", urgent=True)
        db.session.commit()
        return {message_id(m) for m in db.session.scalars(select(OutboxMessage))}


def _unsent(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )


def _start_worker(database_url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "worker-crash-test",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        # a message held by a dead worker is retried after a second, not five minutes
        "MAIL_CLAIM_SECONDS": "1",
    }
    return subprocess.Popen(
        command("flask", "--app", "portal", "worker", "--interval", "0.2"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def gated(request):
    from ..conftest import free_port

    handler = _GatedServer(request.param)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    handler.release.set()
    controller.stop()


def _crash_and_restart(app, database_url: str, controller, handler) -> set[str]:
    expected = _queue(app)
    worker = _start_worker(database_url, controller.port)
    try:
        assert handler.reached.wait(60), "the worker never reached the held conversation"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    handler.release.set()
    # Killed mid-send: what was not marked sent stays in the outbox.
    assert _unsent(app) == MESSAGES - (HOLD_AT - 1)

    restarted = _start_worker(database_url, controller.port)
    try:
        _wait(lambda: _unsent(app) == 0)
    finally:
        restarted.terminate()
        restarted.wait(10)
    return expected


@pytest.mark.parametrize("gated", ["rcpt"], indirect=True)
def test_killed_during_the_conversation_every_message_arrives_once(app, database_url, gated):
    controller, handler = gated
    expected = _crash_and_restart(app, database_url, controller, handler)

    received = Counter(str(m["Message-ID"]) for m in handler.messages)
    assert set(received) == expected
    assert all(count == 1 for count in received.values())


@pytest.mark.parametrize("gated", ["data"], indirect=True)
def test_killed_after_the_server_accepted_the_resent_copy_has_the_same_id(app, database_url, gated):
    controller, handler = gated
    expected = _crash_and_restart(app, database_url, controller, handler)

    received = Counter(str(m["Message-ID"]) for m in handler.messages)
    assert set(received) == expected  # nothing lost
    # The worker died between the server's 250 and its own commit: that one message comes
    # again, under the same Message-ID; every other arrives once.
    assert sorted(received.values()) == [1] * (MESSAGES - 1) + [2]
