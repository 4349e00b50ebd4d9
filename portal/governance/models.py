"""The record that a person's details were anonymised: by the retention job, or on request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..audit import utcnow
from ..dbtypes import UTCDateTime
from ..extensions import db

REASONS = {"retention": "Retention period ended", "erasure": "Erasure on request"}


class Anonymisation(db.Model):
    """One anonymised client or volunteer; unique per person, so a second run does nothing."""

    __tablename__ = "anonymisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), unique=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        CheckConstraint("reason IN ('retention', 'erasure')", name="reason_kind"),
        CheckConstraint(
            "(client_id IS NULL AND volunteer_id IS NOT NULL) OR "
            "(client_id IS NOT NULL AND volunteer_id IS NULL)",
            name="one_person",
        ),
    )
