"""Fixtures in the flaskr style: app on its own database, client, runner, login_as(role)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import StrictUndefined

from portal import create_app
from portal.extensions import db

from . import factories
from .clock import TEST_NOW
from .databases import PostgresTemplate, SQLiteTemplate, postgres_url
from .factories import PASSWORD, make_user

CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
TOKEN_META = re.compile(r'<meta name="csrf-token" content="[^"]*">')
TOKEN_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')


def without_form_tokens(html: str) -> str:
    """The page with every CSRF token taken out (the meta tag and any form's input, whatever
    the order of its attributes). A token carries the second it was made in, so two pages
    asked for a second apart differ there and nowhere else: compare pages through this."""
    return TOKEN_META.sub("", TOKEN_INPUT.sub("", html))


@pytest.fixture(scope="session", autouse=True)
def session_clock() -> Iterator[time_machine.Traveller]:
    """Nothing in the suite, fixtures of any scope included, sees the real date."""
    with time_machine.travel(TEST_NOW, tick=True) as coordinates:
        yield coordinates


@pytest.fixture(autouse=True)
def clock(session_clock: time_machine.Traveller) -> Iterator[time_machine.Traveller]:
    """The test's own clock, where the run's clock stands; move it with `clock.move_to(...)` or
    `clock.shift(...)`, and the next test starts again from the run's clock. Time never runs
    backwards between tests: a session signed by an earlier test would then date from the
    future, which Flask refuses."""
    with time_machine.travel(datetime.now(UTC), tick=True) as coordinates:
        yield coordinates


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    folder = tmp_path_factory.mktemp("template")
    server = postgres_url()
    if server:
        template = PostgresTemplate(server, folder)
        yield template
        template.close()
    else:
        yield SQLiteTemplate(folder)


@pytest.fixture
def database_url(database_template, tmp_path: Path) -> Iterator[str]:
    url = database_template.new_database(tmp_path)
    yield url
    database_template.drop(url)


@pytest.fixture
def smtp_server() -> Iterator[object]:
    from .mail import SMTPServer

    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _notify_server_for_run() -> Iterator[object]:
    from .notify_server import NotifyServer

    server = NotifyServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def notify_server(_notify_server_for_run) -> object:
    """The loopback GOV.UK Notify (tests/notify_server.py), emptied and running for each test;
    every test's app points at it (app_config)."""
    _notify_server_for_run.reset()
    _notify_server_for_run.start()
    return _notify_server_for_run


@pytest.fixture
def app_config(database_url: str, tmp_path: Path, smtp_server, notify_server) -> dict:
    return {
        **notify_server.config(),
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SERVER_NAME": "portal.test",
        "EXTERNAL_URL": "http://portal.test",
        "MAIL_SERVER": smtp_server.host,
        "MAIL_PORT": smtp_server.port,
        "MAIL_SEND_INLINE": False,
    }


@pytest.fixture
def app(app_config: dict) -> Iterator[Flask]:
    """The app, with no context held open: each request gets its own, as in production."""
    app = create_app(app_config)
    app.jinja_env.undefined = StrictUndefined
    factories.use_app(app)
    yield app
    factories.use_app(None)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page carries no CSRF token"
    return match.group(1)


class Browserless:
    """Drives the test client the way a person's browser does: GET a page, then POST its form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token(self, page: str = "/sign-in") -> str:
        return csrf_from(self.client.get(page, follow_redirects=True).get_data(as_text=True))

    def post(self, url: str, data: dict | None = None, page: str | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(page or url))
        return self.client.post(url, data=data, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD, next: str | None = None):  # noqa: A002
        """Password, then (for staff) the code their authenticator app shows."""
        data = {"email": email, "password": password, **({"next": next} if next else {})}
        response = self.post("/sign-in", data, page="/sign-in")
        if response.status_code == 303 and response.location.endswith("/sign-in/code"):
            code = factories.sign_in_code(email)
            response = self.post("/sign-in/code", {"code": code}, page="/sign-in/code")
        return response

    def set_up_app(self, page: str = "/sign-in/set-up"):
        """Add the portal to an 'authenticator app' from the set-up page's key, and answer with
        its first code; returns the answer (the recovery codes page) and the app's secret."""
        import pyotp

        html = self.client.get(page).get_data(as_text=True)
        match = re.search(r'id="set-up-key">([A-Z2-7 ]+)<', html)
        assert match, "the set-up page shows no key"
        secret = match.group(1).replace(" ", "")
        code = pyotp.TOTP(secret).now()
        return self.post(page, {"code": code}, page=page), secret


@pytest.fixture
def browser(client: FlaskClient) -> Browserless:
    return Browserless(client)


@pytest.fixture
def login_as(app: Flask, browser: Browserless):
    """Sign in through the real form as a new person holding `role` (or several roles)."""

    def login(*roles: str, **overrides: object):
        user = make_user(roles=roles or ("keyworker",), **overrides)
        response = browser.sign_in(user.email)
        assert response.status_code == 303, response.get_data(as_text=True)
        return user

    return login


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
