"""Tables of the tasks package: the champions' to-do list."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..auth.models import User
from ..dbtypes import UTCDateTime, label_of, one_of, unique_where
from ..extensions import db
from ..volunteers.models import Volunteer

KINDS = {"debrief": "A chat after an escort", "other": "Added by a champion"}
STATES = {"open": "To do", "done": "Done"}
TITLE_LIMIT = 120


class Task(db.Model):
    """Something a champion should do by a date, about a volunteer or not; open until done.

    `assigned_to_id` empty means any champion may pick it up. A debrief task names the escort it
    came from; its title never carries client details (the champions' list shows it to all)."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(TITLE_LIMIT))
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("accompaniment_requests.id", ondelete="SET NULL")
    )
    due_on: Mapped[date] = mapped_column(Date)
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(8), default="open")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    volunteer: Mapped[Volunteer | None] = relationship(lazy="joined")
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id], lazy="joined")
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id], lazy="joined")

    kind_label = label_of("kind", KINDS)
    state_label = label_of("state", STATES)

    __table_args__ = (
        CheckConstraint(one_of("kind", KINDS), name="kind_kind"),
        CheckConstraint(one_of("state", STATES), name="state_kind"),
        CheckConstraint("state = 'open' OR done_at IS NOT NULL", name="done_has_time"),
        Index("ix_tasks_state_due_on", "state", "due_on"),
        # The same volunteer asking twice about the same escort makes one task.
        unique_where(
            "uq_tasks_debrief_once", "request_id", "volunteer_id", where="kind = 'debrief'"
        ),
    )

    def overdue(self, today: date) -> bool:
        return self.state == "open" and self.due_on < today
