"""Issue 7 on a phone: on the day a volunteer checks in, checks out and records the outcome."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from ..factories import make_escort, make_user
from .conftest import assert_accessible, assert_fits_the_phone, sign_in

PHONE_WIDTH = 360
MIN_TOUCH = 44


def _big_enough(locator) -> None:
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None and box["height"] >= MIN_TOUCH, box
    assert box["width"] >= PHONE_WIDTH * 0.7, box  # full width: easy to hit in a hurry


def test_volunteer_checks_in_out_and_records_the_outcome_on_a_phone(phone_page):
    page = phone_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    make_user(roles=("champion",))
    user = make_user(roles=("volunteer",), name="Sam Volunteer")
    request, *_ = make_escort(user, starts_in=timedelta(minutes=-5))
    sign_in(page, user.email)

    # From the volunteer's home to the escort's page on the day.
    page.goto("/volunteer")
    page.get_by_role("link", name=re.compile("On the day")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My escorts on the day")
    page.get_by_role("link", name=re.compile(request.meeting.name)).first.click()
    expect(page).to_have_url(re.compile(rf"/safety/escorts/{request.id}$"))
    assert_fits_the_phone(page, PHONE_WIDTH)
    met = page.get_by_role("button", name="I've met them")
    _big_enough(met)
    _big_enough(page.get_by_role("button", name="We've finished — I'm safe"))
    _big_enough(page.get_by_role("button", name="I need help now"))
    assert_accessible(page)

    met.click()
    expect(page.get_by_text("Thank you: you have met them")).to_be_visible()
    expect(page.locator("#escort-status")).to_contain_text("Met at")
    expect(page.get_by_role("button", name="I've met them")).to_have_count(0)

    page.get_by_role("button", name="We've finished — I'm safe").click()
    expect(page.locator("#escort-status")).to_contain_text("Finished and safe")
    assert_fits_the_phone(page, PHONE_WIDTH)

    page.get_by_role("link", name="Record what happened").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What happened")
    assert_fits_the_phone(page, PHONE_WIDTH)
    assert_accessible(page)
    page.get_by_label("Yes, they came").check()
    page.get_by_role("group", name="Did you go in together?").get_by_label("Yes").check()
    page.get_by_role("group", name="Would the client like to go again?").get_by_label("Yes").check()
    page.get_by_label("A short note (optional)").fill("They were nervous but stayed to the end.")
    page.get_by_role("button", name="Save what happened").click()
    expect(page.get_by_text("What happened is recorded")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("My escorts on the day")
    expect(page.get_by_text("You have no escorts booked")).to_be_visible()
    assert errors == []


def test_check_in_is_closed_the_day_before_and_open_on_the_day(phone_page, clock):
    """Issue 13: the volunteer sees the rule the day before, and the button on the day."""
    from datetime import UTC, datetime

    page = phone_page
    starts = datetime(2026, 12, 8, 20, 0, tzinfo=UTC)  # Tuesday 8 December, 8pm (GMT)
    clock.move_to(starts - timedelta(days=3), tick=False)
    user = make_user(roles=("volunteer",), name="Sam Volunteer")
    request, *_ = make_escort(user, starts_in=timedelta(days=3))

    # Monday evening, the day before.
    clock.move_to(datetime(2026, 12, 7, 18, 0, tzinfo=UTC), tick=True)
    sign_in(page, user.email)
    page.goto("/safety/escorts")
    expect(page.get_by_role("heading", name="Coming up")).to_be_visible()
    expect(page.get_by_text("You can check in from 5:45pm on Tuesday 8 December.")).to_be_visible()
    expect(page.get_by_role("button", name="I've met them")).to_have_count(0)
    page.get_by_role("link", name=re.compile(request.meeting.name)).click()
    expect(page).to_have_url(re.compile(rf"/safety/escorts/{request.id}$"))
    expect(page.get_by_text("You can check in from 5:45pm on Tuesday 8 December.")).to_be_visible()
    expect(page.get_by_role("button", name="I've met them")).to_be_disabled()
    _big_enough(page.get_by_role("button", name="I need help now"))
    expect(page.get_by_role("button", name="I need help now")).to_be_enabled()
    assert_fits_the_phone(page, PHONE_WIDTH)
    assert_accessible(page)

    # Tuesday at 7:40pm, five minutes before meeting up (signing in again: a new day).
    clock.move_to(datetime(2026, 12, 8, 19, 40, tzinfo=UTC), tick=True)
    sign_in(page, user.email)
    page.goto("/safety/escorts")
    expect(
        page.get_by_role("heading", name=re.compile("^Today, Tuesday 8 December"))
    ).to_be_visible()
    met = page.get_by_role("button", name="I've met them")
    expect(met).to_be_enabled()
    _big_enough(met)
    expect(page.get_by_text("You can check in from")).to_have_count(0)
    assert_fits_the_phone(page, PHONE_WIDTH)
    assert_accessible(page)
    met.click()
    expect(page.get_by_text("Thank you: you have met them")).to_be_visible()
    expect(page.locator("#escort-status")).to_contain_text("Met at 7:40pm")
    expect(page.get_by_role("button", name="We've finished — I'm safe")).to_be_enabled()
