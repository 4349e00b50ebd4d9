"""Service hours and answer-by times: pure time arithmetic at many instants (no database).

Every expected value is written as a London wall-clock time, so each case says what a person in
the service would read on the clock; the instants run through both clock changes of 2026, New
Year, 29 February 2028, each day of the week and the hours when UTC and London dates differ.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.service_hours import (
    AnswerRules,
    answer_by,
    at_london,
    in_hours,
    is_urgent,
    last_in_hours,
    next_in_hours,
    parse_time,
)

LONDON = ZoneInfo("Europe/London")


def london(text: str, fold: int = 0) -> datetime:
    """'2026-12-02 02:35' on London's clock, as a UTC instant (fold=1: the second 01:30)."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON, fold=fold).astimezone(UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def wall(instant: datetime) -> str:
    return instant.astimezone(LONDON).strftime("%a %Y-%m-%d %H:%M %Z")


# --- each day of the week, either side of opening and closing --------------------------------

WEEK_IN_WINTER = [date(2026, 11, 30) + timedelta(days=n) for n in range(7)]  # Mon 30 Nov…
WEEK_IN_SUMMER = [date(2026, 7, 6) + timedelta(days=n) for n in range(7)]  # Mon 6 Jul… (BST)


@pytest.mark.parametrize("day", WEEK_IN_WINTER + WEEK_IN_SUMMER, ids=str)
def test_each_day_either_side_of_opening_and_closing(day: date) -> None:
    def at(hh_mm: str) -> datetime:
        return london(f"{day} {hh_mm}")

    tomorrow = day + timedelta(days=1)
    assert next_in_hours(at("07:59")) == at("08:00")
    assert next_in_hours(at("08:00")) == at("08:00")
    assert next_in_hours(at("19:59")) == at("19:59")
    assert next_in_hours(at("20:00")) == london(f"{tomorrow} 08:00")
    assert next_in_hours(at("00:00")) == at("08:00")
    assert next_in_hours(at("23:59")) == london(f"{tomorrow} 08:00")
    assert [in_hours(at(t)) for t in ("07:59", "08:00", "19:59", "20:00")] == [
        False,
        True,
        True,
        False,
    ]
    # the latest moment the champion is at work, at or before the instant
    assert last_in_hours(at("07:59")) == london(f"{day - timedelta(days=1)} 20:00")
    assert last_in_hours(at("08:00")) == at("08:00")
    assert last_in_hours(at("19:59")) == at("19:59")
    assert last_in_hours(at("20:00")) == at("20:00")
    assert last_in_hours(at("23:30")) == at("20:00")


# --- the clock changes, New Year, 29 February, UTC midnight ---------------------------------

