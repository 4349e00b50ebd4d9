"""The escort's time on the pages: the rule shown by each button, refusals that say when an action
opens, the outcome page before the start, the champion's record page, and session three.

Each test sets "now" with the `clock` fixture, then signs in (so the session is fresh at that
instant), and never reads the real date.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.accompaniment.models import AccompanimentRequest
from portal.audit import AuditEvent
from portal.extensions import db
from portal.safety.models import EscortCheck

from ..factories import make_client, make_escort, make_meeting, make_offer, make_request, make_user

HX = {"HX-Request": "true"}
# Tuesday 8 December 2026 (GMT): meeting 8pm, meet up 7:45pm, check-in from 5:45pm.
START = datetime(2026, 12, 8, 20, 0, tzinfo=UTC)
OPENS = "You can check in from 5:45pm on Tuesday 8 December."
OUTCOME_OPENS = (
    "You can record what happened from 8pm on Tuesday 8 December, when the meeting starts."
)
CHECK_IN_FIRST = "Check in first: you can check out once you have met them."
FLASH = r'portal-flash--error"[^>]*>\s*<p[^>]*>'


def _at(clock, instant: datetime) -> None:
    clock.move_to(instant, tick=True)


def _escort(clock, volunteer_user=None, starts_at: datetime = START, **kwargs):
    """An accepted escort starting exactly at `starts_at`, made three days before it."""
    clock.move_to(starts_at - timedelta(days=3), tick=False)
    made = make_escort(volunteer_user, starts_in=timedelta(days=3), **kwargs)
    assert made[0].starts_at == starts_at
    return made


def _html(response) -> str:
    return response.get_data(as_text=True)


def _text(html: str) -> str:
    """What a person reads: tags dropped, entities for quotes turned back, spaces squashed."""
    plain = re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").replace("&#34;", '"')
    return re.sub(r"\s+", " ", plain)


def _button(html: str, name: str) -> str | None:
    found = re.search(rf"<button[^>]*>{re.escape(name)}</button>", html.replace("&#39;", "'"))
    return found.group(0) if found else None


def _kinds(app, request_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(EscortCheck.kind)
                .where(EscortCheck.request_id == request_id)
                .order_by(EscortCheck.id)
            )
        )


def _volunteer(clock, browser, **kwargs):
    """A volunteer's escort at START, made three days before; the volunteer signs in later."""
    user = make_user(roles=("volunteer",))
    request, volunteer, *_rest = _escort(clock, user, **kwargs)
    return user, request, volunteer


# --- the escort page ---------------------------------------------------------------------------


def test_the_day_before_the_page_shows_when_check_in_opens(app, client, browser, clock):
    user, request, _v = _volunteer(clock, browser)
    _at(clock, START - timedelta(days=1))
    browser.sign_in(user.email)
    url = f"/safety/escorts/{request.id}"
    html = _html(client.get(url))
    assert OPENS in _text(html)
    assert "disabled" in _button(html, "I've met them")
    assert CHECK_IN_FIRST in _text(html)
    assert "disabled" in _button(html, "We've finished — I'm safe")
    assert "disabled" not in _button(html, "I need help now")  # help is always open
    assert OUTCOME_OPENS in _text(html)
    assert f"{url}/outcome" not in html
    # A plain post of the closed button is still refused, with the rule.
    response = browser.post(f"{url}/met", page=url)
    assert response.status_code == 303 and response.location.endswith(url)
    assert _kinds(app, request.id) == []


def test_a_refused_check_in_flashes_the_rule(app, client, browser, clock):
    user, request, _v = _volunteer(clock, browser)
    _at(clock, START - timedelta(days=1))
    browser.sign_in(user.email)
    url = f"/safety/escorts/{request.id}"
    response = browser.post(f"{url}/met", page=url, follow_redirects=True)
    html = _html(response)
    assert response.status_code == 200
    assert re.search(FLASH + re.escape(OPENS), html)
    response = browser.post(f"{url}/safe", page=url, follow_redirects=True)
    assert re.search(FLASH + re.escape(CHECK_IN_FIRST), _html(response))
    assert _kinds(app, request.id) == []


