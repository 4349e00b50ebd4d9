"""The champions' Monday-morning digest: from 7am London time on Monday, once per ISO week per
champion, counts only; right across the clock changes and New Year, and by real email."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from portal.auth.models import User
from portal.extensions import db
from portal.jobs import run_tick
from portal.notify.models import Notification
from portal.safety.digest import LINES, digest_key, digest_lines

from ..factories import (
    make_client,
    make_escort_at,
    make_meeting,
    make_request,
    make_task,
    make_user,
    make_vetted_volunteer,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _tick(app, clock, at: datetime) -> None:
    clock.move_to(at, tick=False)
    with app.app_context():
        run_tick(at)


def _digests(app, user_id: int | None = None) -> list[Notification]:
    with app.app_context():
        statement = select(Notification).where(Notification.kind == "rota_digest")
        if user_id is not None:
            statement = statement.where(Notification.user_id == user_id)
        rows = list(db.session.scalars(statement.order_by(Notification.id)))
        db.session.expunge_all()
        return rows


def _week_of(clock, monday_morning: datetime) -> User:
    """A champion, one escort that week, and the clock at the Monday."""
    clock.move_to(monday_morning - timedelta(days=3), tick=False)
    champion = make_user(roles=("champion",))
    make_escort_at(monday_morning + timedelta(days=2))
    return champion


def test_monday_after_7am_each_champion_hears_once_with_counts_only(app, clock):
    monday = utc(2026, 12, 7, 7, 5)  # 7:05am in London (GMT)
    clock.move_to(monday - timedelta(days=1), tick=False)
    champions = [make_user(roles=("champion",)) for _ in range(2)]
    away = make_user(roles=("champion",), active=False)
    first, *_ = make_escort_at(monday + timedelta(hours=10))
    make_escort_at(monday + timedelta(days=6, hours=12))  # Sunday 13 December
    make_escort_at(monday + timedelta(days=7, hours=12))  # next week: not this week's
    make_request(make_client(), make_meeting(), state="open")
    make_vetted_volunteer(expires={"dbs": date(2026, 12, 20)})
    make_task()

    _tick(app, clock, utc(2026, 12, 6, 20, 0))  # Sunday evening: not yet
    _tick(app, clock, utc(2026, 12, 7, 6, 59))  # Monday 6:59am: not yet
    assert _digests(app) == []
    _tick(app, clock, monday)
    _tick(app, clock, monday + timedelta(hours=8))  # later that Monday: no second one
    _tick(app, clock, monday + timedelta(days=1))  # Tuesday: nothing
    for champion in champions:
        (digest,) = _digests(app, champion.id)
        assert digest.title == "Your week ahead: 2 escorts booked"
        # None of the four approved volunteers here has had supervision yet.
        assert digest.body == (
            "Escorts booked this week: 2. Requests still waiting for a peer: 1. Checks due: 1. "
            "Volunteers due supervision: 4. Tasks still open: 1."
        )
        assert digest.link == "/safety/rota"
        assert digest.dedupe_key == "rota-digest:2026-W50"
        assert first.meeting.name not in digest.title + digest.body
    assert _digests(app, away.id) == []
    _tick(app, clock, monday + timedelta(days=7))  # the next Monday: a new one
    assert len(_digests(app, champions[0].id)) == 2


def test_the_digest_lines_start_with_the_rota_and_add_up_from_one_list(app):
    champion = make_user(roles=("champion",))
    with app.app_context():
        lines = digest_lines(date(2026, 12, 7), db.session.get(User, champion.id))
    assert [line.label for line in lines] == [line.label for line in LINES]
    assert lines[0].label == "Escorts booked this week" and lines[0].link == "/safety/rota"
    assert [line.link for line in lines[1:]] == [
        "/requests/queue",
        "/volunteers/checks-due",
        "/volunteers/checks-due?show=supervision",
        "/tasks/",
    ]


def test_no_digest_when_there_is_nothing_to_say(app, clock):
    clock.move_to(utc(2026, 12, 6, 12, 0), tick=False)
    make_user(roles=("champion",))
    _tick(app, clock, utc(2026, 12, 7, 9, 0))
    assert _digests(app) == []


def test_autumn_clock_change_7am_is_7am_gmt_on_the_monday_after(app, clock):
    # The clocks go back on Sunday 25 October 2026: Monday 26 is GMT, 7am = 07:00 UTC.
    champion = _week_of(clock, utc(2026, 10, 26, 7, 0))
    _tick(app, clock, utc(2026, 10, 25, 23, 30))  # still Sunday in London
    _tick(app, clock, utc(2026, 10, 26, 6, 30))  # 6:30am GMT: not yet
    assert _digests(app, champion.id) == []
    _tick(app, clock, utc(2026, 10, 26, 7, 0))
    (digest,) = _digests(app, champion.id)
    assert digest.dedupe_key == "rota-digest:2026-W44"


def test_the_week_before_the_autumn_change_starts_at_6am_utc(app, clock):
    # Monday 19 October 2026 is BST: 7am London is 06:00 UTC; its week ends on the Sunday the
    # clocks change, and an escort just after midnight that night is next week's.
    champion = _week_of(clock, utc(2026, 10, 19, 6, 0))
    make_escort_at(utc(2026, 10, 25, 23, 30))  # Sunday 25th, 11:30pm GMT: this week
    make_escort_at(utc(2026, 10, 26, 0, 30))  # Monday 26th, 12:30am GMT: next week
    _tick(app, clock, utc(2026, 10, 19, 5, 59))  # 6:59am BST
    assert _digests(app, champion.id) == []
    _tick(app, clock, utc(2026, 10, 19, 6, 0))
    (digest,) = _digests(app, champion.id)
    assert digest.title == "Your week ahead: 2 escorts booked"


def test_spring_clock_change_the_london_week_not_the_utc_one(app, clock):
    # Sunday 28 March 2027 the clocks go forward: Monday 29 is BST, 7am = 06:00 UTC.
    champion = _week_of(clock, utc(2027, 3, 29, 6, 0))
    make_escort_at(utc(2027, 4, 4, 21, 30))  # Sunday 4 April, 10:30pm BST: this week
    make_escort_at(utc(2027, 4, 4, 23, 30))  # Monday 5 April, 12:30am BST: next week
    _tick(app, clock, utc(2027, 3, 28, 23, 30))  # Monday 12:30am BST: too early
    _tick(app, clock, utc(2027, 3, 29, 5, 59))  # 6:59am BST
    assert _digests(app, champion.id) == []
    _tick(app, clock, utc(2027, 3, 29, 6, 0))
    (digest,) = _digests(app, champion.id)
    assert digest.title == "Your week ahead: 2 escorts booked"
    assert digest.dedupe_key == "rota-digest:2027-W13"


def test_new_year_week_53_then_week_1(app, clock):
    champion = _week_of(clock, utc(2026, 12, 28, 8, 0))
    make_escort_at(utc(2027, 1, 5, 19, 0))
    _tick(app, clock, utc(2026, 12, 28, 8, 0))  # Monday 28 December 2026: ISO 2026-W53
    _tick(app, clock, utc(2027, 1, 1, 8, 0))  # New Year's Day, a Friday: nothing
    _tick(app, clock, utc(2027, 1, 4, 7, 30))  # Monday 4 January 2027: ISO 2027-W01
    _tick(app, clock, utc(2027, 1, 4, 9, 0))
    keys = [digest.dedupe_key for digest in _digests(app, champion.id)]
    assert keys == ["rota-digest:2026-W53", "rota-digest:2027-W01"]
    # the ISO year, not the calendar one: Monday 30 December 2030 is in 2031's first week
    assert digest_key(date(2030, 12, 30)) == "rota-digest:2031-W01"


def test_the_email_names_nothing_and_links_to_the_portal(app, clock, smtp_server):
    monday = utc(2026, 12, 7, 7, 10)
    champion = _week_of(clock, monday)
    _tick(app, clock, monday)  # 7:10am: the portal has it, the email waits for service hours
    _tick(app, clock, utc(2026, 12, 7, 10, 0))
    (message,) = smtp_server.to(champion.email)
    assert str(message["Subject"]) == "Your week ahead"
    text = smtp_server.text(message)
    assert "http" in text
    assert "escort" not in text.lower().replace("your week ahead", "")
    _tick(app, clock, utc(2026, 12, 7, 11, 0))
    assert len(smtp_server.to(champion.email)) == 1