CASES = [
    # (instant, next_in_hours, last_in_hours), all on London's clock unless marked UTC
    # spring forward, Sunday 29 March 2026: 01:00 GMT becomes 02:00 BST
    (utc("2026-03-28 20:00"), "Sun 2026-03-29 08:00 BST", "Sat 2026-03-28 20:00 GMT"),
    (utc("2026-03-29 00:30"), "Sun 2026-03-29 08:00 BST", "Sat 2026-03-28 20:00 GMT"),
    (utc("2026-03-29 01:30"), "Sun 2026-03-29 08:00 BST", "Sat 2026-03-28 20:00 GMT"),
    (utc("2026-03-29 06:59"), "Sun 2026-03-29 08:00 BST", "Sat 2026-03-28 20:00 GMT"),
    (utc("2026-03-29 07:00"), "Sun 2026-03-29 08:00 BST", "Sun 2026-03-29 08:00 BST"),
    (utc("2026-03-29 19:00"), "Mon 2026-03-30 08:00 BST", "Sun 2026-03-29 20:00 BST"),
    # fall back, Sunday 25 October 2026: 01:00-02:00 happens twice (BST, then GMT)
    (utc("2026-10-24 19:00"), "Sun 2026-10-25 08:00 GMT", "Sat 2026-10-24 20:00 BST"),
    (utc("2026-10-25 00:30"), "Sun 2026-10-25 08:00 GMT", "Sat 2026-10-24 20:00 BST"),
    (utc("2026-10-25 01:30"), "Sun 2026-10-25 08:00 GMT", "Sat 2026-10-24 20:00 BST"),
    (utc("2026-10-25 07:59"), "Sun 2026-10-25 08:00 GMT", "Sat 2026-10-24 20:00 BST"),
    (utc("2026-10-25 20:00"), "Mon 2026-10-26 08:00 GMT", "Sun 2026-10-25 20:00 GMT"),
    # New Year's Eve to New Year's Day
    (utc("2026-12-31 19:59"), "Thu 2026-12-31 19:59 GMT", "Thu 2026-12-31 19:59 GMT"),
    (utc("2026-12-31 20:00"), "Fri 2027-01-01 08:00 GMT", "Thu 2026-12-31 20:00 GMT"),
    (utc("2026-12-31 23:59"), "Fri 2027-01-01 08:00 GMT", "Thu 2026-12-31 20:00 GMT"),
    (utc("2027-01-01 00:01"), "Fri 2027-01-01 08:00 GMT", "Thu 2026-12-31 20:00 GMT"),
    # 29 February 2028
    (utc("2028-02-28 21:00"), "Tue 2028-02-29 08:00 GMT", "Mon 2028-02-28 20:00 GMT"),
    (utc("2028-02-29 03:00"), "Tue 2028-02-29 08:00 GMT", "Mon 2028-02-28 20:00 GMT"),
    (utc("2028-02-29 20:00"), "Wed 2028-03-01 08:00 GMT", "Tue 2028-02-29 20:00 GMT"),
    (utc("2028-03-01 02:00"), "Wed 2028-03-01 08:00 GMT", "Tue 2028-02-29 20:00 GMT"),
    # summer: midnight UTC is 1am in London, and 7:30 UTC is already 8:30 in London
    (utc("2026-07-01 22:59"), "Thu 2026-07-02 08:00 BST", "Wed 2026-07-01 20:00 BST"),
    (utc("2026-07-01 23:30"), "Thu 2026-07-02 08:00 BST", "Wed 2026-07-01 20:00 BST"),
    (utc("2026-07-02 00:00"), "Thu 2026-07-02 08:00 BST", "Wed 2026-07-01 20:00 BST"),
    (utc("2026-07-02 07:30"), "Thu 2026-07-02 08:30 BST", "Thu 2026-07-02 08:30 BST"),
    (utc("2026-07-02 18:59"), "Thu 2026-07-02 19:59 BST", "Thu 2026-07-02 19:59 BST"),
    (utc("2026-07-02 19:00"), "Fri 2026-07-03 08:00 BST", "Thu 2026-07-02 20:00 BST"),
]


@pytest.mark.parametrize(("instant", "after", "before"), CASES, ids=lambda v: str(v))
def test_clock_changes_new_year_leap_day_and_utc_midnight(instant, after, before) -> None:
    assert wall(next_in_hours(instant)) == after
    assert wall(last_in_hours(instant)) == before
    assert next_in_hours(instant).tzinfo == UTC and last_in_hours(instant).tzinfo == UTC


def test_tomorrow_is_the_next_date_not_24_hours_later() -> None:
    # Saturday 8pm BST to Sunday 8am GMT is 13 hours; to Sunday 8am BST in spring, 11
    assert next_in_hours(london("2026-10-24 20:00")) - london("2026-10-24 20:00") == timedelta(
        hours=13
    )
    assert next_in_hours(london("2026-03-28 20:00")) - london("2026-03-28 20:00") == timedelta(
        hours=11
    )


def test_an_instant_needs_a_time_zone() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_in_hours(datetime(2026, 12, 2, 2, 35))  # noqa: DTZ001


def test_other_hours_and_hours_that_cannot_be() -> None:
    opens, closes = time(7, 30), time(22, 15)
    assert wall(next_in_hours(london("2026-12-02 07:00"), opens, closes)) == (
        "Wed 2026-12-02 07:30 GMT"
    )
    assert wall(next_in_hours(london("2026-12-02 22:15"), opens, closes)) == (
        "Thu 2026-12-03 07:30 GMT"
    )
    assert wall(last_in_hours(london("2026-12-02 23:00"), opens, closes)) == (
        "Wed 2026-12-02 22:15 GMT"
    )
    for bad in ((time(20), time(8)), (time(9), time(9))):
        with pytest.raises(ValueError, match="open before"):
            next_in_hours(london("2026-12-02 12:00"), *bad)


