"""The numbers commissioners ask for, aggregated by the database (GROUP BY, COUNT, CASE).

Every report is a fixed number of queries whatever the amount of data: each table below is one
query (the matching table one more, for its medians). Nothing loops over requests in Python;
Python only fills in the weeks or months that had nothing, and turns counts into percentages.

Sources, and why:
- A request belongs to the week of its meeting date (the date the outcome happens).
- "Matched" means a volunteer accepted it at some point: the first `request_events` row moving
  it to `accepted`. Every change of state writes such a row, whoever makes it.
  `accompaniment_requests.accepted_at` is not used: it is cleared when a request opens again,
  so a request matched and then re-opened would lose its first acceptance.
- Medians are computed in SQL with window functions (ROW_NUMBER and COUNT over the ordered
  durations, then the average of the one or two middle rows), which SQLite (3.25+) and
  PostgreSQL both run.
- Volunteer activity needs to know which volunteer went: it uses
  `accompaniment_requests.volunteer_id` when that column exists (the matching migration adds
  it) and otherwise reports escorts and hours without naming how many volunteers did them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    Integer,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    or_,
    select,
    union_all,
)

from ..accompaniment.models import LIVE_STATES, AccompanimentRequest, RequestEvent
from ..clients.models import Client, FamaSession
from ..extensions import db
from ..meetings.models import Fellowship, Meeting
from ..meetings.occurrences import LONDON, at_local
from ..volunteers.models import Volunteer
from .tables import Column, Table, percent

AR = AccompanimentRequest
FS = FamaSession
DEFAULT_WEEKS = 12
LONGEST_RANGE_DAYS = 731

# Each request ends up in exactly one of these, so a week's parts add up to its requests.
OUTCOMES: list[tuple[str, str]] = [
    ("attended", "Accompanied and attended"),
    ("client_did_not_come", "Client didn't come"),
    ("volunteer_could_not_go", "Volunteer couldn't go"),
    ("cancelled", "Cancelled"),
    ("unfilled", "Unfilled"),
    ("in_progress", "Not finished yet"),
]
LOAD_BANDS: list[tuple[str, int, int | None]] = [
    ("1 escort", 1, 1),
    ("2 to 3 escorts", 2, 3),
    ("4 to 6 escorts", 4, 6),
    ("7 or more escorts", 7, None),
]


def today_in_london(now: datetime | None = None) -> date:
    from ..audit import utcnow

    return (now or utcnow()).astimezone(LONDON).date()


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date

    @property
    def first_monday(self) -> date:
        return self.start - timedelta(days=self.start.weekday())

    @property
    def mondays(self) -> list[date]:
        count = (self.end - self.first_monday).days // 7 + 1
        return [self.first_monday + timedelta(weeks=n) for n in range(count)]

    @property
    def months(self) -> list[str]:
        found, day = [], self.start.replace(day=1)
        while day <= self.end:
            found.append(f"{day:%Y-%m}")
            day = (day + timedelta(days=32)).replace(day=1)
        return found

    @property
    def starts_at(self) -> datetime:
        return at_local(self.start, time())

    @property
    def ends_before(self) -> datetime:
        return at_local(self.end + timedelta(days=1), time())

    @property
    def words(self) -> str:
        return f"{long_day(self.start)} to {long_day(self.end)}"


def default_range(today: date | None = None) -> DateRange:
    """The last 12 weeks: this week so far and the 11 whole weeks before it."""
    today = today or today_in_london()
    monday = today - timedelta(days=today.weekday())
    return DateRange(monday - timedelta(weeks=DEFAULT_WEEKS - 1), today)


def long_day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def short_day(day: date) -> str:
    return f"{day.day} {day:%b}"


def month_words(key: str) -> str:
    year, month = (int(part) for part in key.split("-"))
    return f"{date(year, month, 1):%B %Y}"


# --- SQL that differs between SQLite and PostgreSQL ------------------------------------------


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


# --- shared pieces ---------------------------------------------------------------------------


def _in_range(r: DateRange) -> Any:
    # meeting_date is the London date of starts_at; the starts_at bounds let the index work.
    return and_(
        AR.starts_at >= r.starts_at,
        AR.starts_at < r.ends_before,
        AR.meeting_date.between(r.start, r.end),
    )


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


# --- requests per week, by outcome, and how many found a volunteer ---------------------------


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
        row |= {"week": f"w/c {short_day(monday)}", "monday": monday}
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


# --- attendance at the committed meeting: accompanied or not ---------------------------------


def attendance_by_accompaniment(r: DateRange) -> Table:
    """Session-two commitments in the range: did the client go, with a peer and without?

    A commitment is accompanied when a request raised from that session was accepted by a
    volunteer. Whether the client went is what the next session (a session three) recorded;
    when the next session is not a session three yet, it is not known.
    """
    # A CTE used twice: both databases work it out once.
    cohort_cte = (
        select(FS.client_id)
        .where(
            FS.kind == 2,
            FS.commitment_meeting_id.is_not(None),
            FS.commitment_at >= r.starts_at,
            FS.commitment_at < r.ends_before,
        )
        .distinct()
        .cte("cohort")
    )
    cohort = select(cohort_cte.c.client_id)
    order = (FS.held_on, FS.id)
    sessions = (
        select(
            FS.id,
            FS.kind,
            FS.commitment_meeting_id,
            FS.commitment_at,
            func.lead(FS.kind).over(partition_by=FS.client_id, order_by=order).label("next_kind"),
            func.lead(FS.attended)
            .over(partition_by=FS.client_id, order_by=order)
            .label("next_attended"),
        )
        .where(FS.client_id.in_(cohort))
        .subquery("sequence")
    )
    # A request raised from this session that a volunteer accepted: looked up by session (the
    # index from 0010). As an IN list built over the whole cohort's requests it took 2.3 s of
    # the page at large scale (issue 9), and SQLite built that list twice.
    accepted = (
        select(AR.id)
        .join(RequestEvent, RequestEvent.request_id == AR.id)
        .where(AR.session_id == sessions.c.id, RequestEvent.to_state == "accepted")
        .exists()
    )
    commitments = (
        select(
            case((accepted, 1), else_=0).label("accompanied"),
            sessions.c.next_kind,
            sessions.c.next_attended,
        )
        .where(
            sessions.c.kind == 2,
            sessions.c.commitment_meeting_id.is_not(None),
            sessions.c.commitment_at >= r.starts_at,
            sessions.c.commitment_at < r.ends_before,
        )
        .subquery("commitments")
    )
    reviewed = commitments.c.next_kind == 3
    rows = db.session.execute(
        select(
            commitments.c.accompanied,
            func.count().label("commitments"),
            _count_if(and_(reviewed, commitments.c.next_attended.is_(True))).label("attended"),
            _count_if(and_(reviewed, commitments.c.next_attended.is_(False))).label("did_not"),
            _count_if(~reviewed | commitments.c.next_kind.is_(None)).label("unknown"),
        ).group_by(commitments.c.accompanied)
    ).mappings()
    found = {row["accompanied"]: dict(row) for row in rows}
    table_rows = []
    for flag, label in ((1, "With a peer"), (0, "Without a peer")):
        row = {"commitments": 0, "attended": 0, "did_not": 0, "unknown": 0} | found.get(flag, {})
        row["group"] = label
        row["known"] = row["attended"] + row["did_not"]
        row["attended_share"] = percent(row["attended"], row["known"])
        table_rows.append(row)
    return Table(
        "attendance",
        "Going to the committed meeting, with and without a peer",
        [
            Column("group", "Commitments made in session two", "label"),
            Column("commitments", "Commitments"),
            Column("attended", "Went"),
            Column("did_not", "Did not go"),
            Column("unknown", "Not known yet"),
            Column("attended_share", "Went, of those known", "percent", ("attended", "known")),
        ],
        table_rows,
        note=(
            "Commitments to a meeting made in a session two, for meetings in this period. "
            "With a peer: a volunteer accepted the request raised from that session. Whether "
            "the client went is what the following session three recorded."
        ),
    )


# --- the FAMA funnel -------------------------------------------------------------------------


FUNNEL_STAGES: list[tuple[str, str]] = [
    ("session_1", "Session 1 held"),
    ("session_2", "Session 2 held"),
    ("committed", "Committed to a meeting"),
    ("attended", "Went to a meeting"),
    ("engaged", "Engaged with a group"),
]


def fama_funnel(r: DateRange) -> Table:
    """Clients whose first FAMA session was in the range, and how far each has come since.

    Each stage counts only clients who reached every stage before it, so the funnel narrows.
    """
    cohort = select(FS.client_id).where(FS.kind == 1, FS.held_on.between(r.start, r.end))
    per_client = (
        select(
            FS.client_id.label("client_id"),
            func.max(case((FS.kind == 2, 1), else_=0)).label("s2"),
            func.max(case((FS.commitment_meeting_id.is_not(None), 1), else_=0)).label("c"),
            func.max(case((and_(FS.kind == 3, FS.attended.is_(True)), 1), else_=0)).label("a"),
        )
        .where(FS.client_id.in_(cohort))
        .group_by(FS.client_id)
        .subquery("per_client")
    )
    engaged = case((Client.fama_outcome == "engaged", 1), else_=0)
    p = per_client.c
    row = (
        db.session.execute(
            select(
                func.count().label("session_1"),
                func.coalesce(func.sum(p.s2), 0).label("session_2"),
                func.coalesce(func.sum(p.s2 * p.c), 0).label("committed"),
                func.coalesce(func.sum(p.s2 * p.c * p.a), 0).label("attended"),
                func.coalesce(func.sum(p.s2 * p.c * p.a * engaged), 0).label("engaged"),
            ).join(Client, Client.id == p.client_id)
        )
        .mappings()
        .one()
    )
    start = row["session_1"]
    rows = [
        {"stage": label, "clients": int(row[key]), "share": percent(int(row[key]), start)}
        | {"start": start}
        for key, label in FUNNEL_STAGES
    ]
    return Table(
        "fama-funnel",
        "The FAMA journey",
        [
            Column("stage", "Stage", "label"),
            Column("clients", "Clients"),
            Column("share", "Of those who had session 1", "percent", ("clients", "start")),
        ],
        rows,
        note=(
            "Clients whose first FAMA session was held in this period, and how far each has "
            "come since (at any date). Each stage counts only clients who reached the ones "
            "before it."
        ),
    )


# --- volunteer activity ----------------------------------------------------------------------


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


# --- by fellowship and by area ---------------------------------------------------------------


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


# --- the whole report ------------------------------------------------------------------------


@dataclass
class Report:
    range: DateRange
    tables: dict[str, Table]


def build_report(r: DateRange) -> Report:
    """Every table of the reports page, in a fixed number of queries."""
    outcomes, matching = weekly_requests(r)
    months, spread = volunteer_activity(r)
    tables = [
        outcomes,
        matching,
        attendance_by_accompaniment(r),
        fama_funnel(r),
        months,
        spread,
        by_fellowship(r),
        by_area(r),
    ]
    return Report(r, {table.key: table for table in tables})


REPORT_CACHE = "reports"


def report_fingerprint() -> tuple[Any, ...]:
    """A cheap sign that the data behind the reports changed (one query on primary keys).

    Every change of a request's state writes a `request_events` row (outcomes are recorded with
    the move to completed), and new requests, FAMA sessions and clients get new ids: the largest
    ids, read from the primary keys (counting the tables cost 40 ms at large scale). Changes these
    miss (a meeting's area, a client's FAMA outcome, a volunteer approved, rows removed by
    retention) show once the cache's lifetime ends, or at once with "Work the figures out again".
    """
    parts = [
        select(func.max(RequestEvent.id)).scalar_subquery(),
        select(func.max(AR.id)).scalar_subquery(),
        select(func.max(FS.id)).scalar_subquery(),
        select(func.max(Client.id)).scalar_subquery(),
    ]
    return tuple(db.session.execute(select(*parts)).one())


@dataclass(frozen=True)
class CachedReport:
    report: Report
    computed_at: datetime
    hit: bool


def cached_report(r: DateRange, refresh: bool = False) -> CachedReport:
    """The report for the period, worked out at most once per lifetime while nothing changes.

    The key is everything that changes the answer: the period and the data fingerprint. Every
    viewer allowed to open the reports (champions and admins) sees the same figures, and they are
    counts, never names, so the cache is shared between them. The CSV downloads read the same
    entry, so they carry the page's numbers (suppressed as they are written).
    """
    from ..cache import app_cache, cache_seconds

    ttl = cache_seconds("REPORT_CACHE_SECONDS")
    key = (r.start, r.end, report_fingerprint())
    found = app_cache(REPORT_CACHE, size=16).get_or_compute(
        key, ttl, lambda: build_report(r), refresh=refresh
    )
    return CachedReport(found.value, found.computed_at, found.hit)


def report_table(key: str, r: DateRange) -> Table | None:
    """One table of the report, for its CSV download (None for a key there is no table for)."""
    return cached_report(r).report.tables.get(key)


def build_report_table(key: str, r: DateRange) -> Table | None:
    """One table worked out on its own, without the cache."""
    builders = {
        "requests-by-week": lambda: weekly_requests(r)[0],
        "matching": lambda: weekly_requests(r)[1],
        "attendance": lambda: attendance_by_accompaniment(r),
        "fama-funnel": lambda: fama_funnel(r),
        "volunteer-activity": lambda: volunteer_activity(r)[0],
        "load-spread": lambda: volunteer_activity(r)[1],
        "by-fellowship": lambda: by_fellowship(r),
        "by-area": lambda: by_area(r),
    }
    builder = builders.get(key)
    return builder() if builder else None
