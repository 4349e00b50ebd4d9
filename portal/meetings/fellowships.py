"""Fellowships (AA, NA, SMART, a local group…): the list, and champions' changes to it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from ..audit import audit
from ..database import add_unique
from ..errors import InvalidChange, NotFound
from ..extensions import db
from .directory import _claim_version, _switch_active
from .models import FELLOWSHIP_KINDS, Fellowship, Meeting

CODE_TAKEN = "Another fellowship already uses that code"


def list_fellowships() -> list[tuple[Fellowship, int]]:
    """Every fellowship with its number of running meetings (two queries)."""
    counts = dict(
        db.session.execute(
            select(Meeting.fellowship_id, func.count())
            .where(Meeting.active.is_(True))
            .group_by(Meeting.fellowship_id)
        ).all()
    )
    fellowships = db.session.scalars(
        select(Fellowship).order_by(Fellowship.active.desc(), Fellowship.name)
    ).all()
    return [(fellowship, counts.get(fellowship.id, 0)) for fellowship in fellowships]


def active_fellowships(include_id: int | None = None) -> list[Fellowship]:
    """Fellowships a meeting may be given (plus its current one, even if deactivated)."""
    condition = Fellowship.active.is_(True)
    if include_id:
        condition = or_(condition, Fellowship.id == include_id)
    return db.session.scalars(select(Fellowship).where(condition).order_by(Fellowship.name)).all()


def get_fellowship(fellowship_id: int) -> Fellowship:
    fellowship = db.session.get(Fellowship, fellowship_id)
    if fellowship is None:
        raise NotFound("No such fellowship")
    return fellowship


def fellowship_by_code(code: str) -> Fellowship | None:
    return db.session.scalar(select(Fellowship).where(Fellowship.code == code.strip().upper()))


def _check_fellowship(values: dict[str, Any], current_id: int | None = None) -> dict[str, Any]:
    code = (values.get("code") or "").strip().upper()
    if not code or not all(ch.isalnum() or ch == "-" for ch in code) or len(code) > 20:
        raise InvalidChange(
            "Enter a short code of letters, numbers and hyphens, like NA", field="code"
        )
    if values.get("kind") not in FELLOWSHIP_KINDS:
        raise InvalidChange("Choose what kind of group it is", field="kind")
    name = (values.get("name") or "").strip()
    if not name:
        raise InvalidChange("Enter the fellowship's name", field="name")
    taken = fellowship_by_code(code)
    if taken is not None and taken.id != current_id:
        raise InvalidChange(f"{taken.name} already uses the code {code}", field="code")
    return {
        "code": code,
        "name": name,
        "kind": values["kind"],
        "description": (values.get("description") or "").strip() or None,
    }


def create_fellowship(values: dict[str, Any], actor_id: int | None) -> Fellowship:
    """Add a fellowship (a new local group, say) that meetings can belong to."""
    fellowship = Fellowship(**_check_fellowship(values), active=True)
    add_unique(fellowship, refusal=InvalidChange(CODE_TAKEN, field="code"))
    audit("fellowship_created", fellowship, actor_id=actor_id)
    db.session.commit()
    return fellowship


def update_fellowship(
    fellowship: Fellowship, values: dict[str, Any], actor_id: int | None, version: int | None
) -> None:
    """Save a champion's edit of a fellowship; a stale copy is refused (409)."""
    clean = _check_fellowship(values, fellowship.id)
    changed = [key for key, value in clean.items() if getattr(fellowship, key) != value]
    _claim_version(Fellowship, fellowship, version, "fellowship")
    for key in changed:
        setattr(fellowship, key, clean[key])
    try:
        audit("fellowship_changed", fellowship, actor_id=actor_id, detail={"fields": changed})
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise InvalidChange(CODE_TAKEN, field="code") from None


def set_fellowship_active(
    fellowship: Fellowship, active: bool, actor_id: int | None, version: int | None
) -> None:
    """Stop (or start again) offering a fellowship for new meetings; its meetings stay."""
    _switch_active(fellowship, "fellowship", active, actor_id, version)
