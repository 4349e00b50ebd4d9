"""Demo data for expenses: a few claims for the demo's completed escorts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..accompaniment.demo import completed_demo_escorts
from ..accompaniment.models import AccompanimentRequest
from ..extensions import db
from .models import ExpenseClaim

# (kind, pence or tenths of a mile, journey, state): the newest escort gets the first.
CLAIMS = (
    ("bus", 340, "Bus into town and back", "waiting"),
    ("miles", 64, "Drove from home to the meeting and back", "approved"),
    ("train", 780, "Train two stops each way", "paid"),
)


def build_demo_expenses() -> None:
    """Claims for the three newest completed demo escorts (idempotent: one per escort)."""
    escorts = db.session.scalars(
        completed_demo_escorts()
        .where(
            AccompanimentRequest.outcome != "volunteer_could_not_go",
        )
        .order_by(AccompanimentRequest.starts_at.desc())
        .limit(len(CLAIMS))
    ).all()
    for escort, (kind, number, journey, state) in zip(escorts, CLAIMS, strict=False):
        claimed = db.session.scalar(
            select(ExpenseClaim.id).where(
                ExpenseClaim.request_id == escort.id,
                ExpenseClaim.volunteer_id == escort.volunteer_id,
            )
        )
        if claimed is not None:
            continue
        claim = ExpenseClaim(
            volunteer_id=escort.volunteer_id,
            request_id=escort.id,
            kind=kind,
            detail=journey,
            state=state,
            created_at=escort.ends_at + timedelta(hours=2),
        )
        if kind == "miles":
            claim.miles_tenths, claim.rate_pence = number, 45
            claim.amount_pence = (number * 45 + 5) // 10
        else:
            claim.amount_pence = number
        if state != "waiting":
            claim.decided_at = escort.ends_at + timedelta(days=1)
        if state == "paid":
            claim.paid_at = escort.ends_at + timedelta(days=3)
        db.session.add(claim)
    db.session.flush()
