"""Reading the audit trail: search for the admin, and a CSV of the same search."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, or_, select

from ..audit import CHANGE, EARLIER_VIEW_ACTIONS, REFUSAL, VIEW, AuditEvent
from ..auth.models import User
from ..csv_export import csv_stream, rows_of
from ..dates import LONDON
from ..errors import InvalidChange
from ..extensions import db

EXPORT_LIMIT = 100_000


def _day(value: str, field: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidChange("Enter a date like 2026-03-31", field=field) from None


def audit_query(
    person: str = "",
    client_ref: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
    kind: str = "",
) -> Select:
    """Audit rows with who did them, newest first, matching the admin's search. `kind` keeps
    only changes, views of client data or refused requests."""
    statement = (
        select(AuditEvent, User.name, User.email)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if person.strip():
        like = f"%{person.strip().lower()}%"
        statement = statement.where(or_(func.lower(User.name).like(like), User.email.like(like)))
    if client_ref.strip():
        statement = statement.where(AuditEvent.client_ref == client_ref.strip())
    if action.strip():
        statement = statement.where(AuditEvent.action.like(f"%{action.strip()}%"))
    if kind == VIEW:  # with the looks recorded before events had a kind
        statement = statement.where(
            or_(AuditEvent.kind == VIEW, AuditEvent.action.in_(EARLIER_VIEW_ACTIONS))
        )
    elif kind == CHANGE:
        statement = statement.where(
            AuditEvent.kind == CHANGE, AuditEvent.action.not_in(EARLIER_VIEW_ACTIONS)
        )
    elif kind == REFUSAL:
        statement = statement.where(AuditEvent.kind == REFUSAL)
    elif kind:
        raise InvalidChange("Choose one of the options", field="kind")
    start, end = _day(since, "since"), _day(until, "until")
    if start and end and end < start:
        raise InvalidChange("The end date must be on or after the start date", field="until")
    if start:
        statement = statement.where(AuditEvent.at >= datetime.combine(start, time(), LONDON))
    if end and end < date.max:  # up to the last day there is: no upper bound at all
        statement = statement.where(
            AuditEvent.at < datetime.combine(end + timedelta(days=1), time(), LONDON)
        )
    return statement


AUDIT_CSV_COLUMNS = (
    "when (UTC)",
    "who",
    "email",
    "action",
    "record type",
    "record id",
    "client reference",
    "from address",
    "detail",
    "kind",  # a change, a view of client data or a refused request (issue 20)
)


def audit_csv(statement: Select) -> Iterator[str]:
    """Stream the search as CSV, a row at a time, so a long trail never sits in memory."""
    found = rows_of(lambda: db.session.execute(statement.limit(EXPORT_LIMIT)).yield_per(1000))
    yield from csv_stream(AUDIT_CSV_COLUMNS, (_audit_row(*row) for row in found))


def _audit_row(event: AuditEvent, name: str | None, email: str | None) -> list[object]:
    return [
        event.at.isoformat(timespec="seconds"),
        name or "",
        email or "",
        event.action,
        event.object_type or "",
        event.object_id or "",
        event.client_ref or "",
        event.ip or "",
        event.detail,
        event.kind,
    ]
