"""The security promises of SECURITY.md, each tried with an attack and its expected result."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portal.web import is_safe_next

from .factories import make_user

HOSTILE_NEXT = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example",
    "http:///evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/%2F%2Fevil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "\b//evil.example",
    "\t//evil.example",
    " //evil.example",
    "/\t/evil.example",
    "evil.example",
    "",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_hostile_next_is_refused(target):
    assert not is_safe_next(target)


@pytest.mark.parametrize("target", ["/", "/admin/accounts?q=sam", "/volunteer#offers"])
def test_paths_on_this_site_are_allowed(target):
    assert is_safe_next(target)


@pytest.mark.parametrize("target", HOSTILE_NEXT[:12])
def test_sign_in_never_redirects_off_site(browser, target):
    make_user(email="a@example.org")
    response = browser.sign_in("a@example.org", next=target)  # kept through the code step
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_sign_in_follows_a_safe_next(browser, client):
    make_user(email="a@example.org", roles=("admin",))
    response = browser.sign_in("a@example.org", next="/admin/accounts")
    assert response.headers["Location"] == "/admin/accounts"


def test_next_is_kept_through_the_sign_in_page(client):
    response = client.get("/admin/accounts?q=x")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="/admin/accounts?q=x"' in page


def test_posts_without_a_csrf_token_are_refused(client, login_as):
    login_as("keyworker")
    response = client.post("/sign-out")
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert client.get("/keyworker").status_code == 200  # still signed in: nothing changed


def test_htmx_posts_carry_the_token_in_a_header(client, login_as, browser):
    login_as("keyworker")
    token = browser.token("/keyworker")
    response = client.post("/sign-out", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 303


def test_security_headers_on_every_page(client, login_as):
    for path in ["/sign-in", "/healthz", "/no-such-page"]:
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        for part in [
            "default-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]:
            assert part in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "HX-Request" in headers["Vary"]
    login_as("keyworker")
    assert client.get("/keyworker").headers["Cache-Control"] == "no-store"


def test_htmx_history_cache_is_off_and_no_inline_script(client):
    html = client.get("/sign-in").get_data(as_text=True)
    assert '"historyCacheSize": 0' in html
    assert "<script>" not in html and "onclick" not in html
    assert 'src="http' not in html and 'href="http' not in html


def test_hsts_when_served_over_https(app_config):
    from portal import create_app

    app = create_app({**app_config, "SESSION_COOKIE_SECURE": True})
    response = app.test_client().get("/sign-in")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_htmx_fragment_has_no_page_shell(client, login_as):
    login_as("admin")
    full = client.get("/admin/accounts")
    fragment = client.get("/admin/accounts", headers={"HX-Request": "true"})
    assert b"<html" in full.data
    assert b"<html" not in fragment.data and b'id="account-results"' in fragment.data
    boosted = client.get("/admin/accounts", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert b"<html" in boosted.data


def test_error_pages_share_the_site_style(client, login_as):
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "Page not found" in missing.get_data(as_text=True)
    login_as("volunteer")
    forbidden = client.get("/admin/accounts")
    assert forbidden.status_code == 403
    assert "You do not have access" in forbidden.get_data(as_text=True)


def test_unexpected_errors_get_the_500_page(app, client):
    from portal.web import public

    @app.route("/boom")
    @public
    def boom():
        raise RuntimeError("kaboom")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "Sorry, there is a problem" in response.get_data(as_text=True)
    assert "kaboom" not in response.get_data(as_text=True)


BAD_VALUES = [
    "",
    " ",
    "a" * 10_000,
    "nul\x00byte@example.org",
    "\x1b[31mred",
    "<div hx-get='/admin/accounts' hx-trigger='load'>x</div>",
    "'; DROP TABLE users; --",
    "😀" * 300,
]


@pytest.mark.parametrize("value", BAD_VALUES)
def test_bad_input_never_breaks_sign_in_or_reset(browser, value):
    for url, data in [
        ("/sign-in", {"email": value, "password": value}),
        ("/password/forgot", {"email": value}),
    ]:
        response = browser.post(url, data)
        assert response.status_code == 200, (url, value)


def test_badly_encoded_bytes_are_refused_cleanly(browser, client):
    token = browser.token()
    body = b"csrf_token=" + token.encode() + b"&email=%FF%FE%00&password=%C3%28"
    response = client.post("/sign-in", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200


def test_a_huge_upload_is_refused(browser, client):
    token = browser.token()
    response = client.post(
        "/sign-in", data={"csrf_token": token, "email": "x" * (11 * 1024 * 1024)}
    )
    assert response.status_code == 413


def test_hostile_text_renders_inert(app, login_as, client):
    login_as("admin")
    make_user(name="<div hx-get='/admin/accounts' hx-trigger='load'>Eve</div>")
    html = client.get("/admin/accounts").get_data(as_text=True)
    assert "<div hx-get='/admin/accounts'" not in html
    assert "&lt;div hx-get=" in html


def test_audit_rows_cannot_be_changed_or_removed(app, browser):
    make_user(email="a@example.org")
    browser.sign_in("a@example.org")
    from portal.extensions import db

    with app.app_context():
        for statement in ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"]:
            with pytest.raises(DBAPIError):
                db.session.execute(text(statement))
            db.session.rollback()
        assert db.session.execute(text("SELECT count(*) FROM audit_events")).scalar() >= 1


def test_healthz_answers_without_a_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_healthz_says_503_when_the_database_is_gone(app_config, tmp_path):
    from portal import create_app

    broken = create_app(
        {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3"}
    )
    assert broken.test_client().get("/healthz").status_code == 503


def test_behind_a_proxy_the_client_address_and_https_are_seen(app_config):
    from portal import create_app

    app = create_app({**app_config, "PROXY_HOPS": 1})
    seen = {}

    from portal.web import public

    @app.route("/whoami")
    @public
    def whoami():
        from flask import request

        seen["addr"], seen["scheme"] = request.remote_addr, request.scheme
        return "ok"

    app.test_client().get(
        "/whoami", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    )
    assert seen == {"addr": "203.0.113.9", "scheme": "https"}


def test_building_the_app_opens_no_database_connection(app_config):
    """gunicorn forks after importing the app: no connection may exist before the fork."""
    from portal import create_app

    unreachable = "postgresql://nobody:nothing@127.0.0.1:1/none"
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": unreachable})
    assert app.test_client().get("/healthz").status_code == 503


@pytest.mark.parametrize("bad_id", [2**31, 2**63 + 7, 10**40])
def test_ids_no_column_can_hold_are_not_found(client, login_as, bad_id):
    # found by tests/test_fuzz.py: such ids reached the database (500 on SQLite and PostgreSQL)
    login_as("champion")
    assert client.get(f"/meetings/{bad_id}").status_code == 404
    assert client.post(f"/meetings/{bad_id}/checked").status_code in (400, 404)
    assert client.get(f"/meetings/{2**31 - 1}").status_code == 404
