"""Demo data for the volunteers' support: two kinds of training the service asks for, and a
few supervision sessions (one overdue, so the checks-due list has something to show)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from ..extensions import db
from ..matching.model import add_months
from ._common import today_local
from .demo import DEMO_VOLUNTEERS
from .models import CheckKind, SafeguardingItem, Supervision, Volunteer

# Not needed before escorting: the demo's escorts must still find their volunteers.
DEMO_KINDS = (("Naloxone training", 36), ("First aid", 36))
# (volunteer, weeks since their last supervision); the one past eight weeks is overdue.
DEMO_SUPERVISION = (("Sam", 3), ("Priya", 10), ("Tomasz", 6))


def _kind(name: str, months: int) -> CheckKind:
    kind = db.session.scalar(select(CheckKind).where(CheckKind.folded == name.casefold()))
    if kind is None:
        kind = CheckKind(name=name, folded=name.casefold())
        db.session.add(kind)
    kind.valid_months, kind.needed_to_escort, kind.active, kind.retired_at = (
        months,
        False,
        True,
        None,
    )
    db.session.flush()
    return kind


def build_demo_support() -> None:
    """Create or reset the demo's kinds of training and supervision; idempotent."""
    today = today_local()
    names = [demo.name for demo in DEMO_VOLUNTEERS]
    volunteers = {
        v.preferred_name: v
        for v in db.session.scalars(select(Volunteer).where(Volunteer.preferred_name.in_(names)))
    }
    ids = [v.id for v in volunteers.values()]
    db.session.execute(delete(Supervision).where(Supervision.volunteer_id.in_(ids)))
    kinds = [_kind(name, months) for name, months in DEMO_KINDS]
    db.session.execute(
        delete(SafeguardingItem).where(
            SafeguardingItem.volunteer_id.in_(ids),
            SafeguardingItem.check_kind_id.in_([k.id for k in kinds]),
        )
    )
    for name, weeks in DEMO_SUPERVISION:
        volunteer = volunteers.get(name)
        if volunteer is None:
            continue
        held = today - timedelta(weeks=weeks)
        db.session.add(
            Supervision(
                volunteer_id=volunteer.id,
                held_on=held,
                kind="one_to_one",
                held_by_name="Cass (recovery champion)",
                next_due_on=held + timedelta(weeks=8),
            )
        )
        issued = today - timedelta(days=20 * weeks)
        db.session.add(
            SafeguardingItem(
                volunteer_id=volunteer.id,
                kind="service",
                check_kind_id=kinds[0].id,
                issued_on=issued,
                expires_on=add_months(issued, kinds[0].valid_months or 36),
            )
        )
    db.session.flush()
