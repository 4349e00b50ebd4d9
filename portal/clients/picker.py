"""Choosing the meeting a client commits to: search active meetings, then one of its next dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from ..audit import utcnow
from ..dates import london_today
from ..errors import InvalidChange
from ..extensions import db
from ..forms import MAX_INT, without_control
from ..meetings.models import WEEKDAYS, Fellowship, Meeting
from ..meetings.occurrences import LONDON, at_local, is_occurrence, next_occurrences
from .models import Client

PICKER_WEEKS = 4  # dates offered in the picker: the coming weeks
MAX_DAYS_AHEAD = 84  # furthest date a commitment or request may be for
PICKER_LIMIT = 10  # meetings listed after a search
SUGGESTED_LIMIT = 5  # meetings suggested before any search
_CHOICE = re.compile(r"^(\d{1,9})@(\d{4}-\d{2}-\d{2})$")
# Meeting Guide numbers days from 0 = Sunday; show Monday first.
DAY_OPTIONS = [(str(n), WEEKDAYS[n]) for n in (1, 2, 3, 4, 5, 6, 0)]


@dataclass(frozen=True)
class MeetingChoice:
    meeting: Meeting
    dates: list[tuple[datetime, datetime]]


def today_in_london(now: datetime | None = None) -> date:
    return london_today(now or utcnow())


def search_meetings(
    query: str = "",
    fellowship_id: int | None = None,
    weekday: int | None = None,
    *,
    fellowship_ids: list[int] | None = None,
    exclude_kinds: tuple[str, ...] = (),
    limit: int = PICKER_LIMIT,
    near: tuple[float, float] | None = None,
) -> list[Meeting]:
    """Active meetings matching the words (name, area, venue, postcode), fellowship and day."""
    statement = select(Meeting).where(Meeting.active.is_(True))
    words = without_control(query).strip()[:100]  # PostgreSQL refuses NUL in text
    if words:
        like = words.lower()
        statement = statement.where(
            or_(
                func.lower(Meeting.name).contains(like, autoescape=True),
                func.lower(Meeting.area).contains(like, autoescape=True),
                func.lower(Meeting.venue).contains(like, autoescape=True),
                func.lower(Meeting.postcode).contains(like, autoescape=True),
            )
        )
    if fellowship_id is not None:
        statement = statement.where(Meeting.fellowship_id == fellowship_id)
    if fellowship_ids:
        statement = statement.where(Meeting.fellowship_id.in_(fellowship_ids))
    if exclude_kinds:
        statement = statement.where(
            Meeting.fellowship_id.not_in(
                select(Fellowship.id).where(Fellowship.kind.in_(exclude_kinds))
            )
        )
    if weekday is not None and 0 <= weekday <= 6:
        statement = statement.where(Meeting.weekday == weekday)
    if near is not None:  # geography: nearest first, meetings with no point last
        from ..meetings.directory import nearest_first

        statement = statement.order_by(*nearest_first(*near))
    statement = statement.order_by(Meeting.name, Meeting.id).limit(limit)
    return list(db.session.scalars(statement).unique())


def active_fellowships() -> list[Fellowship]:
    return list(
        db.session.scalars(
            select(Fellowship).where(Fellowship.active.is_(True)).order_by(Fellowship.name)
        )
    )


def upcoming_dates(
    meeting: Meeting, now: datetime | None = None, weeks: int = PICKER_WEEKS
) -> list[tuple[datetime, datetime]]:
    """The meeting's (start, end) instants in the coming `weeks` weeks."""
    now = now or utcnow()
    horizon = now + timedelta(weeks=weeks)
    found = next_occurrences(meeting.weekday, meeting.start_time, meeting.end_time, now, weeks + 1)
    return [pair for pair in found if pair[0] <= horizon]


def choices_for(meetings: list[Meeting], now: datetime | None = None) -> list[MeetingChoice]:
    now = now or utcnow()
    return [MeetingChoice(meeting, upcoming_dates(meeting, now)) for meeting in meetings]


def choice_value(meeting_id: int, start: datetime) -> str:
    """The form value naming one dated occurrence of a meeting: '12@2026-12-03'."""
    return f"{meeting_id}@{start.astimezone(LONDON).date().isoformat()}"


