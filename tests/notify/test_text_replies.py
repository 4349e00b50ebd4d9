"""Texts people send to the service (issue 16): fetched by the tick or posted by Notify to our
callback, stored once, answered once; STOP and START; Notify's delivery receipts by callback.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.jobs import run_tick
from portal.notify.models import Notification, ReceivedText, TextMessage, TextStop
from portal.notify.text_delivery import deliver_due_texts
from portal.notify.text_inbox import dispatch_received, fetch_received_texts
from portal.notify.texts import REPLY_HANDLERS, queue_text, text_reply_handler

from ..factories import give_mobile, make_user

NUMBER = "+447700900123"
TOKEN = "callback-token-for-tests-0123456789"


def _tick(app) -> None:
    with app.app_context():
        report = run_tick()
    assert not [name for name in report.counts if "(failed)" in name], report.counts


def _received(app) -> list[ReceivedText]:
    with app.app_context():
        rows = list(db.session.scalars(select(ReceivedText).order_by(ReceivedText.id)))
        db.session.expunge_all()
        return rows


def _replies_to(notify_server, number: str = NUMBER) -> list[str]:
    return [text["body"] for text in notify_server.texts_to(number)]


def _notes(app, kind: str = "text_unhandled") -> list[Notification]:
    with app.app_context():
        rows = list(db.session.scalars(select(Notification).where(Notification.kind == kind)))
        db.session.expunge_all()
        return rows


@pytest.fixture
def handlers():
    """Handlers a test registers are removed after it (B's stay as they were)."""
    before = list(REPLY_HANDLERS)
    yield
    REPLY_HANDLERS[:] = before


def test_received_texts_fetched_twice_are_stored_once_across_pages(app, notify_server):
    notify_server.page_size = 2
    for n in range(5):
        notify_server.receive("447700900999", f"Message {n}")
    with app.app_context():
        assert fetch_received_texts() == 5
        assert fetch_received_texts() == 0
    notify_server.receive("447700900999", "Message 5")
    with app.app_context():
        assert fetch_received_texts() == 1
    rows = _received(app)
    assert sorted(r.content for r in rows) == [f"Message {n}" for n in range(6)]
    assert {r.from_number for r in rows} == {"+447700900999"}
    # the last fetch stopped at the first page, which held one already stored
    assert notify_server.requests[-1] == ("GET", "/v2/received-text-messages")


def test_stop_in_any_case_stops_texts_to_that_number_and_confirms(app, notify_server):
    volunteer = make_user(roles=("volunteer",))
    give_mobile(volunteer)
    with app.app_context():
        waiting = queue_text("offer_made", NUMBER, "An offer", dedupe_key="before-stop")
        waiting_id = waiting.id
        db.session.commit()
    notify_server.receive("447700900123", "  stop ")
    with app.app_context():
        fetch_received_texts()
        assert dispatch_received() == 1
        assert db.session.scalar(select(TextStop.number)) == NUMBER
        assert queue_text("offer_made", NUMBER, "Another offer", at_any_hour=True) is None
        deliver_due_texts(datetime.now(UTC) + timedelta(days=1))
        held = db.session.get(TextMessage, waiting_id)
        assert held.status == "refused" and held.last_error == "The number texted STOP"
    assert _replies_to(notify_server) == [
        "You will get no more texts from us. Text START to get them again."
    ]
    [row] = _received(app)
    assert row.outcome == "stop" and row.handled_at and row.user_id == volunteer.id
    # the person's page says so
    notify_server.receive("447700900123", "Start")
    _tick(app)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TextStop)) == 0
        assert queue_text("offer_made", NUMBER, "Back again", at_any_hour=True) is not None
        db.session.rollback()
    assert _replies_to(notify_server)[-1] == (
        "You will get texts from us again. Text STOP to stop them."
    )