def test_on_the_day_check_in_opens_and_then_check_out(app, client, browser, clock):
    user, request, _v = _volunteer(clock, browser)
    _at(clock, START - timedelta(hours=2))  # 6pm: meeting up at 7:45pm
    browser.sign_in(user.email)
    url = f"/safety/escorts/{request.id}"
    html = _html(client.get(url))
    assert "disabled" not in _button(html, "I've met them")
    assert OPENS not in _text(html)
    assert browser.post(f"{url}/met", page=url).status_code == 303
    html = _html(client.get(url))
    assert "Met at 6pm" in _text(html)
    assert _button(html, "I've met them") is None
    assert "disabled" not in _button(html, "We've finished — I'm safe")
    assert OUTCOME_OPENS in _text(html)
    _at(clock, START + timedelta(minutes=1))
    browser.sign_in(user.email)  # nearly two hours on: a new session
    html = _html(client.get(url))
    assert f"{url}/outcome" in html and "Record what happened" in html


def test_after_midnight_check_in_is_closed(app, client, browser, clock):
    user, request, _v = _volunteer(clock, browser)
    _at(clock, START + timedelta(hours=4, minutes=1))  # 12:01am on Wednesday
    browser.sign_in(user.email)
    url = f"/safety/escorts/{request.id}"
    html = _html(client.get(url))
    assert "Check-in closed at midnight at the end of Tuesday 8 December." in _text(html)
    assert "disabled" in _button(html, "I've met them")
    response = browser.post(f"{url}/met", page=url, follow_redirects=True)
    assert "Check-in closed at midnight" in _text(_html(response))
    assert _kinds(app, request.id) == []


# --- my escorts on the day ---------------------------------------------------------------------


def _another(clock, starts_at: datetime, volunteer) -> AccompanimentRequest:
    clock.move_to(starts_at - timedelta(days=3), tick=False)
    request = make_request(
        make_client(consent_first_name=True),
        make_meeting(name=f"Group at {starts_at:%d %H%M}"),
        state="accepted",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        meeting_date=starts_at.date(),
        volunteer_id=volunteer.id,
        accepted_at=starts_at - timedelta(days=2),
        peer_first_name=volunteer.preferred_name,
    )
    make_offer(request, volunteer, state="accepted", answered_at=starts_at - timedelta(days=2))
    return request


def test_my_escorts_shows_today_with_buttons_and_later_ones_without(app, client, browser, clock):
    user, today, volunteer = _volunteer(clock, browser)
    past = _another(clock, START - timedelta(days=2), volunteer)
    coming = _another(clock, START + timedelta(days=7), volunteer)
    _at(clock, START - timedelta(hours=3))  # 5pm on the day: check-in opens at 5:45pm
    browser.sign_in(user.email)
    html = _html(client.get("/safety/escorts"))
    text = _text(html)
    assert "Today, Tuesday 8 December" in text
    assert text.index("Today,") < text.index("Still to record what happened")
    assert text.index("Still to record what happened") < text.index("Coming up")
    assert f"/safety/escorts/{today.id}/met" in html and OPENS in text
    assert f"/safety/escorts/{today.id}/help" in html
    for later in (coming, past):
        assert f"/safety/escorts/{later.id}/met" not in html
        assert f"/safety/escorts/{later.id}/help" not in html
    assert f'href="/safety/escorts/{coming.id}"' in html
    assert "You can check in from 5:45pm on Tuesday 15 December." in text
    assert f'href="/safety/escorts/{past.id}/outcome"' in html


def test_my_escorts_with_none_today_says_what_happens_on_the_day(client, browser, clock):
    user, request, _v = _volunteer(clock, browser)
    _at(clock, START - timedelta(days=2))
    browser.sign_in(user.email)
    text = _text(_html(client.get("/safety/escorts")))
    assert "No escorts today." in text and "Coming up" in text
    assert f"/safety/escorts/{request.id}/met" not in _html(client.get("/safety/escorts"))


