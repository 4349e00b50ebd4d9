"""Offers answered by text, through the real channel: the offer goes out as a text to the loopback
Notify (tests/notify_server.py), the volunteer's "YES 4821" comes back as a received text, the
tick fetches and answers it, and the offer is accepted by the same service as the web button.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accompaniment.models import AccompanimentRequest, Offer
from portal.accompaniment.services import cancel_request, change_request_date
from portal.accompaniment.text_replies import Answer, answer_offer_by_text, parse_reply
from portal.audit import AuditEvent, utcnow
from portal.dates import short_day
from portal.extensions import db
from portal.notify.models import ReceivedText
from portal.notify.text_inbox import NOT_UNDERSTOOD, UNKNOWN_NUMBER
from portal.notify.texts import ReceivedReply

from ..factories import give_mobile, make_meeting, make_user
from .scene import add_request, fresh, scene
from .texting import MOBILES, e164, in_hours, offered, texted, tick, with_mobiles

__all__ = ["in_hours"]  # a fixture, used by name

# --- reading a reply ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "yes", "code"),
    [
        ("YES 4821", True, "4821"),
        ("yes4821", True, "4821"),
        ("Y 4821", True, "4821"),
        ("  Yes,  4821! ", True, "4821"),
        ("YES #4821", True, "4821"),
        ("4821 yes please", True, "4821"),
        ("Yes 48 21 thanks x", True, "4821"),
        ("ＹＥＳ　４８２１", True, "4821"),  # full-width, as some phones send
        ("NO 4821", False, "4821"),
        ("N 4821", False, "4821"),
        ("no-4821", False, "4821"),
        ("Nope, sorry. 4821", False, "4821"),
        ("yes", True, None),
        ("No.", False, None),
        ("YES 482", True, "482"),  # a wrong code is still an answer: it is not found
    ],
)
def test_yes_and_no_are_read_leniently(content, yes, code):
    assert parse_reply(content) == Answer(yes=yes, code=code)


@pytest.mark.parametrize(
    "content",
    [
        "",
        "STOP",
        "ok thanks",
        "no idea what 4821 is",
        "yes no 4821",
        "yes 4821 and 3907",
        "né 4821",
        "YES 4821\x00",
        "\x00\x00",
        "YES 1234567890",
        "YES 4821 " + "x" * 2000,
        "y" * 2000,
        None,
    ],
)
def test_anything_else_is_not_an_answer(content):
    assert parse_reply(content) is None


# --- the channel -------------------------------------------------------------------------------


def _state(app, request_id: int) -> tuple:
    """Everything an answer could change: offers, the request, the audit of answers."""
    with app.app_context():
        db.session.expire_all()
        offer_rows = db.session.execute(
            select(Offer.id, Offer.state, Offer.decline_reason).order_by(Offer.id)
        ).all()
        request = db.session.get(AccompanimentRequest, request_id)
        answers = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.in_(["offer_accepted", "offer_declined"]))
        )
        return tuple(offer_rows), request.state, request.volunteer_id, answers


def _audit(app, action: str) -> list[dict]:
    with app.app_context():
        return [
            json.loads(detail or "{}")
            for detail in db.session.scalars(
                select(AuditEvent.detail).where(AuditEvent.action == action)
            )
        ]


def test_an_offer_goes_by_text_with_its_code_and_yes_books_the_escort(app, notify_server, in_hours):
    s = with_mobiles(1)
    offer = offered(app, s)[0]
    tick(app)
    [text] = texted(notify_server, MOBILES[0])
    assert f"Reply YES {offer.reply_code} to go, NO {offer.reply_code} if you can't." in text
    # "New request: " comes first when the text still fits one message with it.
    question = f"can you go with someone to a meeting on {short_day(s.request.starts_at)}, meet "
    assert question.lower() in text.lower()
    assert s.meeting.name not in text and s.client.first_name not in text
    assert len(text) <= 160

    notify_server.receive(e164(MOBILES[0]), f"yes {offer.reply_code}")
    tick(app)
    with app.app_context():
        db.session.expire_all()
        assert db.session.get(Offer, offer.id).state == "accepted"
        request = db.session.get(AccompanimentRequest, s.request.id)
        assert request.state == "accepted" and request.volunteer_id == s.volunteers[0].id
        assert db.session.scalar(select(ReceivedText.outcome)) == "handled"
    [_offer_text, answer] = texted(notify_server, MOBILES[0])
    assert answer.startswith(
        f"Thank you - you're booked: the meeting on {short_day(s.request.starts_at)}"
    )
    assert answer.endswith("Details in the portal.") and len(answer) <= 160
    assert _audit(app, "offer_accepted") == [
        {
            "offer_id": offer.id,
            "volunteer_id": s.volunteers[0].id,
            "on_behalf": False,
            "via": "text",
        }
    ]
    # The same text again (or a second YES) changes nothing and says they are booked.
    notify_server.receive(e164(MOBILES[0]), f"YES {offer.reply_code}")
    before = _state(app, s.request.id)
    tick(app)
    assert _state(app, s.request.id) == before
    assert texted(notify_server, MOBILES[0])[-1].startswith("You're already booked")


def test_no_declines_with_the_reason_and_the_audit_says_by_text(app, notify_server, in_hours):
    s = with_mobiles(1)
    offer = offered(app, s)[0]
    notify_server.receive(e164(MOBILES[0]), f"N {offer.reply_code}")
    tick(app)
    print("SENT", texted(notify_server, MOBILES[0]))
    with app.app_context():
        from portal.notify.models import TextMessage

        print(
            "OUTBOX",
            db.session.execute(
                select(
                    TextMessage.kind,
                    TextMessage.status,
                    TextMessage.next_attempt_at,
                    TextMessage.to_number,
                )
            ).all(),
            utcnow(),
        )
        row = db.session.get(Offer, offer.id)
        assert row.state == "declined" and row.decline_reason == "Replied NO by text"
        assert db.session.get(AccompanimentRequest, s.request.id).state == "open"
    assert texted(notify_server, MOBILES[0])[-1] == (
        f"Thank you for letting us know. You've said no to offer {offer.reply_code}, so we'll "
        "ask someone else."
    )
    [detail] = _audit(app, "offer_declined")
    assert detail["via"] == "text" and detail["reason_given"] is True


def test_when_someone_else_accepts_first_the_others_are_texted_and_a_late_yes_changes_nothing(
    app, notify_server, browser, in_hours
):
    s = with_mobiles(2)
    first, second = offered(app, s)
    browser.sign_in(s.users[0].email)
    assert browser.post(f"/offers/{first.id}/accept", page=f"/offers/{first.id}").status_code == 303
    tick(app)
    day = short_day(s.request.starts_at)
    assert texted(notify_server, MOBILES[1])[-1] == (
        f"Thank you - someone else is going to the meeting on {day}, so offer "
        f"{second.reply_code} is closed. You don't need to do anything."
    )
    before = _state(app, s.request.id)
    notify_server.receive(e164(MOBILES[1]), f"YES {second.reply_code}")
    tick(app)
    assert _state(app, s.request.id) == before
    assert texted(notify_server, MOBILES[1])[-1] == (
        f"Thank you for saying yes to offer {second.reply_code}, but someone else has already "
        "taken it. You don't need to do anything."
    )


def test_a_yes_after_the_offer_expired_is_told_kindly(app, notify_server, clock, in_hours):
    s = with_mobiles(1)
    offer = offered(app, s)[0]
    clock.move_to(offer.expires_at + timedelta(minutes=1))
    tick(app)  # the offer expires
    before = _state(app, s.request.id)
    notify_server.receive(e164(MOBILES[0]), f"YES {offer.reply_code}")
    tick(app)
    assert _state(app, s.request.id) == before
    assert texted(notify_server, MOBILES[0])[-1] == (
        f"Sorry, offer {offer.reply_code} has closed because it wasn't answered in time. "
        "You don't need to do anything."
    )


def test_someone_elses_code_and_an_unknown_code_get_the_same_answer(app, notify_server, in_hours):
    s = with_mobiles(2)
    mine, theirs = offered(app, s)
    unknown = next(
        c for c in ("3907", "5163", "7260") if c not in {mine.reply_code, theirs.reply_code}
    )
    before = _state(app, s.request.id)
    notify_server.receive(e164(MOBILES[0]), f"YES {theirs.reply_code}")
    notify_server.receive(e164(MOBILES[0]), f"NO {unknown}")
    tick(app)
    assert _state(app, s.request.id) == before
    answers = texted(notify_server, MOBILES[0])[-2:]
    assert sorted(answers) == sorted(
        f"We couldn't find an offer with code {code} for this number. Please check the code in "
        "our text, or answer in the portal."
        for code in (theirs.reply_code, unknown)
    )


def test_an_unknown_number_changes_nothing_and_is_answered(app, notify_server, in_hours):
    s = with_mobiles(1)
    offer = offered(app, s)[0]
    before = _state(app, s.request.id)
    stranger = "07700 900999"
    notify_server.receive(e164(stranger), f"YES {offer.reply_code}")
    notify_server.receive(e164(stranger), "hello?")
    tick(app)
    assert _state(app, s.request.id) == before
    answers = texted(notify_server, stranger)
    assert f"We couldn't find an offer with code {offer.reply_code} for this number." in answers[0]
    assert answers[1] == UNKNOWN_NUMBER


@pytest.mark.parametrize(
    "content",
    ["x" * 2000, "YES " + "4" * 2000, "\x00" * 40, "\x00YES\x00", "YES 4821 " + "blah " * 400],
)
def test_hostile_replies_change_nothing_and_get_a_helpful_answer(
    app, notify_server, in_hours, content
):
    s = with_mobiles(1)
    offered(app, s)
    before = _state(app, s.request.id)
    notify_server.receive(e164(MOBILES[0]), content)
    tick(app)
    assert _state(app, s.request.id) == before
    answer = texted(notify_server, MOBILES[0])[-1]
    assert answer in {
        NOT_UNDERSTOOD,
        "We couldn't find an open offer for this number, so there is nothing to answer. Thank you.",
    } or answer.startswith("Please include the code")
    assert len(answer) <= 160


def test_a_handler_given_nul_bytes_leaves_the_text_to_the_channel(app):
    reply = ReceivedReply(id=1, from_number="+447700900123", content="YES\x004821", user_id=None)
    with app.app_context():
        assert answer_offer_by_text(reply) is None


def test_a_yes_without_a_code_asks_for_it_and_never_guesses(app, notify_server, in_hours):
    s = with_mobiles(1)
    offer = offered(app, s)[0]
    before = _state(app, s.request.id)
    notify_server.receive(e164(MOBILES[0]), "Yes!")
    tick(app)
    assert _state(app, s.request.id) == before
    assert texted(notify_server, MOBILES[0])[-1] == (
        f"Please include the code so we know which offer you mean: reply YES {offer.reply_code} "
        f"to go to the meeting on {short_day(s.request.starts_at)}, or NO {offer.reply_code} "
        "if you can't."
    )


def test_with_several_open_offers_a_bare_yes_lists_their_codes(app, notify_server, in_hours):
    s = with_mobiles(1)
    later = add_request(s, weeks_ahead=2)
    first = offered(app, s)[0]
    second = offered(app, s, request_id=later.id)[0]
    before = _state(app, s.request.id)
    notify_server.receive(e164(MOBILES[0]), "yes")
    tick(app)
    assert _state(app, s.request.id) == before
    answer = texted(notify_server, MOBILES[0])[-1]
    assert f"{first.reply_code} ({short_day(s.request.starts_at)})" in answer
    assert f"{second.reply_code} ({short_day(later.starts_at)})" in answer


def test_a_no_after_booking_does_not_release_the_escort(app, notify_server, in_hours):
    s = with_mobiles(1)
    offer = offered(app, s)[0]
    notify_server.receive(e164(MOBILES[0]), f"YES {offer.reply_code}")
    tick(app)
    before = _state(app, s.request.id)
    notify_server.receive(e164(MOBILES[0]), f"NO {offer.reply_code}")
    tick(app)
    assert _state(app, s.request.id) == before
    assert (
        "If you can no longer go, please say so in the portal"
        in (texted(notify_server, MOBILES[0])[-1])
    )


def test_a_volunteer_who_turned_offer_texts_off_gets_none(app, notify_server, in_hours):
    s = scene(1)
    give_mobile(s.users[0], MOBILES[0], offer_made=False)
    offered(app, s)
    tick(app)
    assert texted(notify_server, MOBILES[0]) == []


def test_a_cancelled_escort_istexted(app, notify_server, in_hours):
    s = with_mobiles(1)
    offer = offered(app, s)[0]
    notify_server.receive(e164(MOBILES[0]), f"YES {offer.reply_code}")
    tick(app)
    with app.app_context():
        request = db.session.get(AccompanimentRequest, s.request.id)
        cancel_request(request, fresh(s.keyworker), "The client is unwell", None)
    tick(app)
    assert texted(notify_server, MOBILES[0])[-1] == (
        f"The meeting on {short_day(s.request.starts_at)} is no longer needed. "
        "Thank you - you don't need to do anything."
    )


def _move_a_week_later(app, s) -> None:
    with app.app_context():
        request = db.session.get(AccompanimentRequest, s.request.id)
        change_request_date(
            request, fresh(s.keyworker), request.meeting_date + timedelta(weeks=1), None
        )


def test_a_moved_escort_is_texted_with_the_day_it_was_booked_for(app, notify_server, in_hours):
    s = with_mobiles(1)
    offer = offered(app, s)[0]
    notify_server.receive(e164(MOBILES[0]), f"YES {offer.reply_code}")
    tick(app)
    old_day = short_day(s.request.starts_at)
    _move_a_week_later(app, s)
    tick(app)
    assert texted(notify_server, MOBILES[0])[-1] == (
        f"The meeting on {old_day} has moved to another date, so you are no longer booked for "
        "it. Thank you - you don't need to do anything."
    )


def test_an_open_offer_withdrawn_for_a_new_date_is_texted_by_its_code(app, notify_server, in_hours):
    s = with_mobiles(1)
    offer = offered(app, s)[0]
    _move_a_week_later(app, s)
    tick(app)
    assert texted(notify_server, MOBILES[0])[-1] == (
        f"Offer {offer.reply_code} is no longer needed: the meeting's date has changed. "
        "Thank you - you don't need to do anything."
    )


def test_texts_name_no_client_and_no_meeting(app, notify_server, in_hours):
    meeting = make_meeting(name="Wrenford Alcoholics Anonymous", area="Wrenford")
    keyworker = make_user(roles=("keyworker",))
    s = with_mobiles(1, meeting=meeting, keyworker=keyworker)
    offer = offered(app, s)[0]
    notify_server.receive(e164(MOBILES[0]), f"Y{offer.reply_code}")
    tick(app)
    for text in texted(notify_server, MOBILES[0]):
        assert "Alcohol" not in text and "Anonymous" not in text
        assert s.client.first_name not in text
