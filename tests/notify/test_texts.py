"""Texts through GOV.UK Notify: numbers, the text outbox and its delivery (issue 16).

Delivery runs the official client against tests/notify_server.py over real HTTP: nothing here
patches the client.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.auth.models import User
from portal.extensions import db
from portal.jobs import run_tick
from portal.notify.models import TextMessage
from portal.notify.services import notify_user
from portal.notify.text_delivery import _claim_text, _send, deliver_due_texts
from portal.notify.texts import (
    BadNumber,
    mobile_of,
    normalise_mobile,
    queue_text,
    stop_number,
    wants_text,
)
from portal.settings import SettingRow

from ..factories import give_mobile, make_user

NUMBER = "+447700900123"


def _ref(sent: dict) -> str:
    """A text's reference at Notify without the instant it was queued: "text-<our id>"."""
    return sent["reference"].rsplit("-", 1)[0]


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("07700 900123", NUMBER),
        ("+44 7700 900123", NUMBER),
        ("07700-900-123", NUMBER),
        ("(07700) 900123", NUMBER),
        ("0044 7700 900123", NUMBER),
        ("+44 (0)7700 900123", NUMBER),
        ("  07700900123  ", NUMBER),
        ("07624 123456", "+447624123456"),  # the Isle of Man's mobiles
        ("+353 85 123 4567", "+353851234567"),
    ],
)
def test_a_mobile_as_typed_is_kept_in_one_form(typed, e164):
    assert normalise_mobile(typed) == e164


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "0161 496 0000",  # a landline cannot get texts
        "0800 123 456",
        "07012 345678",  # a personal number
        "07612 345678",  # a pager
        "07700 90012",
        "07700 9001234",
        "12345",
        "not a number",
        "07700\x00900123",
        "0" * 40,
        "+" * 31,
    ],
)
def test_anything_but_a_mobile_is_refused_in_words_fit_for_the_field(typed):
    with pytest.raises(BadNumber) as refused:
        normalise_mobile(typed)
    assert str(refused.value) == "Enter a mobile number, like 07700 900 982"


def _queue(app, body: str = "Can you help? Reply YES 4821", **kwargs) -> int | None:
    kwargs.setdefault("at_any_hour", True)
    with app.app_context():
        text = queue_text(
            kwargs.pop("kind", "offer_made"), kwargs.pop("to", NUMBER), body, **kwargs
        )
        db.session.commit()
        return text.id if text else None


def _text(app, text_id: int) -> TextMessage:
    with app.app_context():
        text = db.session.get(TextMessage, text_id)
        db.session.expunge(text)
        return text


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(TextMessage))


def _deliver(app, now: datetime | None = None) -> tuple[int, int]:
    with app.app_context():
        return deliver_due_texts(now)


def test_a_text_is_queued_only_when_the_transaction_commits(app):
    with app.app_context():
        queue_text("offer_made", NUMBER, "Hello", at_any_hour=True)
        db.session.rollback()
    assert _count(app) == 0
    assert _queue(app) is not None and _count(app) == 1


def test_the_same_dedupe_key_to_the_same_number_is_queued_once(app):
    first = _queue(app, dedupe_key="offer:1")
    assert first is not None
    assert _queue(app, dedupe_key="offer:1") is None
    assert _queue(app, dedupe_key="offer:1", to="+447700900124") is not None
    assert _queue(app, dedupe_key="offer:2") is not None
    assert _count(app) == 3


def test_bodies_over_six_fragments_unknown_kinds_and_raw_numbers_are_refused(app):
    with app.app_context():
        with pytest.raises(ValueError, match="918"):
            queue_text("offer_made", NUMBER, "x" * 919)
        with pytest.raises(ValueError, match="kind"):
            queue_text("no_such_kind", NUMBER, "Hello")
        with pytest.raises(ValueError, match="E.164"):
            queue_text("offer_made", "07700 900123", "Hello")
        with pytest.raises(ValueError, match="body"):
            queue_text("offer_made", NUMBER, "   ")
        assert queue_text("offer_made", NUMBER, "x" * 918) is not None
        db.session.rollback()


def test_a_number_that_texted_stop_gets_nothing_queued(app):
    with app.app_context():
        stop_number(NUMBER)
        db.session.commit()
    assert _queue(app) is None
    assert _count(app) == 0


