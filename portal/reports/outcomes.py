"""Requests by outcome: per week, how many found a volunteer and how fast, by fellowship and area.

A request belongs to the week of its meeting date; "matched" means a volunteer accepted it at
some point (the first `request_events` row moving it to `accepted`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, literal, select, union_all

from ..accompaniment.models import LIVE_STATES, RequestEvent
from ..dates import day_month
from ..extensions import db
from ..meetings.models import Fellowship, Meeting
from .ranges import DateRange
from .sql import AR, _count_if, _hours_between, _in_range, _median, _week_index
from .tables import Column, Table, percent

# Each request ends up in exactly one of these, so a week's parts add up to its requests.
OUTCOMES: list[tuple[str, str]] = [
    ("attended", "Accompanied and attended"),
    ("client_did_not_come", "Client didn't come"),
    ("volunteer_could_not_go", "Volunteer couldn't go"),
    ("cancelled", "Cancelled"),
    ("unfilled", "Unfilled"),
    ("in_progress", "Not finished yet"),
]


def _requests(r: DateRange) -> Any:
    """The period's requests, each with when a volunteer first accepted it (or NULL).

    Driven from the requests in the period (the starts_at index), each joined to its own
    acceptance events through the index on request_events' request id; grouped by request, so
    the database computes it once however often the outer query uses it.
    """
    accepted = and_(RequestEvent.request_id == AR.id, RequestEvent.to_state == "accepted")
    return (
        select(
            AR.id,
            AR.state,
            AR.outcome,
            AR.meeting_date,
            AR.meeting_id,
            AR.created_at,
            func.min(RequestEvent.at).label("accepted_at"),
        )
        .outerjoin(RequestEvent, accepted)
        .where(_in_range(r))
        .group_by(AR.id)
        .subquery("requests")
    )


def _outcome_sums(q: Any) -> list[Any]:
    completed = q.c.state == "completed"
    matched = q.c.accepted_at.is_not(None)
    unmatched = q.c.accepted_at.is_(None)
    conditions = {
        "attended": and_(completed, q.c.outcome == "attended"),
        "client_did_not_come": and_(completed, q.c.outcome == "client_did_not_come"),
        "volunteer_could_not_go": and_(completed, q.c.outcome == "volunteer_could_not_go"),
        "cancelled": q.c.state == "cancelled",
        "unfilled": q.c.state == "unfilled",
        "in_progress": q.c.state.in_(LIVE_STATES),
    }
    return [
        func.count(q.c.id).label("requests"),
        *(_count_if(condition).label(key) for key, condition in conditions.items()),
        _count_if(matched).label("matched"),
        _count_if(and_(unmatched, q.c.state == "cancelled")).label("cancelled_unmatched"),
        _count_if(and_(unmatched, q.c.state.in_(("open", "offered")))).label("still_looking"),
    ]


def _add_match_share(row: dict[str, Any]) -> dict[str, Any]:
    decided = row["matched"] + row["unfilled"]
    row["decided"] = decided
    row["matched_share"] = percent(row["matched"], decided)
    return row


def weekly_requests(r: DateRange) -> tuple[Table, Table]:
    """Requests per week split by outcome, and the share matched with the median wait."""
    q = _requests(r)
    week = _week_index(q.c.meeting_date, r.first_monday).label("week")
    rows = db.session.execute(select(week, *_outcome_sums(q)).group_by(week)).mappings()
    by_week = {row["week"]: dict(row) for row in rows}
    medians = _median_waits(r)
    blank = {key: 0 for key in ("requests", "matched", "cancelled_unmatched", "still_looking")}
    blank |= {key: 0 for key, _ in OUTCOMES}
    weekly, total = [], dict(blank)
    for index, monday in enumerate(r.mondays):
        row = {**blank, **by_week.get(index, {})}
        for key in blank:
            total[key] += row[key]
        row |= {"week": f"w/c {day_month(monday)}", "monday": monday}
        row["median_hours"] = medians.get(index)
        weekly.append(_add_match_share(row))
    total = _add_match_share(total | {"week": "All weeks"})
    total["median_hours"] = medians.get(-1)
    outcome_table = Table(
        "requests-by-week",
        "Requests per week, by outcome",
        [
            Column("week", "Week commencing", "label"),
            *(Column(key, label) for key, label in OUTCOMES),
            Column("requests", "All requests"),
        ],
        weekly,
        note="A request counts in the week of the meeting it is for.",
        footer=[total],
    )
    matching_table = Table(
        "matching",
        "Requests matched with a volunteer, and how long it took",
        [
            Column("week", "Week commencing", "label"),
            Column("requests", "Requests"),
            Column("matched", "A volunteer accepted"),
            Column("unfilled", "Nobody could go"),
            Column("cancelled_unmatched", "Cancelled before a match"),
            Column("still_looking", "Still looking"),
            Column("matched_share", "Matched", "percent", ("matched", "decided")),
            Column("median_hours", "Median hours to acceptance", "hours", ("matched",)),
        ],
        weekly,
        note=(
            "Matched is the share of decided requests (a volunteer accepted, or the meeting "
            "passed with nobody) that a volunteer accepted. Time to acceptance runs from the "
            "request being raised to the first acceptance."
        ),
        footer=[total],
    )
    return outcome_table, matching_table


def _median_waits(r: DateRange) -> dict[int, float]:
    """Median hours to acceptance for each week, and for the whole period under -1."""
    q = _requests(r)
    waits = (
        select(
            _week_index(q.c.meeting_date, r.first_monday).label("grp"),
            _hours_between(q.c.accepted_at, q.c.created_at).label("value"),
        )
        .where(q.c.accepted_at.is_not(None))
        .cte("waits")
    )
    overall = select(literal(-1).label("grp"), waits.c.value).subquery("all_waits")
    statement = union_all(_median(waits, partition=True), _median(overall))
    return {grp: float(median) for grp, median in db.session.execute(statement).all()}


def _breakdown(r: DateRange, key: str, title: str, label: str, group: Any) -> Table:
    q = _requests(r)
    name = group.label("name")
    rows = db.session.execute(
        select(name, *_outcome_sums(q))
        .select_from(q)
        .join(Meeting, Meeting.id == q.c.meeting_id)
        .join(Fellowship, Fellowship.id == Meeting.fellowship_id)
        .group_by(name)
        .order_by(func.count(q.c.id).desc(), name)
    ).mappings()
    table_rows = [_add_match_share(dict(row)) for row in rows]
    for row in table_rows:
        row["attended_share"] = percent(row["attended"], row["requests"])
    return Table(
        key,
        title,
        [
            Column("name", label, "label"),
            Column("requests", "Requests"),
            Column("matched", "A volunteer accepted"),
            Column("attended", "Accompanied and attended"),
            Column("matched_share", "Matched", "percent", ("matched", "decided")),
            Column("attended_share", "Attended", "percent", ("attended", "requests")),
        ],
        table_rows,
    )


def by_fellowship(r: DateRange) -> Table:
    return _breakdown(r, "by-fellowship", "Requests by fellowship", "Fellowship", Fellowship.name)


def by_area(r: DateRange) -> Table:
    area = func.coalesce(func.nullif(Meeting.area, ""), "Area not recorded")
    return _breakdown(r, "by-area", "Requests by area", "Area", area)