def parse_choice(value: str | None) -> tuple[int, date] | None:
    """(meeting id, local date) from a form value; None when nothing was chosen."""
    if not value:
        return None
    match = _CHOICE.match(value.strip())
    if not match:
        raise InvalidChange("Choose a meeting and date from the list", field="commitment")
    try:
        day = date.fromisoformat(match.group(2))
    except ValueError:
        raise InvalidChange("Choose a meeting and date from the list", field="commitment") from None
    return int(match.group(1)), day


def get_active_meeting(meeting_id: int | None) -> Meeting | None:
    if meeting_id is None:
        return None
    meeting = db.session.get(Meeting, meeting_id)
    return meeting if meeting is not None and meeting.active else None


def occurrence_of(
    meeting: Meeting, day: date, now: datetime | None = None, field: str = "commitment"
) -> tuple[datetime, datetime]:
    """(start, end) of the meeting on `day`, refusing a day it does not meet or one in the past."""
    now = now or utcnow()
    if not meeting.active:
        raise InvalidChange("This meeting is no longer in the directory. Choose another", field)
    if not is_occurrence(meeting.weekday, day):
        raise InvalidChange(
            f"{meeting.name} does not meet on that day. Choose one of its dates", field
        )
    start = at_local(day, meeting.start_time)
    if start <= now:
        raise InvalidChange("That meeting has already started. Choose a date in the future", field)
    if day > today_in_london(now) + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidChange("Choose a date in the next 12 weeks", field)
    end_day = day if meeting.end_time > meeting.start_time else day + timedelta(days=1)
    return start, at_local(end_day, meeting.end_time)


def resolve_choice(
    value: str | None, now: datetime | None = None, field: str = "commitment"
) -> tuple[Meeting, datetime, datetime] | None:
    """The meeting and (start, end) a picker value names, checked; None when nothing chosen."""
    parsed = parse_choice(value)
    if parsed is None:
        return None
    meeting = get_active_meeting(parsed[0])
    if meeting is None:
        raise InvalidChange("Choose a meeting and date from the list", field)
    start, end = occurrence_of(meeting, parsed[1], now, field)
    return meeting, start, end


@dataclass
class MeetingPicker:
    """What the picker on sessions 2 and 3 shows: the meetings found with their coming dates,
    the occurrence already chosen, and the search as asked."""

    meeting_choices: list[MeetingChoice]
    chosen: tuple[Meeting, datetime, str] | None
    fellowships: list[Fellowship]
    picker_fellowship: int | None
    picker_day: int | None
    searched: bool
    # geography: the client's district when meetings are sorted nearest it, and km by meeting
    near_district: str | None = None
    distances: dict[int, float] | None = None


def _int_or_none(value: Any) -> int | None:
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return None if number is None or abs(number) > MAX_INT else number  # no id is that big


def meeting_picker(client: Client, answers: dict[str, Any], now: datetime) -> MeetingPicker:
    """Meetings matching the picker's search, each with its dates in the coming weeks; before
    any search, a few of the fellowships the client is interested in."""
    fellowship_id = _int_or_none(answers.get("meeting_fellowship"))
    weekday = _int_or_none(answers.get("meeting_day"))
    words = answers.get("meeting_q") or ""
    searched = bool(words) or fellowship_id is not None or weekday is not None
    near = _client_point(client) if answers.get("meeting_order") == "near" else None
    if searched:
        meetings = search_meetings(words, fellowship_id, weekday, near=near)
    else:
        interests = [f.id for f in client.fellowships]
        meetings = search_meetings(
            fellowship_ids=interests,
            exclude_kinds=() if interests else ("family",),  # groups for relatives, not clients
            limit=SUGGESTED_LIMIT,
            near=near,
        )
    try:
        resolved = resolve_choice(answers.get("commitment"), now)
    except InvalidChange:
        resolved = None
    chosen = None
    if resolved is not None:
        meeting, start, _end = resolved
        chosen = (meeting, start, choice_value(meeting.id, start))
    picker = MeetingPicker(
        choices_for(meetings, now), chosen, active_fellowships(), fellowship_id, weekday, searched
    )
    if near is not None:
        from ..geography.places import Place
        from ..meetings.directory import meeting_distances

        picker.near_district = client.home_district
        picker.distances = meeting_distances(meetings, Place("", near[0], near[1], True))
    return picker


def _client_point(client: Client) -> tuple[float, float] | None:
    """The centre of the client's postcode district, when recorded and in the directory."""
    from ..geography.places import district_points

    if not client.home_district:
        return None
    return district_points([client.home_district]).get(client.home_district)
