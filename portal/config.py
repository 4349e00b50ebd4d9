"""Configuration: defaults here, then instance/config.py, then environment variables."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from .private_files import make_private_dir

ENV_SETTINGS = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "MAIL_SERVER": "MAIL_SERVER",
    "MAIL_PORT": "MAIL_PORT",
    "MAIL_USERNAME": "MAIL_USERNAME",
    "MAIL_PASSWORD": "MAIL_PASSWORD",
    "MAIL_USE_TLS": "MAIL_USE_TLS",
    "MAIL_FROM": "MAIL_FROM",
    "MAIL_CLAIM_SECONDS": "MAIL_CLAIM_SECONDS",
    "MAIL_SEND_INLINE": "MAIL_SEND_INLINE",
    "SERVER_NAME_FOR_LINKS": "EXTERNAL_URL",
    "PORTAL_EXTERNAL_URL": "EXTERNAL_URL",
    "PORTAL_ENV": "PORTAL_ENV",
    "SESSION_COOKIE_SECURE": "SESSION_COOKIE_SECURE",
    "PORTAL_PROXY_HOPS": "PROXY_HOPS",
    "NOTIFY_API_KEY": "NOTIFY_API_KEY",
    "NOTIFY_BASE_URL": "NOTIFY_BASE_URL",
    "NOTIFY_SMS_TEMPLATE_ID": "NOTIFY_SMS_TEMPLATE_ID",
    "NOTIFY_SMS_SENDER_ID": "NOTIFY_SMS_SENDER_ID",
    "NOTIFY_CALLBACK_TOKEN": "NOTIFY_CALLBACK_TOKEN",
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "PUBLIC_RATE_LIMIT": "PUBLIC_RATE_LIMIT",
}
BOOLEAN_SETTINGS = {"MAIL_SEND_INLINE", "MAIL_USE_TLS", "SESSION_COOKIE_SECURE"}
INTEGER_SETTINGS = {"MAIL_PORT", "MAIL_CLAIM_SECONDS", "PROXY_HOPS"}


class Defaults:
    PORTAL_ENV = "development"
    SERVICE_NAME = "Peer accompaniment"
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "portal_session"
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # Send the session cookie only when the session changed (security.py refreshes the idle
    # time at most once a minute), not re-signed with every response.
    SESSION_REFRESH_EACH_REQUEST = False
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session, which is bounded above
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = False
    MAIL_FROM = "no-reply@portal.invalid"
    # A message a worker took but never marked (the worker died) is retried after this long:
    # longer than any SMTP conversation, short enough that an alert is not held for long.
    MAIL_CLAIM_SECONDS = 300
    MAIL_SEND_INLINE = True  # deliver queued mail after the request; production runs the worker
    # Texts through GOV.UK Notify (portal/notify/texts.py). Without a key, development prints
    # texts to the console and production holds them. The template's whole body is ((body)).
    NOTIFY_API_KEY = ""
    NOTIFY_BASE_URL = "https://api.notifications.service.gov.uk"
    NOTIFY_SMS_TEMPLATE_ID = ""
    NOTIFY_SMS_SENDER_ID = ""
    NOTIFY_CALLBACK_TOKEN = ""  # the bearer token Notify sends to our callback endpoints
    NOTIFY_TIMEOUT = 10  # seconds to wait for Notify
    # The address people use (PORTAL_EXTERNAL_URL): every link in an email, a text or a calendar
    # is built on it, never on the request's Host. Required in production; in development it
    # defaults to where scripts/serve listens (development_external_url()).
    EXTERNAL_URL: str | None = None
    INVITATION_LIFETIME = timedelta(days=7)
    RESET_LIFETIME = timedelta(hours=1)
    # Sign-in throttle (portal/auth/services.py): it slows the address that fails, never locks
    # the account, so an attacker cannot keep the real person out.
    THROTTLE_WINDOW = timedelta(hours=24)  # failures older than this are forgotten
    THROTTLE_PAIR_FREE = 5  # failures for one email from one address before that address waits
    THROTTLE_ADDRESS_FREE = 100  # failures from one address, any emails, before it waits
    # An email failing this often from all addresses together is under a spread-out attack:
    # then each address gets one free failure for it, not THROTTLE_PAIR_FREE.
    THROTTLE_ACCOUNT_UNDER_ATTACK = 50
    THROTTLE_FIRST_WAIT = timedelta(seconds=2)  # doubles with each further failure…
    THROTTLE_LONGEST_WAIT = timedelta(minutes=15)  # …up to this
    PAGE_SIZE = 25
    PROXY_HOPS = 0  # reverse proxies in front of the portal whose X-Forwarded-* to trust
    MEETING_STALE_DAYS = 90  # days unchecked before a meeting is on the needs-checking list
    MEETING_IMPORT_MAX_BYTES = 10 * 1024 * 1024  # largest Meeting Guide feed an import accepts
    MEETING_IMPORT_URL_TIMEOUT = 20  # seconds to wait for a feed fetched from a web address
    MEETING_IMPORT_MAX_MEETINGS = 50_000  # most meetings one feed may hold (each weekday counts)
    # Feeds up to this size are read in the web request; larger ones by `tick`, with progress.
    MEETING_IMPORT_INLINE_BYTES = 256 * 1024
    MEETING_IMPORT_INLINE_MEETINGS = 1_000  # previews up to this many are applied in the request
    MEETING_IMPORT_TIME_BUDGET = 120  # seconds of work an import may take before it is stopped
    VOLUNTEER_MIN_RECOVERY_MONTHS = 12  # time in recovery before a volunteer may escort
    REPORT_CACHE_SECONDS = 300  # how long a worked-out report is kept (0: work it out every time)
    PROPOSAL_CACHE_SECONDS = 120  # how long a batch proposal is kept unless its data changes
    # The public pages (/find, /meetings.json): requests one address may make, and how long
    # other sites and the Meeting Guide app may keep the feed before asking again (its ETag
    # then answers "not changed" cheaply). The counts live in each process's memory unless
    # RATELIMIT_STORAGE_URI names a store every app machine shares (memcached://, redis://).
    PUBLIC_RATE_LIMIT = "120 per minute"
    PUBLIC_FEED_MAX_AGE = 300
    PUBLIC_FEED_CACHE_SECONDS = 60  # this machine keeps the worked-out feed this long
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True


def _coerce(name: str, value: str) -> object:
    if name in BOOLEAN_SETTINGS:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if name in INTEGER_SETTINGS:
        return int(value)
    return value


def load_config(app: Flask, overrides: dict | None) -> None:
    """Layer the configuration; in production refuse to start without a real secret key or
    the external address that links in emails are built on."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for env_name, setting in ENV_SETTINGS.items():
        if os.environ.get(env_name):
            app.config[setting] = _coerce(setting, os.environ[env_name])
    if overrides:
        app.config.update(overrides)

    production = app.config["PORTAL_ENV"] == "production"
    if production:
        app.config.setdefault("SESSION_COOKIE_SECURE", True)
        if not os.environ.get("SESSION_COOKIE_SECURE"):
            app.config["SESSION_COOKIE_SECURE"] = True
    if not app.config.get("SECRET_KEY"):
        if production:
            raise RuntimeError(
                "SECRET_KEY is not set. In production set it in the environment or in "
                "instance/config.py; the portal will not start without it."
            )
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    app.config["EXTERNAL_URL"] = checked_external_url(app.config.get("EXTERNAL_URL"), production)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        # The database file itself is created owner-only on first connection (database.py).
        make_private_dir(Path(app.instance_path))
        db_path = Path(app.instance_path) / "portal.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_path}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        uri = "postgresql://" + uri.removeprefix("postgres://")
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = uri


