"""Travel expenses end to end: a volunteer on a phone claims a bus fare with a photo of the
ticket, the champion approves it, finance's month is marked paid, and the volunteer sees each
step on their expenses page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..factories import make_past_escort, make_user
from .conftest import assert_accessible, assert_fits_the_phone, sign_in

pytestmark = pytest.mark.browser

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 256


def test_a_bus_fare_is_claimed_approved_and_paid(page, phone_page, live_server):
    request, volunteer, volunteer_user, _, _ = make_past_escort(days_ago=1)
    champion = make_user(roles=("champion",), name="Chris Champion")

    phone = phone_page
    sign_in(phone, volunteer_user.email)
    phone.goto("/volunteer")
    phone.get_by_role("link", name="Claim travel costs for past escorts").click()
    expect(phone.get_by_role("heading", name="My expenses", level=1)).to_be_visible()
    assert_accessible(phone)
    assert_fits_the_phone(phone)
    phone.locator(f"#escort-{request.id}").get_by_role("link", name=re.compile("Claim")).click()
    expect(phone.get_by_role("heading", name="Claim travel costs")).to_be_visible()
    phone.get_by_label("Bus fare").check()
    phone.get_by_label("Fare in pounds and pence").fill("3.40")
    phone.get_by_label("Photo of your ticket (optional)").set_input_files(
        files=[{"name": "ticket.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
    )
    assert_fits_the_phone(phone)
    phone.get_by_role("button", name="Send my claim").click()
    expect(phone.locator("main")).to_contain_text("Claim sent")
    claim = phone.locator("[id^=claim-]").first
    expect(claim).to_contain_text("Waiting for a decision")
    expect(claim).to_contain_text("£3.40")
    claim.get_by_role("link", name=re.compile("Withdraw this claim")).click()
    assert_accessible(phone)
    phone.get_by_role("link", name="Keep it and go back").click()
    assert_fits_the_phone(phone)

    sign_in(page, champion.email)
    page.goto("/expenses/waiting")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(volunteer.preferred_name)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Travel claim from")
    assert_accessible(page)
    page.get_by_role("link", name="Decline the claim").click()
    assert_accessible(page)
    page.get_by_role("link", name="Go back without declining").click()
    page.get_by_role("button", name="Approve £3.40").click()
    expect(page.locator("main")).to_contain_text("Claim approved")

    phone.reload()
    expect(phone.locator("[id^=claim-]").first).to_contain_text("Approved")

    page.goto("/expenses/months")
    page.get_by_role("button", name="Show the month").click()
    expect(page.locator("main")).to_contain_text("£3.40")
    page.get_by_role("link", name="Mark these as paid").click()
    assert_accessible(page)
    page.get_by_role("button", name="Mark as paid").click()
    expect(page.locator("main")).to_contain_text("1 claim marked as paid")
    expect(page.locator("#still-to-pay")).to_contain_text("0")

    phone.reload()
    paid = phone.locator("[id^=claim-]").first
    expect(paid).to_contain_text("Paid")
    expect(paid).to_contain_text("Paid on")
    expect(phone.locator("#total-paid")).to_contain_text("£3.40")
    assert_fits_the_phone(phone)
