"""Issue 20, done as an attacker would: links in email from a forged Host, demo accounts in
production, world-readable database and backup files, tokens in access logs. Each is refused."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from icalendar import Calendar
from jinja2 import StrictUndefined
from sqlalchemy import func, select, text

from portal import ROOT, create_app
from portal.auth.models import User
from portal.extensions import db
from portal.notify.services import deliver_due

from .. import factories
from ..conftest import csrf_from, free_port
from ..factories import PASSWORD, make_escort, make_user

REAL = "https://portal.example.org"  # the configured PORTAL_EXTERNAL_URL
EVIL = "evil.example"
# What a forger sends: straight at the portal (Host), or through the documented proxy set-up,
# which passes on an X-Forwarded-Host the client made up (ProxyFix trusts one hop of it).
FORGERIES = {
    "host": {"base_url": f"https://{EVIL}", "headers": {}},
    "x-forwarded-host": {
        "base_url": "https://portal.example.org",
        "headers": {"X-Forwarded-Host": EVIL},
    },
}
SECRET = "SECRETtoken0123456789abcdefSECRET"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _deliver(app: Flask) -> None:
    with app.app_context():
        deliver_due()


def _email_text(smtp_server, address: str) -> str:
    messages = smtp_server.to(address)
    assert messages, f"no email reached {address}"
    message = messages[-1]
    return smtp_server.text(message) + message.get_body(("html",)).get_content()


def _links(body: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", body)


@pytest.fixture
def production(app_config: dict) -> Iterator[Flask]:
    """The portal as deployed: production, behind one proxy (ProxyFix), no SERVER_NAME."""
    config = {key: value for key, value in app_config.items() if key != "SERVER_NAME"}
    config.update(PORTAL_ENV="production", PROXY_HOPS=1, EXTERNAL_URL=REAL)
    app = create_app(config)
    app.jinja_env.undefined = StrictUndefined
    factories.use_app(app)
    yield app
    factories.use_app(None)
    with app.app_context():
        db.engine.dispose()


class Forger:
    """A client whose every request carries the forged host; it sends the Referer an HTTPS
    CSRF check wants (for the forged host), as a script can."""

    def __init__(self, app: Flask, forgery: dict) -> None:
        self.client = app.test_client()
        self.base_url = forgery["base_url"]
        self.headers = {
            **forgery["headers"],
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "203.0.113.66",
        }

    def get(self, path: str):
        return self.client.get(path, base_url=self.base_url, headers=self.headers)

    def post(self, path: str, data: dict | None = None, page: str | None = None):
        form = self.get(page or path).get_data(as_text=True)
        headers = {**self.headers, "Referer": f"https://{EVIL}{page or path}"}
        return self.client.post(
            path,
            data={"csrf_token": csrf_from(form), **(data or {})},
            base_url=self.base_url,
            headers=headers,
        )


@pytest.mark.parametrize("forgery", FORGERIES, ids=list(FORGERIES))
def test_reset_email_links_to_the_configured_address_whatever_host_is_sent(
    production, smtp_server, forgery
):
    make_user(email="victim@example.org")
    forger = Forger(production, FORGERIES[forgery])
    answer = forger.post("/password/forgot", {"email": "victim@example.org"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    _deliver(production)
    body = _email_text(smtp_server, "victim@example.org")
    assert EVIL not in body
    links = _links(body)
    assert links and all(link.startswith(f"{REAL}/password/reset/") for link in links)


@pytest.mark.parametrize("forgery", FORGERIES, ids=list(FORGERIES))
def test_help_alert_calendar_and_feed_links_ignore_a_volunteers_forged_host(
    production, smtp_server, forgery
):
    champion = make_user(roles=("champion",), email="champion@example.org")
    volunteer = make_user(roles=("volunteer",), email="volunteer@example.org")
    request, *_ = make_escort(volunteer)
    forger = Forger(production, FORGERIES[forgery])
    signed_in = forger.post("/sign-in", {"email": volunteer.email, "password": PASSWORD})
    assert signed_in.status_code == 303, signed_in.get_data(as_text=True)

    escort = f"/safety/escorts/{request.id}"
    assert forger.post(f"{escort}/help", page=escort).status_code == 200
    _deliver(production)
    body = _email_text(smtp_server, champion.email)
    assert EVIL not in body
    assert _links(body) and all(link.startswith(f"{REAL}/") for link in _links(body))

    # The secret calendar address the volunteer copies into a calendar app.
    page = forger.post("/me/calendar/reset", page="/me/calendar").get_data(as_text=True)
    feed = re.search(r'id="feed-url" type="text" value="([^"]+)"', page)
    assert feed and feed.group(1).startswith(f"{REAL}/calendar/")

    # A meeting's calendar entry names the meeting's page.
    ics = forger.get(f"/meetings/{request.meeting_id}/calendar.ics")
    assert ics.status_code == 200
    assert EVIL not in ics.get_data(as_text=True)
    events = Calendar.from_ical(ics.data).walk("VEVENT")
    assert events
    for event in events:
        assert f"{REAL}/meetings/{request.meeting_id}" in str(event["DESCRIPTION"])


def test_invitation_sent_during_a_forged_request_links_to_the_configured_address(
    production, smtp_server
):
    from portal.auth.services import invite_user

    with production.test_request_context(
        "/admin/accounts/invite",
        method="POST",
        base_url=f"https://{EVIL}",
        headers={"X-Forwarded-Host": EVIL},
    ):
        invite_user("newcomer@example.org", "Newcomer", ["volunteer"], None)
    _deliver(production)
    body = _email_text(smtp_server, "newcomer@example.org")
    assert EVIL not in body
    assert all(link.startswith(f"{REAL}/invitation/") for link in _links(body))


def test_messages_from_jobs_link_to_the_configured_address(production, smtp_server):
    """Digests and reminders run in `flask tick`, outside any request."""
    from portal.notify.services import notify_user

    user = make_user(roles=("volunteer",), email="jobs@example.org")
    with production.app_context():
        notify_user(
            db.session.get(User, user.id), "help_requested", "t", link="/safety/today", at_once=True
        )
        db.session.commit()
    _deliver(production)
    assert _links(_email_text(smtp_server, "jobs@example.org"))[0] == f"{REAL}/safety/today"


def test_no_code_builds_a_link_from_the_request():
    """Every absolute address goes through portal.web.external_url / external_link."""
    # `base_url=` as a keyword is the Notify client's address from configuration, not a request's
    forbidden = re.compile(
        r"_external\s*=\s*True|host_url|url_root|request\.host\b|\bbase_url\b(?!\s*=)"
    )
    offenders = []
    for folder in (ROOT / "portal", ROOT / "templates"):
        for path in folder.rglob("*"):
            if path.suffix in {".py", ".html", ".txt"}:
                for number, line in enumerate(path.read_text().splitlines(), 1):
                    if forbidden.search(line):
                        offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


# --- production refuses to start without the address ----------------------------------------


@pytest.fixture
def no_address_in_environment(monkeypatch) -> None:
    for name in ("PORTAL_EXTERNAL_URL", "SERVER_NAME_FOR_LINKS", "PORT"):
        monkeypatch.delenv(name, raising=False)


def test_production_refuses_to_start_without_an_external_address(
    app_config, no_address_in_environment
):
    config = {**app_config, "PORTAL_ENV": "production"}
    config.pop("EXTERNAL_URL")
    with pytest.raises(RuntimeError, match="PORTAL_EXTERNAL_URL is not set"):
        create_app(config)
    with pytest.raises(RuntimeError, match="PORTAL_EXTERNAL_URL is not set"):
        create_app({**config, "EXTERNAL_URL": "  "})


@pytest.mark.parametrize(
    "address",
    [
        "evil.example",
        "//evil.example",
        "javascript:alert(1)",
        "ftp://portal.example.org",
        "https://",
        "https://user:pass@portal.example.org",
        "https://portal.example.org/?next=x",
        "https://portal.example.org/#x",
        "https://portal.example.org:99999",
        "https://portal.example.org\n.evil.example",
        "https://portal example.org",
    ],
)
def test_an_external_address_that_is_not_absolute_http_is_refused(
    app_config, address, no_address_in_environment
):
    for env in ("production", "development"):
        with pytest.raises(RuntimeError, match="absolute http"):
            create_app({**app_config, "PORTAL_ENV": env, "EXTERNAL_URL": address})


def test_the_address_is_kept_without_its_slash_and_development_has_a_default(
    app_config, no_address_in_environment
):
    app = create_app({**app_config, "PORTAL_ENV": "production", "EXTERNAL_URL": REAL + "/"})
    assert app.config["EXTERNAL_URL"] == REAL
    development = {**app_config}
    development.pop("EXTERNAL_URL")
    assert create_app(development).config["EXTERNAL_URL"] == "http://127.0.0.1:5000"


def test_the_address_comes_from_the_environment(app_config, monkeypatch):
    monkeypatch.setenv("PORTAL_EXTERNAL_URL", "https://from-env.example.org/")
    config = {**app_config, "PORTAL_ENV": "production"}
    config.pop("EXTERNAL_URL")
    assert create_app(config).config["EXTERNAL_URL"] == "https://from-env.example.org"


# --- demo data never in production -----------------------------------------------------------


@pytest.mark.parametrize("arguments", [["demo"], ["demo", "--scale", "large", "--factor", "0.01"]])
def test_demo_is_refused_in_production_and_creates_nothing(production, arguments):
    with production.app_context():
        before = db.session.scalar(select(func.count()).select_from(User))
    result = production.test_cli_runner().invoke(args=arguments)
    assert result.exit_code != 0
    assert "never created in production" in result.output
    assert "demo admin" not in result.output  # no published password printed
    with production.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == before
        assert db.session.scalar(select(User).where(User.email.like("%@demo.example.org"))) is None


def test_demo_builders_refuse_in_production_too(production):
    """bench/ scripts and anything else that calls the builders directly."""
    from portal.demo import DemoRefused, build_demo
    from portal.demo.large import build_demo_large

    with production.app_context():
        with pytest.raises(DemoRefused):
            build_demo()
        with pytest.raises(DemoRefused):
            build_demo_large(scale=0.01)
        db.session.rollback()
        assert db.session.scalar(select(User).where(User.email.like("%@demo.example.org"))) is None


# --- database and backups owner-only ---------------------------------------------------------


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common 022 umask, under which SQLite alone makes files every local user can read."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def fresh_sqlite(app_config, tmp_path, usual_umask) -> Iterator[tuple[Flask, Path]]:
    """The portal on its default database, instance/portal.sqlite3, on a new machine."""
    instance = tmp_path / "new" / "instance"
    config = {**app_config, "INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": None}
    app = create_app(config)
    yield app, instance
    with app.app_context():
        db.engine.dispose()


def test_the_database_and_its_side_files_are_owner_only(fresh_sqlite):
    app, instance = fresh_sqlite
    assert _mode(instance) == 0o700
    with app.app_context():
        db.session.execute(text("CREATE TABLE probe (x INTEGER)"))
        db.session.execute(text("INSERT INTO probe VALUES (1)"))
        db.session.commit()
        database = instance / "portal.sqlite3"
        assert _mode(database) == 0o600
        side_files = [instance / "portal.sqlite3-wal", instance / "portal.sqlite3-shm"]
        assert all(path.exists() for path in side_files)  # WAL mode, connection still open
        assert [_mode(path) for path in side_files] == [0o600, 0o600]
    assert all(_mode(path) == 0o600 for path in instance.iterdir() if path.is_file())


def test_the_generated_secret_key_and_its_folder_are_owner_only(app_config, tmp_path, usual_umask):
    instance = tmp_path / "dev" / "instance"
    create_app({**app_config, "SECRET_KEY": None, "INSTANCE_PATH": str(instance)})
    assert _mode(instance) == 0o700
    assert _mode(instance / "secret_key") == 0o600


def test_backups_are_owner_only_and_never_overwrite(fresh_sqlite, tmp_path):
    app, _ = fresh_sqlite
    with app.app_context():
        db.session.execute(text("CREATE TABLE probe (x INTEGER)"))
        db.session.execute(text("INSERT INTO probe VALUES (42)"))
        db.session.commit()
    target = tmp_path / "backups" / "nightly" / "copy.sqlite3"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert _mode(target) == 0o600
    assert _mode(target.parent) == 0o700 and _mode(target.parent.parent) == 0o700
    assert all(_mode(path) == 0o600 for path in target.parent.iterdir())
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT x FROM probe").fetchall() == [(42,)]
    copy.close()

    # A second backup to the same name (or a link planted there) is refused, file untouched.
    before = target.read_bytes()
    again = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert again.exit_code != 0 and "already exists" in again.output
    assert target.read_bytes() == before
    planted = tmp_path / "backups" / "planted.sqlite3"
    planted.symlink_to(tmp_path / "elsewhere.sqlite3")
    refused = app.test_cli_runner().invoke(args=["backup", str(planted)])
    assert refused.exit_code != 0 and "already exists" in refused.output
    assert not (tmp_path / "elsewhere.sqlite3").exists()


# --- tokens out of access logs ---------------------------------------------------------------

TOKEN_PAGES = [
    f"/password/reset/{SECRET}",
    f"/invitation/{SECRET}",
    f"/calendar/{SECRET}.ics",
]


def _fetch(url: str, headers: dict | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def test_gunicorn_access_log_hides_tokens(app_config, tmp_path):
    """The real server, with the project's gunicorn.conf.py, asked for token links."""
    log = tmp_path / "access.log"
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "gunicorn-test-secret",
        "PORTAL_ENV": "production",
        "PORTAL_EXTERNAL_URL": REAL,
        "SESSION_COOKIE_SECURE": "0",
        "WEB_CONCURRENCY": "1",
        "PORTAL_BIND": f"127.0.0.1:{port}",
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        *("-c", "gunicorn.conf.py", "--access-logfile", str(log)),
        *("--error-logfile", str(tmp_path / "error.log"), "wsgi:app"),
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=environment)  # noqa: S603
    try:
        deadline = time.monotonic() + 120
        while _fetch_or_none(f"http://127.0.0.1:{port}/healthz") is None:
            assert server.poll() is None, (tmp_path / "error.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        referer = {"Referer": f"{REAL}/invitation/{SECRET}"}
        for page in TOKEN_PAGES:
            assert _fetch(f"http://127.0.0.1:{port}{page}?x=1", referer) in (404, 410)
        _fetch(f"http://127.0.0.1:{port}/me/calendar/reset")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    lines = log.read_text()
    assert SECRET not in lines
    assert '"GET /password/reset/[token]"' in lines
    assert '"GET /invitation/[token]"' in lines
    assert '"GET /calendar/[token].ics"' in lines
    assert '"GET /me/calendar/reset"' in lines  # other paths are logged as they were


def _fetch_or_none(url: str) -> int | None:
    try:
        return _fetch(url)
    except OSError:
        return None


def test_gunicorn_logger_hides_tokens_in_any_field_a_format_may_ask_for(tmp_path):
    """A changed access_log_format (request line, referrer, raw URI) hides them as well."""
    import runpy
    from types import SimpleNamespace

    from gunicorn.config import Config

    cfg = Config()
    for name, value in runpy.run_path(str(ROOT / "gunicorn.conf.py")).items():
        if name in cfg.settings:
            cfg.set(name, value)
    log = tmp_path / "access.log"
    cfg.set("accesslog", str(log))
    cfg.set("access_log_format", "%(r)s|%(U)s|%(f)s|%({raw_uri}e)s|%({referer}i)s")
    logger = cfg.logger_class(cfg)
    path = f"/password/reset/{SECRET}"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path + "?from=email",
        "PATH_INFO": path,
        "QUERY_STRING": "from=email",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"{REAL}/calendar/{SECRET}.ics",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[("REFERER", f"{REAL}/invitation/{SECRET}")])
    try:
        logger.access(response, request, environ, timedelta(milliseconds=5))
    finally:
        for handler in [*logger.access_log.handlers, *logger.error_log.handlers]:
            handler.close()
        logger.access_log.handlers.clear()
        logger.error_log.handlers.clear()
    line = log.read_text()
    assert SECRET not in line
    assert line.count("[token]") == 5, line


def test_development_server_log_hides_tokens(app_config, caplog, capfd):
    from werkzeug.serving import make_server

    app = create_app({k: v for k, v in app_config.items() if k != "SERVER_NAME"})
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level("INFO", logger="werkzeug"):
            for page in TOKEN_PAGES:
                assert _fetch(f"http://127.0.0.1:{server.server_port}{page}") in (404, 410)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()
    logged = caplog.text + "".join(capfd.readouterr())
    assert SECRET not in logged
    assert "/password/reset/[token]" in caplog.text
    assert "/calendar/[token].ics" in caplog.text


def test_every_route_with_a_token_is_on_the_redaction_list(app):
    from portal.access_log import redact

    rules = [rule for rule in app.url_map.iter_rules() if "token" in rule.arguments]
    assert len(rules) >= 3
    for rule in rules:
        values = {name: 7 for name in rule.arguments if name != "token"}
        path = app.url_map.bind("portal.test").build(rule.endpoint, {**values, "token": SECRET})
        assert SECRET not in redact(path), rule.rule
    assert redact("/me/calendar/reset") == "/me/calendar/reset"
    assert redact("/meetings/3/calendar.ics") == "/meetings/3/calendar.ics"
