"""SQL pieces the report tables share, including what differs between SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, Float, Integer, and_, case, cast, extract, func, literal, or_, select

from ..accompaniment.models import AccompanimentRequest
from ..clients.models import FamaSession
from ..extensions import db
from .ranges import DateRange

AR = AccompanimentRequest
FS = FamaSession


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _week_index(column: Any, monday: date) -> Any:
    """Whole weeks from `monday` to a DATE column, counted by the database."""
    if _dialect() == "sqlite":
        days = cast(func.julianday(column) - func.julianday(literal(monday.isoformat())), Integer)
    else:
        days = cast(column - cast(literal(monday), Date), Integer)
    return days // 7


def _hours_between(later: Any, earlier: Any) -> Any:
    if _dialect() == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 24.0
    return cast(extract("epoch", later - earlier), Float) / 3600.0


def _month_of(column: Any) -> Any:
    if _dialect() == "sqlite":
        return func.strftime("%Y-%m", column)
    return func.to_char(column, "YYYY-MM")


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _in_range(r: DateRange) -> Any:
    # meeting_date is the London date of starts_at; the starts_at bounds let the index work.
    return and_(
        AR.starts_at >= r.starts_at,
        AR.starts_at < r.ends_before,
        AR.meeting_date.between(r.start, r.end),
    )


def _median(values: Any, partition: Any | None = None) -> Any:
    """Rows (group, median) from a subquery of (grp, value): the middle one or two rows."""
    partition_by = [values.c.grp] if partition is not None else None
    ranked = select(
        values.c.grp,
        values.c.value,
        func.row_number().over(partition_by=partition_by, order_by=values.c.value).label("rn"),
        func.count().over(partition_by=partition_by).label("n"),
    ).subquery("ranked")
    middle = or_(
        ranked.c.rn == (ranked.c.n + 1) // 2,
        ranked.c.rn == (ranked.c.n + 2) // 2,
    )
    return (
        select(ranked.c.grp, func.avg(ranked.c.value).label("median"))
        .where(middle)
        .group_by(ranked.c.grp)
    )
