"""Tables of the expenses package: a volunteer's claim for the travel of one escort."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..audit import utcnow
from ..dbtypes import UTCDateTime, label_of, one_of, parent_key
from ..extensions import db

KINDS = {"bus": "Bus fare", "train": "Train fare", "miles": "Miles driven"}
FARES = ("bus", "train")
STATES = {
    "waiting": "Waiting for a decision",
    "approved": "Approved",
    "declined": "Declined",
    "paid": "Paid",
}
STATE_COLOURS = {"waiting": "blue", "approved": "green", "declined": "red", "paid": "grey"}
# The most one claim may be for: a mistyped amount is refused, never paid.
MAX_PENCE = 50_000
MAX_MILES_TENTHS = 5_000


class ExpenseClaim(db.Model):
    """One claim per escort per volunteer; money in whole pence, the mileage rate as it was."""

    __tablename__ = "expense_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = parent_key("volunteers.id")
    request_id: Mapped[int] = parent_key("accompaniment_requests.id")
    kind: Mapped[str] = mapped_column(String(8))
    detail: Mapped[str | None] = mapped_column(String(200))
    miles_tenths: Mapped[int | None] = mapped_column(Integer)
    rate_pence: Mapped[int | None] = mapped_column(Integer)
    amount_pence: Mapped[int] = mapped_column(Integer)
    # The ticket's file under instance/expense_tickets (a random name) and what it is.
    ticket_file: Mapped[str | None] = mapped_column(String(80))
    ticket_type: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(10), default="waiting")
    decline_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        # A double submit, or two tabs, make one claim.
        UniqueConstraint("volunteer_id", "request_id", name="uq_expense_claims_escort"),
        CheckConstraint(one_of("kind", KINDS), name="kind_kind"),
        CheckConstraint(one_of("state", STATES), name="state_kind"),
        CheckConstraint(f"amount_pence BETWEEN 1 AND {MAX_PENCE}", name="amount_range"),
        CheckConstraint(
            "(kind = 'miles') = (miles_tenths IS NOT NULL AND rate_pence IS NOT NULL)",
            name="miles_when_driven",
        ),
        Index("ix_expense_claims_state_decided_at", "state", "decided_at"),
    )

    state_label = label_of("state", STATES)
    kind_label = label_of("kind", KINDS)

    @property
    def state_colour(self) -> str:
        return STATE_COLOURS[self.state]

    @property
    def amount(self) -> str:
        return pounds(self.amount_pence)

    @property
    def miles(self) -> str:
        return f"{(self.miles_tenths or 0) / 10:.1f}"


def pounds(pence: int) -> str:
    """'£12.50'."""
    return f"£{pence // 100:,}.{pence % 100:02d}"
