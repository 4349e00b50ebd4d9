"""Issue 4 on a phone: a volunteer adds a meeting they go to and a weekly free time (360 px)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from ..factories import make_meeting, make_user, make_volunteer
from .conftest import assert_accessible, assert_fits_the_phone, sign_in

PHONE_WIDTH = 360
MIN_TOUCH = 44


def _collect_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def _volunteer():
    user = make_user(roles=("volunteer",), name="Sam Volunteer")
    make_volunteer(user, status="approved", preferred_name="Sam")
    return user


def _free_time(page):
    return page.get_by_role("group", name="Add a free time")


def _tall_enough(locator) -> None:
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None and box["height"] >= MIN_TOUCH, (locator, box)


def test_volunteer_adds_a_meeting_and_a_free_time_on_a_phone(phone_page):
    page = phone_page
    errors = _collect_errors(page)
    make_meeting(name="Hope Group", weekday=2, area="Harbourside", venue="Quay Chapel")
    make_meeting(name="Serenity Sunday", weekday=0, area="Old Town")
    user = _volunteer()
    sign_in(page, user.email)

    # My meetings: empty, searchable by typing (htmx swaps the results, the URL keeps the query).
    page.goto("/me/meetings")
    expect(page.get_by_role("heading", level=1)).to_have_text("My meetings")
    expect(page.get_by_text("You have not added any meetings yet")).to_be_visible()
    page.wait_for_function("typeof window.htmx === 'object'")
    assert_fits_the_phone(page, PHONE_WIDTH)
    _tall_enough(page.get_by_role("button", name="Search meetings"))
    assert_accessible(page)

    results = page.locator("#meeting-results")
    page.get_by_label("Meeting name, area or postcode").press_sequentially("harbour", delay=30)
    expect(results).to_contain_text("1 meeting found")
    expect(results).to_contain_text("Hope Group")
    expect(results).not_to_contain_text("Serenity Sunday")
    expect(page).to_have_url(re.compile(r"/me/meetings\?.*q=harbour"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My meetings")  # a swap, not a page
    assert_fits_the_phone(page, PHONE_WIDTH)
    choose = page.get_by_role("link", name=re.compile(r"^Choose Hope Group"))
    _tall_enough(choose)
    assert_accessible(page)

    # Choose it, say how often, add it.
    choose.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How often do you go?")
    expect(page.locator("main")).to_contain_text("Hope Group")
    assert_fits_the_phone(page, PHONE_WIDTH)
    assert_accessible(page)
    page.get_by_label("Only some weeks of the month").check()
    page.get_by_label("1st").check()
    page.get_by_label("3rd").check()
    add = page.get_by_role("button", name="Add this meeting")
    _tall_enough(add)
    add.click()

    expect(page).to_have_url(re.compile(r"/me/meetings$"))
    expect(page.get_by_role("status")).to_contain_text("Hope Group is added")
    chosen = page.locator("main li.nhsuk-card").filter(has_text="Hope Group")
    expect(chosen).to_contain_text("Tuesday, 7:30pm to 8:30pm, Quay Chapel, Harbourside")
    expect(chosen).to_contain_text("1st and 3rd Tuesday of the month")
    expect(page.get_by_text("You have not added any meetings yet")).to_have_count(0)
    _tall_enough(chosen.get_by_role("button", name="Remove Hope Group"))
    assert_fits_the_phone(page, PHONE_WIDTH)
    assert_accessible(page)

    # When I'm free: add a weekly window.
    page.goto("/me/availability")
    expect(page.get_by_role("heading", level=1)).to_have_text("When I'm free")
    expect(page.get_by_text("No free times yet")).to_be_visible()
    assert_fits_the_phone(page, PHONE_WIDTH)
    assert_accessible(page)
    _free_time(page).get_by_label("Day").select_option(label="Thursday")
    _free_time(page).get_by_label("From").fill("18:30")
    _free_time(page).get_by_label("Until").fill("21:00")
    add_time = page.get_by_role("button", name="Add free time")
    _tall_enough(add_time)
    add_time.click()

    expect(page.get_by_role("status")).to_contain_text("Your free time is saved.")
    window = page.locator("main li.nhsuk-card").filter(has_text="Thursday")
    expect(window).to_contain_text("Thursday, 6:30pm to 9pm")
    expect(page.get_by_text("No free times yet")).to_have_count(0)
    _tall_enough(window.get_by_role("button", name=re.compile(r"^Remove Thursday")))
    _tall_enough(page.get_by_role("button", name="Add time away"))
    assert_fits_the_phone(page, PHONE_WIDTH)
    assert_accessible(page)

    # Both are still there on a fresh load of each list.
    page.goto("/me/meetings")
    expect(page.locator("main li.nhsuk-card").filter(has_text="Hope Group")).to_have_count(1)
    assert errors == [], errors


def test_a_mistake_in_the_free_time_is_shown_by_the_field(phone_page):
    page = phone_page
    errors = _collect_errors(page)
    user = _volunteer()
    sign_in(page, user.email)
    page.goto("/me/availability")
    _free_time(page).get_by_label("Day").select_option(label="Monday")
    _free_time(page).get_by_label("From").fill("20:00")
    _free_time(page).get_by_label("Until").fill("19:00")
    page.get_by_role("button", name="Add free time").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("The end time must be after the start time")
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.get_by_text("No free times yet")).to_be_visible()
    assert_fits_the_phone(page, PHONE_WIDTH)
    assert_accessible(page)
    assert errors == [], errors


def test_adding_a_free_time_works_without_javascript(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        viewport={"width": PHONE_WIDTH, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        make_meeting(name="Lantern Group", weekday=4, area="Northgate")
        user = _volunteer()
        sign_in(page, user.email)

        # The meeting search is a plain GET form.
        page.goto("/me/meetings")
        assert page.evaluate("typeof window.htmx") == "undefined"  # no script ran
        page.get_by_label("Meeting name, area or postcode").fill("lantern")
        page.get_by_role("button", name="Search meetings").click()
        expect(page).to_have_url(re.compile(r"q=lantern"))
        expect(page.locator("#meeting-results")).to_contain_text("1 meeting found")
        page.get_by_role("link", name=re.compile(r"^Choose Lantern Group")).click()
        page.get_by_role("button", name="Add this meeting").click()
        expect(page.locator("main li.nhsuk-card").filter(has_text="Lantern Group")).to_contain_text(
            "Every week"
        )

        # The free-time form posts and redirects as a normal form.
        page.goto("/me/availability")
        _free_time(page).get_by_label("Day").select_option(label="Saturday")
        _free_time(page).get_by_label("From").fill("10:00")
        _free_time(page).get_by_label("Until").fill("13:00")
        page.get_by_role("button", name="Add free time").click()
        expect(page).to_have_url(re.compile(r"/me/availability$"))
        expect(page.get_by_text("Your free time is saved.")).to_be_visible()
        expect(page.locator("main li.nhsuk-card").filter(has_text="Saturday")).to_contain_text(
            "Saturday, 10am to 1pm"
        )
        expect(page.get_by_text("No free times yet")).to_have_count(0)
        assert_fits_the_phone(page, PHONE_WIDTH)
    finally:
        context.close()
