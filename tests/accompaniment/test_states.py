"""The request state machine: every allowed and refused arrow, and two people acting at once."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.accompaniment import services
from portal.accompaniment.models import STATES, AccompanimentRequest, RequestEvent
from portal.accompaniment.states import REDATE_FROM, TRANSITIONS
from portal.audit import AuditEvent
from portal.auth.models import User
from portal.clients.models import Client
from portal.errors import Conflict, InvalidChange, NotFound
from portal.extensions import db
from portal.meetings.occurrences import LONDON

from ..clock import following
from ..factories import make_client, make_meeting, make_request, make_user

PAIRS = [(a, b) for a in STATES for b in STATES]
EXTRA = {"completed": {"outcome": "attended"}, "cancelled": {"reason": "Client is unwell"}}


def _events(request_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(RequestEvent).where(RequestEvent.request_id == request_id)
    )


@pytest.mark.parametrize(("from_state", "to_state"), PAIRS)
def test_every_arrow_is_allowed_or_refused_as_the_table_says(app, from_state, to_state):
    client = make_client()
    made = make_request(client, state=from_state)
    with app.app_context():
        request = db.session.get(AccompanimentRequest, made.id)
        actor = db.session.get(User, client.keyworker_id)
        before = _events(request.id)
        if from_state in TRANSITIONS[to_state]:
            services.change_request_state(
                request, to_state, actor, "checked", request.version, **EXTRA.get(to_state, {})
            )
            db.session.expire_all()
            request = db.session.get(AccompanimentRequest, made.id)
            assert request.state == to_state
            assert request.version == made.version + 1
            assert _events(request.id) == before + 1
            event = db.session.scalars(
                select(RequestEvent).order_by(RequestEvent.id.desc()).limit(1)
            ).one()
            assert (event.from_state, event.to_state, event.actor_id) == (
                from_state,
                to_state,
                actor.id,
            )
            assert event.at is not None
        else:
            with pytest.raises(InvalidChange) as refused:
                services.change_request_state(
                    request, to_state, actor, None, request.version, **EXTRA.get(to_state, {})
                )
            assert "Nothing was changed" in refused.value.message
            db.session.rollback()
            db.session.expire_all()
            request = db.session.get(AccompanimentRequest, made.id)
            assert (request.state, request.version) == (from_state, made.version)
            assert _events(request.id) == before


def test_the_table_has_the_arrows_of_the_design():
    assert TRANSITIONS["offered"] == {"open"}
    assert TRANSITIONS["accepted"] == {"offered"}
    assert TRANSITIONS["completed"] == {"accepted"}
    assert TRANSITIONS["cancelled"] == {"open", "offered", "accepted"}
    assert "completed" not in TRANSITIONS["open"] and "cancelled" not in TRANSITIONS["open"]
    assert not any(
        "completed" in sources or "cancelled" in sources for sources in TRANSITIONS.values()
    )


def test_completion_needs_an_outcome_and_cancelling_needs_a_reason(app):
    client = make_client()
    accepted = make_request(client, state="accepted")
    with app.app_context():
        request = db.session.get(AccompanimentRequest, accepted.id)
        with pytest.raises(InvalidChange):
            services.change_request_state(request, "completed", None, outcome="went shopping")
        with pytest.raises(InvalidChange):
            services.change_request_state(request, "cancelled", None, reason="   ")
        services.change_request_state(request, "completed", None, outcome="client_did_not_come")
        assert request.outcome == "client_did_not_come"


def test_accepting_records_the_peer_name_and_reopening_forgets_it(app):
    client = make_client()
    made = make_request(client, state="offered")
    with app.app_context():
        request = db.session.get(AccompanimentRequest, made.id)
        services.change_request_state(request, "accepted", None, peer_first_name="Sam")
        assert request.peer_first_name == "Sam"
        services.change_request_state(request, "open", None, "Volunteer dropped out")
        assert request.peer_first_name is None


def test_a_stale_version_is_a_conflict_and_changes_nothing(app):
    client = make_client()
    made = make_request(client)
    with app.app_context():
        request = db.session.get(AccompanimentRequest, made.id)
        with pytest.raises(Conflict):
            services.change_request_state(request, "offered", None, version=made.version + 5)
        db.session.expire_all()
        assert db.session.get(AccompanimentRequest, made.id).state == "open"


def test_two_people_acting_on_one_request_cannot_both_win(app):
    client = make_client()
    made = make_request(client)
    with app.app_context():
        first = db.session.get(AccompanimentRequest, made.id)
        db.session.expunge(first)
        second = db.session.get(AccompanimentRequest, made.id)
        db.session.expunge(second)
        # Both loaded version 1 while open; the champion offers it, then the keyworker cancels.
        db.session.add(first)
        services.change_request_state(first, "offered", None, version=made.version)
        db.session.expunge(first)
        db.session.add(second)
        assert second.state == "open" and second.version == made.version  # stale copy
        with pytest.raises(Conflict) as lost:
            services.change_request_state(
                second, "cancelled", None, version=made.version, reason="No longer needed"
            )
        assert "Reload" in lost.value.message
    with app.app_context():
        request = db.session.get(AccompanimentRequest, made.id)
        assert request.state == "offered"
        assert _events(made.id) == 2  # raised + offered, nothing from the loser


def _race(database_url: str, request_id: int, to_state: str, barrier, results) -> None:
    from portal import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"})
    with app.app_context():
        request = db.session.get(AccompanimentRequest, request_id)
        version = request.version
        db.session.rollback()  # hold no lock while waiting for the other process
        barrier.wait(timeout=30)
        try:
            services.change_request_state(
                request, to_state, None, version=version, reason="Race", outcome=None
            )
            results.put((to_state, "won"))
        except Conflict:
            results.put((to_state, "conflict"))
        db.engine.dispose()


@pytest.mark.slow
def test_separate_processes_racing_end_in_one_clear_state(app, database_url):
    client = make_client()
    made = make_request(client)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    workers = [
        context.Process(
            target=following(_race), args=(database_url, made.id, state, barrier, results)
        )
        for state in ("offered", "cancelled")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    outcomes = sorted(results.get(timeout=5) for _ in workers)
    assert sorted(kind for _, kind in outcomes) == ["conflict", "won"]
    winner = next(state for state, kind in outcomes if kind == "won")
    with app.app_context():
        request = db.session.get(AccompanimentRequest, made.id)
        assert request.state == winner
        assert request.version == made.version + 1
        assert _events(made.id) == 2


def test_listeners_run_inside_the_change(app):
    client = make_client()
    made = make_request(client, state="accepted")
    seen = []
    listener = services.on_state_change(lambda r, a, b, actor: seen.append((r.id, a, b)))
    try:
        with app.app_context():
            request = db.session.get(AccompanimentRequest, made.id)
            services.change_request_state(request, "open", None)
    finally:
        services._listeners.remove(listener)
    assert seen == [(made.id, "accepted", "open")]


def test_every_change_is_audited_with_the_client_reference(app):
    client = make_client()
    made = make_request(client)
    with app.app_context():
        request = db.session.get(AccompanimentRequest, made.id)
        services.change_request_state(request, "offered", None)
        row = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "request_state_changed")
        ).one()
        assert row.client_ref == client.reference


# --- keyworker changes ------------------------------------------------------------------------


@pytest.mark.parametrize("state", sorted(REDATE_FROM))
def test_a_new_date_reopens_the_request(app, state):
    client = make_client()
    meeting = make_meeting()
    made = make_request(client, meeting, state=state, peer_first_name="Sam")
    with app.app_context():
        request = db.session.get(AccompanimentRequest, made.id)
        actor = db.session.get(User, client.keyworker_id)
        new_day = made.meeting_date + timedelta(days=7)
        services.change_request_date(request, actor, new_day, made.version)
        db.session.expire_all()
        request = db.session.get(AccompanimentRequest, made.id)
        assert (request.state, request.meeting_date, request.peer_first_name) == (
            "open",
            new_day,
            None,
        )
        assert request.starts_at.astimezone(LONDON).date() == new_day
        assert db.session.get(Client, client.id).commitment_at == request.starts_at
        event = db.session.scalars(select(RequestEvent).order_by(RequestEvent.id.desc())).first()
        assert event.to_state == "open" and "Date changed" in event.note


@pytest.mark.parametrize("state", ["completed", "cancelled"])
def test_a_finished_request_keeps_its_date(app, state):
    client = make_client()
    made = make_request(client, state=state)
    with app.app_context():
        request = db.session.get(AccompanimentRequest, made.id)
        actor = db.session.get(User, client.keyworker_id)
        with pytest.raises(InvalidChange):
            services.change_request_date(
                request, actor, made.meeting_date + timedelta(days=7), made.version
            )


def test_a_new_date_must_be_a_real_future_date_of_the_meeting(app):
    client = make_client()
    made = make_request(client)
    with app.app_context():
        request = db.session.get(AccompanimentRequest, made.id)
        actor = db.session.get(User, client.keyworker_id)
        for day in (
            made.meeting_date + timedelta(days=1),  # not the meeting's weekday
            made.meeting_date - timedelta(days=21),  # in the past
            made.meeting_date + timedelta(days=7 * 20),  # too far ahead
        ):
            with pytest.raises(InvalidChange) as refused:
                services.change_request_date(request, actor, day, made.version)
            assert refused.value.field == "meeting_date"


def test_only_the_clients_keyworker_may_cancel_or_redate(app):
    client = make_client()
    other = make_user()
    made = make_request(client)
    with app.app_context():
        request = db.session.get(AccompanimentRequest, made.id)
        stranger = db.session.get(User, other.id)
        with pytest.raises(NotFound):
            services.cancel_request(request, stranger, "Because", made.version)
        with pytest.raises(NotFound):
            services.get_request_for(stranger, made.id)


def test_raising_a_request_checks_the_date_and_allows_one_at_a_time(app):
    from portal.clients import services as clients

    meeting = make_meeting()
    client = make_client(gender="not_said")
    with app.app_context():
        actor = db.session.get(User, client.keyworker_id)
        row = db.session.get(Client, client.id)
        session = clients.record_session(row, actor, 1, _today(), {"past_experience": "none"})
        start = _next_start(meeting)
        choice = f"{meeting.id}@{start.astimezone(LONDON).date().isoformat()}"
        session = clients.record_session(
            row, actor, 2, _today(), {"commitment": choice, "wants_company": "yes"}
        )
        day = start.astimezone(LONDON).date()
        with pytest.raises(InvalidChange) as wrong_day:
            services.raise_request(row, actor, session=session, meeting_date=day + timedelta(1))
        assert wrong_day.value.field == "meeting_date"
        with pytest.raises(InvalidChange) as same:
            services.raise_request(
                row, actor, session=session, meeting_date=day, peer_gender="same"
            )
        assert same.value.field == "peer_gender"
        raised = services.raise_request(
            row, actor, session=session, meeting_date=day, language="Polish", minutes_before=20
        )
        assert (raised.state, raised.is_current, raised.minutes_before) == ("open", True, 20)
        assert [e.to_state for e in raised.events] == ["open"]
        with pytest.raises(InvalidChange):
            services.raise_request(row, actor, session=session, meeting_date=day)
        assert services.wished_peer_gender(raised, row) == "any"


def test_same_gender_wish_reads_as_the_clients_gender(app):
    client = make_client(gender="non-binary")
    made = make_request(client, peer_gender="same")
    with app.app_context():
        request = db.session.get(AccompanimentRequest, made.id)
        assert services.wished_peer_gender(request, db.session.get(Client, client.id)) == (
            "non-binary"
        )


def _today():
    return datetime.now(UTC).astimezone(LONDON).date()


def _next_start(meeting) -> datetime:
    from portal.meetings.occurrences import next_occurrences

    after = datetime.now(UTC) + timedelta(days=1)
    return next_occurrences(meeting.weekday, meeting.start_time, meeting.end_time, after, 1)[0][0]
