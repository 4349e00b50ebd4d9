"""Helpers for the tests of offers by text: volunteers with mobiles, offers made and texted,
the tick, and what the loopback Notify was asked to send."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from portal.accompaniment import offers
from portal.audit import utcnow
from portal.jobs import run_tick
from portal.notify.texts import text_due_at

from ..factories import give_mobile
from .scene import fresh, scene

MOBILES = ["07700 900123", "07700 900456", "07700 900789"]


def e164(mobile: str) -> str:
    return "+44" + mobile.replace(" ", "")[1:]


@pytest.fixture
def in_hours(app, clock):
    """Move the clock into service hours, when offers' texts go at once."""
    with app.app_context():
        now = utcnow()
        due = text_due_at(now)
    if due > now:
        clock.move_to(due + timedelta(minutes=5))


def tick(app) -> None:
    """The tick, twice: a text answered during one tick goes out with the next one's outbox."""
    with app.app_context():
        run_tick()
        run_tick()


def texted(server, mobile: str) -> list[str]:
    return [text["body"] for text in server.texts_to(e164(mobile))]


def offered(app, s, count: int | None = None, request_id: int | None = None) -> list:
    """Offers made by the champion and texted, as (id, reply_code, expires_at)."""
    volunteers = s.volunteers[:count] if count else s.volunteers
    with app.app_context():
        made = offers.make_offers(
            request_id or s.request.id, [v.id for v in volunteers], fresh(s.champion)
        )
        made = [
            SimpleNamespace(id=o.id, reply_code=o.reply_code, expires_at=o.expires_at) for o in made
        ]
    tick(app)  # the offers' texts go out before any answer comes in
    return made


def with_mobiles(n: int = 1, **kwargs):
    s = scene(n, **kwargs)
    for user, mobile in zip(s.users, MOBILES, strict=False):
        give_mobile(user, mobile)
    return s
