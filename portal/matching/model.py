"""Typed, immutable facts that matching reads: volunteers, requests, rules."""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from types import MappingProxyType
from typing import Literal

from portal.dates import LONDON, clock, long_date

# Safeguarding items that must all be held and in date on the meeting day.
SAFEGUARDING_ITEMS: tuple[str, ...] = (
    "dbs",
    "training",
    "references",
    "lone_working",
    "code_of_conduct",
)
SAFEGUARDING_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "dbs": "DBS check",
        "training": "Safeguarding training",
        "references": "References",
        "lone_working": "Lone-working briefing",
        "code_of_conduct": "Signed code of conduct",
    }
)


@dataclass(frozen=True, slots=True)
class RequiredCheck:
    """A check or training the service defines and needs before escorting ("Naloxone training").

    Volunteers hold these in ``VolunteerFacts.checks`` under the same ``id``.
    """

    id: int
    name: str


# An item that never lapses (references, say) is recorded with this expiry date; None means
# "not held", so a missing value can never be read as "valid for ever".
NO_EXPIRY = date.max

VolunteerStatus = Literal["applied", "approved", "paused", "withdrawn"]
PeerGenderWish = Literal["any", "woman", "man", "non-binary"]
AccompanyRule = Literal["anyone", "same_gender"]
WeekPattern = frozenset[int] | Literal["every"]
WeekKey = tuple[int, int]

# The furthest a volunteer escorts from home, by how they travel (km; the service's settings).
DEFAULT_TRAVEL_LIMITS: Mapping[str, float] = MappingProxyType(
    {"walk": 3.0, "public_transport": 15.0, "car": 25.0}
)
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "attends_meeting": 30.0,
        "knows_fellowship": 20.0,
        "distance": 20.0,
        "load": 15.0,
        "reliability": 15.0,
    }
)


def week_of_month(d: date) -> int:
    """Which occurrence of its weekday in the month a date is (1..5)."""
    return (d.day - 1) // 7 + 1


def add_months(d: date, months: int) -> date:
    """Add calendar months, clamping to the month's last day (29 Feb + 12 months = 28 Feb)."""
    year, month0 = divmod(d.month - 1 + months, 12)
    year += d.year
    day = min(d.day, calendar.monthrange(year, month0 + 1)[1])
    return date(year, month0 + 1, day)


def week_key(d: date) -> WeekKey:
    """ISO (year, week) of a date: the unit the weekly cap counts in."""
    iso = d.isocalendar()
    return (iso.year, iso.week)


def _as_utc(value: datetime, what: str) -> datetime:
    """Check a moment is timezone-aware and return it in UTC.

    Python compares datetimes that share a tzinfo by wall clock, which goes wrong across a
    clock change; in UTC every comparison and subtraction is between real instants.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Slot:
    """A half-open time interval [start, end): back-to-back slots do not overlap.

    Start and end are stored in UTC (see ``_as_utc``).
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _as_utc(self.start, "Slot.start"))
        object.__setattr__(self, "end", _as_utc(self.end, "Slot.end"))
        if self.end <= self.start:
            raise ValueError("Slot.end must be after Slot.start")

    def overlaps(self, other: Slot) -> bool:
        """True when the two intervals share any instant."""
        return self.start < other.end and other.start < self.end

    def local_start(self) -> datetime:
        """Start in Europe/London wall-clock time."""
        return self.start.astimezone(LONDON)


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """A weekly stretch of free time in Europe/London wall-clock time.

    An ``end`` of midnight (00:00) means the end of that day.
    """

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("WeeklyWindow.weekday must be 0 (Monday) to 6 (Sunday)")
        if self.end != time(0) and self.end <= self.start:
            raise ValueError("WeeklyWindow.end must be after its start")

    @property
    def start_seconds(self) -> int:
        """Seconds after local midnight when the window opens."""
        return self.start.hour * 3600 + self.start.minute * 60 + self.start.second

    @property
    def end_seconds(self) -> int:
        """Seconds after local midnight when the window closes (86400 for midnight)."""
        if self.end == time(0):
            return 86400
        return self.end.hour * 3600 + self.end.minute * 60 + self.end.second


