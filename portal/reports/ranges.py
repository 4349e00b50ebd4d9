"""The period a report covers (the words for its days and months are in portal/dates.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ..dates import at_local, date_words, london_today

DEFAULT_WEEKS = 12
LONGEST_RANGE_DAYS = 731


def today_in_london(now: datetime | None = None) -> date:
    from ..audit import utcnow

    return london_today(now or utcnow())


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
        return f"{date_words(self.start)} to {date_words(self.end)}"


def default_range(today: date | None = None) -> DateRange:
    """The last 12 weeks: this week so far and the 11 whole weeks before it."""
    today = today or today_in_london()
    monday = today - timedelta(days=today.weekday())
    return DateRange(monday - timedelta(weeks=DEFAULT_WEEKS - 1), today)
