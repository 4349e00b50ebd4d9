"""Volunteers' safeguarding record: DBS, training, references, lone working, code of conduct,
and the checks and training the service defines itself (`check_kinds`).

Each kind keeps its history; the item that lasts longest counts now. Champions record and
correct checks; the lists of checks due feed the champion's screens and reminders.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.orm import aliased

from ..audit import audit, utcnow
from ..auth.models import User
from ..errors import Conflict, InvalidChange, NotFound
from ..extensions import db
from ..matching.model import NO_EXPIRY, add_months
from ..versioning import claim_version
from ._common import _require_champion, _volunteer_changed, today_local
from .check_kinds import active_check_kinds, kind_from_key
from .models import (
    DBS_LEVELS,
    SAFEGUARDING_KINDS,
    SERVICE_KIND,
    CheckKind,
    SafeguardingItem,
    Volunteer,
)

CHECK_CONFLICT = "Someone else changed this check while you were looking. Reload it."

DUE_DAYS = 30
# Months an item stays valid when no expiry is entered; None means it does not lapse.
DEFAULT_VALIDITY_MONTHS: dict[str, int | None] = {
    "dbs": 36,
    "training": 36,
    "references": None,
    "lone_working": 12,
    "code_of_conduct": 12,
}


def _current_item_condition(item: Any) -> Any:
    """True for an item no other item of the same volunteer and kind outlasts."""
    other = aliased(SafeguardingItem)
    return ~exists().where(
        other.volunteer_id == item.volunteer_id,
        other.kind == item.kind,
        # the service's own kinds share kind "service": tell them apart by their kind's id
        func.coalesce(other.check_kind_id, 0) == func.coalesce(item.check_kind_id, 0),
        other.id != item.id,
        or_(
            other.expires_on.is_(None),
            other.expires_on > item.expires_on,
            and_(other.expires_on == item.expires_on, other.id > item.id),
        ),
    )


def _kind_in_use(item: Any) -> Any:
    """A built-in kind, or one of the service's that is not retired."""
    return or_(
        item.check_kind_id.is_(None),
        item.check_kind_id.in_(select(CheckKind.id).where(CheckKind.active.is_(True))),
    )


def soonest_expiries(volunteer_ids: Iterable[int], today: date | None = None) -> dict[int, date]:
    """For each volunteer, the soonest expiry among current items not yet expired."""
    ids = list(volunteer_ids)
    if not ids:
        return {}
    today = today or today_local()
    item = aliased(SafeguardingItem)
    rows = db.session.execute(
        select(item.volunteer_id, func.min(item.expires_on))
        .where(
            item.volunteer_id.in_(ids),
            item.expires_on.is_not(None),
            item.expires_on >= today,
            _current_item_condition(item),
            _kind_in_use(item),
        )
        .group_by(item.volunteer_id)
    ).all()
    return dict(rows)


def checks_due(actor: User, today: date | None = None, days: int = DUE_DAYS) -> Any:
    """Current items expiring within `days` (and any already lapsed), soonest first.

    A select of (item, volunteer) rows for pagination; withdrawn volunteers are left out.
    """
    _require_champion(actor)
    today = today or today_local()
    item = aliased(SafeguardingItem)
    return (
        select(item, Volunteer)
        .join(Volunteer, Volunteer.id == item.volunteer_id)
        .where(
            Volunteer.status != "withdrawn",
            item.expires_on.is_not(None),
            item.expires_on <= today + timedelta(days=days),
            _current_item_condition(item),
            _kind_in_use(item),
        )
        .order_by(item.expires_on, func.lower(Volunteer.preferred_name), item.id)
    )


CHECK_STATES = {  # how a safeguarding item stands, in the words pages use
    "valid": "Valid",
    "expiring": "Expires soon",
    "expired": "Expired",
    "missing": "Not on record",
    "incomplete": "Incomplete",
}


@dataclass(frozen=True)
class CheckState:
    """One safeguarding item kind as it stands for a volunteer."""

    kind: str  # "dbs"…, or "service-12" for a kind the service defined
    label: str
    item: SafeguardingItem | None
    state: str  # valid, expiring, expired, missing, incomplete
    history: list[SafeguardingItem] = field(default_factory=list)
    needed_to_escort: bool = True

    @property
    def state_label(self) -> str:
        return CHECK_STATES[self.state]