def test_a_text_is_delivered_once_through_notify_with_our_reference(app, notify_server):
    text_id = _queue(app, "Can you help on Tuesday? Reply YES 4821")
    assert _deliver(app) == (1, 0)
    assert _deliver(app) == (0, 0)
    [sent] = notify_server.sent
    assert sent["phone_number"] == NUMBER
    assert sent["personalisation"] == {"body": "Can you help on Tuesday? Reply YES 4821"}
    assert re.fullmatch(rf"text-{text_id}-\d+", sent["reference"])
    assert sent["template_id"] == app.config["NOTIFY_SMS_TEMPLATE_ID"]
    assert sent["sms_sender_id"] == app.config["NOTIFY_SMS_SENDER_ID"]
    text = _text(app, text_id)
    assert text.status == "created" and text.notify_id == sent["id"] and text.sent_at
    assert text.attempts == 1


def test_two_workers_at_once_send_each_text_exactly_once(app, notify_server):
    ids = [_queue(app, f"Text number {n}", dedupe_key=f"k{n}") for n in range(12)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with app.app_context():
                barrier.wait(5)
                deliver_due_texts()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert not errors
    references = Counter(_ref(text) for text in notify_server.sent)
    assert references == Counter(f"text-{text_id}" for text_id in ids)
    assert all(_text(app, text_id).sent_at for text_id in ids)


def test_notify_down_mid_run_holds_the_rest_then_each_is_delivered_once(app, notify_server, clock):
    ids = [_queue(app, f"Text number {n}", dedupe_key=f"k{n}") for n in range(3)]
    notify_server.fail_next(500)  # the first is answered with a server error…
    assert _deliver(app) == (2, 1)
    notify_server.stop()  # …and then Notify goes away altogether
    more = [_queue(app, f"Later {n}", dedupe_key=f"later{n}") for n in range(2)]
    clock.shift(timedelta(minutes=5))
    assert _deliver(app) == (0, 3)
    waiting = [_text(app, text_id) for text_id in [ids[0], *more]]
    assert all(t.sent_at is None and t.status == "queued" and t.last_error for t in waiting)
    assert "503" in waiting[1].last_error  # a network that does not answer
    notify_server.start()
    clock.shift(timedelta(hours=2))
    assert _deliver(app) == (3, 0)
    assert _deliver(app) == (0, 0)
    references = Counter(_ref(text) for text in notify_server.sent)
    assert references == Counter(f"text-{text_id}" for text_id in [*ids, *more])


def test_back_off_grows_and_a_text_is_not_retried_before_its_time(app, notify_server):
    text_id = _queue(app)
    notify_server.fail_next(429, times=10)
    now = datetime.now(UTC)
    _deliver(app, now)
    first = _text(app, text_id).next_attempt_at
    assert _deliver(app, now + timedelta(seconds=5)) == (0, 0)  # not due yet
    _deliver(app, first)
    second = _text(app, text_id)
    assert second.next_attempt_at - first > first - now
    assert second.last_error.startswith("429") and second.status == "queued"


def test_notify_refusing_a_number_or_template_refuses_the_text_for_good(app, notify_server):
    bad_number = _queue(app, to="+353851234567")
    assert _deliver(app) == (0, 1)
    text = _text(app, bad_number)
    assert text.status == "refused" and text.sent_at is None
    assert text.last_error == "400 phone_number Not a UK mobile number"
    assert _deliver(app, datetime.now(UTC) + timedelta(days=1)) == (0, 0)  # never retried
    app.config["NOTIFY_SMS_TEMPLATE_ID"] = "00000000-0000-0000-0000-000000000000"
    bad_template = _queue(app)
    _deliver(app)
    assert _text(app, bad_template).last_error == "400 Template not found"
    assert notify_server.sent == []


def test_a_wrong_key_is_refused_by_notify_and_the_text_waits(app, notify_server):
    service_and_secret = app.config["NOTIFY_API_KEY"][-73:-36]
    app.config["NOTIFY_API_KEY"] = f"wrong-{service_and_secret}00000000-0000-0000-0000-000000000000"
    text_id = _queue(app)
    assert _deliver(app) == (0, 1)
    text = _text(app, text_id)
    assert text.status == "queued" and text.last_error.startswith("403")
    assert notify_server.refused[-1]["status"] == 403
    assert '"AuthError"' in notify_server.refused[-1]["body"]


def test_a_worker_that_died_after_notify_accepted_does_not_send_it_again(app, notify_server, clock):
    text_id = _queue(app)
    now = datetime.now(UTC)
    with app.app_context():  # a worker takes it, Notify accepts it, the worker dies
        assert _claim_text(text_id, now)
        from portal.notify.text_delivery import notify_client

        _send(notify_client(), db.session.get(TextMessage, text_id))
    assert len(notify_server.sent) == 1
    assert _deliver(app, now) == (0, 0)  # still claimed by the dead worker
    clock.shift(timedelta(seconds=app.config["MAIL_CLAIM_SECONDS"] + 1))
    assert _deliver(app) == (1, 0)
    assert len(notify_server.sent) == 1  # Notify was asked first, by our reference
    text = _text(app, text_id)
    assert text.notify_id == notify_server.sent[0]["id"] and text.sent_at
    assert ("GET", "/v2/notifications") in notify_server.requests


def test_without_a_key_development_prints_and_production_holds(app, notify_server, capsys):
    app.config["NOTIFY_API_KEY"] = ""
    text_id = _queue(app, "A text for the console")
    assert _deliver(app) == (1, 0)
    assert "A text for the console" in capsys.readouterr().out
    assert _text(app, text_id).status == "sent"
    app.config["PORTAL_ENV"] = "production"
    held_id = _queue(app, "Held until a key is set", dedupe_key="held")
    assert _deliver(app) == (0, 1)
    held = _text(app, held_id)
    assert held.status == "held" and held.sent_at is None and "NOTIFY_API_KEY" in held.last_error
    assert notify_server.sent == []


def _set(app, name: str, value) -> None:
    import json

    with app.app_context():
        db.session.merge(SettingRow(key=name, value=json.dumps(value)))
        db.session.commit()


def test_the_daily_cap_holds_ordinary_texts_to_tomorrow_but_never_safety_ones(
    app, notify_server, clock
):
    clock.move_to(datetime(2026, 12, 1, 11, 0, tzinfo=UTC))
    _set(app, "text_daily_cap", 2)
    ordinary = [_queue(app, f"Offer {n}", dedupe_key=f"o{n}", at_any_hour=False) for n in range(3)]
    safety = _queue(app, "Help asked", kind="help_requested", dedupe_key="h", at_any_hour=True)
    # every text counts towards the cap: the safety text goes first, then one ordinary one
    assert _deliver(app) == (2, 2)
    assert _text(app, safety).sent_at is not None and _text(app, ordinary[0]).sent_at
    for held_id in ordinary[1:]:
        held = _text(app, held_id)
        assert held.status == "held" and held.sent_at is None and "cap" in held.last_error
        assert held.next_attempt_at == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # the opening
        assert held.attempts == 0
    assert _deliver(app) == (0, 0)
    late_safety = _queue(app, "Overdue", kind="checkout_overdue", dedupe_key="c")
    assert _deliver(app) == (1, 0)  # over the cap, and still sent
    assert _text(app, late_safety).sent_at is not None
    clock.move_to(datetime(2026, 12, 2, 8, 0, 1, tzinfo=UTC))
    assert _deliver(app) == (2, 0)
    assert all(_text(app, held_id).sent_at for held_id in ordinary)
    assert len(notify_server.sent) == 5


def test_ordinary_texts_wait_for_service_hours_and_safety_texts_do_not(app, notify_server, clock):
    clock.move_to(datetime(2026, 12, 1, 22, 30, tzinfo=UTC))  # 10:30pm in London
    ordinary = _queue(app, "An offer", at_any_hour=False)
    safety = _queue(app, "Help asked", kind="help_requested", dedupe_key="h", at_any_hour=True)
    assert _text(app, ordinary).next_attempt_at == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    assert _deliver(app) == (1, 0)
    assert [_ref(t) for t in notify_server.sent] == [f"text-{safety}"]
    clock.move_to(datetime(2026, 12, 2, 8, 0, 1, tzinfo=UTC))
    assert _deliver(app) == (1, 0)


def test_service_hours_follow_london_time_in_summer(app, clock):
    clock.move_to(datetime(2027, 6, 1, 6, 0, tzinfo=UTC))  # 7am in London (BST)
    text_id = _queue(app, at_any_hour=False)
    assert _text(app, text_id).next_attempt_at == datetime(2027, 6, 1, 7, 0, tzinfo=UTC)


# --- receipts by polling ------------------------------------------------------------------------


def _tick(app) -> None:
    with app.app_context():
        report = run_tick()
    assert not [name for name in report.counts if "(failed)" in name], report.counts


def test_the_tick_asks_notify_how_texts_are_doing_until_they_are_final(app, notify_server, clock):
    first, second = _queue(app, "One", dedupe_key="1"), _queue(app, "Two", dedupe_key="2")
    _tick(app)
    assert len(notify_server.sent) == 2
    by_reference = {_ref(t): t["id"] for t in notify_server.sent}
    notify_server.set_status(by_reference[f"text-{first}"], "delivered")
    notify_server.set_status(by_reference[f"text-{second}"], "sending")
    clock.shift(timedelta(minutes=6))
    _tick(app)
    assert _text(app, first).status == "delivered"
    assert _text(app, second).status == "sending"
    notify_server.set_status(by_reference[f"text-{second}"], "permanent-failure")
    _tick(app)  # asked again only after five minutes
    assert _text(app, second).status == "sending"
    clock.shift(timedelta(minutes=6))
    _tick(app)
    assert _text(app, second).status == "permanent-failure"
    asked = len(notify_server.requests)
    clock.shift(timedelta(minutes=6))
    _tick(app)  # final texts are not asked about again
    assert not [r for r in notify_server.requests[asked:] if r[1].startswith("/v2/notifications/")]


# --- who gets texts -----------------------------------------------------------------------------


def _user(app, user_id: int) -> User:
    return db.session.get(User, user_id)


def test_wants_text_needs_a_mobile_and_follows_choices_and_stop(app):
    volunteer = make_user(roles=("volunteer",))
    with app.app_context():
        assert not wants_text(volunteer.id, "offer_made")  # no mobile
    give_mobile(volunteer, "07700 900123", escort_reminder=False)
    with app.app_context():
        assert mobile_of(volunteer.id) == NUMBER
        assert wants_text(volunteer.id, "offer_made")  # on by default
        assert not wants_text(volunteer.id, "escort_reminder")  # switched off
        assert not wants_text(volunteer.id, "offer_accepted")  # never by text
        assert not wants_text(volunteer.id, "no_such_kind")
        stop_number(NUMBER)
        assert not wants_text(volunteer.id, "offer_made")
        db.session.rollback()


def test_champions_get_safety_kinds_by_text_whatever_they_chose(app):
    champion = make_user(roles=("champion",))
    give_mobile(champion, "07700 900124", help_requested=False)
    with app.app_context():
        assert wants_text(champion.id, "help_requested")
        assert wants_text(champion.id, "checkout_overdue")


def test_notify_user_queues_the_text_with_the_notification_once(app):
    volunteer = make_user(roles=("volunteer",))
    give_mobile(volunteer)
    quiet = make_user(roles=("volunteer",))
    for _ in range(2):
        with app.app_context():
            for person in (volunteer, quiet):
                notify_user(
                    _user(app, person.id),
                    "offer_made",
                    "A new request",
                    dedupe_key="offer:7",
                    text="Can you help? Reply YES 4821",
                )
            db.session.commit()
    with app.app_context():
        texts = list(db.session.scalars(select(TextMessage)))
    assert [(t.to_number, t.user_id, t.body) for t in texts] == [
        (NUMBER, volunteer.id, "Can you help? Reply YES 4821")
    ]
    assert texts[0].dedupe_key == f"u{volunteer.id}:offer:7" and not texts[0].at_any_hour


def test_notify_user_without_text_sends_no_text_and_safety_texts_go_at_any_hour(app, clock):
    clock.move_to(datetime(2026, 12, 1, 23, 0, tzinfo=UTC))
    champion = make_user(roles=("champion",))
    give_mobile(champion)
    with app.app_context():
        notify_user(_user(app, champion.id), "help_requested", "Help", dedupe_key="a")
        notify_user(
            _user(app, champion.id), "help_requested", "Help", dedupe_key="b", text="Help now"
        )
        db.session.commit()
        [text] = db.session.scalars(select(TextMessage)).all()
    assert text.at_any_hour and text.next_attempt_at <= datetime.now(UTC)
