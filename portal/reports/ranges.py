"""The period a report covers, and the words for its days, weeks and months."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ..meetings.occurrences import LONDON, at_local

DEFAULT_WEEKS = 12
LONGEST_RANGE_DAYS = 731


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
