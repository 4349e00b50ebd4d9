"""The append-only audit trail: who did what to which record, when, and from where.

Three kinds of event share the table (`AuditEvent.kind`):

- "change": a change, written by `audit(...)` in the change's own transaction;
- "view": a look at a client's data. A page says what it shows with `viewing(...)` or
  `viewing_list(...)` (in the scoped lookup or page model it already calls), and one after-request
  hook (`init_audit`) writes ONE event for a request that answered with a page, in a short
  transaction of its own. `audit_view(...)` records a look at once, outside that mechanism;
- "refusal": a refused request (403, 404, an expired form), written by `portal.refusals` from the
  error handlers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import ForeignKey, Index, Integer, String, Text, insert
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.wrappers import Response

from .dbtypes import UTCDateTime
from .extensions import db

CHANGE, VIEW, REFUSAL = "change", "view", "refusal"
KINDS = {
    CHANGE: "Changes",
    VIEW: "Views of client data",
    REFUSAL: "Refused requests",
}
# Looks at client data recorded before the kind column existed (migration 0012): the trail is
# append-only, so their kind stays "change" and the "views" filter names them instead.
EARLIER_VIEW_ACTIONS = (
    "client_viewed",
    "fama_session_viewed",
    "client_sheet_printed",
    "request_viewed",
    "request_viewed_by_champion",
    "offer_viewed",
    "subject_access_viewed",
    "subject_access_json",
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    client_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10), default=CHANGE, server_default=CHANGE)

    @property
    def summary(self) -> str:
        """A view or refusal in a few words for the audit page: "Refused: 404 GET /clients/7",
        "Looked at: caseload, page 2, search 'jo'", "Looked at: clients.edit"."""
        try:
            about = json.loads(self.detail) if self.detail else {}
        except ValueError:
            about = {}
        if not isinstance(about, dict):
            about = {}
        if self.kind == REFUSAL:
            words = (about.get("status"), about.get("method"), about.get("path"))
            return "Refused: " + " ".join(str(word) for word in words if word)
        if "list" in about:
            parts = [str(about["list"]).replace("_", " ")]
            parts += [
                "a search" if key == "search" else f"{key} {value}"
                for key, value in about.items()
                if key not in ("list", "page", "endpoint")
            ]
            if "page" in about:
                parts.insert(1, f"page {about['page']}")
            return "Looked at: " + ", ".join(parts)
        return f"Looked at: {about.get('endpoint') or self.action.replace('_', ' ')}"

    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        # the audit page's kind filter, and the count of one account's recent refusals
        Index("ix_audit_events_kind_actor_at", "kind", "actor_id", "at"),
    )


def audit_row(
    action: str,
    obj: object | None,
    actor_id: int | None,
    detail: dict | None,
    client_ref: str | None,
    kind: str = CHANGE,
) -> dict:
    """One audit row as values, for callers that record many changes in one batch."""
    if actor_id is None and has_request_context() and current_user.is_authenticated:
        actor_id = current_user.id
    object_type = object_id = None
    if obj is not None:
        object_type = getattr(obj, "__tablename__", type(obj).__name__)
        object_id = str(getattr(obj, "id", obj))
    return {
        "at": utcnow(),
        "actor_id": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "client_ref": client_ref,
        "ip": request.remote_addr if has_request_context() else None,
        "detail": json.dumps(detail, sort_keys=True, default=str) if detail else None,
        "kind": kind,
    }


def audit(
    action: str,
    obj: object | None = None,
    *,
    actor_id: int | None = None,
    detail: dict | None = None,
    client_ref: str | None = None,
) -> None:
    """Record a change in the caller's transaction, so the change and its record commit together.

    `detail` must hold no passwords, tokens or free-text notes: field names and codes only.
    """
    db.session.execute(
        insert(AuditEvent).values(**audit_row(action, obj, actor_id, detail, client_ref))
    )


def audit_view(
    action: str,
    obj: object | None = None,
    *,
    client_ref: str | None = None,
    detail: dict | None = None,
) -> None:
    """Record a look at personal data at once, in its own short write transaction.

    Pages use `viewing` instead, so a page records one look and only once it is shown.
    """
    _write_view(audit_row(action, obj, None, detail, client_ref, VIEW))


def _write_view(row: dict) -> None:
    from .database import READ_METHODS, write_transaction

    if has_request_context() and request.method not in READ_METHODS:
        # A POST's own transaction may hold SQLite's write lock, and a second connection would
        # wait on it: end it first. Nothing uncommitted outlives a request anyway.
        db.session.rollback()
    with write_transaction(), db.engine.begin() as connection:
        connection.execute(insert(AuditEvent).values(**row))


def viewing(action: str, obj: object | None = None, *, client_ref: str | None = None) -> None:
    """Say what client data the page being drawn shows. If the request answers with a page,
    one view event is recorded after it (the last thing said wins); a redirect or an error
    records none. Outside a request this does nothing."""
    if has_request_context():
        detail = {"endpoint": request.endpoint}
        g.audit_viewing = audit_row(action, obj, None, detail, client_ref, VIEW)


def viewing_list(name: str, **about: object) -> None:
    """Say the page being drawn lists clients: one view event names the list, its page, its
    filters and whether words were searched for (never the words, nor the clients on it)."""
    if has_request_context():
        shown = {key: value for key, value in about.items() if value not in (None, "")}
        if "search" in shown:
            # what was typed may be a client's name, and audit rows are never erased
            shown["search"] = "words given"
        detail = {"list": name, **shown, "endpoint": request.endpoint}
        g.audit_viewing = audit_row(f"{name}_viewed", None, None, detail, None, VIEW)


def record_viewing(response: Response) -> Response:
    """The after-request hook: one view event for a request whose page showed client data (a
    2xx answer, or a 409 that draws the page again; an error page clears what was said). When
    the event cannot be written the page is not shown: the error handler answers instead."""
    row = g.pop("audit_viewing", None)
    if row is not None and (200 <= response.status_code < 300 or response.status_code == 409):
        _write_view(row)
    return response


def forget_viewing() -> None:
    """An error page shows none of what the view had loaded."""
    if has_request_context():
        g.pop("audit_viewing", None)


def init_audit(app: Flask) -> None:
    app.after_request(record_viewing)


def audit_many(rows: list[dict]) -> None:
    """Record a batch of rows made with `audit_row`, in the caller's transaction."""
    if rows:
        db.session.execute(insert(AuditEvent), rows)
