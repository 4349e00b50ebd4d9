"""London time and the words for every date and time the portal shows (plain Python, no Flask).

One home for dates (CONVENTIONS.md): every page, message and matching reason says a time the
same way — "7pm", "7:30pm" — and a day as "Tuesday 3 December". Instants are aware datetimes
and are shown in UK time (Europe/London); dates and wall-clock times are shown as they are.
The words never depend on the process locale. `FILTERS` names the Jinja filters; the app
registers them in one place (portal/pages.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from functools import wraps
from typing import TypeVar
from zoneinfo import ZoneInfo

T = TypeVar("T")

LONDON = ZoneInfo("Europe/London")

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def london_today(now: datetime) -> date:
    """The UK calendar date at the instant `now`."""
    return now.astimezone(LONDON).date()


def at_local(day: date, wall_clock: time) -> datetime:
    """The instant a London wall-clock time happens on `day` (aware, Europe/London).

    A time that does not exist (the hour skipped in March) moves forward with the clocks;
    a time that happens twice (October) is the first of the two.
    """
    local = datetime.combine(day, wall_clock, tzinfo=LONDON)
    roundtrip = local.astimezone(UTC).astimezone(LONDON)
    return roundtrip if roundtrip.replace(tzinfo=None) != local.replace(tzinfo=None) else local


def _date(value: datetime | date) -> date:
    """A date as it is, or an instant's UK calendar date."""
    return value.astimezone(LONDON).date() if isinstance(value, datetime) else value


def _blank_if_none(format: Callable[[T], str]) -> Callable[[T | None], str]:
    """A formatter that says nothing for a missing value (a template's empty cell)."""

    @wraps(format)
    def formatted(value: T | None) -> str:
        return "" if value is None else format(value)

    return formatted


def weekday_name(weekday: int) -> str:
    """'Monday' for 0 (Python's numbering, 0 = Monday)."""
    return DAYS[weekday]


@_blank_if_none
def clock(value: datetime | time) -> str:
    """'7pm', '7:30pm', '12am': a wall-clock time, or an instant's UK wall-clock time."""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).time()
    hour = value.hour % 12 or 12
    minutes = f":{value.minute:02d}" if value.minute else ""
    return f"{hour}{minutes}{'am' if value.hour < 12 else 'pm'}"


def _in_words(
    example: str, *, weekday: bool = True, year: bool = False, short: bool = False
) -> Callable[[datetime | date | None], str]:
    """A filter putting a date (or an instant's UK date) in words, like `example`: the one
    way every page words a date, each filter below picking its parts."""

    def words(value: datetime | date) -> str:
        value = _date(value)
        width = 3 if short else None
        parts = [DAYS[value.weekday()][:width]] if weekday else []
        parts += [str(value.day), MONTHS[value.month - 1][:width]]
        return " ".join([*parts, str(value.year)] if year else parts)

    words.__doc__ = f"{example!r}."
    return _blank_if_none(words)


day = _in_words("Tuesday 3 December")
long_date = _in_words("Tuesday 3 December 2026", year=True)
date_words = _in_words("3 December 2026", weekday=False, year=True)
short_day = _in_words("Tue 3 Dec", short=True)
day_month = _in_words("3 Dec", weekday=False, short=True)


def month_words(value: date | str) -> str:
    """'December 2026', from a date or a 'YYYY-MM' key."""
    if isinstance(value, str):
        year, month = (int(part) for part in value.split("-")[:2])
        value = date(year, month, 1)
    return f"{MONTHS[value.month - 1]} {value.year}"


@_blank_if_none
def when(value: datetime) -> str:
    """'Tuesday 3 December, 7:30pm' in UK time."""
    return f"{day(value)}, {clock(value)}"


@_blank_if_none
def when_with_year(value: datetime) -> str:
    """'Tuesday 3 December 2026, 7:30pm' in UK time."""
    return f"{long_date(value)}, {clock(value)}"


@_blank_if_none
def short_when(value: datetime) -> str:
    """'Tue 3 Dec, 7:30pm' in UK time."""
    return f"{short_day(value)}, {clock(value)}"


def clock_on(value: datetime) -> str:
    """'7pm on Tuesday 8 December' in UK time."""
    return f"{clock(value)} on {day(value)}"


# The Jinja filters, by the names templates use (registered in portal/pages.py).
FILTERS = {
    "when": when_with_year,
    "short_when": short_when,
    "clock_at": clock,
    "wall_clock": clock,
    "weekday_day": day,
    "long_date": long_date,
    "day": date_words,
    "short_day": short_day,
}
