"""Service hours: when the champion is at work, and deadlines that fall inside them.

Plain Python on aware datetimes (DESIGN.md section 8): the hours are London wall-clock times, so
every step goes through Europe/London with zoneinfo. "Tomorrow" is the next calendar date at the
same wall-clock time, never the instant plus 24 hours, so a day of 23 or 25 hours (the clock
changes in March and October) moves nothing an hour out of place.

An instant is inside service hours when its London wall-clock time is from `opens` up to (not
including) `closes`. A deadline may fall exactly at closing time: the champion is still there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from .dates import LONDON, at_local

DEFAULT_OPENS = time(8, 0)
DEFAULT_CLOSES = time(20, 0)
TIME_RE = re.compile(r"^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])$")

# The rules an offer's answer-by follows besides the settings (offers.py reads the settings).
URGENT_WITHIN = timedelta(hours=48)  # a meeting this near when the offer goes is urgent
MIN_ANSWER_TIME = timedelta(hours=1)  # a volunteer always has at least this long to answer
CLOSE_BEFORE_MEETING = timedelta(hours=2)  # imminent meetings: close this long before, if we can
MIN_NOTICE = timedelta(minutes=30)  # …unless that leaves less than this: then at the meeting point


def parse_time(text: str) -> time:
    """'08:00' (or '8:00', '8.00') as a wall-clock time; ValueError for anything else."""
    match = TIME_RE.match(str(text).strip())
    if not match:
        raise ValueError(f"not a 24-hour time: {text!r}")
    return time(int(match.group(1)), int(match.group(2)))


def _check(opens: time, closes: time) -> None:
    if not opens < closes:
        raise ValueError("service hours must open before they close")


def at_london(day: date, wall_clock: time) -> datetime:
    """The instant (UTC) a London wall-clock time happens on `day`: a time the spring change
    skips moves forward with the clocks; a time the autumn change repeats is the first one."""
    return at_local(day, wall_clock).astimezone(UTC)


def _day(instant: datetime) -> date:
    if instant.tzinfo is None:
        raise ValueError("service hours need an aware datetime")
    return instant.astimezone(LONDON).date()


def opening_and_closing(day: date, opens: time, closes: time) -> tuple[datetime, datetime]:
    """When the service opens and closes on a London calendar day, as UTC instants."""
    return at_london(day, opens), at_london(day, closes)


def in_hours(instant: datetime, opens: time = DEFAULT_OPENS, closes: time = DEFAULT_CLOSES) -> bool:
    """Inside service hours: from opening up to, not including, closing time."""
    _check(opens, closes)
    opening, closing = opening_and_closing(_day(instant), opens, closes)
    return opening <= instant < closing


def next_in_hours(
    instant: datetime, opens: time = DEFAULT_OPENS, closes: time = DEFAULT_CLOSES
) -> datetime:
    """`instant` itself when inside service hours, else the next opening (UTC)."""
    _check(opens, closes)
    day = _day(instant)
    opening, closing = opening_and_closing(day, opens, closes)
    if instant < opening:
        return opening
    if instant < closing:
        return instant.astimezone(UTC)
    return at_london(day + timedelta(days=1), opens)


def last_in_hours(
    instant: datetime, opens: time = DEFAULT_OPENS, closes: time = DEFAULT_CLOSES
) -> datetime:
    """The latest moment at or before `instant` when the champion is at work: `instant` itself
    inside service hours, closing time on an evening, the day before's closing in the small
    hours (UTC)."""
    _check(opens, closes)
    day = _day(instant)
    opening, closing = opening_and_closing(day, opens, closes)
    if instant >= closing:
        return closing
    if instant >= opening:
        return instant.astimezone(UTC)
    return at_london(day - timedelta(days=1), closes)


@dataclass(frozen=True)
class AnswerRules:
    """What an offer's answer-by depends on; the defaults are the settings' defaults."""

    expiry: timedelta = timedelta(hours=24)  # offer_expiry_hours
    before: timedelta = timedelta(hours=24)  # offer_answer_before_hours
    urgent_before: timedelta = timedelta(hours=4)  # urgent_answer_before_hours
    opens: time = DEFAULT_OPENS  # service_opens
    closes: time = DEFAULT_CLOSES  # service_closes


def is_urgent(sent_at: datetime, meeting_at: datetime) -> bool:
    """A request whose meeting is under 48 hours away when the offer goes."""
    return meeting_at - sent_at < URGENT_WITHIN


def answer_by(
    sent_at: datetime, meeting_at: datetime, rules: AnswerRules | None = None
) -> datetime:
    """When an offer sent at `sent_at`, for an escort meeting up at `meeting_at`, closes (UTC).

    1. The usual expiry (`sent_at` + expiry) moved to the next time inside service hours,
    2. but never later than `before` ahead of the meeting (`urgent_before` when the meeting is
       under 48 hours away); that cap, when it falls outside service hours, moves EARLIER to the
       last moment the champion is at work (closing time the evening before, say);
    3. and never sooner than an hour after sending. When the cap leaves less than that, it
       relaxes to two hours before the meeting (still inside service hours); when even that
       cannot be (an imminent meeting), the rule before service hours holds: the usual expiry,
       but two hours before the meeting point, or the meeting point itself when that leaves
       under half an hour; moved earlier into service hours only if an hour is still left.
    """
    rules = rules or AnswerRules()
    opens, closes = rules.opens, rules.closes
    _check(opens, closes)
    floor = sent_at + MIN_ANSWER_TIME
    before = rules.urgent_before if is_urgent(sent_at, meeting_at) else rules.before
    usual = next_in_hours(sent_at + rules.expiry, opens, closes)
    for margin in (before, CLOSE_BEFORE_MEETING):
        deadline = min(usual, last_in_hours(meeting_at - margin, opens, closes))
        if deadline >= floor:
            return deadline
    latest = meeting_at - CLOSE_BEFORE_MEETING
    if latest < sent_at + MIN_NOTICE:
        latest = meeting_at
    imminent = min(sent_at + rules.expiry, latest).astimezone(UTC)
    earlier = last_in_hours(imminent, opens, closes)
    return earlier if earlier >= floor else imminent


def from_settings() -> tuple[time, time]:
    """The service hours in force (reads the admin's settings: needs an app context)."""
    from .settings import get_setting

    try:
        opens = parse_time(get_setting("service_opens"))
        closes = parse_time(get_setting("service_closes"))
        _check(opens, closes)
    except ValueError:  # a value saved outside the settings page: the defaults hold
        return DEFAULT_OPENS, DEFAULT_CLOSES
    return opens, closes
