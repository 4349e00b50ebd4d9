"""When each safety action is open, and the London dates and times its messages use.

The escort's time decides what is open (all in Europe/London, see DESIGN.md section 8):

- "I've met them" opens on the escort's day `checkin_opens_minutes` (a setting, 2 hours unless
  an admin changes it) before the meeting-up time, and closes at midnight at the end of that
  day. The escort's day is the London date of the meeting-up time; for a meeting just after
  midnight it runs on to the end of the meeting's own date.
- "We've finished — I'm safe" only after "I've met them"; it never closes.
- "What happened" from the meeting's start time, for the volunteer and the champion alike.
- "I need help now" at any time on an accepted escort.

Every refusal is a `NotOpen` (an InvalidChange) whose message says the rule and when the action
opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from .. import dates
from ..accompaniment.models import AccompanimentRequest
from ..dates import LONDON
from ..dates import london_today as london_today
from ..errors import InvalidChange
from ..service_hours import at_london
from ..settings import get_setting

# How far back the overdue job looks, so old history never raises alerts.
OVERDUE_LOOKBACK = timedelta(days=2)


def _from(moment: datetime) -> str:
    """'5:45pm on Tuesday 8 December', or 'midnight at the start of Tuesday 8 December'."""
    local = moment.astimezone(LONDON)
    if (local.hour, local.minute) == (0, 0):
        return f"midnight at the start of {dates.day(local)}"
    return dates.clock_on(local)


def grace() -> timedelta:
    return timedelta(minutes=int(get_setting("checkout_grace_minutes")))


class NotOpen(InvalidChange):
    """The escort's time does not allow this now; the message says the rule and when it opens."""


@dataclass(frozen=True)
class Action:
    """Whether an action is open now and, when it is not, the rule that says when it opens."""

    open: bool
    rule: str = ""


OPEN = Action(True)
CHECK_IN_FIRST = "Check in first: you can check out once you have met them."


def checkin_opens_minutes() -> int:
    return int(get_setting("checkin_opens_minutes"))


def local_midnight(day: date) -> datetime:
    """The instant a London date begins, in UTC (midnight is never skipped or repeated in
    London: the clocks change at 1am and 2am)."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def escort_days(request: AccompanimentRequest) -> tuple[date, date]:
    """The escort's day in London: the meeting-up date, on to the meeting's own date when the
    meeting starts after midnight."""
    first = request.meeting_point_at.astimezone(LONDON).date()
    last = request.starts_at.astimezone(LONDON).date()
    return first, max(first, last)


def checkin_opens_at(request: AccompanimentRequest) -> datetime:
    """The setting's time before meeting up, but never before the escort's day begins."""
    first, _last = escort_days(request)
    early = request.meeting_point_at - timedelta(minutes=checkin_opens_minutes())
    return max(early, local_midnight(first))


def checkin_closes_at(request: AccompanimentRequest) -> datetime:
    """Midnight at the end of the escort's day (the next date's midnight, not 24 hours on)."""
    _first, last = escort_days(request)
    return local_midnight(last + timedelta(days=1))


def checkin_action(request: AccompanimentRequest, now: datetime) -> Action:
    opens = checkin_opens_at(request)
    if now < opens:
        return Action(False, f"You can check in from {_from(opens)}.")
    closes = checkin_closes_at(request)
    if now >= closes:
        last = closes.astimezone(LONDON).date() - timedelta(days=1)
        return Action(
            False,
            f"Check-in closed at midnight at the end of {dates.day(last)}. If you met them, "
            "ask the recovery champion to record it.",
        )
    return OPEN


def checkout_action(checks: dict[str, datetime]) -> Action:
    return OPEN if "checkin" in checks else Action(False, CHECK_IN_FIRST)


def outcome_action(request: AccompanimentRequest, now: datetime) -> Action:
    if now < request.starts_at:
        return Action(
            False,
            f"You can record what happened from {_from(request.starts_at)}, "
            "when the meeting starts.",
        )
    return OPEN


# --- reminders by text: when each one may go -----------------------------------------------------

# The day before, a reminder goes from this London time (or an hour before closing when the
# service closes earlier) until the service closes that evening.
EVE_AT = time(18, 0)


def eve_window(meet_at: datetime, opens: time, closes: time) -> tuple[datetime, datetime]:
    """When the day-before reminder may go (UTC): the London evening before the meeting-up date,
    from 6pm until closing. Wall-clock times on London dates, so the clock changes move
    nothing; an escort booked after the evening gets only the reminder on the day."""
    eve = meet_at.astimezone(LONDON).date() - timedelta(days=1)
    end = at_london(eve, closes)
    start = min(at_london(eve, EVE_AT), end - timedelta(hours=1))
    return max(start, at_london(eve, opens)), end


def day_window(
    meet_at: datetime, ahead: timedelta, last_call: timedelta, opens: time, closes: time
) -> tuple[datetime, datetime]:
    """When a reminder on the day may go (UTC): from `ahead` before meeting up (or the opening
    time, when later) until `last_call` before it (or closing time, when earlier), on the
    meeting-up date in London. Empty (start >= end) when that leaves no time inside hours."""
    day = meet_at.astimezone(LONDON).date()
    start = max(meet_at - ahead, at_london(day, opens))
    end = min(meet_at - last_call, at_london(day, closes))
    return start, end
