"""Safety checks a volunteer makes on the day, and what they recorded after the meeting."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..audit import utcnow
from ..dbtypes import UTCDateTime, one_of, parent_key, unique_where
from ..extensions import db

CHECK_KINDS = {
    "checkin": "Met the client",
    "checkout": "Finished and safe",
    "help": "Asked for help",
}
WANTS_AGAIN = {"yes": "Yes", "no": "No", "not_sure": "Not sure"}
# How the volunteer is after the escort (asked of the peer only, never of a champion recording
# for a phone-only contact); "chat" puts a debrief task on the champions' list.
WELLBEING = {"fine": "I'm fine", "chat": "I'd like a chat with the champion"}


class EscortCheck(db.Model):
    """One safety check on an escort's day: met the client, finished safely, or help asked."""

    __tablename__ = "escort_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = parent_key("accompaniment_requests.id")
    volunteer_id: Mapped[int] = parent_key("volunteers.id")
    kind: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        CheckConstraint(one_of("kind", CHECK_KINDS), name="kind_kind"),
        # A double tap on "I've met them" or "I'm safe" records it once.
        unique_where(
            "uq_escort_checks_once",
            "request_id",
            "kind",
            where=one_of("kind", ("checkin", "checkout")),
        ),
    )


class EscortOutcome(db.Model):
    """What the volunteer (or the champion, for a phone-only contact) said after the meeting."""

    __tablename__ = "escort_outcomes"

    request_id: Mapped[int] = mapped_column(
        ForeignKey("accompaniment_requests.id", ondelete="CASCADE"), primary_key=True
    )
    went_in_together: Mapped[bool | None] = mapped_column(Boolean)
    wants_again: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(String(500))
    wellbeing: Mapped[str | None] = mapped_column(String(8))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(
            "wants_again IS NULL OR " + one_of("wants_again", WANTS_AGAIN), name="wants_again_kind"
        ),
        CheckConstraint(
            "wellbeing IS NULL OR " + one_of("wellbeing", WELLBEING), name="wellbeing_kind"
        ),
    )
