"""Issue 20 in the browser: a champion sets up an authenticator app on their first sign-in, signs
in with a code from it, and on a phone without the app signs in with a recovery code."""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import expect

from ..factories import PASSWORD, make_user
from .conftest import assert_accessible, assert_fits_the_phone


def _password(page, email: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_set_up_on_first_sign_in_then_a_code_then_a_recovery_code(phone_page, app):
    page = phone_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    user = make_user(roles=("champion",))
    with app.app_context():  # a champion who has not set up an app yet
        from portal.auth.models import User
        from portal.extensions import db

        row = db.session.get(User, user.id)
        row.totp_secret, row.second_factor_at = None, None
        db.session.commit()

    _password(page, user.email)
    expect(page).to_have_url(re.compile(r"/sign-in/set-up$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a code from your phone")
    expect(page.locator(".portal-qr svg")).to_be_visible()
    assert_fits_the_phone(page)
    assert_accessible(page)
    secret = page.locator("#set-up-key").inner_text().replace(" ", "")
    app_on_phone = pyotp.TOTP(secret)
    page.get_by_label("Code from your app").fill("000000")
    page.get_by_role("button", name="Check the code and turn it on").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    page.get_by_label("Code from your app").fill(app_on_phone.now())
    page.get_by_role("button", name="Check the code and turn it on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    assert_accessible(page)
    page.get_by_role("link", name="I have kept my codes, continue").click()
    expect(page).to_have_url(re.compile(r"/champion$"))
    _sign_out(page)

    # Next time: the password, then the code the app shows (a later step: each code works once)
    _password(page, user.email)
    expect(page).to_have_url(re.compile(r"/sign-in/code$"))
    assert_accessible(page)
    import time

    page.get_by_label("Code").fill(app_on_phone.at(int(time.time()) + 30))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/champion$"))
    _sign_out(page)

    # Phone left at home: a recovery code, once
    _password(page, user.email)
    page.get_by_text("I do not have my phone").click()
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/champion$"))
    page.goto("/account/second-factor")
    expect(page.get_by_text("You have 9 unused recovery codes")).to_be_visible()
    _sign_out(page)
    _password(page, user.email)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    expect(
        page.get_by_text("Enter the 6-digit code your authenticator app shows now").first
    ).to_be_visible()
    assert errors == []
