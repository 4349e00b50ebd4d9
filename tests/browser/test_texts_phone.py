"""Issue 16 on a phone: an offer comes by text, the volunteer replies "YES <code>" and the
portal's page shows the escort booked. The text goes through the loopback Notify
(tests/notify_server.py) and the real client; the reply comes back the way Notify delivers it."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from portal.accompaniment import offers
from portal.audit import utcnow
from portal.jobs import run_tick
from portal.notify.texts import text_due_at

from ..accompaniment.scene import fresh, scene
from ..factories import give_mobile
from .conftest import assert_accessible, assert_fits_the_phone, sign_in

MOBILE = "07700 900123"
E164 = "+447700900123"


def _tick(app) -> None:
    # An answer queued while one tick reads replies goes out with the next tick's outbox.
    with app.app_context():
        run_tick()
        run_tick()


def test_volunteer_replies_yes_by_text_and_the_page_shows_it_booked(
    phone_page, live_server, notify_server, clock
):
    app = live_server.app
    with app.app_context():
        now = utcnow()
        opens = text_due_at(now)
    if opens > now:  # offers' texts wait for service hours; start inside them
        clock.move_to(opens + timedelta(minutes=5))
    s = scene(1)
    give_mobile(s.users[0], MOBILE)
    with app.app_context():
        (offer,) = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        offer_id, code = offer.id, offer.reply_code
    _tick(app)

    (offer_text,) = [t["body"] for t in notify_server.texts_to(E164)]
    assert f"Reply YES {code} to go, NO {code} if you can't" in offer_text

    page = phone_page
    sign_in(page, s.users[0].email)
    page.goto(f"/offers/{offer_id}")
    expect(page.get_by_role("button", name="Accept this escort")).to_be_visible()

    notify_server.receive(E164, f"yes {code}")
    _tick(app)
    confirmations = [t["body"] for t in notify_server.texts_to(E164)][1:]
    assert len(confirmations) == 1 and confirmations[0].startswith("Thank you - you're booked")

    page.reload()
    expect(page.locator(".nhsuk-caption-l")).to_have_text("Your escort")
    expect(page.get_by_role("button", name="Accept this escort")).to_have_count(0)
    expect(page.get_by_text(re.compile("Who you will meet"))).to_be_visible()
    assert_fits_the_phone(page, 360)
    assert_accessible(page)
