"""The words for dates and times: one module, the same words on every page and in matching."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from portal import dates
from portal.matching import Rules, Slot
from portal.matching.eligibility import check_no_overlap
from tests.matching.builders import request, volunteer

WINTER = datetime(2026, 12, 8, 19, 30, tzinfo=UTC)  # Tuesday, GMT
SUMMER = datetime(2026, 7, 7, 18, 0, tzinfo=UTC)  # Tuesday, 7pm BST


def test_clock_drops_zero_minutes_and_reads_uk_time() -> None:
    assert dates.clock(WINTER) == "7:30pm"
    assert dates.clock(SUMMER) == "7pm"
    assert dates.clock(time(9, 5)) == "9:05am"
    assert dates.clock(time(0, 0)) == "12am"
    assert dates.clock(time(12, 0)) == "12pm"
    assert dates.clock(None) == ""


def test_days_and_dates() -> None:
    assert dates.day(WINTER) == "Tuesday 8 December"
    assert dates.long_date(date(2026, 12, 8)) == "Tuesday 8 December 2026"
    assert dates.date_words(WINTER) == "8 December 2026"
    assert dates.short_day(WINTER) == "Tue 8 Dec"
    assert dates.day_month(date(2026, 12, 8)) == "8 Dec"
    assert dates.month_words("2026-12") == "December 2026"
    assert dates.weekday_name(1) == "Tuesday"


def test_when_words() -> None:
    assert dates.when(WINTER) == "Tuesday 8 December, 7:30pm"
    assert dates.when_with_year(SUMMER) == "Tuesday 7 July 2026, 7pm"
    assert dates.short_when(WINTER) == "Tue 8 Dec, 7:30pm"
    assert dates.clock_on(SUMMER) == "7pm on Tuesday 7 July"


def test_an_instant_just_after_midnight_uk_is_the_next_day() -> None:
    late = datetime(2026, 7, 7, 23, 30, tzinfo=UTC)  # 00:30 BST on Wednesday 8 July
    assert dates.london_today(late) == date(2026, 7, 8)
    assert dates.day(late) == "Wednesday 8 July"
    assert dates.clock(late) == "12:30am"


def test_at_local_across_the_clock_changes() -> None:
    assert dates.at_local(date(2026, 3, 29), time(1, 30)).astimezone(UTC) == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )  # the skipped hour moves forward: 2:30am BST
    assert dates.at_local(date(2026, 10, 25), time(1, 30)).astimezone(UTC) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )  # the repeated hour is the first one


def test_the_filters_are_registered_from_dates(app) -> None:
    for name, formatter in dates.FILTERS.items():
        assert app.jinja_env.filters[name] is formatter


def test_matching_reasons_say_times_like_every_page() -> None:
    start = datetime(2026, 12, 8, 19, 0, tzinfo=UTC)
    end = datetime(2026, 12, 8, 20, 30, tzinfo=UTC)
    busy = volunteer(escorts=(Slot(start, end),))
    reason = check_no_overlap(busy, request(start=start, minutes=90), Rules())
    assert reason is not None
    assert reason.message.endswith("(8 December 2026, 7pm to 8:30pm)")
