"""Issue 18 on a phone: a visitor with no account applies to volunteer and confirms their email
address by the emailed link (360 px wide, keyboard past the hidden field, axe-scanned)."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import expect

from portal.notify.services import deliver_due

from .conftest import assert_accessible, assert_fits_the_phone, focused_is

PHONE_WIDTH = 360


def test_a_visitor_applies_on_a_phone(phone_page, live_server, smtp_server):
    page = phone_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto("/sign-in")
    page.get_by_role("link", name="Volunteer with us").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Volunteer with us")
    assert_fits_the_phone(page, PHONE_WIDTH)
    assert_accessible(page)

    page.get_by_role("button", name="Send my application").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter your first name")
    assert_fits_the_phone(page, PHONE_WIDTH)
    assert_accessible(page)

    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Email address").fill("robin.phone@example.org")
    page.get_by_role("group", name="Are you in recovery yourself?").get_by_label("Yes").check()
    page.get_by_label("Alcoholics Anonymous").check()
    message = page.get_by_label("Anything you would like to tell us (optional)")
    message.fill("Free most evenings.")
    # the hidden field is never reached by the keyboard: the button comes next
    message.press("Tab")
    assert focused_is(page, "Send my application")
    expect(page.locator("input[name=website]")).not_to_be_in_viewport()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_fits_the_phone(page, PHONE_WIDTH)

    with live_server.app.app_context():
        deliver_due()
    link = urlsplit(smtp_server.link_in_last("robin.phone@example.org")).path
    page.goto(link)
    assert_accessible(page)
    page.get_by_role("button", name="Confirm my application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, the recovery champion will be in touch"
    )
    assert_fits_the_phone(page, PHONE_WIDTH)
    assert_accessible(page)
    assert errors == []
