"""Small builders for matching facts: sensible, eligible defaults with overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from portal.matching import (
    LONDON,
    SAFEGUARDING_ITEMS,
    RequestFacts,
    VolunteerFacts,
    WeeklyWindow,
)

GOOD_UNTIL = date(2030, 1, 1)
# Tuesday 3 March 2026, the first Tuesday of the month, before the clocks change.
MEETING_DAY = date(2026, 3, 3)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Europe/London wall-clock moment."""
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def all_week(start: time = time(9), end: time = time(23)) -> list[WeeklyWindow]:
    """The same window on every day of the week."""
    return [WeeklyWindow(day, start, end) for day in range(7)]


def safeguarding(**overrides: date | None) -> dict[str, date | None]:
    """Every item held and in date, except as overridden."""
    return {item: GOOD_UNTIL for item in SAFEGUARDING_ITEMS} | overrides


def volunteer(id: int = 1, **overrides: Any) -> VolunteerFacts:
    """An approved, vetted volunteer free most of every day."""
    values: dict[str, Any] = {
        "id": id,
        "status": "approved",
        "gender": "woman",
        "languages": {"English"},
        "fellowships": {"NA"},
        "home_area": "Hackney",
        "weekly_cap": 3,
        "safeguarding": safeguarding(),
        "recovery_date": date(2015, 1, 1),
        "windows": all_week(),
    }
    values.update(overrides)
    return VolunteerFacts(**values)


def request(
    id: int = 1, start: datetime | None = None, minutes: int = 105, **overrides: Any
) -> RequestFacts:
    """A request for an NA meeting in Hackney on MEETING_DAY at 6:45pm unless overridden."""
    begin = (start or at(MEETING_DAY, 18, 45)).astimezone(UTC)  # minutes of elapsed time
    values: dict[str, Any] = {
        "id": id,
        "client_id": 100 + id,
        "meeting_id": 7,
        "fellowship": "NA",
        "area": "Hackney",
        "start": begin,
        "end": begin + timedelta(minutes=minutes),
    }
    values.update(overrides)
    return RequestFacts(**values)
