"""The tick through the nights the clocks change, run twice, late, and from several processes.

`flask --app portal tick` runs every minute (cron or a timer). Its jobs compare UTC instants,
and every message carries a dedupe key, so a London time that happens twice (01:30 on
25 October 2026) sends once, a London time that never happens (01:30 on 29 March 2026) still
sends, and nothing is sent twice however often, late or concurrently the tick runs. Weekly and
monthly digests are keyed on London's week and month, which start an hour before UTC's in
summer.
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.accompaniment.models import AccompanimentRequest, Offer
from portal.extensions import db
from portal.jobs import run_tick
from portal.notify.models import Notification, OutboxMessage
from portal.safety.services import REMINDER_AHEAD

from ..clock import for_children
from ..factories import (
    make_attendance,
    make_client,
    make_escort,
    make_meeting,
    make_offer,
    make_request,
    make_safeguarding_item,
    make_user,
    make_vetted_volunteer,
    make_volunteer,
)

LONDON = ZoneInfo("Europe/London")
AUTUMN = date(2026, 10, 25)  # 01:00-02:00 happens twice: BST (00:xx UTC), then GMT (01:xx UTC)
SPRING = date(2026, 3, 29)  # 01:00-02:00 never happens: 01:00 GMT becomes 02:00 BST


def london(day: date, hh_mm: str, fold: int = 0) -> datetime:
    hour, minute = map(int, hh_mm.split(":"))
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON, fold=fold)
    return local.astimezone(UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _freeze(clock, at: datetime) -> None:
    clock.move_to(at, tick=False)


def _escort_reminded_at(clock, due: datetime):
    """An accepted escort whose 24-hour reminder falls due at `due` (the clock moves back)."""
    _freeze(clock, due - timedelta(hours=12))
    starts_in = due + REMINDER_AHEAD - datetime.now(UTC)
    request, _volunteer, user, keyworker, _client = make_escort(starts_in=starts_in)
    assert request.starts_at - REMINDER_AHEAD == due
    return request, user, keyworker


def _reminders(app, request_id: int) -> list[tuple[int, datetime]]:
    """(user, when) for each reminder about one escort."""
    with app.app_context():
        return list(
            db.session.execute(
                select(Notification.user_id, Notification.created_at)
                .where(Notification.dedupe_key == f"reminder:{request_id}")
                .order_by(Notification.user_id)
            ).all()
        )


def _tick_through(app, clock, start: datetime, end: datetime, step: timedelta) -> int:
    """Run the tick at every `step` from `start` to `end` with the clock there; returns runs."""
    runs = 0
    at = start
    while at <= end:
        _freeze(clock, at)
        with app.app_context():
            report = run_tick()
        assert not [name for name in report.counts if "(failed)" in name], report.counts
        runs += 1
        at += step
    return runs


def _count(app, **filters: object) -> int:
    with app.app_context():
        statement = select(func.count()).select_from(Notification)
        for name, value in filters.items():
            statement = statement.where(getattr(Notification, name) == value)
        return db.session.scalar(statement)


# --- the night the clocks go back --------------------------------------------------------------


def test_the_night_the_clocks_go_back_every_minute(app, clock):
    champion = make_user(roles=("champion",))
    first = london(AUTUMN, "01:30")  # 01:30 BST
    second = london(AUTUMN, "01:30", fold=1)  # 01:30 GMT, an hour later
    assert (first, second) == (utc("2026-10-25 00:30"), utc("2026-10-25 01:30"))
    escort_first, user_first, kw_first = _escort_reminded_at(clock, first)
    escort_second, user_second, kw_second = _escort_reminded_at(clock, second)
    # an escort that ended at 00:05 UTC and was never checked out: overdue at 01:05 UTC
    _freeze(clock, utc("2026-10-24 12:00"))
    overdue, *_ = make_escort(starts_in=utc("2026-10-24 23:05") - datetime.now(UTC))
    # an offer nobody answers, closing at the first 01:30, for a request on Monday (day 1)
    client = make_client()
    meeting = make_meeting(weekday=1)
    offered = make_request(client, meeting, state="offered", weeks_ahead=0)
    volunteer = make_vetted_volunteer(make_user(roles=("volunteer",)))
    make_attendance(volunteer, meeting)  # still fits the request: nothing withdraws the offer
    offer = make_offer(offered, volunteer, expires_at=first)
    assert offered.starts_at - utc("2026-10-24 23:00") < timedelta(hours=48)

    runs = _tick_through(
        app, clock, utc("2026-10-24 23:00"), utc("2026-10-25 03:00"), timedelta(minutes=1)
    )
    assert runs == 241  # 23:00 BST Saturday to 03:00 GMT Sunday: five hours of London's clock

    assert _reminders(app, escort_first.id) == sorted(
        [(user_first.id, first), (kw_first.id, first)]
    )
    assert _reminders(app, escort_second.id) == sorted(
        [(user_second.id, second), (kw_second.id, second)]
    )
    # the escort starting at 23:05 UTC had no reminder before the night began: the first tick
    # sends it, late, once
    assert [w for _, w in _reminders(app, overdue.id)] == [utc("2026-10-24 23:00")] * 2
    assert _count(app, kind="escort_reminder") == 6
    assert _count(app, dedupe_key=f"overdue:{overdue.id}") == 1
    assert _count(app, kind="request_unfilled", user_id=champion.id) == 1
    with app.app_context():
        assert db.session.get(Offer, offer.id).state == "expired"
        assert db.session.get(Offer, offer.id).ended_at == first
        assert db.session.get(AccompanimentRequest, offered.id).state == "open"
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.kind == "offer_declined")
            )
            == 1
        )
        mail = {
            m.kind: m
            for m in db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.to_address == champion.email)
            )
        }
    # the safety alert went in the night; the others wait for 8am GMT
    assert mail["checkout_overdue"].sent_at == utc("2026-10-25 01:05")
    assert mail["request_unfilled"].next_attempt_at == utc("2026-10-25 08:00")
    assert mail["offer_declined"].next_attempt_at == utc("2026-10-25 08:00")
    assert mail["request_unfilled"].sent_at is None
    _tick_through(app, clock, utc("2026-10-25 08:00"), utc("2026-10-25 08:00"), timedelta(1))
    with app.app_context():
        unsent = db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
    assert unsent == 0


# --- the night the clocks go forward -----------------------------------------------------------


@pytest.mark.parametrize("step", [1, 5], ids=["every minute", "every 5 minutes"])
def test_the_night_the_clocks_go_forward(app, clock, step):
    # 01:30 on 29 March does not exist in London: read as GMT it is 02:30 BST (01:30 UTC),
    # read as BST it is 00:30 GMT (00:30 UTC). A reminder due at either is sent, once.
    as_gmt = london(SPRING, "01:30")
    as_bst = london(SPRING, "01:30", fold=1)
    assert (as_gmt, as_bst) == (utc("2026-03-29 01:30"), utc("2026-03-29 00:30"))
    escort_gmt, user_gmt, kw_gmt = _escort_reminded_at(clock, as_gmt)
    escort_bst, user_bst, kw_bst = _escort_reminded_at(clock, as_bst)
    _tick_through(
        app, clock, utc("2026-03-28 23:00"), utc("2026-03-29 03:00"), timedelta(minutes=step)
    )
    assert _reminders(app, escort_gmt.id) == sorted([(user_gmt.id, as_gmt), (kw_gmt.id, as_gmt)])
    assert _reminders(app, escort_bst.id) == sorted([(user_bst.id, as_bst), (kw_bst.id, as_bst)])
    assert _count(app, kind="escort_reminder") == 4


# --- twice, late, at once ----------------------------------------------------------------------


def test_a_tick_run_twice_sends_nothing_twice(app, clock):
    make_user(roles=("champion",))
    due = london(AUTUMN, "01:30", fold=1)
    escort, user, keyworker = _escort_reminded_at(clock, due)
    for _ in range(2):
        _tick_through(app, clock, due, due, timedelta(minutes=1))
    assert _reminders(app, escort.id) == sorted([(user.id, due), (keyworker.id, due)])


def test_a_late_tick_sends_once_and_a_tick_after_the_meeting_sends_nothing(app, clock):
    due = london(AUTUMN, "01:30")
    escort, user, keyworker = _escort_reminded_at(clock, due)
    missed = london(AUTUMN, "01:30", fold=1)
    missed_escort, *_ = _escort_reminded_at(clock, missed)
    # no tick all night; the first one runs at 7am GMT, hours late
    late = utc("2026-10-25 07:00")
    for at in (late, late + timedelta(minutes=1), late + timedelta(hours=5)):
        _tick_through(app, clock, at, at, timedelta(minutes=1))
    assert _reminders(app, escort.id) == sorted([(user.id, late), (keyworker.id, late)])
    assert len(_reminders(app, missed_escort.id)) == 2
    # a machine that was off until after the meeting began sends no stale reminder
    after, *_ = _escort_reminded_at(clock, utc("2026-10-26 01:30"))
    _tick_through(
        app,
        clock,
        after.starts_at + timedelta(minutes=1),
        after.starts_at + timedelta(minutes=1),
        timedelta(minutes=1),
    )
    assert _reminders(app, after.id) == []


def _tick_in_process(config: dict, iso_now: str) -> dict:
    from portal import create_app
    from portal.jobs import run_tick as tick

    app = create_app(config)
    with app.app_context():
        return tick(datetime.fromisoformat(iso_now)).counts


@pytest.mark.slow
def test_ticks_from_several_processes_at_the_repeated_hour_send_once(app, app_config, clock):
    champions = [make_user(roles=("champion",)) for _ in range(2)]
    due = london(AUTUMN, "01:30", fold=1)
    escort, user, keyworker = _escort_reminded_at(clock, due)
    _freeze(clock, utc("2026-10-24 12:00"))
    overdue, *_ = make_escort(starts_in=utc("2026-10-24 23:05") - datetime.now(UTC))
    _freeze(clock, due)
    context = multiprocessing.get_context("spawn")
    with context.Pool(3, **for_children()) as pool:
        pool.starmap(_tick_in_process, [(app_config, due.isoformat())] * 3)
    _tick_through(app, clock, due, due + timedelta(minutes=1), timedelta(minutes=1))
    reminders = _reminders(app, escort.id)  # the children's clocks tick on from `due`
    assert sorted(who for who, _ in reminders) == sorted([user.id, keyworker.id])
    assert all(due <= when < due + timedelta(minutes=1) for _, when in reminders)
    assert _count(app, dedupe_key=f"overdue:{overdue.id}") == len(champions)
    with app.app_context():
        kinds = db.session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
    assert sorted(kinds) == sorted(["escort_reminder"] * 2 + ["checkout_overdue"] * 2)


# --- digests keyed on London's week and month --------------------------------------------------


def _digest_scene() -> tuple[object, object]:
    """A champion, and a volunteer with a check expiring within 30 days of any date tried."""
    champion = make_user(roles=("champion",))
    volunteer_user = make_user(roles=("volunteer",))
    volunteer = make_volunteer(volunteer_user, status="approved")
    return champion, (volunteer, volunteer_user)


def _expiring(volunteer, on: date) -> None:
    make_safeguarding_item(volunteer, "training", issued_on=date(2024, 1, 1), expires_on=on)


@pytest.mark.parametrize(
    ("before", "after", "weekly", "monthly"),
    [
        # summer: Sunday 11:59pm BST and Monday 12:01am BST are both Sunday in UTC
        (utc("2026-06-07 22:59"), utc("2026-06-07 23:01"), 2, 1),
        # the end of June in summer: 30 June 11:59pm BST, then 1 July 12:01am BST (a Wednesday)
        (utc("2026-06-30 22:59"), utc("2026-06-30 23:01"), 1, 2),
        # New Year in winter: Thursday 31 December to Friday 1 January is one ISO week (53)
        (utc("2026-12-31 23:59"), utc("2027-01-01 00:01"), 1, 2),
        # the Sunday the clocks go back ends at midnight GMT: a new week
        (utc("2026-10-25 23:59"), utc("2026-10-26 00:01"), 2, 1),
        # 29 February 2028 (a Tuesday) to 1 March: a new month, the same week
        (utc("2028-02-29 23:59"), utc("2028-03-01 00:01"), 1, 2),
    ],
)
def test_digests_follow_londons_week_and_month(app, clock, before, after, weekly, monthly):
    _freeze(clock, before - timedelta(days=1))
    champion, (volunteer, volunteer_user) = _digest_scene()
    _expiring(volunteer, before.date() + timedelta(days=10))
    make_meeting(last_verified_at=before - timedelta(days=400))
    for at in (before, before + timedelta(seconds=30), after, after + timedelta(minutes=1)):
        _tick_through(app, clock, at, at, timedelta(minutes=1))
    assert _count(app, kind="checks_expiring", user_id=champion.id) == weekly
    assert _count(app, kind="checks_expiring", user_id=volunteer_user.id) == weekly
    assert _count(app, kind="meetings_stale", user_id=champion.id) == monthly


def test_a_weekly_digest_is_sent_once_through_the_autumn_night(app, clock):
    _freeze(clock, utc("2026-10-24 12:00"))
    champion, (volunteer, _user) = _digest_scene()
    _expiring(volunteer, date(2026, 11, 5))
    _tick_through(
        app, clock, utc("2026-10-24 22:00"), utc("2026-10-25 03:00"), timedelta(minutes=5)
    )
    assert _count(app, kind="checks_expiring", user_id=champion.id) == 1
    with app.app_context():
        key = db.session.scalar(
            select(Notification.dedupe_key).where(Notification.user_id == champion.id)
        )
    assert key == "checks-digest:2026-W43"