def _item_state(item: SafeguardingItem | None, today: date) -> str:
    if item is None:
        return "missing"
    if item.kind == "references" and (item.references_received or 0) < 2:
        return "incomplete"
    if item.expires_on is None:
        return "valid"
    if item.expires_on < today:
        return "expired"
    if item.expires_on <= today + timedelta(days=DUE_DAYS):
        return "expiring"
    return "valid"


def _lasts(item: SafeguardingItem) -> tuple[date, int]:
    return (item.expires_on or NO_EXPIRY, item.id)


def safeguarding_record(volunteer: Volunteer, today: date | None = None) -> list[CheckState]:
    """Each kind of check with the item that counts now and the earlier ones."""
    today = today or today_local()
    items = db.session.scalars(
        select(SafeguardingItem)
        .where(SafeguardingItem.volunteer_id == volunteer.id)
        .order_by(SafeguardingItem.issued_on.desc(), SafeguardingItem.id.desc())
    ).all()
    by_kind: dict[str, list[SafeguardingItem]] = defaultdict(list)
    for item in items:
        by_kind[item.kind_key].append(item)
    kinds = [(kind, label, True) for kind, label in SAFEGUARDING_KINDS.items()]
    kinds += [(k.key, k.name, k.needed_to_escort) for k in active_check_kinds()]
    record = []
    for kind, label, needed in kinds:
        rows = by_kind.get(kind, [])
        current = max(rows, key=_lasts) if rows else None
        record.append(
            CheckState(
                kind,
                label,
                current,
                _item_state(current, today),
                [r for r in rows if r is not current],
                needed,
            )
        )
    return record


def checks_needing_attention(volunteer: Volunteer) -> list[CheckState]:
    """Checks that have lapsed or lapse within 30 days, for the volunteer's home page."""
    return [c for c in safeguarding_record(volunteer) if c.state in ("expiring", "expired")]


def get_item(volunteer: Volunteer, item_id: int, actor: User) -> SafeguardingItem:
    _require_champion(actor)
    item = db.session.get(SafeguardingItem, item_id)
    if item is None or item.volunteer_id != volunteer.id:
        raise NotFound("No such check")
    return item


def needs_code_of_conduct(volunteer: Volunteer | None) -> bool:
    """True unless the volunteer's agreement to the code of conduct lasts beyond 30 days."""
    if volunteer is None or volunteer.id is None:
        return True
    lasting = db.session.scalar(
        select(func.count())
        .select_from(SafeguardingItem)
        .where(
            SafeguardingItem.volunteer_id == volunteer.id,
            SafeguardingItem.kind == "code_of_conduct",
            or_(
                SafeguardingItem.expires_on.is_(None),
                SafeguardingItem.expires_on > today_local() + timedelta(days=DUE_DAYS),
            ),
        )
    )
    return not lasting


def _add_code_of_conduct(volunteer: Volunteer, actor: User) -> SafeguardingItem | None:
    """Record agreement to the code of conduct, valid a year."""
    today = today_local()
    volunteer.code_of_conduct_agreed_at = utcnow()
    item = SafeguardingItem(
        volunteer_id=volunteer.id,
        kind="code_of_conduct",
        issued_on=today,
        expires_on=add_months(today, DEFAULT_VALIDITY_MONTHS["code_of_conduct"] or 12),
        recorded_by_id=actor.id,
    )
    db.session.add(item)
    db.session.flush()
    audit(
        "code_of_conduct_agreed",
        volunteer,
        detail={"item_id": item.id, "expires_on": item.expires_on},
    )
    return item


ITEM_FIELDS = (
    "issued_on",
    "expires_on",
    "dbs_level",
    "dbs_certificate_number",
    "dbs_update_service",
    "references_received",
)


def validity_months(kind: str, check_kind: CheckKind | None = None) -> int | None:
    """Months an item of this kind lasts when no expiry is entered; None: it does not lapse."""
    if check_kind is not None:
        return check_kind.valid_months
    return DEFAULT_VALIDITY_MONTHS.get(kind)


