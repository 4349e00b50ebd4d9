"""Demo data for safety: what volunteers recorded for the demo's completed escorts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..accompaniment.demo import completed_demo_escorts
from ..accompaniment.models import AccompanimentRequest
from ..extensions import db
from .models import EscortCheck, EscortOutcome

NOTES = {
    "attended": "Met outside, a bit nervous. We sat together near the back and stayed for tea.",
    "client_did_not_come": "Waited 20 minutes at the meeting point; no reply on the phone.",
}


def build_demo_safety() -> None:
    """Check-ins, check-outs and outcomes for completed demo escorts (idempotent)."""
    rows = db.session.scalars(
        completed_demo_escorts().where(
            ~select(EscortOutcome.request_id)
            .where(EscortOutcome.request_id == AccompanimentRequest.id)
            .exists(),
        )
    ).all()
    for request in rows:
        came = request.outcome or "attended"
        if came != "volunteer_could_not_go":
            start = request.meeting_point_at
            db.session.add(
                EscortCheck(
                    request_id=request.id,
                    volunteer_id=request.volunteer_id,
                    kind="checkin",
                    at=start,
                )
            )
            db.session.add(
                EscortCheck(
                    request_id=request.id,
                    volunteer_id=request.volunteer_id,
                    kind="checkout",
                    at=request.ends_at + timedelta(minutes=10),
                )
            )
        db.session.add(
            EscortOutcome(
                request_id=request.id,
                went_in_together=True if came == "attended" else None,
                wants_again="yes" if came == "attended" else "not_sure",
                note=NOTES.get(came),
                recorded_at=request.ends_at + timedelta(minutes=30),
            )
        )
