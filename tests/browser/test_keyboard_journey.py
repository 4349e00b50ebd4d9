"""Issue 9: one whole accompaniment, from request to session 3, driven only by the keyboard.

A keyworker records session 2 (the client commits to a meeting and would like company) and
sends the request; the champion offers it to a volunteer; the volunteer, on a phone, accepts,
checks in and out, and once the meeting has started (the suite's clock moves on to it, so
each signs in again) records what happened; the keyworker finds "did the client go" already
answered in session 3. Only Tab, Shift+Tab, Enter, Space, arrow keys and typing: no
clicks, and no page.goto but each person's sign-in page.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from .. import factories
from ..factories import (
    make_attendance,
    make_client,
    make_fama_session,
    make_meeting,
    make_user,
    make_vetted_volunteer,
    make_window,
)
from .conftest import assert_focus_visible, tab_to

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _context(chromium, live_server, phone: bool = False):
    context = chromium.new_context(
        base_url=live_server.url,
        viewport=PHONE if phone else DESKTOP,
        is_mobile=phone,
        has_touch=phone,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.console_errors = errors
    return context, page


def _press(page, key: str = "Enter") -> None:
    """Press a key on the focused control, after checking the focus shows."""
    assert_focus_visible(page)
    page.keyboard.press(key)


def _heading(page, text: str | re.Pattern) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def _sign_in_by_keyboard(page, email: str) -> None:
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Email address"), max_presses=10)
    assert_focus_visible(page)
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("correct horse battery staple")
    page.keyboard.press("Enter")
    if "/sign-in/code" in _arrived(page):  # staff: the code from their app, by keyboard too
        tab_to(page, page.get_by_label("Code"), max_presses=10)
        assert_focus_visible(page)
        page.keyboard.type(factories.sign_in_code(email))
        page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile(r"/sign-in"))


def _arrived(page) -> str:
    page.wait_for_url(lambda url: "/sign-in/code" in url or "/sign-in" not in url)
    return page.url


def _meeting_soon():
    """A meeting whose next occurrence starts in a little over an hour (UK time): check-in is
    open now, and the test moves the clock to the start to record what happened."""
    from portal.meetings.occurrences import LONDON

    start = (datetime.now(LONDON) + timedelta(minutes=70)).replace(second=0, microsecond=0)
    start = start.replace(minute=start.minute - start.minute % 5)
    end = min(start + timedelta(hours=1), start.replace(hour=23, minute=59))  # the same day
    return make_meeting(
        name="Hope Group",
        area="Harbourside",
        venue="Quay Chapel",
        address="3 Quay Street, Wrenford",
        weekday=(start.weekday() + 1) % 7,  # Meeting Guide's numbering: 0 = Sunday
        start_time=start.time(),
        end_time=end.time(),
    )


def test_a_whole_accompaniment_by_keyboard_only(chromium, live_server, clock):
    from datetime import date

    meeting = _meeting_soon()
    make_meeting(name="Other Group", area="Old Town")
    keyworker = make_user(roles=("keyworker",), name="Kit Keyworker")
    champion = make_user(roles=("champion",), name="Chris Champion")
    volunteer_user = make_user(roles=("volunteer",), name="Sam Volunteer")
    volunteer = make_vetted_volunteer(volunteer_user, preferred_name="Sam", phone="07700 900123")
    make_attendance(volunteer, meeting)
    make_window(volunteer, (meeting.weekday + 6) % 7, meeting.start_time, meeting.end_time)
    client = make_client(keyworker, first_name="Alex", consent_first_name=True, last_session_kind=1)
    make_fama_session(client, 1, date.today() - timedelta(days=7))

    contexts = []
    try:
        # --- the keyworker records session 2 and asks for a peer -------------------------------
        context, kw = _context(chromium, live_server)
        contexts.append(context)
        _sign_in_by_keyboard(kw, keyworker.email)
        _heading(kw, "Your caseload")
        tab_to(kw, "Alex")
        _press(kw)
        _heading(kw, "Alex")
        tab_to(kw, "Record session 2")
        _press(kw)
        _heading(kw, "Session 2: choosing a meeting")

        # Sent without a meeting but with company wanted: the error summary takes the focus.
        tab_to(
            kw,
            kw.get_by_role(
                "group", name="Would the client like someone to go with them?"
            ).get_by_label("Yes", exact=True),
        )
        _press(kw, "Space")
        tab_to(kw, "Save session 2")
        _press(kw)
        summary = kw.locator(".nhsuk-error-summary")
        expect(summary).to_be_focused()
        assert_focus_visible(kw)
        # the summary's link takes the focus to the field at fault
        tab_to(kw, summary.get_by_role("link").first, max_presses=3)
        _press(kw)

        # Find the meeting by typing; Enter in the search box runs "Find meetings".
        tab_to(kw, kw.get_by_label("Meeting name, area or postcode"), backwards=True)
        assert_focus_visible(kw)
        kw.keyboard.type("harbour")
        kw.keyboard.press("Enter")
        choices = kw.locator("#meeting-choices")
        expect(choices).to_contain_text("Hope Group")
        expect(choices).not_to_contain_text("Other Group")
        # Into the radios (on "No meeting chosen yet"), then the arrow picks the first date.
        first_date = kw.get_by_role("radio", name=re.compile(r"^Hope Group, ")).first
        tab_to(kw, kw.locator("input[name=commitment]:checked"))
        kw.keyboard.press("ArrowDown")
        expect(first_date).to_be_checked()
        expect(first_date).to_be_focused()
        assert_focus_visible(kw)
        company = kw.get_by_role("group", name="Would the client like someone to go with them?")
        expect(company.get_by_label("Yes", exact=True)).to_be_checked()  # kept from the error
        tab_to(kw, "Save session 2")
        _press(kw)

        # Straight into the request, filled in from the commitment.
        _heading(kw, "Ask for a peer to go with Alex")
        expect(kw.locator("main dl")).to_contain_text("Hope Group")
        tab_to(kw, kw.get_by_label("Note for the recovery champion (optional)"))
        assert_focus_visible(kw)
        kw.keyboard.type("Quite anxious in crowds.")
        tab_to(kw, "Send the request")
        _press(kw)
        _heading(kw, "A peer for Hope Group")
        expect(kw.get_by_role("status")).to_contain_text("sent to the recovery champion")
        assert not kw.console_errors, kw.console_errors

        # --- the champion offers it to the volunteer ---------------------------------------------
        context, ch = _context(chromium, live_server)
        contexts.append(context)
        _sign_in_by_keyboard(ch, champion.email)
        _heading(ch, "Champion home")
        tab_to(ch, ch.get_by_role("navigation", name="Main").get_by_role("link", name="Requests"))
        _press(ch)
        expect(ch.locator("main")).to_contain_text("Hope Group")
        tab_to(ch, ch.locator("main a[href*='/coordinate']").first)
        _press(ch)
        _heading(ch, "A peer for Alex at Hope Group")
        tab_to(ch, "Offer to Sam")
        _press(ch)
        expect(ch.get_by_role("status")).to_contain_text("The offer is sent")
        expect(ch.locator("main")).to_contain_text("Offer sent")
        assert not ch.console_errors, ch.console_errors

        # --- the volunteer, on a phone, accepts, meets, finishes and says what happened ----------
        context, vol = _context(chromium, live_server, phone=True)
        contexts.append(context)
        _sign_in_by_keyboard(vol, volunteer_user.email)
        _heading(vol, "My escorts")
        tab_to(vol, vol.locator("main a[href^='/offers/']").first)
        _press(vol)
        tab_to(vol, "Accept this escort")
        _press(vol)
        expect(vol.get_by_role("status")).to_contain_text("you are booked for this escort")
        tab_to(vol, "Back to my escorts")
        _press(vol)
        _heading(vol, "My escorts")
        tab_to(vol, "On the day: check in, check out, get help and record what happened")
        _press(vol)
        _heading(vol, "My escorts on the day")
        tab_to(vol, vol.locator("main a[href^='/safety/escorts/']").first)
        _press(vol)
        _heading(vol, "Hope Group")  # the escort's own page (the list has the buttons too)
        tab_to(vol, "I've met them")
        _press(vol)
        expect(vol.locator("#escort-status")).to_contain_text("Met at")
        tab_to(vol, "We've finished — I'm safe")
        _press(vol)
        expect(vol.locator("#escort-status")).to_contain_text("Finished and safe")

        # The meeting starts: "what happened" opens (issue 13). An hour has passed, so the
        # volunteer and the keyworker sign in again.
        from portal.meetings.occurrences import next_occurrences

        now = datetime.now(UTC)
        start = next_occurrences(meeting.weekday, meeting.start_time, meeting.end_time, now, 1)
        clock.move_to(start[0][0] + timedelta(minutes=1), tick=True)
        _sign_in_by_keyboard(vol, volunteer_user.email)
        _heading(vol, "My escorts")
        tab_to(vol, "On the day: check in, check out, get help and record what happened")
        _press(vol)
        _heading(vol, "My escorts on the day")
        tab_to(vol, "Record what happened")
        _press(vol)
        _heading(vol, "What happened")

        # Sent empty: the error summary has the focus.
        tab_to(vol, "Save what happened")
        _press(vol)
        summary = vol.locator(".nhsuk-error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text("Say whether the client came")
        assert_focus_visible(vol)

        came = vol.get_by_role("group", name="Did the client come?")
        tab_to(vol, came.get_by_label("Yes, they came"))
        _press(vol, "Space")
        expect(came.get_by_label("Yes, they came")).to_be_checked()
        together = vol.get_by_role("group", name="Did you go in together?")
        tab_to(vol, together.get_by_label("Yes", exact=True))
        _press(vol, "Space")
        again = vol.get_by_role("group", name="Would the client like to go again?")
        tab_to(vol, again.get_by_role("radio").first)
        _press(vol, "Space")
        tab_to(vol, vol.get_by_label("A short note (optional)"))
        vol.keyboard.type("They were nervous but stayed to the end.")
        tab_to(vol, "Save what happened")
        _press(vol)
        expect(vol.get_by_text("What happened is recorded")).to_be_visible()
        assert not vol.console_errors, vol.console_errors

        # --- the keyworker finds the answer already given in session 3 --------------------------
        _sign_in_by_keyboard(kw, keyworker.email)
        _heading(kw, "Your caseload")
        tab_to(kw, "Alex")
        _press(kw)
        _heading(kw, "Alex")
        tab_to(kw, "Record session 3")
        _press(kw)
        _heading(kw, re.compile(r"^Session 3"))
        went = kw.get_by_role("group", name="Did the client go to the meeting?")
        expect(went.get_by_label("Yes", exact=True)).to_be_checked()
        tab_to(kw, went.get_by_label("Yes", exact=True))
        assert_focus_visible(kw)
        assert not kw.console_errors, kw.console_errors
    finally:
        for context in contexts:
            context.close()