def _check_item(
    kind: str, data: dict[str, Any], check_kind: CheckKind | None = None
) -> dict[str, Any]:
    """Validate an item's answers and fill in the default expiry."""
    if kind not in SAFEGUARDING_KINDS and check_kind is None:
        raise NotFound("No such kind of check")
    months = validity_months(kind, check_kind)
    issued = data.get("issued_on")
    if not isinstance(issued, date):
        raise InvalidChange("Enter the date it was issued", field="issued_on")
    if issued > today_local():
        raise InvalidChange("The issue date cannot be in the future", field="issued_on")
    expires = data.get("expires_on")
    if expires is None and months:
        expires = add_months(issued, months)
    if expires is not None and expires <= issued:
        raise InvalidChange("The expiry date must be after the issue date", field="expires_on")
    values: dict[str, Any] = {
        "issued_on": issued,
        "expires_on": expires,
        "dbs_level": None,
        "dbs_certificate_number": None,
        "dbs_update_service": None,
        "references_received": None,
    }
    if kind == "dbs":
        if data.get("dbs_level") not in DBS_LEVELS:
            raise InvalidChange("Select the level of the DBS check", field="dbs_level")
        number = (data.get("dbs_certificate_number") or "").replace(" ", "")
        if not number.isdigit() or len(number) != 12:
            raise InvalidChange(
                "Enter the 12-digit certificate number", field="dbs_certificate_number"
            )
        values |= {
            "dbs_level": data["dbs_level"],
            "dbs_certificate_number": number,
            "dbs_update_service": bool(data.get("dbs_update_service")),
        }
    if kind == "references":
        received = data.get("references_received")
        if received not in (1, 2):
            raise InvalidChange(
                "Select how many references have arrived", field="references_received"
            )
        values["references_received"] = received
    return values


def add_safeguarding_item(
    volunteer: Volunteer, kind: str, data: dict[str, Any], actor: User
) -> SafeguardingItem:
    """Record a check (a new DBS certificate, a training renewal…); earlier ones are kept.

    `kind` is a built-in kind ("dbs") or a service's own as addresses name it ("service-12").
    """
    _require_champion(actor)
    check_kind = kind_from_key(kind)
    values = _check_item(kind, data, check_kind)
    item = SafeguardingItem(
        volunteer_id=volunteer.id,
        kind=SERVICE_KIND if check_kind else kind,
        check_kind_id=check_kind.id if check_kind else None,
        recorded_by_id=actor.id,
        **values,
    )
    db.session.add(item)
    db.session.flush()
    audit(
        "safeguarding_item_added",
        volunteer,
        detail={
            "item_id": item.id,
            "kind": check_kind.name if check_kind else kind,
            "issued_on": item.issued_on,
            "expires_on": item.expires_on,
        },
    )
    db.session.commit()
    return item


def _audited_kind(item: SafeguardingItem) -> str:
    """The built-in kind's code, or the name of the service's kind (the history shows it)."""
    return item.check_kind.name if item.check_kind else item.kind


def update_safeguarding_item(
    item: SafeguardingItem, data: dict[str, Any], actor: User, version: int | None
) -> list[str]:
    """Correct a recorded check; the audit keeps which fields changed, from what dates."""
    _require_champion(actor)
    values = _check_item(item.kind, data, item.check_kind)
    before = {name: getattr(item, name) for name in ITEM_FIELDS}
    kind_name = _audited_kind(item)
    claim_version(item, version, CHECK_CONFLICT, updated_at=utcnow(), **values)
    changed = [name for name in ITEM_FIELDS if before[name] != values[name]]
    detail: dict[str, Any] = {"item_id": item.id, "kind": kind_name, "fields": changed}
    for name in ("issued_on", "expires_on"):
        if name in changed:
            detail[name] = [before[name], values[name]]
    volunteer = db.session.get(Volunteer, item.volunteer_id)
    audit("safeguarding_item_changed", volunteer, detail=detail)
    _volunteer_changed(volunteer.id, "safeguarding")
    db.session.commit()
    db.session.refresh(item)
    return changed


def remove_safeguarding_item(item: SafeguardingItem, actor: User, version: int | None) -> None:
    """Remove a check recorded by mistake; the audit keeps what it was."""
    _require_champion(actor)
    expected = item.version if version is None else version
    detail = {
        "item_id": item.id,
        "kind": _audited_kind(item),
        "issued_on": item.issued_on,
        "expires_on": item.expires_on,
    }
    volunteer = db.session.get(Volunteer, item.volunteer_id)
    result = db.session.execute(
        delete(SafeguardingItem)
        .where(SafeguardingItem.id == item.id, SafeguardingItem.version == expected)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # a DELETE on the same check, so not claim_version
        db.session.rollback()
        raise Conflict(CHECK_CONFLICT)
    db.session.expunge(item)
    audit("safeguarding_item_removed", volunteer, detail=detail)
    _volunteer_changed(volunteer.id, "safeguarding")
    db.session.commit()
