"""Signing in with a code from an authenticator app, recovery codes, setting one up, and an
admin's reset (issue 20, finding 5)."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.auth import second_factor, second_factor_views
from portal.auth.models import User
from portal.extensions import db
from portal.notify.services import deliver_due
from portal.settings import all_settings, save_settings

from ..conftest import Browserless
from ..factories import PASSWORD, make_user, sign_in_code

CODE_PAGE = "/sign-in/code"


def _password_only(browser: Browserless, email: str):
    return browser.post("/sign-in", {"email": email, "password": PASSWORD}, page="/sign-in")


def _secret(app, email: str) -> str:
    with app.app_context():
        return db.session.scalar(select(User.totp_secret).where(User.email == email))


def _actions(app, user_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == "users", AuditEvent.object_id == str(user_id))
                .order_by(AuditEvent.id)
            )
        )


def _recovery_codes(html: str) -> list[str]:
    return re.findall(r'<li class="portal-code">([a-z0-9-]+)</li>', html)


@pytest.mark.parametrize("role", ["admin", "champion", "keyworker"])
def test_staff_need_a_code_after_the_password(browser, role):
    user = make_user(roles=(role,))
    response = _password_only(browser, user.email)
    assert response.status_code == 303 and response.location.endswith(CODE_PAGE)
    # the password alone signs no one in
    assert browser.client.get("/", follow_redirects=True).request.path == "/sign-in"
    page = browser.client.get(CODE_PAGE).get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page
    done = browser.post(CODE_PAGE, {"code": sign_in_code(user.email)})
    assert done.status_code == 303
    assert browser.client.get("/", follow_redirects=True).request.path != "/sign-in"


def test_a_volunteer_without_an_app_signs_in_with_the_password(browser):
    user = make_user(roles=("volunteer",))
    response = _password_only(browser, user.email)
    assert response.status_code == 303 and not response.location.endswith(CODE_PAGE)


def test_a_wrong_code_is_refused_by_the_field_and_five_send_you_back(browser):
    user = make_user(roles=("champion",))
    _password_only(browser, user.email)
    for _ in range(4):
        page = browser.post(CODE_PAGE, {"code": "000000"})
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Enter the 6-digit code your authenticator app shows now" in html
        assert "nhsuk-error-summary" in html
    fifth = browser.post(CODE_PAGE, {"code": "000000"})
    assert fifth.status_code == 303 and fifth.location.endswith("/sign-in")
    # even the right code now needs the password again
    again = browser.post(CODE_PAGE, {"code": sign_in_code(user.email)}, page="/sign-in")
    assert again.status_code == 303 and again.location.endswith("/sign-in")
    assert browser.client.get("/", follow_redirects=True).request.path == "/sign-in"


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "x" * 25, "\x00" * 6])
def test_hostile_codes_are_refused_without_an_error(browser, code):
    user = make_user(roles=("admin",))
    _password_only(browser, user.email)
    page = browser.post(CODE_PAGE, {"code": code})
    assert page.status_code == 200
    assert browser.client.get("/", follow_redirects=True).request.path == "/sign-in"


def test_a_code_is_good_once(app, browser):
    user = make_user(roles=("champion",))
    code = sign_in_code(user.email)
    _password_only(browser, user.email)
    assert browser.post(CODE_PAGE, {"code": code}).status_code == 303
    replay = Browserless(app.test_client())
    _password_only(replay, user.email)
    page = replay.post(CODE_PAGE, {"code": code})
    assert page.status_code == 200 and "Enter the 6-digit code" in page.get_data(as_text=True)
    with app.app_context():
        fresh = db.session.get(User, user.id)
        assert second_factor.check_code(fresh, code) is False


def test_the_wait_for_a_code_ends_after_ten_minutes(browser, clock):
    user = make_user(roles=("keyworker",))
    _password_only(browser, user.email)
    clock.shift(timedelta(minutes=11))
    late = browser.post(CODE_PAGE, {"code": sign_in_code(user.email)}, page="/sign-in")
    assert late.status_code == 303 and late.location.endswith("/sign-in")


def test_a_recovery_code_works_once_and_the_person_is_told(app, browser, smtp_server):
    user = make_user(roles=("champion",))
    browser.sign_in(user.email)
    html = browser.post("/account/second-factor/recovery-codes", {}, page="/account/second-factor")
    codes = _recovery_codes(html.get_data(as_text=True))
    assert len(codes) == second_factor.RECOVERY_CODES
    browser.post("/sign-out", {}, page="/")

    for attempt, expected in ((codes[0].upper().replace("-", " "), 303), (codes[0], 200)):
        visitor = Browserless(app.test_client())
        _password_only(visitor, user.email)
        assert visitor.post(CODE_PAGE, {"code": attempt}).status_code == expected
    assert "recovery_code_used" in _actions(app, user.id)
    with app.app_context():
        deliver_due()
    assert any("recovery code was used" in smtp_server.text(m) for m in smtp_server.to(user.email))


def test_a_reset_link_does_not_skip_the_code(app, browser, smtp_server):
    user = make_user(roles=("champion",))
    browser.post("/password/forgot", {"email": user.email})
    with app.app_context():
        deliver_due()
    link = smtp_server.link_in_last(user.email).split("://", 1)[1].split("/", 1)[1]
    new = "a brand new passphrase here"
    saved = browser.post(f"/{link}", {"password": new, "confirm": new})
    assert saved.status_code == 303 and saved.location.endswith(CODE_PAGE)
    assert browser.client.get("/", follow_redirects=True).request.path == "/sign-in"


def test_setting_up_an_app_shows_a_qr_drawn_here_and_needs_a_right_code(app, browser):
    user = make_user(roles=("volunteer",))
    browser.sign_in(user.email)
    page = browser.client.get("/account/second-factor/set-up").get_data(as_text=True)
    assert "<svg" in page and "otpauth://" not in page.split("<svg", 1)[0]
    assert not re.search(r'src="https?://', page)
    wrong = browser.post("/account/second-factor/set-up", {"code": "123456"})
    assert wrong.status_code == 200 and "Enter the 6-digit code" in wrong.get_data(as_text=True)
    codes, secret = browser.set_up_app("/account/second-factor/set-up")
    assert len(_recovery_codes(codes.get_data(as_text=True))) == second_factor.RECOVERY_CODES
    assert _secret(app, user.email) == secret
    assert "second_factor_set_up" in _actions(app, user.id)
    # the volunteer now needs a code too
    later = Browserless(app.test_client())
    assert _password_only(later, user.email).location.endswith(CODE_PAGE)


def test_a_volunteer_may_turn_it_off_a_champion_may_not(app, browser):
    volunteer = make_user(roles=("volunteer",))
    browser.sign_in(volunteer.email)
    browser.set_up_app("/account/second-factor/set-up")
    confirm = browser.client.get("/account/second-factor/turn-off").get_data(as_text=True)
    assert "Stop asking for a code when you sign in?" in confirm
    browser.post("/account/second-factor/turn-off", {})
    assert _secret(app, volunteer.email) is None

    champion = make_user(roles=("champion",))
    other = Browserless(app.test_client())
    other.sign_in(champion.email)
    assert "Stop asking" not in other.client.get("/account/second-factor").get_data(as_text=True)
    refused = other.post("/account/second-factor/turn-off", {}, follow_redirects=True)
    assert "Your role needs a second factor" in refused.get_data(as_text=True)
    assert _secret(app, champion.email) is not None


def test_keyworkers_need_it_while_the_setting_is_on(app, browser):
    admin = make_user(roles=("admin",))
    keyworker = make_user(roles=("keyworker",))
    with app.app_context():
        # a keyworker who never set one up, as after an upgrade
        row = db.session.get(User, keyworker.id)
        row.totp_secret, row.second_factor_at = None, None
        db.session.commit()
    first = _password_only(browser, keyworker.email)
    assert first.location.endswith("/sign-in/set-up")
    with app.app_context():
        save_settings({**all_settings(), "keyworker_second_factor": "no"}, admin.id)
    second = Browserless(app.test_client())
    assert not _password_only(second, keyworker.email).location.endswith("/sign-in/set-up")


def test_an_admin_resets_a_lost_phone(app, browser, smtp_server):
    champion = make_user(roles=("champion",))
    theirs = Browserless(app.test_client())
    theirs.sign_in(champion.email)
    admin = make_user(roles=("admin",))
    browser.sign_in(admin.email)
    account = f"/admin/accounts/{champion.id}"
    assert "Reset the second factor" in browser.client.get(account).get_data(as_text=True)
    reset = f"{account}/second-factor/reset"
    assert "Check it is really them" in browser.client.get(reset).get_data(as_text=True)
    done = browser.post(reset, {"version": _version(app, champion.id)}, page=reset)
    assert done.status_code == 303
    assert "second_factor_reset" in _actions(app, champion.id)
    # signed out everywhere; the next sign-in sets up a new app
    assert theirs.client.get("/", follow_redirects=True).request.path == "/sign-in"
    assert _password_only(theirs, champion.email).location.endswith("/sign-in/set-up")
    with app.app_context():
        deliver_due()
    assert any("admin reset" in smtp_server.text(m) for m in smtp_server.to(champion.email))


def test_an_admin_cannot_reset_their_own(app, browser):
    admin = make_user(roles=("admin",))
    browser.sign_in(admin.email)
    reset = f"/admin/accounts/{admin.id}/second-factor/reset"
    answer = browser.post(reset, {"version": _version(app, admin.id)}, follow_redirects=True)
    assert "Ask another admin" in answer.get_data(as_text=True)
    assert _secret(app, admin.email) is not None


def test_a_password_change_elsewhere_ends_the_wait(app, browser):
    user = make_user(roles=("keyworker",))
    _password_only(browser, user.email)
    with app.app_context():
        from portal.auth.models import new_session_token

        db.session.get(User, user.id).session_token = new_session_token()
        db.session.commit()
    answer = browser.post(CODE_PAGE, {"code": sign_in_code(user.email)}, page="/sign-in")
    assert answer.location.endswith("/sign-in")


def test_codes_from_a_phone_a_step_out_are_accepted_but_not_further(app):
    user = make_user(roles=("admin",))
    secret = _secret(app, user.email)
    totp = pyotp.TOTP(secret)
    import time

    now = int(time.time())
    with app.app_context():
        row = db.session.get(User, user.id)
        assert second_factor.check_code(row, totp.at(now - 3 * 30)) is False
        assert second_factor.check_code(row, totp.at(now + 3 * 30)) is False
        assert second_factor.check_code(row, totp.at(now - 30)) is True


def _version(app, user_id: int) -> int:
    with app.app_context():
        return db.session.get(User, user_id).version


def test_guessing_codes_is_slowed_like_guessing_passwords(app, browser, smtp_server):
    app.config["THROTTLE_FIRST_WAIT"] = timedelta(hours=1)  # no wait ends while the test runs
    user = make_user(roles=("champion",))
    _password_only(browser, user.email)
    for _ in range(second_factor_views.MAX_TRIES):
        last = browser.post(CODE_PAGE, {"code": "000000"})
    assert last.location.endswith("/sign-in")
    # the attacker knows the password, yet the right password no longer buys more guesses
    again = _password_only(browser, user.email)
    assert again.status_code == 200 and "Too many attempts" in again.get_data(as_text=True)
    # the real person, from their own address, signs in first time
    person = Browserless(app.test_client())
    person.client.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert person.sign_in(user.email).status_code == 303
    assert person.client.get("/", follow_redirects=True).request.path == "/champion"
    # and hears, once, that someone typed their password with wrong codes
    with app.app_context():
        deliver_due()
    warned = [m for m in smtp_server.to(user.email) if "wrong code" in smtp_server.text(m)]
    assert len(warned) == 1
    assert _actions(app, user.id).count("second_factor_refused") == second_factor_views.MAX_TRIES


def test_the_right_code_forgives_earlier_wrong_ones(app, browser):
    from portal.auth.services import throttled_until

    user = make_user(roles=("keyworker",))
    _password_only(browser, user.email)
    for _ in range(3):
        browser.post(CODE_PAGE, {"code": "000000"})
    assert browser.post(CODE_PAGE, {"code": sign_in_code(user.email)}).status_code == 303
    with app.test_request_context():
        assert throttled_until(user.email, "127.0.0.1") is None
