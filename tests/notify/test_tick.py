"""The tick: each time-based message exactly once, with frozen and moved clocks."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.accompaniment.models import AccompanimentRequest
from portal.extensions import db
from portal.jobs import run_tick
from portal.notify.models import Notification, OutboxMessage

from ..clock import for_children
from ..factories import (
    make_client,
    make_meeting,
    make_request,
    make_safeguarding_item,
    make_user,
    make_volunteer,
)


def _count(app, **filters) -> int:
    with app.app_context():
        statement = select(func.count()).select_from(Notification)
        for name, value in filters.items():
            statement = statement.where(getattr(Notification, name) == value)
        return db.session.scalar(statement)


def _tick(app, now):
    with app.app_context():
        return run_tick(now)


def _starts(app, request_id) -> datetime:
    with app.app_context():
        return db.session.get(AccompanimentRequest, request_id).starts_at


def test_unfilled_alert_is_sent_once_within_48_hours(app):
    champions = [make_user(roles=("champion",)) for _ in range(2)]
    keyworker = make_user(roles=("keyworker",))
    request = make_request(make_client(keyworker), make_meeting(), weeks_ahead=1)
    starts = _starts(app, request.id)
    _tick(app, starts - timedelta(hours=72))
    assert _count(app, kind="request_unfilled") == 0
    _tick(app, starts - timedelta(hours=47))
    _tick(app, starts - timedelta(hours=46))
    _tick(app, starts - timedelta(hours=2))
    assert _count(app, kind="request_unfilled") == 2
    for champion in champions:
        assert _count(app, kind="request_unfilled", user_id=champion.id) == 1
    with app.app_context():
        emails = db.session.scalar(
            select(func.count()).where(OutboxMessage.kind == "request_unfilled")
        )
    assert emails == 2  # urgent: always by email, once each


def test_request_becomes_unfilled_once_its_meeting_passes(app):
    make_user(roles=("champion",))
    keyworker = make_user(roles=("keyworker",))
    request = make_request(make_client(keyworker), make_meeting(), weeks_ahead=1)
    starts = _starts(app, request.id)
    _tick(app, starts + timedelta(minutes=1))
    _tick(app, starts + timedelta(days=1))  # after a gap: nothing more
    with app.app_context():
        row = db.session.get(AccompanimentRequest, request.id)
        assert row.state == "unfilled"
        assert [e.to_state for e in row.events].count("unfilled") == 1


def test_weekly_checks_digest(app):
    champion = make_user(roles=("champion",))
    volunteer_user = make_user(roles=("volunteer",))
    volunteer = make_volunteer(volunteer_user, status="approved")
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    make_safeguarding_item(
        volunteer, "training", issued_on=date(2024, 1, 1), expires_on=date(2026, 12, 10)
    )
    _tick(app, now)
    _tick(app, now + timedelta(hours=3))  # same week: nothing new
    assert _count(app, kind="checks_expiring", user_id=champion.id) == 1
    assert _count(app, kind="checks_expiring", user_id=volunteer_user.id) == 1
    _tick(app, now + timedelta(days=7))  # next week: still expiring, a new digest
    assert _count(app, kind="checks_expiring", user_id=champion.id) == 2


def test_monthly_stale_meetings_digest(app):
    champion = make_user(roles=("champion",))
    make_meeting(last_verified_at=datetime(2025, 1, 1, tzinfo=UTC))
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    _tick(app, now)
    _tick(app, now + timedelta(days=2))
    assert _count(app, kind="meetings_stale", user_id=champion.id) == 1
    _tick(app, now + timedelta(days=10))  # December: a new month, a new digest
    assert _count(app, kind="meetings_stale", user_id=champion.id) == 2


def _tick_in_process(config: dict, iso_now: str) -> dict:
    from portal import create_app
    from portal.jobs import run_tick as tick

    app = create_app(config)
    with app.app_context():
        return tick(datetime.fromisoformat(iso_now)).counts


@pytest.mark.slow
def test_ticks_running_at_the_same_time_send_each_message_once(app, app_config):
    champions = [make_user(roles=("champion",)) for _ in range(3)]
    keyworker = make_user(roles=("keyworker",))
    requests = [
        make_request(make_client(keyworker), make_meeting(), weeks_ahead=1) for _ in range(3)
    ]
    now = min(_starts(app, r.id) for r in requests) - timedelta(hours=10)
    context = multiprocessing.get_context("spawn")
    with context.Pool(3, **for_children()) as pool:
        pool.starmap(_tick_in_process, [(app_config, now.isoformat())] * 3)
    assert _count(app, kind="request_unfilled") == len(champions) * len(requests)


def test_tick_command(app, runner):
    make_user(roles=("champion",))
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
