"""Next dates of a weekly meeting, right on both sides of the March and October clock changes.

In 2026 the clocks go forward at 01:00 UTC on Sunday 29 March and back at 01:00 UTC on
Sunday 25 October.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from portal.meetings.occurrences import (
    LONDON,
    at_local,
    is_occurrence,
    next_occurrences,
    python_weekday,
)

SUNDAY, SATURDAY, TUESDAY = 0, 6, 2


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_sunday_evening_meeting_keeps_its_wall_clock_time_across_the_march_change():
    found = next_occurrences(SUNDAY, time(19, 30), time(20, 30), utc(2026, 3, 20, 12))
    starts = [start for start, _ in found]
    assert [s.astimezone(LONDON).strftime("%a %d %b %H:%M") for s in starts] == [
        "Sun 22 Mar 19:30",
        "Sun 29 Mar 19:30",
        "Sun 05 Apr 19:30",
        "Sun 12 Apr 19:30",
    ]
    assert starts[0].astimezone(UTC) == utc(2026, 3, 22, 19, 30)  # GMT
    assert starts[1].astimezone(UTC) == utc(2026, 3, 29, 18, 30)  # BST, the same evening
    assert all(end - start == timedelta(hours=1) for start, end in found)


def test_a_sunday_evening_meeting_keeps_its_wall_clock_time_across_the_october_change():
    starts = [s for s, _ in next_occurrences(SUNDAY, time(19, 30), time(20, 30), utc(2026, 10, 16))]
    assert starts[0].astimezone(UTC) == utc(2026, 10, 18, 18, 30)  # BST
    assert starts[1].astimezone(UTC) == utc(2026, 10, 25, 19, 30)  # GMT
    assert {s.astimezone(LONDON).time() for s in starts} == {time(19, 30)}


def test_a_meeting_in_the_hour_that_does_not_exist_moves_forward_with_the_clocks():
    start, end = next_occurrences(SUNDAY, time(1, 30), time(2, 30), utc(2026, 3, 28))[0]
    assert start.astimezone(UTC) == utc(2026, 3, 29, 1, 30)  # 02:30 BST
    assert start.astimezone(LONDON).time() == time(2, 30)
    assert end - start == timedelta(hours=1)  # it still lasts an hour


def test_a_meeting_in_the_hour_that_happens_twice_is_the_first_of_the_two():
    start, _ = next_occurrences(SUNDAY, time(1, 30), time(2, 30), utc(2026, 10, 24))[0]
    assert start.astimezone(UTC) == utc(2026, 10, 25, 0, 30)  # 01:30 BST, not GMT


def test_a_meeting_that_runs_past_midnight_ends_the_next_day_across_the_change():
    start, end = next_occurrences(SATURDAY, time(23, 30), time(0, 30), utc(2026, 3, 27))[0]
    assert start.astimezone(LONDON) == datetime(2026, 3, 28, 23, 30, tzinfo=LONDON)
    assert end.astimezone(UTC) == utc(2026, 3, 29, 0, 30)  # still GMT at half past midnight
    assert end - start == timedelta(hours=1)


def test_a_meeting_later_today_counts_and_one_already_started_does_not():
    tuesday_noon = datetime(2026, 12, 1, 12, 0, tzinfo=LONDON)
    evening = next_occurrences(TUESDAY, time(19, 30), time(20, 30), tuesday_noon)[0][0]
    morning = next_occurrences(TUESDAY, time(10, 0), time(11, 0), tuesday_noon)[0][0]
    assert evening.date() == date(2026, 12, 1)
    assert morning.date() == date(2026, 12, 8)


def test_four_dates_by_default():
    assert len(next_occurrences(TUESDAY, time(19), time(20), utc(2026, 1, 1))) == 4


def test_weekday_numbering_follows_meeting_guide():
    assert python_weekday(0) == 6  # Sunday
    assert python_weekday(1) == 0  # Monday
    assert is_occurrence(SUNDAY, date(2026, 3, 29))
    assert not is_occurrence(SUNDAY, date(2026, 3, 30))


@given(
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)),
)
def test_every_date_falls_on_the_weekday_a_week_apart_at_the_wall_clock_time(
    weekday, hour, minute, start
):
    after = start.replace(tzinfo=UTC)
    found = next_occurrences(weekday, time(hour, minute), time((hour + 1) % 24, minute), after)
    previous = None
    for begins, _ in found:
        local = begins.astimezone(LONDON)
        assert begins > after
        assert local.weekday() == python_weekday(weekday)
        wall = datetime.combine(local.date(), time(hour, minute))
        assert local.replace(tzinfo=None) in (wall, wall + timedelta(hours=1))  # +1 h: spring gap
        if previous is not None:
            assert (local.date() - previous).days == 7
        previous = local.date()


def test_at_local_is_aware_and_in_london():
    moment = at_local(date(2026, 7, 1), time(19, 30))
    assert moment.utcoffset() == timedelta(hours=1)
    assert moment.tzinfo is not None
