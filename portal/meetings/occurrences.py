"""When a weekly meeting next happens, right on both sides of a clock change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from ..dates import LONDON as LONDON
from ..dates import at_local as at_local


def python_weekday(meeting_guide_day: int) -> int:
    """Meeting Guide's 0 = Sunday to Python's 0 = Monday."""
    return (meeting_guide_day - 1) % 7


def occurrence_dates(weekday: int, start: date) -> Iterator[date]:
    """Every date on or after `start` that falls on Meeting Guide weekday `weekday`."""
    offset = (python_weekday(weekday) - start.weekday()) % 7
    day = start + timedelta(days=offset)
    while True:
        yield day
        day += timedelta(days=7)


def next_occurrences(
    weekday: int, start_time: time, end_time: time, after: datetime, count: int = 4
) -> list[tuple[datetime, datetime]]:
    """The next `count` (start, end) instants of a weekly meeting that start after `after`."""
    found: list[tuple[datetime, datetime]] = []
    for day in occurrence_dates(weekday, after.astimezone(LONDON).date()):
        begins = at_local(day, start_time)
        if begins <= after:
            continue
        end_day = day if end_time > start_time else day + timedelta(days=1)
        ends = at_local(end_day, end_time)
        if ends <= begins:  # both ends fell in the hour the clocks skip: keep the length
            length = datetime.combine(end_day, end_time) - datetime.combine(day, start_time)
            ends = begins + length
        found.append((begins, ends))
        if len(found) == count:
            return found
    return found


def is_occurrence(weekday: int, day: date) -> bool:
    """True when the meeting takes place on `day`."""
    return day.weekday() == python_weekday(weekday)
