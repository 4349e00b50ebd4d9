"""Checks and training the service defines ("Naloxone training", "First aid"), beside the
built-in safeguarding kinds.

The admin adds, changes and retires them; champions record items of them on a volunteer's
safeguarding record. A kind needed before escorting joins matching's rules. Retiring keeps the
kind and every item of it (history), but nobody is asked for it any more.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context
from sqlalchemy import func, select

from ..audit import audit, utcnow
from ..auth.models import User
from ..errors import InvalidChange, NotAllowed, NotFound
from ..extensions import db
from ..matching.model import RequiredCheck
from ..versioning import claim_version
from .models import SAFEGUARDING_KINDS, SERVICE_KIND, CheckKind

NAME_LENGTH = 80
MAX_MONTHS = 120
KIND_CONFLICT = "Someone else changed this kind of check while you were looking. Reload it."


def _require_admin(actor: User) -> None:
    if not actor.has_role("admin"):
        raise NotAllowed("Only an admin can do this")


def check_kinds_statement(actor: User) -> Any:
    """Every kind the service defined, those in use first, then by name (a select)."""
    _require_admin(actor)
    return select(CheckKind).order_by(CheckKind.active.desc(), CheckKind.folded, CheckKind.id)


def active_check_kinds() -> list[CheckKind]:
    """The kinds in use, by name, for the safeguarding record and the champion's forms."""
    return list(
        db.session.scalars(
            select(CheckKind).where(CheckKind.active.is_(True)).order_by(CheckKind.folded)
        )
    )


def required_checks() -> tuple[RequiredCheck, ...]:
    """The kinds in use that are needed before escorting, for matching's rules.

    Read once per request (kept on `g`, like the settings), not once per volunteer.
    """
    cached = g.get("required_checks") if has_app_context() else None
    if cached is not None:
        return cached
    rows = db.session.execute(
        select(CheckKind.id, CheckKind.name)
        .where(CheckKind.active.is_(True), CheckKind.needed_to_escort.is_(True))
        .order_by(CheckKind.folded)
    ).all()
    found = tuple(RequiredCheck(row.id, row.name) for row in rows)
    if has_app_context():
        g.required_checks = found
    return found


def forget_required_checks() -> None:
    """Drop the request's copy after a change, so the next read sees it."""
    if has_app_context():
        g.pop("required_checks", None)


def get_check_kind(kind_id: int, actor: User) -> CheckKind:
    _require_admin(actor)
    kind = db.session.get(CheckKind, kind_id)
    if kind is None:
        raise NotFound("No such kind of check")
    return kind


def kind_from_key(key: str) -> CheckKind | None:
    """The service's kind an address names ("service-12"), if it is in use; None for a
    built-in kind. An unknown or retired kind is a NotFound."""
    if key in SAFEGUARDING_KINDS:
        return None
    prefix, _, number = key.partition("-")
    if prefix != SERVICE_KIND or not number.isdigit() or len(number) > 9:
        raise NotFound("No such kind of check")
    kind = db.session.get(CheckKind, int(number))
    if kind is None or not kind.active:
        raise NotFound("No such kind of check")
    return kind


def _clean(data: dict[str, Any], kind: CheckKind | None = None) -> dict[str, Any]:
    """Check the admin's answers; the name must differ from every other kind's, built-in too."""
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        raise InvalidChange("Enter the name of the check or training", field="name")
    if len(name) > NAME_LENGTH:
        raise InvalidChange(f"Enter a name of {NAME_LENGTH} characters or fewer", field="name")
    folded = name.casefold()
    if folded in {label.casefold() for label in SAFEGUARDING_KINDS.values()}:
        raise InvalidChange("The portal already has a check with this name", field="name")
    clash = db.session.scalar(
        select(func.count())
        .select_from(CheckKind)
        .where(CheckKind.folded == folded, CheckKind.id != (kind.id if kind else 0))
    )
    if clash:
        raise InvalidChange("There is already a kind of check with this name", field="name")
    months = data.get("valid_months")
    if data.get("expires"):
        if not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
            raise InvalidChange(
                f"Enter how many months it lasts, from 1 to {MAX_MONTHS}", field="valid_months"
            )
    else:
        months = None
    return {
        "name": name,
        "folded": folded,
        "valid_months": months,
        "needed_to_escort": bool(data.get("needed_to_escort")),
    }


def _detail(kind: CheckKind) -> dict[str, Any]:
    return {
        "name": kind.name,
        "valid_months": kind.valid_months,
        "needed_to_escort": kind.needed_to_escort,
    }


def add_check_kind(data: dict[str, Any], actor: User) -> CheckKind:
    """Define a new check or training; champions can record it from now on."""
    _require_admin(actor)
    kind = CheckKind(created_by_id=actor.id, active=True, **_clean(data))
    db.session.add(kind)
    db.session.flush()
    audit("check_kind_added", kind, detail=_detail(kind))
    db.session.commit()
    forget_required_checks()
    return kind


def update_check_kind(
    kind: CheckKind, data: dict[str, Any], actor: User, version: int | None
) -> None:
    """Rename a kind or change how long it lasts and whether escorting needs it.

    Items already recorded keep their dates; the new length applies to the next one.
    """
    _require_admin(actor)
    values = _clean(data, kind)
    before = _detail(kind)
    claim_version(kind, version, KIND_CONFLICT, updated_at=utcnow(), **values)
    db.session.refresh(kind)
    audit("check_kind_changed", kind, detail={"before": before, "after": _detail(kind)})
    db.session.commit()
    forget_required_checks()


def retire_check_kind(kind: CheckKind, actor: User, version: int | None) -> None:
    """Stop asking for a kind; it and the items recorded of it are kept."""
    _require_admin(actor)
    if not kind.active:
        raise InvalidChange("This kind of check is already retired")
    claim_version(kind, version, KIND_CONFLICT, active=False, retired_at=utcnow())
    db.session.refresh(kind)
    audit("check_kind_retired", kind, detail={"name": kind.name})
    db.session.commit()
    forget_required_checks()


def restore_check_kind(kind: CheckKind, actor: User, version: int | None) -> None:
    """Put a retired kind back in use."""
    _require_admin(actor)
    if kind.active:
        raise InvalidChange("This kind of check is already in use")
    claim_version(kind, version, KIND_CONFLICT, active=True, retired_at=None)
    db.session.refresh(kind)
    audit("check_kind_restored", kind, detail={"name": kind.name})
    db.session.commit()
    forget_required_checks()