def _instance_secret(instance: Path) -> str:
    """Generate a secret key into instance/ on first run, so no default key lives in code."""
    make_private_dir(instance)
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def development_external_url() -> str:
    """Where `scripts/serve` listens: http://127.0.0.1:5000, or the port in PORT."""
    port = os.environ.get("PORT", "")
    return f"http://127.0.0.1:{port if port.isdigit() else 5000}"


def checked_external_url(value: object, production: bool) -> str:
    """PORTAL_EXTERNAL_URL without its trailing slash; production refuses to start without it,
    and any value that is not an absolute http(s) address is refused everywhere."""
    text = str(value or "").strip()
    if not text:
        if production:
            raise RuntimeError(
                "PORTAL_EXTERNAL_URL is not set. In production set it to the address people use "
                "to reach the portal (for example https://portal.example.org), in the environment "
                "or as EXTERNAL_URL in instance/config.py: links in emails are built from it, "
                "never from the request. The portal will not start without it."
            )
        text = development_external_url()
    parts = urlsplit(text)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or not port_ok
        or parts.username is not None
        or parts.password is not None
        or parts.query
        or parts.fragment
        or "?" in text
        or "#" in text
        or any(ch.isspace() or ord(ch) < 0x20 or ch in "\\\x7f" for ch in text)
    ):
        raise RuntimeError(
            f"PORTAL_EXTERNAL_URL must be an absolute http:// or https:// address such as "
            f"https://portal.example.org, with no user name, query or fragment; got {text!r}."
        )
    return text.rstrip("/")
