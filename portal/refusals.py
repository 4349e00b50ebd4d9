"""Refused requests in the audit trail, and an alert to the admins about a burst of them.

The error handlers in portal/pages.py call `record_refusal(status)` for every 403 and 404 (from
`abort`, the access check or a service's NotAllowed / NotFound) and for an expired or missing
form token (CSRF, 400). One "refusal" audit event says who (the account, or nobody when signed
out), what (method, endpoint, path, status), when and from where (the remote address).

What is recorded, so that noise cannot flood the trail:

- a signed-in person's refusals, always, except a missing static file (public anyway, and a
  browser asks for some by itself, such as a stylesheet's source map) and the files browsers
  ask for on their own (`/favicon.ico`, `/robots.txt`, `/apple-touch-icon…`, `/.well-known/…`):
  those must not count towards the alert below;
- a signed-out visitor's only on the app's own endpoints: not a static file, and not an address
  that matches no route at all (scanners ask for thousands of those);
- never a token: the path is the route's pattern filled in with its ids and short words (a
  consent's kind, a sheet's name), but never a part named `token`, so `/password/reset/<token>`
  is kept as just that; an address that matches no route keeps at most 200 characters, with
  any segment longer than 32 characters cut out; the query string is never kept.

The event is written in a short transaction of its own after the request's own work is rolled
back (a refused request changes nothing), and a failure to write it is logged, never shown: the
refusal page goes out whatever happens.

When one account has been refused more than `refusal_alert_count` times in the last
`refusal_alert_minutes` minutes, every active admin gets a "refusals_alert" message (always
emailed, at any hour), once per account per window.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from flask import has_request_context, request, url_for
from flask_login import current_user
from sqlalchemy import func, insert, select

from .audit import REFUSAL, AuditEvent, audit_row, utcnow
from .database import write_transaction
from .extensions import db

log = logging.getLogger(__name__)

ACTION = "request_refused"
ALERT_KIND = "refusals_alert"
# Asked for by browsers and crawlers on their own: a 404 there is nobody probing anything.
BROWSER_FILES = re.compile(
    r"^/(favicon\.ico|robots\.txt|apple-touch-icon[\w.-]*\.png|\.well-known/.*)$"
)
_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_WORD = re.compile(r"^[\w.-]{1,40}$", re.ASCII)  # a kind, a sheet's name: never a secret
LONG_SEGMENT = 32
MAX_PATH = 200


def safe_path() -> str:
    """The request's path with no secret in it (see the module's docstring)."""
    rule = request.url_rule
    if rule is None:
        segments = ["…" if len(part) > LONG_SEGMENT else part for part in request.path.split("/")]
        return "/".join(segments)[:MAX_PATH]
    values = request.view_args or {}

    def fill(match: re.Match[str]) -> str:
        name = match.group(2)
        value = values.get(name)
        if isinstance(value, int) or (
            isinstance(value, str) and "token" not in name and _WORD.match(value)
        ):
            return str(value)
        return f"<{name}>"

    return _ARGUMENT.sub(fill, rule.rule)[:MAX_PATH]


def _signed_in() -> bool:
    return bool(getattr(current_user, "is_authenticated", False))


def worth_recording() -> bool:
    """Whether this refusal goes in the trail (see the module's docstring)."""
    if request.endpoint == "static" or BROWSER_FILES.match(request.path):
        return False
    if _signed_in():
        return True
    return request.endpoint is not None


def record_refusal(status: int) -> None:
    """Record the refused request being answered; never raises."""
    if not has_request_context():
        return
    try:
        if not worth_recording():
            return
        actor_id = current_user.id if _signed_in() else None
        detail = {
            "method": request.method,
            "endpoint": request.endpoint,
            "path": safe_path(),
            "status": status,
        }
        row = audit_row(ACTION, None, actor_id, detail, None, REFUSAL)
        db.session.rollback()  # a refused request changes nothing; and SQLite's lock is freed
        with write_transaction():
            db.session.execute(insert(AuditEvent).values(**row))
            if actor_id is not None:
                alert_if_burst(actor_id, row["at"])
            db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record a refused request")


def refusals_since(actor_id: int, since: datetime) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.kind == REFUSAL,
                AuditEvent.actor_id == actor_id,
                AuditEvent.at >= since,
            )
        )
        or 0
    )


def alert_if_burst(actor_id: int, now: datetime | None = None) -> bool:
    """Tell every active admin when `actor_id` was refused more than the set number of times in
    the set window; once per account per window. In the caller's transaction; True if told."""
    from .auth.models import User, UserRole
    from .notify.models import Notification
    from .notify.services import notify_user
    from .settings import get_setting

    now = now or utcnow()
    limit = int(get_setting("refusal_alert_count"))
    minutes = int(get_setting("refusal_alert_minutes"))
    since = now - timedelta(minutes=minutes)
    count = refusals_since(actor_id, since)
    if count <= limit:
        return False
    admins = db.session.scalars(
        select(User)
        .where(User.active.is_(True), User.role_rows.any(UserRole.role == "admin"))
        .order_by(User.id)
    ).all()
    if not admins:
        return False
    # Keys name the fixed window the alert fell in, so requests racing past the limit together
    # alert once; an alert in this window or the one before that is younger than the window
    # means the admins know already. (Both are looked up by the (user, key) unique index.)
    window = int(now.timestamp()) // (minutes * 60)
    key, previous = f"refusals:{actor_id}:{window}", f"refusals:{actor_id}:{window - 1}"
    already = db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.user_id.in_([admin.id for admin in admins]),
            Notification.dedupe_key.in_((key, previous)),
            Notification.created_at >= since,
        )
    )
    if already:
        return False
    account = db.session.get(User, actor_id)
    who = f"{account.name} ({account.email})" if account else f"Account {actor_id}"
    for admin in admins:
        notify_user(
            admin,
            ALERT_KIND,
            f"{who} was refused {count} times in {minutes} minutes",
            body=(
                "Pages or records this account may not use were asked for again and again: "
                "it may be someone probing the portal. The audit trail lists each refused "
                "request. Check them, and deactivate the account if you need to."
            ),
            link=url_for("admin.audit_trail", kind=REFUSAL),
            urgent=True,
            dedupe_key=key,
        )
    return True
