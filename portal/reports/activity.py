"""Volunteer activity: escorts and hours per month, and how the escorts were shared.

Which volunteer went comes from `accompaniment_requests.volunteer_id` when that column exists
(the matching migration adds it); without it escorts and hours are reported unattributed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from ..dates import month_words
from ..extensions import db
from ..volunteers.models import Volunteer
from .ranges import DateRange
from .sql import AR, _hours_between, _in_range, _month_of
from .tables import Column, Table

LOAD_BANDS: list[tuple[str, int, int | None]] = [
    ("1 escort", 1, 1),
    ("2 to 3 escorts", 2, 3),
    ("4 to 6 escorts", 4, 6),
    ("7 or more escorts", 7, None),
]


def _volunteer_column() -> Any | None:
    return AR.__table__.c.get("volunteer_id")


ESCORTED = ("attended", "client_did_not_come")


def _escorts(r: DateRange) -> list[Any]:
    return [AR.state == "completed", AR.outcome.in_(ESCORTED), _in_range(r)]


def volunteer_activity(r: DateRange) -> tuple[Table, Table]:
    """Escorts and hours per month, volunteers active, and how the load was spread."""
    volunteer = _volunteer_column()
    month = _month_of(AR.meeting_date).label("month")
    hours = _hours_between(AR.ends_at, AR.starts_at) + AR.minutes_before / 60.0
    columns = [month, func.count().label("escorts"), func.sum(hours).label("hours")]
    if volunteer is not None:
        columns.append(func.count(func.distinct(volunteer)).label("volunteers"))
    rows = db.session.execute(select(*columns).where(*_escorts(r)).group_by(month)).mappings()
    by_month = {row["month"]: dict(row) for row in rows}
    monthly = []
    for key in r.months:
        row = {"escorts": 0, "hours": 0.0} | by_month.get(key, {})
        row["month"] = month_words(key)
        row["hours"] = float(row["hours"] or 0)
        if volunteer is None:
            row["volunteers"] = None
        monthly.append(row)
    month_table = Table(
        "volunteer-activity",
        "Escorts and volunteer hours per month",
        [
            Column("month", "Month", "label"),
            Column("escorts", "Escorts"),
            Column("hours", "Volunteer hours", "hours", ("escorts",)),
            Column("volunteers", "Volunteers who went"),
        ],
        monthly,
        note=(
            "An escort is a completed request where the volunteer went (whether or not the "
            "client came). Hours are the meeting's length plus the time they met beforehand."
        ),
    )
    return month_table, _load_spread(r, volunteer)


def _load_spread(r: DateRange, volunteer: Any | None) -> Table:
    columns = [Column("band", "Escorts in the period", "label"), Column("volunteers", "Volunteers")]
    approved = db.session.scalar(
        select(func.count()).select_from(Volunteer).where(Volunteer.status == "approved")
    )
    note = f"{approved} approved volunteers today."
    if volunteer is None:
        return Table(
            "load-spread",
            "How the escorts were shared between volunteers",
            columns,
            [],
            note=note + " Which volunteer went is recorded once matching is in use.",
        )
    per_volunteer = (
        select(volunteer.label("volunteer_id"), func.count().label("n"))
        .where(*_escorts(r), volunteer.is_not(None))
        .group_by(volunteer)
        .subquery("per_volunteer")
    )
    band = case(
        *((per_volunteer.c.n <= high, label) for label, _low, high in LOAD_BANDS if high),
        else_=LOAD_BANDS[-1][0],
    ).label("band")
    found = dict(
        db.session.execute(select(band, func.count()).select_from(per_volunteer).group_by(band))
        .tuples()
        .all()
    )
    rows = [{"band": label, "volunteers": found.get(label, 0)} for label, _l, _h in LOAD_BANDS]
    return Table(
        "load-spread", "How the escorts were shared between volunteers", columns, rows, note=note
    )