def test_my_escorts_with_none_at_all(client, login_as):
    login_as("volunteer")
    text = _text(_html(client.get("/safety/escorts")))
    assert "You have no escorts booked" in text and "accept an offer" in text


# --- the outcome page ----------------------------------------------------------------------------


def test_the_outcome_form_opens_when_the_meeting_starts(app, client, browser, clock):
    user, request, _v = _volunteer(clock, browser)
    _at(clock, START - timedelta(minutes=1))
    browser.sign_in(user.email)
    url = f"/safety/escorts/{request.id}/outcome"
    page = client.get(url)
    html = _html(page)
    assert page.status_code == 200
    assert OUTCOME_OPENS in _text(html)
    assert "Did the client come?" not in html and f'action="{url}"' not in html
    assert f'href="/safety/escorts/{request.id}"' in html  # back to the escort
    response = browser.post(
        url, {"came": "attended", "together": "yes", "version": request.version}, page=url
    )
    assert response.status_code == 200 and OUTCOME_OPENS in _text(_html(response))
    with app.app_context():
        assert db.session.get(AccompanimentRequest, request.id).state == "accepted"
    _at(clock, START)
    assert "Did the client come?" in _html(client.get(url))


def test_the_champion_sees_the_outcome_rule_with_a_link_to_the_board(client, login_as, clock):
    request, *_ = _escort(clock, phone_only=True)
    _at(clock, START - timedelta(hours=1))
    login_as("champion")
    html = _html(client.get(f"/safety/escorts/{request.id}/outcome"))
    assert OUTCOME_OPENS in _text(html) and 'href="/safety/today"' in html
    board = _html(client.get("/safety/today"))
    assert "Outcome from 8pm" in _text(board)
    assert f"/safety/escorts/{request.id}/outcome" not in board
    assert f"/safety/escorts/{request.id}/record" in board
    fragment = _html(client.get("/safety/today", headers=HX))
    assert "<html" not in fragment and f"/safety/escorts/{request.id}/record" in fragment


# --- the champion records a check after the fact -----------------------------------------------


def test_the_champion_records_a_check_in_after_the_fact(app, client, browser, login_as, clock):
    request, volunteer, *_ = _escort(clock, phone_only=True)
    _at(clock, START + timedelta(hours=1))  # 9pm on the day
    champion = login_as("champion")
    board = _html(client.get("/safety/today"))
    url = f"/safety/escorts/{request.id}/record"
    assert f'href="{url}"' in board
    page = client.get(url)
    html = _html(page)
    assert page.status_code == 200
    assert 'value="2026-12-08"' in html and "Record this check" in html
    response = browser.post(
        url, {"kind": "checkin", "happened_on": "2026-12-08", "happened_time": "19:50"}, page=url
    )
    assert response.status_code == 303 and response.location.endswith("/safety/today")
    assert "Check-in recorded." in _text(_html(client.get("/safety/today")))
    with app.app_context():
        check = db.session.scalars(select(EscortCheck)).one()
        assert (check.kind, check.by_id, check.volunteer_id) == (
            "checkin",
            champion.id,
            volunteer.id,
        )
        assert check.at == datetime(2026, 12, 8, 19, 50, tzinfo=UTC)
        row = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "escort_checkin")
        ).one()
    assert json.loads(row.detail)["happened_at"] == "2026-12-08T19:50:00+00:00"
    assert row.actor_id == champion.id and row.at >= START + timedelta(hours=1)


