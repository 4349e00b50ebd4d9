"""Each role signs in and out; keyboard-only sign-in; accessibility of the main pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..factories import make_user, sign_in_code
from .conftest import axe_violations, sign_in, tab_to

HOMES = {
    "keyworker": ("/keyworker", "Your caseload"),
    "volunteer": ("/volunteer", "My escorts"),
    "champion": ("/champion", "Champion home"),
    "admin": ("/admin/", "Admin"),
}


@pytest.mark.parametrize("role", list(HOMES))
def test_each_role_signs_in_sees_home_and_signs_out(page, role):
    path, heading = HOMES[role]
    user = make_user(roles=(role,))
    sign_in(page, user.email)
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    assert not page.console_errors, page.console_errors


def test_keyboard_only_sign_in(page):
    user = make_user(roles=("keyworker",))
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    # from the main content, the first field is a Tab away
    tab_to(page, page.get_by_label("Email address"), max_presses=10)
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("correct horse battery staple")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your app")
    tab_to(page, page.get_by_label("Code"), max_presses=10)
    page.keyboard.type(sign_in_code(user.email))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your caseload")


def test_wrong_password_focuses_the_error_summary(page):
    page.goto("/sign-in")
    page.get_by_label("Email address").fill("nobody@example.org")
    page.get_by_label("Password").fill("not the right password")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter a correct email address and password")
    expect(page).to_have_title(re.compile("^Error: "))


def test_sign_in_page_is_accessible(page):
    page.goto("/sign-in")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Sign in").click()  # with errors shown
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert axe_violations(page) == []


@pytest.mark.parametrize("role", list(HOMES))
def test_home_pages_are_accessible(page, role):
    user = make_user(roles=(role,))
    sign_in(page, user.email)
    expect(page).to_have_url(re.compile(re.escape(HOMES[role][0]) + "$"))
    assert axe_violations(page) == []


def test_admin_search_updates_as_you_type_and_keeps_the_url(page):
    admin = make_user(roles=("admin",))
    make_user(name="Jordan Example")
    make_user(name="Casey Example")
    sign_in(page, admin.email)
    page.goto("/admin/accounts")
    page.get_by_label("Name or email address").fill("jordan")
    expect(page.locator("#account-results")).to_contain_text("1 account")
    expect(page.locator("#account-results")).not_to_contain_text("Casey")
    expect(page).to_have_url(re.compile(r"q=jordan"))
    assert axe_violations(page) == []


def test_expired_session_on_an_htmx_request_goes_to_sign_in(page, live_server):
    admin = make_user(roles=("admin",))
    sign_in(page, admin.email)
    page.goto("/admin/accounts")
    page.context.clear_cookies()
    page.get_by_label("Name or email address").fill("x")
    # a debounced htmx request, a 401 with HX-Redirect, then a full page: allow a busy machine
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in", timeout=20_000)
    assert "/admin/accounts" not in page.locator("main").inner_text()


def test_phone_sized_sign_in(phone_page):
    user = make_user(roles=("volunteer",))
    sign_in(phone_page, user.email)
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("My escorts")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
