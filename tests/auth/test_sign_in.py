"""Signing in and out: identical answers, a fresh session, and sessions that really end."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.extensions import db

from ..factories import PASSWORD, make_user


def test_sign_in_page_has_the_labels_people_look_for(client):
    html = client.get("/sign-in").get_data(as_text=True)
    assert '<label class="nhsuk-label " for="email">Email address</label>' in html
    assert '<label class="nhsuk-label " for="password">Password</label>' in html
    assert ">Sign in</button>" in html


def test_signing_in_lands_on_the_role_home(browser):
    make_user(roles=("volunteer",), email="vol@example.org")
    response = browser.sign_in("vol@example.org")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    home = browser.client.get("/", follow_redirects=True)
    assert home.request.path == "/volunteer"
    assert "My escorts" in home.get_data(as_text=True)


@pytest.mark.parametrize(
    ("roles", "home"),
    [
        (("keyworker",), "/keyworker"),
        (("volunteer",), "/volunteer"),
        (("champion",), "/champion"),
        (("admin",), "/admin/"),
        (("admin", "champion"), "/champion"),
    ],
)
def test_each_role_has_its_own_home(login_as, client, roles, home):
    login_as(*roles)
    assert client.get("/", follow_redirects=True).request.path == home


def _refusal(response, email: str) -> str:
    html = response.get_data(as_text=True).replace(email, "EMAIL")
    start = html.index("<main")
    body = html[start:]
    # the CSRF token differs per session; everything else must be byte-identical
    import re

    return re.sub(r'value="[^"]{40,}"', 'value="TOKEN"', body)


def test_unknown_email_and_wrong_password_get_the_same_answer(browser, client):
    make_user(email="known@example.org")
    wrong = browser.sign_in("known@example.org", "not the right password at all")
    unknown = browser.sign_in("nobody@example.org", "not the right password at all")
    assert wrong.status_code == unknown.status_code == 200
    assert _refusal(wrong, "known@example.org") == _refusal(unknown, "nobody@example.org")
    assert "Enter a correct email address and password" in wrong.get_data(as_text=True)


def test_timing_is_similar_for_known_and_unknown_accounts(browser):
    make_user(email="known@example.org")
    token = browser.token()

    def attempt(email: str) -> float:
        start = time.perf_counter()
        browser.client.post(
            "/sign-in",
            data={"email": email, "password": "wrong password here", "csrf_token": token},
        )
        return time.perf_counter() - start

    known = sorted(attempt("known@example.org") for _ in range(3))[1]
    unknown = sorted(attempt(f"nobody{i}@example.org") for i in range(3))[1]
    # both pay for one argon2 verification; an unknown account must not answer markedly faster
    assert unknown > known * 0.5


def test_deactivated_account_cannot_sign_in(browser):
    make_user(email="gone@example.org", active=False)
    response = browser.sign_in("gone@example.org")
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.get_data(as_text=True)


def test_sign_in_and_failure_are_audited(app, browser):
    user = make_user(email="a@example.org")
    browser.sign_in("a@example.org", "wrong password entirely")
    browser.sign_in("a@example.org")
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_id == str(user.id))
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["sign_in_failed", "sign_in"]


def test_signing_in_starts_a_fresh_session(browser, client):
    make_user(email="a@example.org")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    browser.token()
    with client.session_transaction() as session:
        before = session["csrf_token"]
    browser.sign_in("a@example.org")
    browser.token("/")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["csrf_token"] != before


def test_sign_out_is_a_post_and_ends_the_session(login_as, client, browser):
    login_as("keyworker")
    assert client.get("/sign-out").status_code == 405
    response = browser.post("/sign-out", page="/keyworker")
    assert response.status_code == 303
    assert client.get("/keyworker").status_code == 302


def test_a_copied_cookie_is_refused_after_sign_out(app, login_as, client, browser):
    login_as("keyworker")
    stolen = client.get_cookie("portal_session", domain="portal.test").value
    browser.post("/sign-out", page="/keyworker")
    thief = app.test_client()
    thief.set_cookie("portal_session", stolen, domain="portal.test")
    response = thief.get("/keyworker")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_sign_out_ends_the_other_sessions_of_that_person_too(app, browser, client):
    make_user(email="two@example.org")
    other = app.test_client()
    from ..conftest import Browserless

    Browserless(other).sign_in("two@example.org")
    browser.sign_in("two@example.org")
    assert other.get("/keyworker").status_code == 200
    browser.post("/sign-out", page="/keyworker")
    assert other.get("/keyworker").status_code == 302


def test_idle_session_times_out(login_as, client):
    login_as("keyworker")
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 31 * 60
    response = client.get("/keyworker")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "had not used the portal for a while" in page


def test_activity_is_written_to_the_cookie_at_most_once_a_minute(login_as, client):
    login_as("keyworker")
    client.get("/keyworker")  # the first page puts the CSRF token in the session
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 20
    # A click 20 seconds after the last one sends no new cookie: nothing was re-signed.
    assert "Set-Cookie" not in client.get("/keyworker").headers
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 29 * 60
    # Later clicks move the idle clock on, so an active person is never signed out.
    response = client.get("/keyworker")
    assert "portal_session=" in response.headers["Set-Cookie"]
    with client.session_transaction() as session:
        assert time.time() - session["seen_at"] < 5


def test_absolute_lifetime_ends_a_busy_session(login_as, client):
    login_as("keyworker")
    with client.session_transaction() as session:
        session["started_at"] = time.time() - 13 * 3600
    assert client.get("/keyworker").status_code == 302


def test_expired_htmx_request_redirects_the_whole_page(client):
    response = client.get("/keyworker", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/sign-in?next=")
    assert b"<html" not in response.data


def test_session_cookie_flags(browser, client):
    make_user(email="a@example.org")
    response = browser.sign_in("a@example.org")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "remember_token" not in "".join(response.headers.getlist("Set-Cookie"))


def test_secure_cookie_in_production(app_config):
    from portal import create_app

    app = create_app({**app_config, "PORTAL_ENV": "production"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_to_start_without_a_secret_key(app_config, monkeypatch):
    from portal import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {**app_config, "PORTAL_ENV": "production", "SECRET_KEY": None}
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


def test_development_generates_a_secret_key_into_instance(app_config, tmp_path):
    from portal import create_app

    instance = tmp_path / "fresh-instance"
    config = {**app_config, "SECRET_KEY": None, "INSTANCE_PATH": str(instance)}
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0


def test_passwords_never_reach_the_audit_detail(app, browser):
    make_user(email="a@example.org")
    browser.sign_in("a@example.org", "a secret that must not be logged")
    with app.app_context():
        details = db.session.scalars(select(AuditEvent.detail)).all()
    assert not any(d and "secret that must" in d for d in details)
    assert PASSWORD not in str(details)