def test_a_wall_clock_time_the_clocks_skip_or_repeat() -> None:
    assert wall(at_london(date(2026, 3, 29), time(1, 30))) == "Sun 2026-03-29 02:30 BST"
    assert at_london(date(2026, 10, 25), time(1, 30)) == utc("2026-10-25 00:30")  # the first
    assert at_london(date(2026, 7, 1), time(0, 30)) == utc("2026-06-30 23:30")


@pytest.mark.parametrize(
    ("text", "value"),
    [("08:00", time(8)), ("8:00", time(8)), ("8.30", time(8, 30)), (" 23:59 ", time(23, 59))],
)
def test_times_people_type(text: str, value: time) -> None:
    assert parse_time(text) == value


@pytest.mark.parametrize("text", ["", "8", "24:00", "08:60", "8am", "08:00:00", "\x00", "x" * 50])
def test_times_that_are_not_times(text: str) -> None:
    with pytest.raises(ValueError, match="24-hour"):
        parse_time(text)


def _instants(start: datetime, end: datetime, step: timedelta):
    at = start
    while at < end:
        yield at
        at += step


def test_every_37_minutes_through_2026_and_2028() -> None:
    """next_in_hours is the first moment inside hours at or after the instant; last_in_hours is
    the last moment at or before it when the champion is there (closing time included)."""
    for year in (2026, 2028):
        for instant in _instants(
            utc(f"{year}-01-01 00:00"), utc(f"{year + 1}-01-01 00:00"), timedelta(minutes=37)
        ):
            after = next_in_hours(instant)
            assert after >= instant and in_hours(after)
            if after != instant:
                assert not in_hours(instant)
                assert after.astimezone(LONDON).time() == time(8)
                assert after - instant <= timedelta(hours=13)
            before = last_in_hours(instant)
            assert before <= instant
            assert in_hours(before) or before.astimezone(LONDON).time() == time(20)
            if before != instant:
                assert not in_hours(instant)
                assert instant - before <= timedelta(hours=13)


# --- answer-by ---------------------------------------------------------------------------------


def test_the_issues_example_answers_in_the_morning_not_at_night() -> None:
    # sent Wednesday 2 December 2026 at 2:35am for Monday 7 December 12:30pm (meet 12:15)
    sent = london("2026-12-02 02:35")
    due = answer_by(sent, london("2026-12-07 12:15"))
    assert wall(due) == "Thu 2026-12-03 08:00 GMT"  # not Thursday 2:35am


@pytest.mark.parametrize(
    ("sent", "meeting", "expected", "why"),
    [
        ("2026-12-01 10:00", "2026-12-07 19:15", "Wed 2026-12-02 10:00 GMT", "usual, in hours"),
        ("2026-12-01 21:30", "2026-12-07 19:15", "Thu 2026-12-03 08:00 GMT", "usual, at night"),
        ("2026-12-01 10:00", "2026-12-03 12:00", "Wed 2026-12-02 10:00 GMT", "49h away: usual"),
        ("2026-12-01 10:00", "2026-12-02 12:00", "Wed 2026-12-02 08:00 GMT", "26h: urgent cap"),
        ("2026-12-02 14:00", "2026-12-03 11:00", "Wed 2026-12-02 20:00 GMT", "cap 7am: earlier"),
        ("2026-12-02 02:35", "2026-12-02 19:15", "Wed 2026-12-02 15:15 GMT", "today: 4h before"),
        ("2026-12-02 17:00", "2026-12-02 20:30", "Wed 2026-12-02 18:30 GMT", "imminent: 2h"),
        ("2026-12-02 19:30", "2026-12-02 20:30", "Wed 2026-12-02 20:30 GMT", "at the meeting"),
        ("2026-12-02 23:00", "2026-12-03 09:00", "Thu 2026-12-03 07:00 GMT", "imminent at night"),
        ("2026-12-04 10:00", "2026-12-07 09:00", "Sat 2026-12-05 10:00 GMT", "weekend: every day"),
        ("2026-10-24 02:00", "2026-10-27 19:00", "Sun 2026-10-25 08:00 GMT", "autumn change"),
        ("2026-03-28 03:00", "2026-03-31 19:00", "Sun 2026-03-29 08:00 BST", "spring change"),
        ("2026-12-31 21:00", "2027-01-04 19:00", "Sat 2027-01-02 08:00 GMT", "New Year"),
        ("2028-02-28 22:00", "2028-03-03 19:00", "Wed 2028-03-01 08:00 GMT", "leap year"),
        ("2028-02-28 12:00", "2028-03-03 19:00", "Tue 2028-02-29 12:00 GMT", "29 February"),
    ],
)
def test_answer_by(sent: str, meeting: str, expected: str, why: str) -> None:
    assert wall(answer_by(london(sent), london(meeting))) == expected, why


