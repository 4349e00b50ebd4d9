"""The numbers commissioners ask for, aggregated by the database (GROUP BY, COUNT, CASE).

Every report is a fixed number of queries whatever the amount of data: each table is one
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
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ..accompaniment.models import RequestEvent
from ..auth.models import User
from ..clients.models import Client
from ..extensions import db
from .activity import ESCORTED, LOAD_BANDS, volunteer_activity
from .fama import (
    FUNNEL_STAGES,
    attendance_by_accompaniment,
    fama_by_keyworker,
    fama_by_team,
    fama_funnel,
)
from .outcomes import OUTCOMES, by_area, by_fellowship, weekly_requests
from .ranges import (
    DEFAULT_WEEKS,
    LONGEST_RANGE_DAYS,
    DateRange,
    default_range,
    today_in_london,
)
from .sql import AR, FS
from .tables import Table

__all__ = [
    "AR",
    "DEFAULT_WEEKS",
    "ESCORTED",
    "FS",
    "FUNNEL_STAGES",
    "LOAD_BANDS",
    "LONGEST_RANGE_DAYS",
    "OUTCOMES",
    "REPORT_CACHE",
    "CachedReport",
    "DateRange",
    "Report",
    "attendance_by_accompaniment",
    "build_report",
    "build_report_table",
    "by_area",
    "by_fellowship",
    "cached_report",
    "default_range",
    "fama_by_keyworker",
    "fama_by_team",
    "fama_funnel",
    "report_fingerprint",
    "report_table",
    "today_in_london",
    "volunteer_activity",
    "weekly_requests",
]


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
        fama_by_team(r),
        fama_by_keyworker(r),
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
    ids, read from the primary keys (counting the tables cost 40 ms at large scale). The FAMA
    tables by keyworker and team also read accounts (a name, a team): every change an admin makes
    to an account moves its version on from 1, so the number of such changes (the versions' sum
    less one a row, over a few thousand small rows) moves with a keyworker's team, while a new
    account (version 1) leaves it, and the figures everyone shares, alone. Changes these miss (a
    meeting's area, a client's FAMA outcome, a volunteer approved, rows removed by retention)
    show once the cache's lifetime ends, or at once with "Work the figures out again".
    """
    parts = [
        select(func.max(RequestEvent.id)).scalar_subquery(),
        select(func.max(AR.id)).scalar_subquery(),
        select(func.max(FS.id)).scalar_subquery(),
        select(func.max(Client.id)).scalar_subquery(),
        select(func.sum(User.version - 1)).scalar_subquery(),
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
    viewer allowed to open the reports (champions and admins) sees the same figures: counts, and
    the names of keyworkers (staff, never clients), which every one of them may see. So the cache
    is shared between them; a role that may not see those names must never read this entry. The
    CSV downloads read the same entry, so they carry the page's numbers (suppressed as they are
    written).
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
        "fama-by-team": lambda: fama_by_team(r),
        "fama-by-keyworker": lambda: fama_by_keyworker(r),
        "volunteer-activity": lambda: volunteer_activity(r)[0],
        "load-spread": lambda: volunteer_activity(r)[1],
        "by-fellowship": lambda: by_fellowship(r),
        "by-area": lambda: by_area(r),
    }
    builder = builders.get(key)
    return builder() if builder else None
