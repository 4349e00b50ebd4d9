"""A text "YES" and a web "Accept" from two volunteers for one request: exactly one escort.

The web button and the text go through the same `accept_offer`, so the database decides (the
partial unique index on accepted offers, the request's state-and-version update). Both orders are
shown step by step, then both at once from two threads: the tick answering the text in one, the
volunteer's browser in the other.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from portal.accompaniment.models import AccompanimentRequest, EscortSlot, Offer
from portal.extensions import db
from portal.notify.text_inbox import dispatch_received, fetch_received_texts

from .texting import MOBILES, e164, in_hours, offered, texted, tick, with_mobiles

__all__ = ["in_hours"]  # a fixture, used by name

TAKEN_BY_TEXT = "but someone else has already taken it. You don't need to do anything."
TAKEN_ON_WEB = "Someone else has already taken this one, thank you"


def _one_escort(app, request_id: int) -> int:
    """The volunteer booked, after checking there is exactly one accepted offer and escort."""
    with app.app_context():
        accepted = db.session.scalars(select(Offer).where(Offer.state == "accepted")).all()
        assert len(accepted) == 1
        request = db.session.get(AccompanimentRequest, request_id)
        assert request.state == "accepted" and request.volunteer_id == accepted[0].volunteer_id
        volunteers = db.session.scalar(select(func.count(func.distinct(EscortSlot.volunteer_id))))
        assert volunteers == 1
        pending = select(func.count()).select_from(Offer).where(Offer.state == "pending")
        assert db.session.scalar(pending) == 0
        return request.volunteer_id


def test_text_first_then_the_web_button_is_thanked(app, notify_server, browser, in_hours):
    s = with_mobiles(2)
    by_text, on_web = offered(app, s)
    browser.sign_in(s.users[1].email)
    page = f"/offers/{on_web.id}"
    browser.client.get(page)
    notify_server.receive(e164(MOBILES[0]), f"YES {by_text.reply_code}")
    tick(app)
    answer = browser.post(f"/offers/{on_web.id}/accept", page=page)
    assert answer.status_code == 303
    assert TAKEN_ON_WEB in browser.client.get(page).get_data(as_text=True)
    assert _one_escort(app, s.request.id) == s.volunteers[0].id
    assert texted(notify_server, MOBILES[0])[-1].startswith("Thank you - you're booked")


def test_web_first_then_the_text_is_thanked(app, notify_server, browser, in_hours):
    s = with_mobiles(2)
    by_text, on_web = offered(app, s)
    browser.sign_in(s.users[1].email)
    assert (
        browser.post(f"/offers/{on_web.id}/accept", page=f"/offers/{on_web.id}").status_code == 303
    )
    notify_server.receive(e164(MOBILES[0]), f"YES {by_text.reply_code}")
    tick(app)
    assert _one_escort(app, s.request.id) == s.volunteers[1].id
    assert any(TAKEN_BY_TEXT in words for words in texted(notify_server, MOBILES[0]))


def test_a_text_and_a_web_accept_at_the_same_moment_book_one_escort(
    app, notify_server, browser, in_hours
):
    s = with_mobiles(2)
    by_text, on_web = offered(app, s)
    browser.sign_in(s.users[1].email)
    page = f"/offers/{on_web.id}"
    notify_server.receive(e164(MOBILES[0]), f"YES {by_text.reply_code}")
    barrier = threading.Barrier(2, timeout=30)
    results: dict[str, object] = {}

    def text() -> None:
        with app.app_context():
            fetch_received_texts()  # stored, waiting to be answered
            barrier.wait()
            try:
                dispatch_received()
            except Exception as error:  # shown by the assertion below
                results["text"] = error

    def web() -> None:
        token = browser.token(page)
        barrier.wait()
        answer = browser.client.post(f"/offers/{on_web.id}/accept", data={"csrf_token": token})
        results["web"] = answer.status_code

    threads = [threading.Thread(target=text), threading.Thread(target=web)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert "text" not in results, results
    tick(app)  # the answer to the text goes out
    assert results["web"] == 303
    winner = _one_escort(app, s.request.id)
    web_page = browser.client.get(page).get_data(as_text=True)
    # After the offer, the answer to the text (and "someone else is going" when they lost).
    offer_text, *later = texted(notify_server, MOBILES[0])
    assert f"Reply YES {by_text.reply_code}" in offer_text
    [answer] = [words for words in later if "is closed" not in words]
    if winner == s.volunteers[0].id:
        assert answer.startswith("Thank you - you're booked") and TAKEN_ON_WEB in web_page
    else:
        assert winner == s.volunteers[1].id
        assert TAKEN_BY_TEXT in answer and "you are booked" in web_page
    for text in (web_page, answer):
        assert "database is locked" not in text and "problem with the service" not in text