def test_the_record_page_refuses_by_the_field(app, client, browser, login_as, clock):
    request, *_ = _escort(clock, phone_only=True)
    _at(clock, START + timedelta(hours=1))
    login_as("champion")
    url = f"/safety/escorts/{request.id}/record"
    for data, message in (
        ({"kind": "checkin", "happened_on": "2026-12-08", "happened_time": "21:30"}, "already"),
        ({"kind": "checkin", "happened_on": "2026-12-07", "happened_time": "21:00"}, "on or after"),
        ({"kind": "checkout", "happened_on": "2026-12-08", "happened_time": "20:30"}, "check-in"),
        ({"kind": "checkin", "happened_on": "2026-13-45", "happened_time": "19:00"}, "real date"),
        ({"kind": "checkin", "happened_on": "2026-12-08", "happened_time": "25:00"}, "24-hour"),
        ({"kind": "nonsense", "happened_on": "2026-12-08", "happened_time": "19:00"}, ""),
        ({"kind": "checkin", "happened_on": "2026-12-08\x00", "happened_time": "19:00"}, ""),
        ({"kind": "checkin", "happened_on": "9999-12-31", "happened_time": "23:59"}, "future"),
        ({"kind": "checkin", "happened_on": "0001-01-01", "happened_time": "00:00"}, ""),
        ({"kind": "checkin", "happened_on": "x" * 5000, "happened_time": "1" * 5000}, ""),
        ({}, "Choose check-in or check-out"),
    ):
        response = browser.post(url, data, page=url)
        html = _html(response)
        assert response.status_code == 200, data
        assert "nhsuk-error-summary" in html, data
        assert message in _text(html), (data, message)
    assert _kinds(app, request.id) == []


def test_only_a_champion_may_record_a_check(app, client, browser, login_as, clock):
    user, request, _v = _volunteer(clock, browser)
    _at(clock, START + timedelta(hours=1))
    browser.sign_in(user.email)
    url = f"/safety/escorts/{request.id}/record"
    assert client.get(url).status_code == 403
    browser.post("/sign-out", page="/account/password")
    login_as("keyworker")
    assert client.get(url).status_code == 403
    browser.post("/sign-out", page="/account/password")
    login_as("champion")
    assert client.get("/safety/escorts/999999/record").status_code == 404
    open_request = make_request(make_client())
    assert client.get(f"/safety/escorts/{open_request.id}/record").status_code == 404


# --- session three ------------------------------------------------------------------------------


def test_session_three_says_when_the_escorts_meeting_starts(app, client, browser, clock):
    keyworker = make_user(roles=("keyworker",))
    request, _v, _u, _kw, made = _escort(clock, keyworker=keyworker)
    _at(clock, START - timedelta(hours=3))
    browser.sign_in(keyworker.email)
    url = f"/clients/{made.id}/sessions/new/3"
    html = _html(client.get(url))
    waiting = "has not started yet. You can record whether the client went to it from 8pm on "
    assert waiting in _text(html)
    response = browser.post(
        url, {"held_on": "2026-12-08", "attended": "yes", "which_meeting": "committed"}, page=url
    )
    html = _html(response)
    assert response.status_code == 200 and "nhsuk-error-summary" in html
    assert re.search(
        r'id="attended-error"[^<]*<span[^>]*>[^<]*</span>[^<]*' + request.meeting.name, html
    )
    assert waiting in _text(html)
    other = browser.post(
        url, {"held_on": "2026-12-08", "attended": "yes", "which_meeting": "other"}, page=url
    )
    assert other.status_code == 303


def test_an_escort_from_before_midnight_stays_on_the_board_until_its_outcome(
    clock, client, login_as
):
    """Overdue at 1:30am for a meeting that began at 11:30pm: the alert links to the board, so
    the board must still show it, with its day, and offer to record what happened."""
    late = datetime(2026, 12, 8, 23, 30, tzinfo=UTC)  # 11:30pm GMT on Tuesday
    request, *_ = _escort(clock, starts_at=late, phone_only=True)
    _at(clock, late + timedelta(hours=2))  # 1:30am on Wednesday: overdue
    login_as("champion")
    board = client.get("/safety/today").get_data(as_text=True)
    row = board.split(f'id="escort-{request.id}"')[1].split("</tr>")[0]
    assert "Tuesday 8 December" in row and "Overdue" in row and "Record outcome" in row
    fragment = client.get("/safety/today", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and f'id="escort-{request.id}"' in fragment
    _at(clock, late + timedelta(days=3))  # beyond the two days the overdue alert looks back
    login_as("champion")
    assert f'id="escort-{request.id}"' not in client.get("/safety/today").get_data(as_text=True)
