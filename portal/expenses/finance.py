"""Finance's month: the approved claims decided in a UK calendar month, as a page, as a CSV
(every cell safe for spreadsheets) and marked paid in one go."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func, select, update

from .. import dates
from ..accompaniment.models import AccompanimentRequest
from ..audit import audit, utcnow
from ..auth.models import User
from ..csv_export import csv_stream, rows_of
from ..errors import Conflict, InvalidChange, NotFound
from ..extensions import db
from ..notify.services import notify_user
from ..volunteers.models import Volunteer
from .models import ExpenseClaim, pounds

CSV_HEADER = ("Claim", "Volunteer", "Escort date", "Kind", "Detail", "Amount (£)", "Paid on")
MOVED_ON = "Claims in this month were approved or paid while you were looking. Check them again."


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def words(self) -> str:
        return dates.month_words(self.key)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The month's first and the next month's first instant, in UK time."""
        following = date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return dates.at_local(self.first, time(0)), dates.at_local(following, time(0))


def month_of(year: int, month: int) -> Month:
    """The month named in an address; one that cannot be is NotFound."""
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise NotFound("No such month")
    return Month(year, month)


def recent_months(now: datetime | None = None, count: int = 12) -> list[Month]:
    """This month and the ones before it, newest first, for the month picker."""
    today = dates.london_today(now or utcnow())
    found = []
    year, month = today.year, today.month
    for _ in range(count):
        found.append(Month(year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found


def _in_month(month: Month):
    start, end = month.bounds
    return (
        ExpenseClaim.state.in_(("approved", "paid")),
        ExpenseClaim.decided_at >= start,
        ExpenseClaim.decided_at < end,
    )


def month_rows(month: Month):
    """(claim, volunteer's name, escort start) for the month, by claim number: one query."""
    name = func.coalesce(User.name, Volunteer.preferred_name)
    return (
        select(ExpenseClaim, name, AccompanimentRequest.starts_at)
        .join(Volunteer, Volunteer.id == ExpenseClaim.volunteer_id)
        .outerjoin(User, User.id == Volunteer.user_id)
        .join(AccompanimentRequest, AccompanimentRequest.id == ExpenseClaim.request_id)
        .where(*_in_month(month))
        .order_by(ExpenseClaim.id)
    )


@dataclass(frozen=True)
class MonthTotals:
    count: int
    pence: int
    unpaid_count: int
    unpaid_pence: int

    @property
    def seen(self) -> str:
        """What the confirmation page showed: marking goes ahead only if it still holds."""
        return f"{self.unpaid_count}:{self.unpaid_pence}"


def month_totals(month: Month) -> MonthTotals:
    unpaid = ExpenseClaim.state == "approved"
    row = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(ExpenseClaim.amount_pence), 0),
            func.count().filter(unpaid),
            func.coalesce(func.sum(ExpenseClaim.amount_pence).filter(unpaid), 0),
        ).where(*_in_month(month))
    ).one()
    return MonthTotals(*(int(value) for value in row))


def _detail(claim: ExpenseClaim) -> str:
    if claim.kind == "miles":
        words = f"{claim.miles} miles at {claim.rate_pence}p a mile"
        return f"{words}; {claim.detail}" if claim.detail else words
    return claim.detail or ""


def month_csv(month: Month) -> Iterator[str]:
    """The month's claims as CSV lines; the caller audits the download."""

    def lines():
        for claim, name, starts_at in rows_of(lambda: db.session.execute(month_rows(month))):
            yield (
                claim.id,
                name,
                dates.date_words(starts_at),
                claim.kind_label,
                _detail(claim),
                f"{claim.amount_pence / 100:.2f}",
                dates.date_words(claim.paid_at) if claim.paid_at else "",
            )

    return csv_stream(CSV_HEADER, lines())


def mark_month_paid(month: Month, seen: str, actor: User) -> int:
    """Mark the month's approved claims paid, if they are still the ones the page showed; a
    second go finds nothing left and changes nothing. Each volunteer is told once."""
    totals = month_totals(month)
    if totals.unpaid_count == 0:
        raise InvalidChange("These claims are marked as paid already. Nothing was changed.")
    if seen != totals.seen:
        raise Conflict(MOVED_ON)
    now = utcnow()
    claims = list(
        db.session.scalars(
            select(ExpenseClaim).where(*_in_month(month), ExpenseClaim.state == "approved")
        )
    )
    changed = db.session.execute(
        update(ExpenseClaim)
        .where(ExpenseClaim.id.in_([c.id for c in claims]), ExpenseClaim.state == "approved")
        .values(state="paid", paid_at=now, paid_by_id=actor.id, version=ExpenseClaim.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != len(claims):
        db.session.rollback()
        raise Conflict(MOVED_ON)
    for claim in claims:
        audit("expense_paid", claim, actor_id=actor.id, detail={"month": month.key})
    _tell_paid(claims)
    db.session.commit()
    return changed


def _tell_paid(claims: list[ExpenseClaim]) -> None:
    by_volunteer: dict[int, int] = {}
    for claim in claims:
        by_volunteer[claim.volunteer_id] = by_volunteer.get(claim.volunteer_id, 0) + (
            claim.amount_pence
        )
    users = db.session.execute(
        select(Volunteer.id, User)
        .join(User, User.id == Volunteer.user_id)
        .where(Volunteer.id.in_(by_volunteer))
    )
    for volunteer_id, user in users:
        title = f"Your travel expenses of {pounds(by_volunteer[volunteer_id])} have been paid"
        notify_user(user, "expense_claim", title, link="/expenses/")