@dataclass(frozen=True, slots=True)
class DateRange:
    """Dates away, both ends included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("DateRange.last must not be before DateRange.first")

    def contains(self, d: date) -> bool:
        """True when the date falls within the range."""
        return self.first <= d <= self.last


def _normalise_pattern(pattern: object) -> WeekPattern:
    if pattern == "every":
        return "every"
    if isinstance(pattern, str) or not isinstance(pattern, Iterable):
        raise ValueError(f"week pattern must be 'every' or week numbers 1..5, not {pattern!r}")
    weeks = frozenset(int(w) for w in pattern)
    if not weeks <= {1, 2, 3, 4, 5}:
        raise ValueError(f"week numbers must be 1..5, not {sorted(weeks)}")
    return weeks


@dataclass(frozen=True)
class VolunteerFacts:
    """What matching needs to know about one volunteer.

    ``safeguarding`` maps an item of SAFEGUARDING_ITEMS to its expiry date (valid up to and
    including that date; NO_EXPIRY if it never lapses) or None when the item is not held.
    ``escorts`` are the escorts already accepted; the weekly cap counts them per ISO week of
    their Europe/London start date. Lists and dicts given are frozen on construction.
    """

    id: int
    status: VolunteerStatus
    gender: str
    languages: frozenset[str] = frozenset()
    fellowships: frozenset[str] = frozenset()
    home_area: str = ""
    lat: float | None = None
    lon: float | None = None
    # How they travel (walk, public_transport, car): the furthest limit of these bounds how
    # far from home they escort; none recorded means no limit.
    travel_modes: frozenset[str] = frozenset()
    weekly_cap: int = 2
    accompanies: AccompanyRule = "anyone"
    safeguarding: Mapping[str, date | None] = field(default_factory=dict)
    # The service's own checks held: kind id -> latest expiry (NO_EXPIRY if it never lapses).
    checks: Mapping[int, date] = field(default_factory=dict)
    recovery_date: date | None = None
    meetings: Mapping[int, WeekPattern] = field(default_factory=dict)
    windows: tuple[WeeklyWindow, ...] = ()
    away: tuple[DateRange, ...] = ()
    escorts: tuple[Slot, ...] = ()
    declined_requests: frozenset[int] = frozenset()
    conflict_clients: frozenset[int] = frozenset()
    escorts_last_30_days: int = 0
    accepted_count: int = 0
    completed_count: int = 0

    def __post_init__(self) -> None:
        # Callers build these from ORM rows and lists; freezing here keeps the facts immutable.
        setter = object.__setattr__
        setter(self, "languages", frozenset(self.languages))
        setter(self, "fellowships", frozenset(self.fellowships))
        setter(self, "travel_modes", frozenset(self.travel_modes))
        setter(self, "safeguarding", MappingProxyType(dict(self.safeguarding)))
        setter(self, "checks", MappingProxyType(dict(self.checks)))
        setter(
            self,
            "meetings",
            MappingProxyType({k: _normalise_pattern(p) for k, p in self.meetings.items()}),
        )
        setter(self, "windows", tuple(self.windows))
        setter(self, "away", tuple(self.away))
        setter(self, "escorts", tuple(self.escorts))
        setter(self, "declined_requests", frozenset(self.declined_requests))
        setter(self, "conflict_clients", frozenset(self.conflict_clients))
        if self.weekly_cap < 0:
            raise ValueError("weekly_cap must not be negative")

    __hash__ = None  # type: ignore[assignment]  # mappings inside make hashing meaningless

    @cached_property
    def languages_folded(self) -> frozenset[str]:
        """Languages compared without regard to case ('Polish' == 'polish')."""
        return frozenset(lang.casefold() for lang in self.languages)

    @cached_property
    def booked_per_week(self) -> Mapping[WeekKey, int]:
        """Accepted escorts counted per ISO week of their local start date."""
        return MappingProxyType(
            Counter(week_key(slot.start.astimezone(LONDON).date()) for slot in self.escorts)
        )

    @cached_property
    def vetted_until(self) -> date | None:
        """The last day every safeguarding item is valid; None while any item is not held."""
        held = [self.safeguarding.get(item) for item in SAFEGUARDING_ITEMS]
        return None if None in held else min(held)  # type: ignore[type-var]

    def remaining_in_week(self, key: WeekKey) -> int:
        """How many more escorts the weekly cap allows in that ISO week."""
        return max(0, self.weekly_cap - self.booked_per_week.get(key, 0))


@dataclass(frozen=True)
class RequestFacts:
    """One accompaniment request: the escort runs from the meeting-point time to meeting end.

    Start and end are stored in UTC; the ``local_*`` views are Europe/London wall-clock time.
    """

    id: int
    client_id: int
    meeting_id: int
    fellowship: str
    area: str
    start: datetime
    end: datetime
    lat: float | None = None
    lon: float | None = None
    peer_gender: PeerGenderWish = "any"
    language: str | None = None
    wants_fellowship_experience: bool = False
    client_gender: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _as_utc(self.start, "RequestFacts.start"))
        object.__setattr__(self, "end", _as_utc(self.end, "RequestFacts.end"))
        if self.end <= self.start:
            raise ValueError("RequestFacts.end must be after RequestFacts.start")

    @cached_property
    def slot(self) -> Slot:
        """The escort as an interval."""
        return Slot(self.start, self.end)

    @cached_property
    def local_start(self) -> datetime:
        """Escort start in Europe/London wall-clock time."""
        return self.start.astimezone(LONDON)

    @cached_property
    def local_end(self) -> datetime:
        """Escort end in Europe/London wall-clock time."""
        return self.end.astimezone(LONDON)

    @cached_property
    def meeting_date(self) -> date:
        """The local date every date rule is judged on."""
        return self.local_start.date()

    @cached_property
    def meeting_ordinal(self) -> int:
        """The meeting date as a proleptic Gregorian ordinal, for fast comparisons."""
        return self.meeting_date.toordinal()

    @cached_property
    def week_of_month(self) -> int:
        """Which occurrence of its weekday in the month the meeting is (1..5)."""
        return week_of_month(self.meeting_date)

    @cached_property
    def local_weekday(self) -> int:
        """Local weekday of the escort start, 0 = Monday."""
        return self.meeting_date.weekday()

    @cached_property
    def when_text(self) -> str:
        """'Tuesday 3 March 2026, 6:45pm to 8:30pm' for messages."""
        start, end = self.local_start, self.local_end
        return f"{long_date(start)}, {clock(start)} to {clock(end)}"

    @cached_property
    def local_dates(self) -> tuple[date, ...]:
        """Every local date the escort touches (two when it runs past midnight)."""
        first, last = self.meeting_date, self.local_end.date()
        if self.local_end.time() == time(0) and last > first:
            last -= timedelta(days=1)
        return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))

    @cached_property
    def week(self) -> WeekKey:
        """ISO week the weekly cap counts this escort in."""
        return week_key(self.meeting_date)

    @cached_property
    def window_span(self) -> tuple[int, int] | None:
        """Local (start, end) seconds after midnight, or None when it spans two days."""
        start = self.local_start
        seconds = start.hour * 3600 + start.minute * 60 + start.second
        # Wall-clock end minus wall-clock start; on a clock-change night the elapsed time
        # differs, and what a window means is wall-clock time, so compute from the local end.
        end = self.local_end
        days = (end.date() - start.date()).days
        end_seconds = days * 86400 + end.hour * 3600 + end.minute * 60 + end.second
        if end_seconds > 86400:
            return None
        return seconds, end_seconds

    @cached_property
    def folded_language(self) -> str | None:
        """Requested language, compared without regard to case."""
        return self.language.casefold() if self.language else None


@dataclass(frozen=True)
class Rules:
    """Configuration: minimum recovery time and score weights (missing weights take defaults)."""

    min_recovery_months: int = 12
    weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_WEIGHTS)
    max_travel_km: float = 20.0
    same_area_fraction: float = 0.75
    reliability_prior: float = 0.8
    reliability_prior_weight: float = 2.0
    travel_limits_km: Mapping[str, float] = field(default_factory=lambda: DEFAULT_TRAVEL_LIMITS)
    # The service's own checks every volunteer must hold, in date, on the meeting day.
    required_checks: tuple[RequiredCheck, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "required_checks", tuple(self.required_checks))
        unknown = set(self.weights) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown score weights: {sorted(unknown)}")
        if any(w < 0 for w in self.weights.values()):
            raise ValueError("score weights must not be negative")
        if self.max_travel_km <= 0:
            raise ValueError("max_travel_km must be positive")
        merged = {**DEFAULT_WEIGHTS, **self.weights}
        object.__setattr__(self, "weights", MappingProxyType(merged))
        if any(km <= 0 for km in self.travel_limits_km.values()):
            raise ValueError("travel limits must be positive")
        limits = {**DEFAULT_TRAVEL_LIMITS, **self.travel_limits_km}
        object.__setattr__(self, "travel_limits_km", MappingProxyType(limits))
        object.__setattr__(self, "_travel_limits", {})  # modes -> limit, filled as asked

    def travel_limit(self, modes: frozenset[str]) -> tuple[str, float] | None:
        """The way of travelling that reaches furthest and its limit; None when no limit."""
        cache: dict = self._travel_limits  # type: ignore[attr-defined]
        if modes in cache:
            return cache[modes]
        known = [(self.travel_limits_km[m], m) for m in sorted(modes) if m in self.travel_limits_km]
        found = None if not known else (max(known)[1], max(known)[0])
        cache[modes] = found
        return found

    __hash__ = None  # type: ignore[assignment]
