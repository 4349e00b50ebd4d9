"""Safety actions follow the escort's time (issue 13): check-in, check-out, outcomes, the
champion's record after the fact, and session three, at exact London instants.

Every instant is set with the `clock` fixture or passed as `now=`; none is read from the real
date. Times are written in UTC with their London wall clock beside them.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.accompaniment.models import AccompanimentRequest
from portal.audit import AuditEvent
from portal.auth.models import User
from portal.clients import services as clients
from portal.clients.models import Client
from portal.errors import InvalidChange, NotFound
from portal.extensions import db
from portal.safety import services
from portal.safety.models import EscortCheck

from ..factories import make_client, make_escort, make_meeting, make_offer, make_request, make_user

# Tuesday 8 December 2026 (GMT): the meeting starts at 8pm, meet up at 7:45pm, check-in opens
# at 5:45pm and closes at midnight.
WINTER_START = datetime(2026, 12, 8, 20, 0, tzinfo=UTC)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _escort(clock: time_machine.Coordinates, starts_at: datetime, user: User | None = None):
    """An accepted escort starting exactly at `starts_at`, made three days before it."""
    clock.move_to(starts_at - timedelta(days=3), tick=False)
    made = make_escort(user, starts_in=timedelta(days=3))
    assert made[0].starts_at == starts_at
    return made


def _another(clock: time_machine.Coordinates, starts_at: datetime, volunteer):
    """A further accepted escort for the same volunteer, starting exactly at `starts_at`."""
    clock.move_to(starts_at - timedelta(days=3), tick=False)
    request = make_request(
        make_client(consent_first_name=True),
        make_meeting(),
        state="accepted",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        meeting_date=starts_at.astimezone(services.LONDON).date(),
        volunteer_id=volunteer.id,
        accepted_at=starts_at - timedelta(days=2),
        peer_first_name=volunteer.preferred_name,
    )
    make_offer(request, volunteer, state="accepted", answered_at=starts_at - timedelta(days=2))
    return request


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def _check(app, request_id: int, user_id: int, kind: str, now: datetime) -> bool:
    with app.app_context():
        return services.record_check(request_id, _user(user_id), kind, now=now)


def _refused(app, request_id: int, user_id: int, kind: str, now: datetime) -> str:
    with pytest.raises(InvalidChange) as refused:
        _check(app, request_id, user_id, kind, now)
    assert isinstance(refused.value, services.NotOpen)
    return refused.value.message


def _kinds(app, request_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(EscortCheck.kind)
                .where(EscortCheck.request_id == request_id)
                .order_by(EscortCheck.id)
            )
        )


# --- check-in ----------------------------------------------------------------------------------


def test_check_in_is_refused_the_day_before_with_the_opening_time(app, clock):
    request, _v, user, *_ = _escort(clock, WINTER_START)
    day_before = _utc(2026, 12, 7, 19, 45)  # Monday 7:45pm, 24 hours before meeting up
    message = _refused(app, request.id, user.id, "checkin", day_before)
    assert message == "You can check in from 5:45pm on Tuesday 8 December."
    assert _kinds(app, request.id) == []


def test_check_in_opens_two_hours_before_meeting_up_on_the_day(app, clock):
    early, _v, user, *_ = _escort(clock, WINTER_START)
    assert _refused(app, early.id, user.id, "checkin", _utc(2026, 12, 8, 17, 44, 59))
    assert _check(app, early.id, user.id, "checkin", _utc(2026, 12, 8, 17, 45)) is True
    with app.app_context():
        at = db.session.scalar(select(EscortCheck.at).where(EscortCheck.request_id == early.id))
    assert at == _utc(2026, 12, 8, 17, 45)


def test_check_in_is_open_at_2359_and_closed_at_0001(app, clock):
    late, _v, user, *_ = _escort(clock, WINTER_START)
    assert _check(app, late.id, user.id, "checkin", _utc(2026, 12, 8, 23, 59)) is True
    closed, _v2, user2, *_ = _escort(clock, WINTER_START)
    message = _refused(app, closed.id, user2.id, "checkin", _utc(2026, 12, 9, 0, 1))
    assert message.startswith("Check-in closed at midnight at the end of Tuesday 8 December.")
    assert "ask the recovery champion to record it" in message
    # exactly midnight is already the next day
    assert _refused(app, closed.id, user2.id, "checkin", _utc(2026, 12, 9, 0, 0))


def test_check_in_in_summer_time(app, clock):
    # Tuesday 9 June 2026, 7pm BST = 18:00 UTC; meet up 6:45pm; opens 4:45pm BST = 15:45 UTC.
    request, _v, user, *_ = _escort(clock, _utc(2026, 6, 9, 18, 0))
    message = _refused(app, request.id, user.id, "checkin", _utc(2026, 6, 9, 15, 44))
    assert message == "You can check in from 4:45pm on Tuesday 9 June."
    # Midnight BST is 23:00 UTC: the London day, not the UTC one, closes check-in.
    assert _refused(app, request.id, user.id, "checkin", _utc(2026, 6, 9, 23, 0)).startswith(
        "Check-in closed at midnight at the end of Tuesday 9 June."
    )
    assert _check(app, request.id, user.id, "checkin", _utc(2026, 6, 9, 22, 59)) is True


def test_check_in_on_the_sunday_the_clocks_go_forward(app, clock):
    # Sunday 29 March 2026 lasts 23 hours: it ends at midnight BST, 23:00 UTC.
    request, _v, user, *_ = _escort(clock, _utc(2026, 3, 29, 9, 0))  # 10am BST
    with app.app_context():
        assert services.checkin_closes_at(request) == _utc(2026, 3, 29, 23, 0)
    assert _refused(app, request.id, user.id, "checkin", _utc(2026, 3, 29, 23, 30)).startswith(
        "Check-in closed at midnight at the end of Sunday 29 March."
    )  # 12:30am on Monday: 24 hours from the start of Sunday would still be Sunday
    assert _refused(app, request.id, user.id, "checkin", _utc(2026, 3, 29, 6, 44)) == (
        "You can check in from 7:45am on Sunday 29 March."
    )
    assert _check(app, request.id, user.id, "checkin", _utc(2026, 3, 29, 22, 59)) is True


def test_check_in_on_the_sunday_the_clocks_go_back(app, clock):
    # Sunday 25 October 2026 lasts 25 hours: from 23:00 UTC on Saturday to 00:00 UTC on Monday.
    request, _v, user, *_ = _escort(clock, _utc(2026, 10, 25, 12, 0))  # noon GMT
    with app.app_context():
        assert services.checkin_closes_at(request) == _utc(2026, 10, 26, 0, 0)
    assert _check(app, request.id, user.id, "checkin", _utc(2026, 10, 25, 23, 59)) is True
    # A meeting at 12:45am BST: two hours before meeting up is Saturday, so it opens at the
    # start of Sunday (midnight BST, 23:00 UTC on Saturday).
    early, _v2, user2, *_ = _escort(clock, _utc(2026, 10, 24, 23, 45))
    with app.app_context():
        assert services.checkin_opens_at(early) == _utc(2026, 10, 24, 23, 0)
    assert _refused(app, early.id, user2.id, "checkin", _utc(2026, 10, 24, 22, 59)) == (
        "You can check in from midnight at the start of Sunday 25 October."
    )
    assert _check(app, early.id, user2.id, "checkin", _utc(2026, 10, 24, 23, 0)) is True


def test_the_opening_follows_the_setting(app, clock):
    from portal.settings import SettingRow

    request, _v, user, *_ = _escort(clock, WINTER_START)
    with app.app_context():
        db.session.add(SettingRow(key="checkin_opens_minutes", value="30"))
        db.session.commit()
    assert _refused(app, request.id, user.id, "checkin", _utc(2026, 12, 8, 19, 0)) == (
        "You can check in from 7:15pm on Tuesday 8 December."
    )
    assert _check(app, request.id, user.id, "checkin", _utc(2026, 12, 8, 19, 15)) is True


def test_the_service_reads_the_clock_when_not_told(app, clock):
    request, _v, user, *_ = _escort(clock, WINTER_START)
    clock.move_to(_utc(2026, 12, 8, 9, 0), tick=False)
    with app.app_context(), pytest.raises(services.NotOpen):
        services.record_check(request.id, _user(user.id), "checkin")
    clock.move_to(_utc(2026, 12, 8, 19, 50), tick=False)
    with app.app_context():
        assert services.record_check(request.id, _user(user.id), "checkin") is True


# --- check-out and help ------------------------------------------------------------------------


def test_check_out_only_after_check_in(app, clock):
    request, _v, user, *_ = _escort(clock, WINTER_START)
    message = _refused(app, request.id, user.id, "checkout", _utc(2026, 12, 8, 21, 0))
    assert message == "Check in first: you can check out once you have met them."
    assert _check(app, request.id, user.id, "checkin", _utc(2026, 12, 8, 19, 40))
    assert _check(app, request.id, user.id, "checkout", _utc(2026, 12, 8, 21, 5))
    # A check-out stays open after midnight: a volunteer is never kept from saying they are safe.
    late, _v2, user2, *_ = _escort(clock, WINTER_START)
    assert _check(app, late.id, user2.id, "checkin", _utc(2026, 12, 8, 19, 40))
    assert _check(app, late.id, user2.id, "checkout", _utc(2026, 12, 9, 1, 30))
    assert _kinds(app, request.id) == ["checkin", "checkout"]


def test_a_repeated_check_in_after_the_window_is_no_error(app, clock):
    request, _v, user, *_ = _escort(clock, WINTER_START)
    assert _check(app, request.id, user.id, "checkin", _utc(2026, 12, 8, 23, 59, 59))
    assert _check(app, request.id, user.id, "checkin", _utc(2026, 12, 9, 0, 0, 1)) is False


def test_help_is_always_open(app, clock):
    make_user(roles=("champion",))
    request, _v, user, *_ = _escort(clock, WINTER_START)
    for instant in (_utc(2026, 12, 1, 3, 0), _utc(2026, 12, 8, 20, 30), _utc(2026, 12, 9, 2, 0)):
        assert _check(app, request.id, user.id, "help", instant) is True
    assert _kinds(app, request.id) == ["help", "help", "help"]


# --- "what happened" ---------------------------------------------------------------------------


def _outcome(app, request_id: int, user_id: int, now: datetime, **values):
    values.setdefault("came", "attended")
    values.setdefault("together", "yes")
    with app.app_context():
        return services.record_outcome(request_id, _user(user_id), now=now, **values)


def test_outcome_opens_when_the_meeting_starts(app, clock):
    request, _v, user, *_ = _escort(clock, WINTER_START)
    with pytest.raises(services.NotOpen) as refused:
        _outcome(app, request.id, user.id, WINTER_START - timedelta(minutes=1))
    assert refused.value.message == (
        "You can record what happened from 8pm on Tuesday 8 December, when the meeting starts."
    )
    with app.app_context():
        assert db.session.get(AccompanimentRequest, request.id).state == "accepted"
    _outcome(app, request.id, user.id, WINTER_START)
    with app.app_context():
        assert db.session.get(AccompanimentRequest, request.id).state == "completed"


def test_the_champion_records_an_outcome_from_the_start_after_any_delay(app, clock):
    champion = make_user(roles=("champion",))
    early, *_ = _escort(clock, WINTER_START)
    with pytest.raises(services.NotOpen):
        _outcome(app, early.id, champion.id, WINTER_START - timedelta(seconds=1))
    _outcome(
        app, early.id, champion.id, WINTER_START + timedelta(days=40), came="client_did_not_come"
    )
    with app.app_context():
        assert db.session.get(AccompanimentRequest, early.id).outcome == "client_did_not_come"


# --- "my escorts on the day" -------------------------------------------------------------------


def test_my_escorts_sorts_today_coming_and_past_by_the_london_date(app, clock):
    past, volunteer, user, *_ = _escort(clock, _utc(2026, 12, 7, 19, 0))
    today = _another(clock, _utc(2026, 12, 8, 23, 30), volunteer)  # 11:30pm GMT
    coming = _another(clock, _utc(2026, 12, 9, 0, 30), volunteer)  # 12:30am on Wednesday
    with app.app_context():
        found = services.my_escorts(_user(user.id), now=_utc(2026, 12, 8, 12, 0))
        assert [e.request.id for e in found.today] == [today.id]
        assert [e.request.id for e in found.coming] == [coming.id]
        assert [e.request.id for e in found.past] == [past.id]
        soon = found.today[0]
        assert soon.checkin.rule == "You can check in from 9:15pm on Tuesday 8 December."
        assert found.past[0].outcome.open and not soon.outcome.open
        # the meeting at 12:30am Wednesday: meet up 12:15am, so check-in opens at midnight
        assert found.coming[0].checkin.rule == (
            "You can check in from midnight at the start of Wednesday 9 December."
        )
    with app.app_context():
        nobody = services.my_escorts(make_user(roles=("volunteer",)))
    assert not nobody and nobody.today == []


def test_a_summer_escort_just_after_midnight_utc_is_today_in_london(app, clock):
    # Wednesday 10 June 2026, 00:30 BST is still Tuesday in UTC.
    request, _v, user, *_ = _escort(clock, _utc(2026, 6, 9, 23, 30))
    with app.app_context():
        found = services.my_escorts(_user(user.id), now=_utc(2026, 6, 9, 23, 5))  # 12:05am BST
    assert [e.request.id for e in found.today] == [request.id]


# --- the champion records a check after the fact -----------------------------------------------


def test_the_champion_records_a_check_in_with_the_time_it_happened(app, clock):
    champion = make_user(roles=("champion",))
    request, volunteer, _user_, _kw, client = _escort(clock, WINTER_START)
    recorded_at = _utc(2026, 12, 9, 9, 30)  # the next morning
    clock.move_to(recorded_at, tick=False)
    with app.app_context():
        check = services.record_check_for(
            request.id, _user(champion.id), "checkin", date(2026, 12, 8), time(19, 50)
        )
        check = db.session.get(EscortCheck, check.id)
        assert (check.at, check.by_id, check.volunteer_id) == (
            _utc(2026, 12, 8, 19, 50),
            champion.id,
            volunteer.id,
        )
        row = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "escort_checkin")
        ).one()
    assert row.at == recorded_at and row.actor_id == champion.id
    assert row.client_ref == client.reference
    detail = json.loads(row.detail)
    assert detail["happened_at"] == "2026-12-08T19:50:00+00:00"
    assert detail["recorded_by"] == champion.id
    # and the check-out, after it, in summer-time-free December
    with app.app_context():
        out = services.record_check_for(
            request.id, _user(champion.id), "checkout", date(2026, 12, 8), time(21, 15)
        )
        assert db.session.get(EscortCheck, out.id).at == _utc(2026, 12, 8, 21, 15)


def test_the_champion_enters_london_time_in_summer(app, clock):
    champion = make_user(roles=("champion",))
    request, *_ = _escort(clock, _utc(2026, 6, 9, 18, 0))
    with app.app_context():
        check = services.record_check_for(
            request.id,
            _user(champion.id),
            "checkin",
            date(2026, 6, 9),
            time(18, 40),
            now=_utc(2026, 6, 10, 8, 0),
        )
        assert db.session.get(EscortCheck, check.id).at == _utc(2026, 6, 9, 17, 40)


def test_what_the_champion_may_not_record(app, clock):
    champion = make_user(roles=("champion",))
    request, _v, user, keyworker, _c = _escort(clock, WINTER_START)
    now = _utc(2026, 12, 8, 20, 30)  # 8:30pm on the day

    def refused(kind, on, at, field):
        with app.app_context(), pytest.raises(InvalidChange) as caught:
            services.record_check_for(request.id, _user(champion.id), kind, on, at, now=now)
        assert caught.value.field == field, caught.value.message
        return caught.value.message

    assert "already happened" in refused(
        "checkin", date(2026, 12, 8), time(20, 31), "happened_time"
    )
    assert "future" in refused("checkin", date(2026, 12, 9), time(9, 0), "happened_on")
    assert "Tuesday 8 December" in refused(
        "checkin", date(2026, 12, 7), time(23, 59), "happened_on"
    )
    assert "check-in" in refused("checkout", date(2026, 12, 8), time(20, 0), "kind")
    refused("help", date(2026, 12, 8), time(20, 0), "kind")
    refused(None, date(2026, 12, 8), time(20, 0), "kind")
    refused("checkin", None, time(20, 0), "happened_on")
    refused("checkin", date(2026, 12, 8), None, "happened_time")
    refused("checkin", date(1, 1, 1), time(0, 0), "happened_on")
    refused("checkin", date(9999, 12, 31), time(23, 59), "happened_on")
    with app.app_context():
        services.record_check_for(
            request.id, _user(champion.id), "checkin", date(2026, 12, 8), time(19, 45), now=now
        )
    assert "already recorded" in refused("checkin", date(2026, 12, 8), time(19, 50), "kind")
    assert "after the check-in" in refused(
        "checkout", date(2026, 12, 8), time(19, 40), "happened_time"
    )
    for person in (user, keyworker):  # only a champion
        with app.app_context(), pytest.raises(NotFound):
            services.record_check_for(
                request.id, _user(person.id), "checkout", date(2026, 12, 8), time(20, 10), now=now
            )
    with app.app_context(), pytest.raises(NotFound):
        services.record_check_for(
            999_999, _user(champion.id), "checkin", date(2026, 12, 8), time(20, 0), now=now
        )
    assert _kinds(app, request.id) == ["checkin"]


# --- session three -----------------------------------------------------------------------------


def _session_three(client_id: int, now: datetime, **answers):
    client = db.session.get(Client, client_id)
    actor = db.session.get(User, client.keyworker_id)
    answers.setdefault("which_meeting", "committed")
    held_on = now.astimezone(services.LONDON).date()
    return clients.record_session(client, actor, 3, held_on, answers, now)


def test_session_three_waits_for_the_escorts_meeting_to_start(app, clock):
    request, _v, _u, _kw, made = _escort(clock, WINTER_START)
    before = WINTER_START - timedelta(minutes=1)
    with app.app_context():
        client = db.session.get(Client, made.id)
        defaults = clients.session_defaults(client, 3, before)
        assert "attended" not in defaults
        assert "from 8pm on Tuesday 8 December" in defaults["meeting_not_started"]
        for went in ("yes", "no"):
            with pytest.raises(InvalidChange) as refused:
                _session_three(made.id, before, attended=went)
            assert refused.value.field == "attended"
            assert refused.value.message.startswith(f"{request.meeting.name} has not started yet.")
            assert "from 8pm on Tuesday 8 December" in refused.value.message
        # Another meeting the client went to can be recorded at any time.
        _session_three(made.id, before, attended="yes", which_meeting="other")
        assert db.session.get(Client, made.id).last_session_kind == 3


def test_session_three_records_the_escorts_meeting_once_it_started(app, clock):
    _request, _v, _u, _kw, made = _escort(clock, WINTER_START)
    with app.app_context():
        assert clients.meeting_not_started(db.session.get(Client, made.id), WINTER_START) is None
        session = _session_three(made.id, WINTER_START, attended="no")
        assert session.attended is False