def test_a_text_from_an_unknown_number_gets_a_helpful_answer_and_changes_nothing(
    app, notify_server
):
    make_user(roles=("champion",))
    notify_server.receive("447700900555", "Hello, who is this?")
    _tick(app)
    [row] = _received(app)
    assert row.outcome == "unknown_number" and row.user_id is None
    [answer] = _replies_to(notify_server, "+447700900555")
    assert "do not recognise this number" in answer
    assert _notes(app) == []


def test_a_text_nobody_handles_is_answered_and_noted_to_each_champion(app, notify_server):
    champions = [make_user(roles=("champion",)) for _ in range(2)]
    volunteer = make_user(roles=("volunteer",), name="Sam Volunteer")
    give_mobile(volunteer)
    words = "Running late, the bus broke down. " * 20
    notify_server.receive("447700900123", words)
    _tick(app)
    _tick(app)  # answered once
    [answer] = _replies_to(notify_server)
    assert answer.startswith("Sorry, we could not read that.")
    notes = _notes(app)
    assert sorted(n.user_id for n in notes) == sorted(c.id for c in champions)
    assert notes[0].title == "A text message needs a look"
    assert notes[0].body == f"From Sam Volunteer: “{words[:200]}”"
    assert notes[0].link == "/messages/texts"


def test_a_2000_character_reply_is_stored_cut_and_answered_normally(app, notify_server):
    volunteer = make_user(roles=("volunteer",))
    give_mobile(volunteer)
    notify_server.receive("447700900123", "y" * 2000)
    _tick(app)
    [row] = _received(app)
    assert len(row.content) == 1000 and row.outcome == "unhandled"
    assert len(_replies_to(notify_server)) == 1


def test_a_registered_handler_answers_and_one_that_fails_is_caught(app, notify_server, handlers):
    volunteer = make_user(roles=("volunteer",))
    give_mobile(volunteer)
    seen = []

    @text_reply_handler
    def broken(reply):
        if reply.content == "BOOM":
            raise RuntimeError("a bug in a handler")
        return None

    @text_reply_handler
    def answers(reply):
        seen.append(reply)
        return f"Thanks, {reply.user_id}" if reply.content.startswith("PING") else None

    notify_server.receive("447700900123", "PING 4821")
    _tick(app)
    assert [r.content for r in seen] == ["PING 4821"] and seen[0].from_number == NUMBER
    assert seen[0].user_id == volunteer.id
    assert _replies_to(notify_server) == [f"Thanks, {volunteer.id}"]
    notify_server.receive("447700900123", "BOOM")
    _tick(app)
    assert _replies_to(notify_server)[-1].startswith("Sorry, something went wrong")
    assert [r.outcome for r in _received(app)] == ["handled", "failed"]


def test_two_workers_answer_each_received_text_once(app, notify_server):
    give_mobile(make_user(roles=("volunteer",)))
    for n in range(6):
        notify_server.receive("447700900123", f"Hello {n}")
    with app.app_context():
        fetch_received_texts()
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def work() -> None:
        with app.app_context():
            barrier.wait(5)
            counts.append(dispatch_received())

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert sum(counts) == 6
    with app.app_context():
        deliver_due_texts()
    assert len(_replies_to(notify_server)) == 6


# --- Notify's callbacks ---------------------------------------------------------------------------


