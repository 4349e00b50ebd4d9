"""Reminders and alerts by text (issue 16), through the loopback Notify and the suite's clock:
clients' reminders with their consent (the evening before and on the day, once each, at the
right London times across the clock changes), volunteers' reminders the day before and two
hours before, and champions' texts for "I need help now" and overdue check-outs at 3am."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.accompaniment import services as accompaniment
from portal.accompaniment.upkeep import release_escort
from portal.auth.models import User
from portal.clients import services as clients
from portal.clients.models import Client
from portal.extensions import db
from portal.jobs import run_tick
from portal.notify.models import Notification, TextMessage
from portal.safety import services
from portal.safety.text_words import client_reminder, help_alert
from portal.settings import SettingRow

from ..factories import (
    give_mobile,
    make_escort_at,
    make_meeting,
    make_user,
)

LONDON = ZoneInfo("Europe/London")
CLIENT = "+447700900456"  # give_text_consent's number
VOLUNTEER = "+447700900111"
CHAMPION = "+447700900222"


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A London wall-clock time as the UTC instant it is."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def tick_at(app, clock, instant: datetime) -> None:
    """Run the tick with the suite's clock (and so every 'now', Notify's too) at `instant`."""
    clock.move_to(instant)
    with app.app_context():
        run_tick(instant)


def bodies(notify_server, number: str) -> list[str]:
    return [text["body"] for text in notify_server.texts_to(number)]


def _set(app, **values: object) -> None:
    import json

    with app.app_context():
        for key, value in values.items():
            db.session.add(SettingRow(key=key, value=json.dumps(value)))
        db.session.commit()


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


# --- clients ---------------------------------------------------------------------------------


def test_an_evening_reminder_that_could_not_go_that_evening_is_never_sent(
    app, clock, notify_server
):
    """Notify down all evening: "tomorrow" must not reach the client on the day itself."""
    clock.move_to(london(2026, 12, 7, 9))
    make_escort_at(london(2026, 12, 8, 19))
    notify_server.stop()
    tick_at(app, clock, london(2026, 12, 7, 18))  # queued, then Notify cannot be reached
    notify_server.start()
    tick_at(app, clock, london(2026, 12, 8, 0, 1))
    assert bodies(notify_server, CLIENT) == []
    with app.app_context():
        statuses = dict(
            db.session.execute(
                select(TextMessage.dedupe_key, TextMessage.status).where(
                    TextMessage.to_number == CLIENT
                )
            ).all()
        )
    assert list(statuses.values()) == ["too_late"]
    tick_at(app, clock, london(2026, 12, 8, 15, 45))
    assert [b.split(",")[0] for b in bodies(notify_server, CLIENT)] == [
        "Reminder: your meeting is today"
    ]


def test_a_client_is_reminded_the_evening_before_and_on_the_day_once_each(
    app, clock, notify_server
):
    clock.move_to(london(2026, 12, 7, 9))
    request, *_ = make_escort_at(london(2026, 12, 8, 19))  # meeting up at 6:45pm on Tue 8 Dec
    for instant in (london(2026, 12, 7, 12), london(2026, 12, 7, 17, 59)):
        tick_at(app, clock, instant)
    assert bodies(notify_server, CLIENT) == []
    for instant in (
        london(2026, 12, 7, 18),
        london(2026, 12, 7, 18),  # the tick run twice: once
        london(2026, 12, 7, 19, 30),
        london(2026, 12, 8, 9),
        london(2026, 12, 8, 15, 44),
    ):
        tick_at(app, clock, instant)
    eve = (
        "Reminder: your meeting is tomorrow, Tue 8 Dec. Sam will meet you at 6:45pm, "
        "Outside the main entrance."
    )
    assert bodies(notify_server, CLIENT) == [eve]
    for instant in (
        london(2026, 12, 8, 15, 45),
        london(2026, 12, 8, 15, 45),
        london(2026, 12, 8, 18, 30),
    ):
        tick_at(app, clock, instant)
    day = (
        "Reminder: your meeting is today, Tue 8 Dec. Sam will meet you at 6:45pm, "
        "Outside the main entrance."
    )
    assert bodies(notify_server, CLIENT) == [eve, day]
    tick_at(app, clock, london(2026, 12, 8, 22))
    assert len(bodies(notify_server, CLIENT)) == 2
    with app.app_context():
        rows = db.session.execute(select(TextMessage.client_id, TextMessage.user_id)).all()
    assert set(rows) >= {(request.client_id, None)}


@pytest.mark.parametrize(
    ("starts", "eve_at", "day_at", "day_words"),
    [
        # Sunday 29 March 2026: the clocks go forward at 1am. Meeting up 6:45pm BST (17:45 UTC).
        (london(2026, 3, 29, 19), "2026-03-28T18:00", "2026-03-29T14:45", "Sun 29 Mar"),
        # Monday 30 March: the evening before is in BST already (6pm = 17:00 UTC).
        (london(2026, 3, 30, 19), "2026-03-29T17:00", "2026-03-30T14:45", "Mon 30 Mar"),
        # Sunday 25 October 2026: the clocks go back at 2am. The evening before is BST.
        (london(2026, 10, 25, 19), "2026-10-24T17:00", "2026-10-25T15:45", "Sun 25 Oct"),
        # Monday 26 October: the evening before is GMT (6pm = 18:00 UTC).
        (london(2026, 10, 26, 19), "2026-10-25T18:00", "2026-10-26T15:45", "Mon 26 Oct"),
    ],
)
def test_client_reminders_keep_london_time_across_the_clock_changes(
    app, clock, notify_server, starts, eve_at, day_at, day_words
):
    eve_at = datetime.fromisoformat(eve_at).replace(tzinfo=UTC)
    day_at = datetime.fromisoformat(day_at).replace(tzinfo=UTC)
    clock.move_to(starts - timedelta(days=3))
    make_escort_at(starts)
    tick_at(app, clock, eve_at - timedelta(minutes=1))
    assert bodies(notify_server, CLIENT) == []
    tick_at(app, clock, eve_at)
    tick_at(app, clock, eve_at + timedelta(minutes=5))
    assert bodies(notify_server, CLIENT) == [
        f"Reminder: your meeting is tomorrow, {day_words}. Sam will meet you at 6:45pm, "
        "Outside the main entrance."
    ]
    tick_at(app, clock, day_at - timedelta(minutes=1))
    assert len(bodies(notify_server, CLIENT)) == 1
    tick_at(app, clock, day_at)
    tick_at(app, clock, day_at + timedelta(minutes=30))
    assert bodies(notify_server, CLIENT)[1:] == [
        f"Reminder: your meeting is today, {day_words}. Sam will meet you at 6:45pm, "
        "Outside the main entrance."
    ]


def test_booked_after_the_evening_only_the_reminder_on_the_day(app, clock, notify_server):
    clock.move_to(london(2026, 12, 7, 20, 30))  # after closing time the evening before
    make_escort_at(london(2026, 12, 8, 11))  # meeting up 10:45am
    for instant in (london(2026, 12, 7, 20, 30), london(2026, 12, 7, 23), london(2026, 12, 8, 7)):
        tick_at(app, clock, instant)
    assert bodies(notify_server, CLIENT) == []
    # three hours before is 7:45am, before the service opens: the reminder waits for 8am
    tick_at(app, clock, london(2026, 12, 8, 8))
    assert bodies(notify_server, CLIENT) == [
        "Reminder: your meeting is today, Tue 8 Dec. Sam will meet you at 10:45am, "
        "Outside the main entrance."
    ]


def test_booked_during_the_evening_is_reminded_at_the_next_tick(app, clock, notify_server):
    clock.move_to(london(2026, 12, 7, 19, 10))
    make_escort_at(london(2026, 12, 8, 19))
    tick_at(app, clock, london(2026, 12, 7, 19, 15))
    assert len(bodies(notify_server, CLIENT)) == 1
    assert "tomorrow, Tue 8 Dec" in bodies(notify_server, CLIENT)[0]


def test_no_consent_no_text_but_the_people_with_accounts_still_hear(app, clock, notify_server):
    clock.move_to(london(2026, 12, 7, 9))
    request, _v, user, keyworker, client = make_escort_at(london(2026, 12, 8, 19), texting=False)
    with app.app_context():
        row = db.session.get(Client, client.id)
        row.phone, row.consent_phone = "07700 900456", True  # shared with the volunteer only
        db.session.commit()
    for instant in (london(2026, 12, 7, 18), london(2026, 12, 8, 15, 45)):
        tick_at(app, clock, instant)
    assert notify_server.sent == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TextMessage)) == 0
        reminded = db.session.scalar(
            select(func.count()).where(Notification.kind == "escort_reminder")
        )
    assert reminded == 2  # the volunteer and the keyworker, in the portal


def test_withdrawn_consent_stops_reminders_and_cancels_one_waiting(app, clock, notify_server):
    clock.move_to(london(2026, 12, 7, 9))
    request, _v, _u, keyworker, client = make_escort_at(london(2026, 12, 8, 19))
    notify_server.stop()  # Notify is down: the evening's reminder waits in the outbox
    tick_at(app, clock, london(2026, 12, 7, 18))
    with app.app_context():
        waiting = db.session.scalars(select(TextMessage.status)).all()
        assert waiting == ["queued"]
        row = db.session.get(Client, client.id)
        clients.withdraw_consent(row, _user(keyworker.id), "texts", row.version)
    notify_server.start()
    for instant in (london(2026, 12, 7, 18, 30), london(2026, 12, 8, 15, 45)):
        tick_at(app, clock, instant)
    assert notify_server.sent == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TextMessage)) == 0
        assert db.session.get(Client, client.id).phone is None


def test_the_words_never_name_the_service_the_meeting_or_drugs_by_default(
    app, clock, notify_server
):
    _set(app, service_name="Wrenford Drug and Alcohol Service")
    clock.move_to(london(2026, 12, 7, 9))
    meeting = make_meeting("NA", name="Leeds NA Just for Today")
    make_escort_at(london(2026, 12, 8, 19), meeting=meeting)
    for instant in (london(2026, 12, 7, 18), london(2026, 12, 8, 15, 45)):
        tick_at(app, clock, instant)
    texts = bodies(notify_server, CLIENT)
    assert len(texts) == 2
    for body in texts:
        assert not re.search(r"drug|alcohol|wrenford|service|NA\b|leeds", body, re.IGNORECASE)
        assert "your meeting" in body and len(body) <= 160


def test_the_service_may_name_the_meeting_and_sign_off(app, clock, notify_server):
    _set(app, client_text_names_meeting=True, client_text_sign_off="From Wrenford Recovery")
    clock.move_to(london(2026, 12, 7, 9))
    make_escort_at(london(2026, 12, 8, 19), meeting=make_meeting("AA", name="Wrenford Tuesday AA"))
    tick_at(app, clock, london(2026, 12, 7, 18))
    assert bodies(notify_server, CLIENT) == [
        "Reminder: Wrenford Tuesday AA is tomorrow, Tue 8 Dec. Sam will meet you at 6:45pm, "
        "Outside the main entrance. From Wrenford Recovery"
    ]


def test_a_meeting_point_that_says_what_the_meeting_is_for_is_left_out():
    meet_at = london(2026, 12, 8, 18, 45)
    words = client_reminder(
        meet_at=meet_at, peer=None, point="Outside the drug service", meeting=None, today=True
    )
    assert words == "Reminder: your meeting is today, Tue 8 Dec. Someone will meet you at 6:45pm."


def test_cancelling_an_accepted_escort_tells_the_client_and_cancels_reminders(
    app, clock, notify_server
):
    clock.move_to(london(2026, 12, 7, 9))
    request, _v, _u, keyworker, _client = make_escort_at(london(2026, 12, 8, 19))
    notify_server.stop()
    tick_at(app, clock, london(2026, 12, 7, 18))  # the evening's reminder waits: Notify is down
    notify_server.start()
    clock.move_to(london(2026, 12, 7, 18, 10))
    with app.app_context():
        from portal.accompaniment.models import AccompanimentRequest

        row = db.session.get(AccompanimentRequest, request.id)
        accompaniment.cancel_request(row, _user(keyworker.id), "Client is unwell", row.version)
    for instant in (london(2026, 12, 7, 18, 15), london(2026, 12, 8, 15, 45)):
        tick_at(app, clock, instant)
    assert bodies(notify_server, CLIENT) == [
        "The plan for Tue 8 Dec has changed; your keyworker will be in touch."
    ]


def test_a_volunteer_who_drops_out_means_a_text_but_a_new_date_does_not(app, clock, notify_server):
    clock.move_to(london(2026, 12, 7, 9))
    released, _v, user, *_ = make_escort_at(london(2026, 12, 8, 19))
    with app.app_context():
        release_escort(released.id, _user(user.id), "I am unwell")
    tick_at(app, clock, london(2026, 12, 7, 9, 5))
    assert bodies(notify_server, CLIENT) == [
        "The plan for Tue 8 Dec has changed; your keyworker will be in touch."
    ]
    # a keyworker who moves an escort to another date tells the client themselves
    notify_server.reset()
    wednesdays = make_meeting(weekday=3)  # Meeting Guide's numbering: 3 is a Wednesday
    moved, _v, _u, keyworker, client = make_escort_at(london(2026, 12, 9, 19), meeting=wednesdays)
    with app.app_context():
        from portal.accompaniment.models import AccompanimentRequest

        row = db.session.get(AccompanimentRequest, moved.id)
        next_week = row.meeting_date + timedelta(days=7)
        accompaniment.change_request_date(row, _user(keyworker.id), next_week, row.version)
    tick_at(app, clock, london(2026, 12, 7, 9, 10))
    assert notify_server.sent == []


# --- volunteers ------------------------------------------------------------------------------


def test_a_volunteer_is_texted_the_day_before_and_two_hours_before(app, clock, notify_server):
    clock.move_to(london(2026, 12, 6, 9))
    request, _v, user, *_ = make_escort_at(london(2026, 12, 8, 19))
    give_mobile(user, VOLUNTEER)
    for instant in (london(2026, 12, 7, 18, 59), london(2026, 12, 7, 19), london(2026, 12, 7, 20)):
        tick_at(app, clock, instant)
    day_before = (
        "Reminder: you're booked for the meeting on Tue 8 Dec, meet at 6:45pm, Outside the main "
        "entrance. Details in the portal."
    )
    assert bodies(notify_server, VOLUNTEER) == [day_before]
    for instant in (london(2026, 12, 8, 16, 44), london(2026, 12, 8, 16, 45)):
        tick_at(app, clock, instant)
    tick_at(app, clock, london(2026, 12, 8, 16, 45))
    tick_at(app, clock, london(2026, 12, 8, 18))
    soon = (
        "Reminder: the meeting today, meet at 6:45pm, Outside the main entrance. "
        f'Press "I\'ve met them" here when you meet: http://portal.test/safety/escorts/{request.id}'
    )
    assert bodies(notify_server, VOLUNTEER) == [day_before, soon]
    with app.app_context():
        titles = db.session.scalars(
            select(Notification.title).where(
                Notification.user_id == user.id, Notification.kind == "escort_soon"
            )
        ).all()
    assert len(titles) == 1 and titles[0].startswith("Today: ")


def test_a_volunteer_who_turned_the_texts_off_gets_the_portal_only(app, clock, notify_server):
    clock.move_to(london(2026, 12, 8, 9))
    request, _v, user, *_ = make_escort_at(london(2026, 12, 8, 19), texting=False)
    give_mobile(user, VOLUNTEER, escort_soon=False, escort_reminder=False)
    tick_at(app, clock, london(2026, 12, 8, 16, 45))
    assert notify_server.sent == []
    with app.app_context():
        kinds = set(
            db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id))
        )
    assert kinds == {"escort_reminder", "escort_soon"}


def test_no_reminder_two_hours_before_outside_service_hours(app, clock, notify_server):
    clock.move_to(london(2026, 12, 8, 6))
    _r, _v, user, *_ = make_escort_at(london(2026, 12, 8, 8, 30))  # meeting up 8:15am
    give_mobile(user, VOLUNTEER)
    for instant in (london(2026, 12, 8, 6, 15), london(2026, 12, 8, 8), london(2026, 12, 8, 8, 5)):
        tick_at(app, clock, instant)
    assert not any("today" in body for body in bodies(notify_server, VOLUNTEER))


# --- champions, at any hour -----------------------------------------------------------------


def _champions(app):
    with_mobile = make_user(roles=("champion",))
    give_mobile(with_mobile, CHAMPION)
    without = make_user(roles=("champion",))
    return with_mobile, without


def test_help_is_texted_to_champions_at_3am(app, clock, notify_server):
    clock.move_to(london(2026, 12, 8, 1))
    champion, without = _champions(app)
    request, volunteer, user, *_ = make_escort_at(london(2026, 12, 8, 2, 30))
    clock.move_to(london(2026, 12, 8, 3))
    with app.app_context():
        services.record_check(request.id, _user(user.id), "help")
        services.record_check(request.id, _user(user.id), "help")
    tick_at(app, clock, london(2026, 12, 8, 3, 1))
    expected = (
        f'URGENT: {volunteer.preferred_name} pressed "I need help now" at 3am. Call them on '
        "07700 900123. Meeting point: Outside the main entrance, St Mark's Church Hall. "
        "http://portal.test/safety/today"
    )
    assert bodies(notify_server, CHAMPION) == [expected, expected]  # each press
    assert {text["phone_number"] for text in notify_server.sent} == {CHAMPION}
    with app.app_context():
        client_name = db.session.get(Client, request.client_id).first_name
    assert client_name not in expected


def test_an_overdue_check_out_is_texted_to_champions_at_3am_once(app, clock, notify_server):
    clock.move_to(london(2026, 12, 8, 0, 30))
    champion, without = _champions(app)
    request, volunteer, *_ = make_escort_at(london(2026, 12, 8, 1))  # ends at 2am
    for instant in (london(2026, 12, 8, 2, 59), london(2026, 12, 8, 3), london(2026, 12, 8, 3, 10)):
        tick_at(app, clock, instant)
    assert bodies(notify_server, CHAMPION) == [
        f"URGENT: {volunteer.preferred_name} has not checked out; the meeting ended at 2am. "
        "Call them on 07700 900123 to check they are safe. http://portal.test/safety/today"
    ]


def test_the_help_text_leaves_out_a_place_that_says_too_much():
    words = help_alert(
        name="Sam",
        at=london(2026, 12, 8, 19, 12),
        phone=None,
        point="Outside the alcohol service",
        place=None,
        link="http://portal.test/safety/today",
    )
    assert words == (
        'URGENT: Sam pressed "I need help now" at 7:12pm. Their phone is not in the portal. '
        "http://portal.test/safety/today"
    )
