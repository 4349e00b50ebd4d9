"""What every request passes through: session lifetimes, deny-by-default access, headers."""

from __future__ import annotations

import time

from flask import Flask, abort, flash, redirect, session, url_for
from flask_login import current_user, logout_user
from htmx_flask import request
from werkzeug.wrappers import Response

from .web import PUBLIC, SIGNED_IN, access_of

CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'; img-src 'self' data:"
)


# Requests a page makes by itself (polling) are not activity: they must not keep a session alive.
PASSIVE_ENDPOINTS = frozenset({"notify.count"})
# The last-activity time is written into the session at most this often. Writing it on every
# request re-signed and re-sent the cookie with every response (measured in bench/pages_bench.py
# and bench/throughput.py); this way an idle session ends between 29 and 30 minutes after the
# last click, never later.
SEEN_AT_RESOLUTION = 60  # seconds


def _to_sign_in(message: str | None = None) -> Response:
    if message:
        flash(message, "info")
    target = url_for("auth.sign_in", next=request.full_path.rstrip("?"))
    if request.htmx:
        # htmx would swap a sign-in page into a fragment; send the whole browser there instead.
        response = Response("", status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def _session_expired() -> str | None:
    """End a session that was idle too long or has reached its absolute lifetime."""
    from flask import current_app

    if "_user_id" not in session:
        return None
    now = time.time()
    started = session.get("started_at", 0)
    seen = session.get("seen_at", 0)
    config = current_app.config
    if now - started > config["PERMANENT_SESSION_LIFETIME"].total_seconds():
        return "Your session has ended. Sign in again to carry on."
    if now - seen > config["SESSION_IDLE_TIMEOUT"].total_seconds():
        return "You were signed out because you had not used the portal for a while."
    if request.endpoint not in PASSIVE_ENDPOINTS and now - seen >= SEEN_AT_RESOLUTION:
        session["seen_at"] = now
    return None


def init_security(app: Flask) -> None:
    @app.before_request
    def enforce_access() -> Response | None:
        if request.endpoint is None:
            return None  # 404 / 405 follow
        access = access_of(request.endpoint)
        if access is None:
            abort(404)  # an endpoint nobody declared access for is nobody's
        expired = _session_expired()
        if expired:
            logout_user()
            session.clear()
            if access == PUBLIC:
                return None
            return _to_sign_in(expired)
        if access == PUBLIC:
            return None
        if not current_user.is_authenticated:
            return _to_sign_in()
        if access != SIGNED_IN and not current_user.has_role(*access):
            abort(403)
        return None

    @app.after_request
    def set_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["X-Frame-Options"] = "DENY"
        headers.add("Vary", "HX-Request")
        if request.endpoint != "static" and (
            current_user.is_authenticated or response.mimetype == "text/html"
        ):
            headers["Cache-Control"] = "no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response