def test_answer_by_follows_the_settings() -> None:
    rules = AnswerRules(
        expiry=timedelta(hours=6),
        before=timedelta(hours=48),
        urgent_before=timedelta(hours=2),
        opens=time(9),
        closes=time(17, 30),
    )
    assert wall(answer_by(london("2026-12-01 10:00"), london("2026-12-07 19:15"), rules)) == (
        "Tue 2026-12-01 16:00 GMT"
    )
    assert wall(answer_by(london("2026-12-01 12:00"), london("2026-12-07 19:15"), rules)) == (
        "Wed 2026-12-02 09:00 GMT"  # 6pm is after closing
    )
    assert wall(answer_by(london("2026-12-01 10:00"), london("2026-12-03 19:15"), rules)) == (
        "Tue 2026-12-01 16:00 GMT"  # the cap (48 hours before) would be Tuesday 7:15pm
    )
    assert wall(answer_by(london("2026-12-01 10:00"), london("2026-12-02 12:00"), rules)) == (
        "Tue 2026-12-01 16:00 GMT"  # urgent (26 hours away): 2 hours before is 10am Wednesday
    )


def test_a_cap_that_cannot_be_met_relaxes_to_two_hours_before_in_service_hours() -> None:
    rules = AnswerRules(
        expiry=timedelta(hours=6), before=timedelta(hours=48), opens=time(9, 30), closes=time(17)
    )
    # Monday 5:15pm for Wednesday 7:15pm (50 hours): 48 hours before is Monday 7:15pm, whose
    # last in-hours moment (5pm) has passed; two hours before the meeting is still far off
    due = answer_by(london("2026-12-07 17:15"), london("2026-12-09 19:15"), rules)
    assert wall(due) == "Tue 2026-12-08 09:30 GMT"


def test_urgent_means_under_48_hours_away() -> None:
    sent = london("2026-12-01 10:00")
    assert is_urgent(sent, sent + timedelta(hours=47, minutes=59))
    assert not is_urgent(sent, sent + timedelta(hours=48))


MEETING_DISTANCES = [
    timedelta(minutes=20),
    timedelta(minutes=50),
    timedelta(hours=3),
    timedelta(hours=10),
    timedelta(hours=20),
    timedelta(hours=30),
    timedelta(hours=47),
    timedelta(hours=49),
    timedelta(hours=72),
    timedelta(days=7),
]


@pytest.mark.parametrize(
    "week_start",
    ["2026-03-23 00:00", "2026-10-19 00:00", "2026-12-28 00:00", "2028-02-26 00:00"],
)
def test_answer_by_every_25_minutes_of_a_week_with_a_change_of_clock_or_year(
    week_start: str,
) -> None:
    """Sent at any moment, for a meeting at any distance: the answer-by is after sending and no
    later than the meeting; for a meeting two days or more away it is inside service hours, an
    hour or more after sending and a day or more before the meeting."""
    start = london(week_start)
    for sent in _instants(start, start + timedelta(days=8), timedelta(minutes=25)):
        for distance in MEETING_DISTANCES:
            meeting = sent + distance
            due = answer_by(sent, meeting)
            assert sent < due <= meeting, (wall(sent), distance)
            if due >= sent + timedelta(hours=1) and due <= meeting - timedelta(hours=4):
                assert in_hours(due) or due.astimezone(LONDON).time() == time(20), (
                    wall(sent),
                    distance,
                    wall(due),
                )
            if not is_urgent(sent, meeting):
                assert in_hours(due) or due.astimezone(LONDON).time() == time(20)
                assert sent + timedelta(hours=1) <= due <= meeting - timedelta(hours=24)
                assert due <= next_in_hours(sent + timedelta(hours=24))
