"""Volunteers' supervision: a log per volunteer, and who is due a session.

Peers in recovery carry an emotional load; regular supervision is part of looking after them.
Champions record each session (when, what kind, who held it, a short note) and when the next
is due. The note is for champions only: the volunteer never sees it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, or_, select

from ..audit import audit, utcnow
from ..auth.models import User, UserRole
from ..errors import Conflict, InvalidChange, NotFound
from ..extensions import db
from ..versioning import claim_version
from ._common import _require_champion, today_local
from .models import SUPERVISION_KINDS, Supervision, Volunteer

NOTE_LENGTH = 500
NAME_LENGTH = 100
# Supervision shows as due this many days before its date (and every day after it).
DUE_DAYS = 14
SUPERVISION_CONFLICT = "Someone else changed this supervision while you were looking. Reload it."
FIELDS = ("held_on", "kind", "held_by_id", "held_by_name", "note", "next_due_on")


def interval_weeks() -> int:
    """Weeks from one supervision to the next (the admin's setting)."""
    from ..settings import get_setting

    return int(get_setting("supervision_interval_weeks"))


def default_next_due(held_on: date) -> date:
    """When the next supervision is due if the champion gives no date."""
    return held_on + timedelta(weeks=interval_weeks())


def supervisors() -> dict[int, str]:
    """Active champions' accounts (id to name): who may be named as holding a session."""
    rows = db.session.execute(
        select(User.id, User.name)
        .where(User.active.is_(True), User.role_rows.any(UserRole.role == "champion"))
        .order_by(func.lower(User.name), User.id)
    ).all()
    return dict(rows)


def supervisions_of(volunteer: Volunteer, actor: User) -> list[Supervision]:
    """The volunteer's supervision log, latest first (one query)."""
    _require_champion(actor)
    return list(
        db.session.scalars(
            select(Supervision)
            .where(Supervision.volunteer_id == volunteer.id)
            .order_by(Supervision.held_on.desc(), Supervision.id.desc())
        )
    )


def get_supervision(volunteer: Volunteer, supervision_id: int, actor: User) -> Supervision:
    _require_champion(actor)
    found = db.session.get(Supervision, supervision_id)
    if found is None or found.volunteer_id != volunteer.id:
        raise NotFound("No such supervision")
    return found


def _text(value: Any, limit: int, field: str, what: str) -> str | None:
    text = " ".join(str(value or "").split()) if field == "held_by_name" else str(value or "")
    text = text.strip()
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
        raise InvalidChange(f"{what} must not contain control characters", field=field)
    if len(text) > limit:
        raise InvalidChange(f"{what}: enter {limit} characters or fewer", field=field)
    return text or None


def _check(data: dict[str, Any]) -> dict[str, Any]:
    """Validate a supervision's answers and fill in the next due date."""
    held_on = data.get("held_on")
    if not isinstance(held_on, date):
        raise InvalidChange("Enter the date the supervision was held", field="held_on")
    if held_on > today_local():
        raise InvalidChange("The date cannot be in the future", field="held_on")
    kind = data.get("kind")
    if kind not in SUPERVISION_KINDS:
        raise InvalidChange("Select the kind of supervision", field="kind")
    held_by_id = data.get("held_by_id")
    name = _text(data.get("held_by_name"), NAME_LENGTH, "held_by_name", "Name")
    if held_by_id is not None:
        if not isinstance(held_by_id, int) or held_by_id not in supervisors():
            raise InvalidChange("Select a champion from the list", field="held_by_id")
        name = None
    elif name is None:
        raise InvalidChange(
            "Select the champion who held it, or enter the name of who did", field="held_by_id"
        )
    next_due = data.get("next_due_on") or default_next_due(held_on)
    if not isinstance(next_due, date) or next_due <= held_on:
        raise InvalidChange("The next due date must be after the date held", field="next_due_on")
    return {
        "held_on": held_on,
        "kind": kind,
        "held_by_id": held_by_id,
        "held_by_name": name,
        "note": _text(data.get("note"), NOTE_LENGTH, "note", "Note"),
        "next_due_on": next_due,
    }


def _audited(values: dict[str, Any], supervision_id: int) -> dict[str, Any]:
    """What the audit keeps: dates and kind, never the note's words."""
    return {
        "supervision_id": supervision_id,
        "held_on": values["held_on"],
        "next_due_on": values["next_due_on"],
        "supervision_kind": values["kind"],
    }


def add_supervision(volunteer: Volunteer, data: dict[str, Any], actor: User) -> Supervision:
    """Record a supervision the volunteer had; the next is due when given, else after the
    service's interval."""
    _require_champion(actor)
    values = _check(data)
    row = Supervision(volunteer_id=volunteer.id, recorded_by_id=actor.id, **values)
    db.session.add(row)
    db.session.flush()
    audit("supervision_added", volunteer, detail=_audited(values, row.id))
    db.session.commit()
    return row


def update_supervision(
    supervision: Supervision, data: dict[str, Any], actor: User, version: int | None
) -> list[str]:
    """Correct a recorded supervision; the audit keeps which fields changed."""
    _require_champion(actor)
    values = _check(data)
    before = {name: getattr(supervision, name) for name in FIELDS}
    claim_version(supervision, version, SUPERVISION_CONFLICT, updated_at=utcnow(), **values)
    changed = [name for name in FIELDS if before[name] != values[name]]
    volunteer = db.session.get(Volunteer, supervision.volunteer_id)
    detail = _audited(values, supervision.id) | {"changed": changed}
    audit("supervision_changed", volunteer, detail=detail)
    db.session.commit()
    db.session.refresh(supervision)
    return changed


def remove_supervision(supervision: Supervision, actor: User, version: int | None) -> None:
    """Remove a supervision recorded by mistake; the audit keeps its dates."""
    _require_champion(actor)
    expected = supervision.version if version is None else version
    detail = _audited({name: getattr(supervision, name) for name in FIELDS}, supervision.id)
    volunteer = db.session.get(Volunteer, supervision.volunteer_id)
    result = db.session.execute(
        delete(Supervision)
        .where(Supervision.id == supervision.id, Supervision.version == expected)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(SUPERVISION_CONFLICT)
    db.session.expunge(supervision)
    audit("supervision_removed", volunteer, detail=detail)
    db.session.commit()


def _latest_due() -> Any:
    """The next due date of the volunteer's latest supervision (a correlated scalar)."""
    return (
        select(Supervision.next_due_on)
        .where(Supervision.volunteer_id == Volunteer.id)
        .order_by(Supervision.held_on.desc(), Supervision.id.desc())
        .limit(1)
        .correlate(Volunteer)
        .scalar_subquery()
    )


def _due_statement(today: date) -> Any:
    latest = _latest_due()
    never_before = datetime.combine(today, time.min, tzinfo=UTC) - timedelta(weeks=interval_weeks())
    never_had = ~exists().where(Supervision.volunteer_id == Volunteer.id)
    return (
        select(Volunteer, latest.label("next_due_on"))
        .where(
            Volunteer.status == "approved",
            or_(
                latest <= today + timedelta(days=DUE_DAYS),
                and_(
                    never_had,
                    or_(Volunteer.approved_at.is_(None), Volunteer.approved_at < never_before),
                ),
            ),
        )
        .order_by(
            case((latest.is_(None), 0), else_=1),
            latest,
            func.lower(Volunteer.preferred_name),
            Volunteer.id,
        )
    )


def supervision_due(actor: User, today: date | None = None) -> Any:
    """Approved volunteers due supervision within 14 days or overdue, and those never
    supervised who were approved longer ago than the interval; never-supervised first, then
    soonest due. A select of (volunteer, next_due_on or None) rows for pagination."""
    _require_champion(actor)
    return _due_statement(today or today_local())


def count_of(statement: Any) -> int:
    """How many rows a select gives (one query)."""
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return int(db.session.scalar(counted) or 0)


def supervision_due_count(today: date | None = None) -> int:
    """How many volunteers are due supervision (for the Monday digest; no actor)."""
    return count_of(_due_statement(today or today_local()))