def _post(client, path: str, body, token: str | None = TOKEN, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(path, json=body, headers=headers, **kwargs)


def _received_body(notify_id: str = "0c9ac3c7-7b9d-4a5e-8f4f-6a51b1a1f001", **values) -> dict:
    return {
        "id": notify_id,
        "source_number": "447700900123",
        "destination_number": "07700900000",
        "message": "Hello there",
        "date_received": "2026-11-30T10:00:00.000000Z",
        **values,
    }


def test_a_received_text_posted_twice_is_stored_and_answered_once(app, client, notify_server):
    app.config["NOTIFY_CALLBACK_TOKEN"] = TOKEN
    volunteer = make_user(roles=("volunteer",))
    give_mobile(volunteer)
    for _ in range(2):
        response = _post(client, "/messages/texts/received", _received_body())
        assert response.status_code == 200
    [row] = _received(app)
    assert row.content == "Hello there" and row.outcome == "unhandled"
    assert row.received_at == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TextMessage)) == 1


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x", TOKEN[:-1], "\x00", "é" * 10])
def test_a_wrong_or_missing_bearer_token_is_refused_and_stores_nothing(app, client, token):
    app.config["NOTIFY_CALLBACK_TOKEN"] = TOKEN
    for path, body in (
        ("/messages/texts/received", _received_body()),
        ("/messages/texts/receipts", {"id": "x", "reference": "text-1", "status": "delivered"}),
    ):
        assert _post(client, path, body, token=token).status_code == 403
    assert _received(app) == []


def test_other_schemes_are_refused_too(app, client):
    app.config["NOTIFY_CALLBACK_TOKEN"] = TOKEN
    response = client.post(
        "/messages/texts/received",
        json=_received_body(),
        headers={"Authorization": f"Basic {TOKEN}"},
    )
    assert response.status_code == 403 and _received(app) == []


def test_with_no_callback_token_configured_the_callbacks_are_not_there(app, client):
    app.config["NOTIFY_CALLBACK_TOKEN"] = ""
    for token in (None, "", "anything"):
        response = _post(client, "/messages/texts/received", _received_body(), token=token)
        assert response.status_code == 404
    assert _received(app) == []


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "text",
        {"id": 5},
        {"id": ""},
        {"message": "no id"},
    ],
)
def test_a_received_callback_with_a_body_that_is_not_notifys_is_a_400(app, client, body):
    app.config["NOTIFY_CALLBACK_TOKEN"] = TOKEN
    assert _post(client, "/messages/texts/received", body).status_code == 400
    assert _received(app) == []


def test_hostile_values_in_a_received_callback_are_stored_safely(app, client):
    app.config["NOTIFY_CALLBACK_TOKEN"] = TOKEN
    body = _received_body(
        "a" * 500,
        source_number="\x00" * 50,
        message="STOP\x00" + "z" * 5000,
        date_received="not a date",
    )
    assert _post(client, "/messages/texts/received", body).status_code == 200
    [row] = _received(app)
    assert len(row.notify_id) == 36 and "\x00" not in row.content and len(row.content) == 1000
    assert row.outcome == "unknown_number"
    body = _received_body("b1", message=["not", "text"], source_number=12345)
    assert _post(client, "/messages/texts/received", body).status_code == 200


def test_a_delivery_receipt_by_callback_sets_the_status_once_final(app, client, notify_server):
    app.config["NOTIFY_CALLBACK_TOKEN"] = TOKEN
    with app.app_context():
        text = queue_text("offer_made", NUMBER, "An offer", at_any_hour=True)
        text_id = text.id
        db.session.commit()
        deliver_due_texts()
    notify_id = notify_server.sent[0]["id"]
    receipt = {
        "id": notify_id,
        "reference": f"text-{text_id}",
        "to": NUMBER,
        "status": "delivered",
        "created_at": "2026-11-30T10:00:00.000000Z",
        "completed_at": "2026-11-30T10:00:05.000000Z",
        "sent_at": "2026-11-30T10:00:01.000000Z",
        "notification_type": "sms",
    }
    assert _post(client, "/messages/texts/receipts", receipt).get_json() == {"updated": True}
    late = {**receipt, "status": "sending"}  # a late receipt never undoes a final one
    assert _post(client, "/messages/texts/receipts", late).get_json() == {"updated": False}
    for odd in ({**receipt, "status": "nonsense"}, {**receipt, "reference": None, "id": None}):
        assert _post(client, "/messages/texts/receipts", odd).status_code == 200
    assert _post(client, "/messages/texts/receipts", {"status": 5}).status_code == 400
    with app.app_context():
        assert db.session.get(TextMessage, text_id).status == "delivered"
