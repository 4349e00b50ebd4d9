"""Alerts to champions wait for service hours by email; safety alerts go at once at any hour.

The in-portal notification always appears at once; only the email's `next_attempt_at` moves.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.jobs import run_tick
from portal.notify.kinds import KINDS
from portal.notify.models import Notification, OutboxMessage
from portal.notify.services import deliver_due, notify_user
from portal.settings import SettingRow

from ..factories import make_client, make_escort, make_meeting, make_request, make_user


def _notify(app, user, kind: str, **kwargs) -> None:
    from portal.auth.models import User

    with app.app_context():
        assert notify_user(db.session.get(User, user.id), kind, f"A {kind} message", **kwargs)
        db.session.commit()


def _mail(app, kind: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            statement = statement.where(OutboxMessage.kind == kind)
        return list(db.session.scalars(statement))


def _notes(app, kind: str) -> list[Notification]:
    with app.app_context():
        return list(db.session.scalars(select(Notification).where(Notification.kind == kind)))


def test_a_champion_alert_at_11pm_is_emailed_at_8am_and_shown_at_once(app, clock, smtp_server):
    champion = make_user(roles=("champion",))
    late = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # Tuesday 11pm in London (GMT)
    clock.move_to(late, tick=False)
    _notify(app, champion, "request_unfilled", urgent=True)
    [note] = _notes(app, "request_unfilled")
    assert note.created_at == late  # in the portal at once
    [mail] = _mail(app)
    assert mail.next_attempt_at == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    with app.app_context():
        assert deliver_due(late + timedelta(hours=8, minutes=59)) == (0, 0)  # 7:59am
    assert smtp_server.to(champion.email) == []
    with app.app_context():
        assert deliver_due(datetime(2026, 12, 2, 8, 0, tzinfo=UTC)) == (1, 0)
    assert len(smtp_server.to(champion.email)) == 1


def test_a_help_alert_at_11pm_goes_at_once(app, clock, smtp_server):
    champion = make_user(roles=("champion",))
    late = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    clock.move_to(late, tick=False)
    _notify(app, champion, "help_requested", urgent=True)
    [mail] = _mail(app)
    assert mail.next_attempt_at == late
    with app.app_context():
        assert deliver_due(late) == (1, 0)
    assert len(smtp_server.to(champion.email)) == 1


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_which_kinds_wait_for_a_champion_at_night(app, clock, kind):
    champion = make_user(roles=("champion", "volunteer"))
    late = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    clock.move_to(late, tick=False)
    _notify(app, champion, kind)
    [mail] = _mail(app)
    safety_or_security = (
        "help_requested",
        "checkout_overdue",
        "invitation",
        "password_reset",
        "security_change",
        "refusals_alert",
    )
    assert KINDS[kind].at_any_hour is (kind in safety_or_security)
    # a volunteer's own messages go at once even to a champion who also volunteers
    champion_work = (
        "offer_accepted",
        "offer_declined",
        "request_unfilled",
        "checks_expiring",
        "meetings_stale",
        "text_unhandled",
        "rota_digest",  # the Monday digest (issue 19)
        "task_added",  # a champion's task, e.g. a volunteer's request for a chat (issue 19)
        "message_reply",  # a volunteer's reply to a champion's message (issue 19)
    )
    at_once = kind not in champion_work
    expected = late if at_once else datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    assert mail.next_attempt_at == expected


def test_people_who_are_not_champions_are_emailed_at_once(app, clock):
    volunteer = make_user(roles=("volunteer",))
    keyworker = make_user(roles=("keyworker",))
    late = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    clock.move_to(late, tick=False)
    _notify(app, volunteer, "offer_made")
    _notify(app, keyworker, "offer_accepted")
    assert [m.next_attempt_at for m in _mail(app)] == [late, late]


def test_inside_service_hours_and_when_asked_the_email_goes_at_once(app, clock):
    champion = make_user(roles=("champion",))
    day = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    clock.move_to(day, tick=False)
    _notify(app, champion, "offer_declined", dedupe_key="a")
    clock.move_to(day + timedelta(hours=13), tick=False)
    _notify(app, champion, "offer_declined", dedupe_key="b", at_once=True)
    assert [m.next_attempt_at for m in _mail(app)] == [day, day + timedelta(hours=13)]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # summer: 11:30pm UTC is already 12:30am in London; 8am BST is 7am UTC
        (datetime(2026, 7, 1, 23, 30, tzinfo=UTC), datetime(2026, 7, 2, 7, 0, tzinfo=UTC)),
        # 7:30am UTC in summer is 8:30am in London: inside hours
        (datetime(2026, 7, 2, 7, 30, tzinfo=UTC), datetime(2026, 7, 2, 7, 30, tzinfo=UTC)),
        # the night the clocks go back: 8am GMT
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
        # the night they go forward: 8am BST
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
        # New Year's Eve at 9pm: New Year's Day, 8am
        (datetime(2026, 12, 31, 21, 0, tzinfo=UTC), datetime(2027, 1, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_held_until_the_next_opening_in_london(app, clock, now, expected):
    champion = make_user(roles=("champion",))
    clock.move_to(now, tick=False)
    _notify(app, champion, "meetings_stale")
    assert [m.next_attempt_at for m in _mail(app)] == [expected]


def test_the_opening_time_is_the_admins_setting(app, clock):
    champion = make_user(roles=("champion",))
    with app.app_context():
        db.session.add(SettingRow(key="service_opens", value=json.dumps("09:30")))
        db.session.commit()
    clock.move_to(datetime(2026, 12, 2, 9, 0, tzinfo=UTC), tick=False)
    _notify(app, champion, "checks_expiring")
    assert [m.next_attempt_at for m in _mail(app)] == [datetime(2026, 12, 2, 9, 30, tzinfo=UTC)]


def test_the_tick_at_night_holds_the_unfilled_alert_but_not_the_overdue_one(app, clock):
    champion = make_user(roles=("champion",))
    clock.move_to(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    keyworker = make_user(roles=("keyworker",))
    make_request(make_client(keyworker), make_meeting(weekday=3), weeks_ahead=0)  # Wed 7:30pm
    escort, *_ = make_escort(starts_in=timedelta(hours=9, minutes=30))  # 9:30pm, ends 10:30pm
    night = datetime(2026, 12, 1, 23, 45, tzinfo=UTC)
    clock.move_to(night, tick=False)
    with app.app_context():
        run_tick()
    [unfilled] = _mail(app, "request_unfilled")
    [overdue] = _mail(app, "checkout_overdue")
    assert unfilled.next_attempt_at == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    assert overdue.next_attempt_at == night and overdue.sent_at is not None  # sent by the tick
    assert unfilled.sent_at is None
    assert [n.user_id for n in _notes(app, "request_unfilled")] == [champion.id]
    assert escort.ends_at + timedelta(hours=1) <= night
