"""The append-only audit trail: who did what to which record, when, and from where."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import ForeignKey, Index, Integer, String, Text, insert
from sqlalchemy.orm import Mapped, mapped_column

from .dbtypes import UTCDateTime
from .extensions import db


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

    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)


def audit_row(
    action: str,
    obj: object | None,
    actor_id: int | None,
    detail: dict | None,
    client_ref: str | None,
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


def audit_view(action: str, obj: object | None = None, *, client_ref: str | None = None) -> None:
    """Record a look at personal data at once, in its own short write transaction."""
    from .database import write_transaction

    row = audit_row(action, obj, None, None, client_ref)
    with write_transaction(), db.engine.begin() as connection:
        connection.execute(insert(AuditEvent).values(**row))


def audit_many(rows: list[dict]) -> None:
    """Record a batch of rows made with `audit_row`, in the caller's transaction."""
    if rows:
        db.session.execute(insert(AuditEvent), rows)
