"""Safety services: checks, help, outcomes, reminders and overdue check-outs with moved clocks."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.accompaniment.models import AccompanimentRequest
from portal.auth.models import User
from portal.clients.models import Client
from portal.clients.services import session_defaults
from portal.errors import Conflict, InvalidChange, NotFound
from portal.extensions import db
from portal.jobs import run_tick
from portal.notify.models import Notification, OutboxMessage
from portal.safety import services
from portal.safety.models import EscortCheck, EscortOutcome

from ..clock import for_children
from ..factories import (
    make_client,
    make_escort,
    make_offer,
    make_request,
    make_user,
    make_vetted_volunteer,
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


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def _checks(app, request_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(EscortCheck.kind)
                .where(EscortCheck.request_id == request_id)
                .order_by(EscortCheck.id)
            )
        )


# --- checks and help ---------------------------------------------------------------------------


def test_check_in_and_out_are_recorded_once_each_and_audited(app):
    request, _volunteer, user, _kw, _client = make_escort()
    with app.app_context():
        assert services.record_check(request.id, _user(user.id), "checkin") is True
        assert services.record_check(request.id, _user(user.id), "checkin") is False
        assert services.record_check(request.id, _user(user.id), "checkout") is True
        assert services.record_check(request.id, _user(user.id), "checkout") is False
        actions = list(
            db.session.scalars(
                db.text("SELECT action FROM audit_events WHERE action LIKE 'escort_%'")
            )
        )
    assert _checks(app, request.id) == ["checkin", "checkout"]
    assert sorted(actions) == ["escort_checkin", "escort_checkout"]


def test_only_the_escorts_own_volunteer_may_check(app):
    request, *_ = make_escort()
    other = make_user(roles=("volunteer",))
    make_vetted_volunteer(other)
    champion = make_user(roles=("champion",))
    with app.app_context():
        for person in (other, champion):
            with pytest.raises(NotFound):
                services.record_check(request.id, _user(person.id), "checkin")
        with pytest.raises(NotFound):
            services.record_check(10_000, _user(other.id), "checkin")
    assert _checks(app, request.id) == []


def test_no_checks_on_an_escort_that_is_not_accepted(app):
    request, _v, user, *_ = make_escort()
    with app.app_context():
        db.session.execute(
            db.update(AccompanimentRequest)
            .where(AccompanimentRequest.id == request.id)
            .values(state="cancelled", cancel_reason="test")
        )
        db.session.commit()
        with pytest.raises(NotFound):
            services.record_check(request.id, _user(user.id), "checkin")
        with pytest.raises(InvalidChange):
            services.record_check(request.id, _user(user.id), "nonsense")


def test_help_alerts_every_champion_urgently_each_time(app):
    champions = [make_user(roles=("champion",)) for _ in range(2)]
    request, volunteer, user, keyworker, _client = make_escort()
    with app.app_context():
        services.record_check(request.id, _user(user.id), "help")
        services.record_check(request.id, _user(user.id), "help")
    assert _count(app, kind="help_requested") == 4
    for champion in champions:
        assert _count(app, kind="help_requested", user_id=champion.id, urgent=True) == 2
    assert _count(app, kind="help_requested", user_id=keyworker.id) == 0
    with app.app_context():
        titles = list(db.session.scalars(select(Notification.title)))
        subjects = list(db.session.scalars(select(OutboxMessage.subject)))
    assert all(volunteer.preferred_name in t for t in titles)
    assert len(subjects) == 4 and all("help" in s for s in subjects)
    assert _checks(app, request.id) == ["help", "help"]


def test_emergency_numbers_come_from_the_settings(app):
    with app.app_context():
        numbers = services.emergency_numbers()
    assert numbers["emergency"]


# --- the Today board ---------------------------------------------------------------------------


def test_board_states(app):
    champion = make_user(roles=("champion",))
    now = datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        request = AccompanimentRequest(
            starts_at=now - timedelta(hours=1), ends_at=now, state="accepted"
        )
        assert services.board_state(request, {}, now) == "not_started"
        assert services.board_state(request, {"checkin": now}, now) == "met"
        assert services.board_state(request, {"checkin": now, "checkout": now}, now) == "finished"
        later = now + timedelta(minutes=61)
        assert services.board_state(request, {"checkin": now}, later) == "overdue"
        assert services.board_state(request, {"help": now}, now) == "help"
        helped_then_safe = {"help": now, "checkout": now + timedelta(minutes=5)}
        assert services.board_state(request, helped_then_safe, later) == "finished"
        request.state = "completed"
        assert services.board_state(request, {}, later) == "finished"
        assert services.today_board(_user(champion.id)) == []


# --- outcomes ----------------------------------------------------------------------------------


def _outcome(app, request_id: int, user_id: int, **values):
    with app.app_context():
        return services.record_outcome(request_id, _user(user_id), **values)


def test_outcome_completes_the_request_and_tells_the_keyworker(app):
    request, _v, user, keyworker, client = make_escort(starts_in=timedelta(hours=-2))
    _outcome(
        app, request.id, user.id, came="attended", together="yes", again="yes", note="Went well."
    )
    with app.app_context():
        row = db.session.get(AccompanimentRequest, request.id)
        assert (row.state, row.outcome) == ("completed", "attended")
        saved = db.session.get(EscortOutcome, request.id)
        assert (saved.went_in_together, saved.wants_again, saved.note) == (
            True,
            "yes",
            "Went well.",
        )
        assert saved.recorded_by_id == user.id
        # Session three's "did the client attend" is prefilled from it.
        defaults = session_defaults(db.session.get(Client, client.id), 3)
        assert defaults["attended"] == "yes"
    assert _count(app, kind="outcome_recorded", user_id=keyworker.id) == 1
    # A second recording finds nothing to complete.
    with pytest.raises(NotFound):
        _outcome(app, request.id, user.id, came="attended", together="yes")


def test_client_did_not_come_prefills_no(app):
    request, _v, user, _kw, client = make_escort(starts_in=timedelta(hours=-2))
    _outcome(app, request.id, user.id, came="client_did_not_come")
    with app.app_context():
        defaults = session_defaults(db.session.get(Client, client.id), 3)
    assert defaults["attended"] == "no"


def test_outcome_rules(app):
    request, _v, user, *_ = make_escort(starts_in=timedelta(hours=-2))
    for values, field in (
        ({"came": None}, "came"),
        ({"came": "maybe"}, "came"),
        ({"came": "attended"}, "together"),
        ({"came": "attended", "together": "perhaps"}, "together"),
        ({"came": "attended", "together": "yes", "again": "x"}, "again"),
        ({"came": "attended", "together": "yes", "note": "x" * 501}, "note"),
    ):
        with pytest.raises(InvalidChange) as caught:
            _outcome(app, request.id, user.id, **values)
        assert caught.value.field == field
    with pytest.raises(Conflict):
        _outcome(app, request.id, user.id, came="client_did_not_come", version=99)
    with app.app_context():
        assert db.session.get(AccompanimentRequest, request.id).state == "accepted"


def test_outcome_waits_for_the_meeting_day(app):
    request, _v, user, *_ = make_escort(starts_in=timedelta(days=3))
    with pytest.raises(InvalidChange):
        _outcome(app, request.id, user.id, came="attended", together="yes")


def test_champion_records_a_phone_only_contacts_outcome(app):
    champion = make_user(roles=("champion",))
    request, volunteer, user, keyworker, _client = make_escort(
        starts_in=timedelta(hours=-2), phone_only=True
    )
    assert user is None
    _outcome(app, request.id, champion.id, came="volunteer_could_not_go")
    with app.app_context():
        row = db.session.get(AccompanimentRequest, request.id)
        assert row.outcome == "volunteer_could_not_go"
    # A keyworker, or another volunteer, may not.
    other, _v2, other_user, *_ = make_escort(starts_in=timedelta(hours=-2))
    for person in (keyworker, make_user(roles=("volunteer",))):
        with pytest.raises(NotFound):
            _outcome(app, other.id, person.id, came="attended", together="yes")


# --- the tick: reminders, overdue check-outs, offer expiry --------------------------------------


def test_reminder_24_hours_before_once_per_person(app):
    request, _v, user, keyworker, _client = make_escort(starts_in=timedelta(days=3))
    starts = request.starts_at
    _tick(app, starts - timedelta(hours=30))
    assert _count(app, kind="escort_reminder") == 0
    _tick(app, starts - timedelta(hours=24))
    _tick(app, starts - timedelta(hours=23))
    _tick(app, starts - timedelta(hours=1))
    assert _count(app, kind="escort_reminder", user_id=user.id) == 1
    assert _count(app, kind="escort_reminder", user_id=keyworker.id) == 1
    _tick(app, starts + timedelta(minutes=5))
    assert _count(app, kind="escort_reminder") == 2


def test_reminder_skipped_after_a_gap_past_the_meeting(app):
    request, *_ = make_escort(starts_in=timedelta(days=3))
    _tick(app, request.starts_at + timedelta(hours=1))
    assert _count(app, kind="escort_reminder") == 0


def test_overdue_checkout_alerts_champions_exactly_once(app):
    champions = [make_user(roles=("champion",)) for _ in range(2)]
    request, _v, user, keyworker, _client = make_escort(starts_in=timedelta(days=1))
    ends = request.ends_at
    _tick(app, ends)
    _tick(app, ends + timedelta(minutes=59))
    assert _count(app, kind="checkout_overdue") == 0
    for minutes in (60, 61, 90, 600):
        _tick(app, ends + timedelta(minutes=minutes))
    assert _count(app, kind="checkout_overdue") == 2
    for champion in champions:
        assert _count(app, kind="checkout_overdue", user_id=champion.id, urgent=True) == 1
    assert _count(app, kind="checkout_overdue", user_id=keyworker.id) == 0
    with app.app_context():
        emails = db.session.scalar(
            select(func.count()).where(OutboxMessage.kind == "checkout_overdue")
        )
    assert emails == 2


def test_no_overdue_alert_after_check_out_or_outcome(app):
    make_user(roles=("champion",))
    checked_out, _v, user, *_ = make_escort(starts_in=timedelta(hours=-1, minutes=-30))
    with app.app_context():
        # at the time they happened: "now" may already be past the escort day's midnight
        services.record_check(
            checked_out.id, _user(user.id), "checkin", now=checked_out.meeting_point_at
        )
        services.record_check(checked_out.id, _user(user.id), "checkout", now=checked_out.ends_at)
    recorded, _v, user2, *_ = make_escort(starts_in=timedelta(hours=-1, minutes=-30))
    _outcome(app, recorded.id, user2.id, came="client_did_not_come")
    _tick(app, checked_out.ends_at + timedelta(hours=2))
    assert _count(app, kind="checkout_overdue") == 0


def test_overdue_respects_the_grace_setting(app):
    make_user(roles=("champion",))
    request, *_ = make_escort(starts_in=timedelta(days=1))
    with app.app_context():
        from portal.settings import SettingRow

        db.session.add(SettingRow(key="checkout_grace_minutes", value="15"))
        db.session.commit()
    _tick(app, request.ends_at + timedelta(minutes=16))
    assert _count(app, kind="checkout_overdue") == 1


def test_old_escorts_raise_no_alert(app):
    make_user(roles=("champion",))
    request, *_ = make_escort(starts_in=timedelta(days=1))
    _tick(app, request.ends_at + timedelta(days=3))
    assert _count(app, kind="checkout_overdue") == 0


def _tick_in_process(config: dict, iso_now: str) -> dict:
    from portal import create_app
    from portal.jobs import run_tick as tick

    app = create_app(config)
    with app.app_context():
        return tick(datetime.fromisoformat(iso_now)).counts


@pytest.mark.slow
def test_concurrent_ticks_send_one_overdue_alert_and_one_reminder(app, app_config):
    champions = [make_user(roles=("champion",)) for _ in range(2)]
    overdue, *_ = make_escort(starts_in=timedelta(days=1))
    soon, _v, user, keyworker, _c = make_escort(starts_in=timedelta(days=1, hours=12))
    now = overdue.ends_at + timedelta(hours=2)
    context = multiprocessing.get_context("spawn")
    with context.Pool(3, **for_children()) as pool:
        pool.starmap(_tick_in_process, [(app_config, now.isoformat())] * 3)
    _tick(app, now + timedelta(minutes=1))
    assert _count(app, kind="checkout_overdue") == len(champions)
    assert _count(app, kind="escort_reminder", user_id=user.id) == 1
    assert _count(app, kind="escort_reminder", user_id=keyworker.id) == 1
    assert soon.id != overdue.id


def test_the_tick_expires_offers(app):
    from portal.accompaniment.jobs import expire_offers
    from portal.database import write_transaction
    from portal.jobs import JOBS

    make_user(roles=("champion",))
    client = make_client()
    request = make_request(client, state="offered", weeks_ahead=1)
    volunteer = make_vetted_volunteer(make_user(roles=("volunteer",)))
    offer = make_offer(request, volunteer, hours=1)
    assert ("offers nobody answered in time", expire_offers) in JOBS
    with app.app_context(), write_transaction():
        assert expire_offers(offer.expires_at + timedelta(minutes=1)) == 1
    with app.app_context():
        assert db.session.get(AccompanimentRequest, request.id).state == "open"
    _tick(app, offer.expires_at + timedelta(minutes=2))  # nothing left to expire
    assert _count(app, kind="offer_declined") == 1


def test_the_outcome_page_opens_when_the_meeting_starts(app):
    later, _v, user, *_ = make_escort(starts_in=timedelta(days=3))
    started, _v2, started_user, *_ = make_escort(starts_in=timedelta(hours=-2))
    champion = make_user(roles=("champion",))
    with app.app_context():
        waiting = services.outcome_page(later.id, _user(user.id))
        assert not waiting.open and waiting.rule
        own = services.outcome_page(started.id, _user(started_user.id))
        assert own.open and own.rule is None and not own.for_someone
        assert services.outcome_page(started.id, _user(champion.id)).for_someone
        with pytest.raises(NotFound):
            services.outcome_page(started.id, _user(user.id))
