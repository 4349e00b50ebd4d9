"""When a volunteer can escort: meetings they attend anyway, weekly free time, time away."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from typing import Any

from sqlalchemy import func, or_, select

from ..audit import audit
from ..auth.models import User
from ..database import add_unique
from ..errors import InvalidChange, NotFound
from ..extensions import db
from ..meetings.models import Meeting
from ._common import _mark_active, _require_editor, _volunteer_changed, today_local
from .models import AvailabilityWindow, TimeAway, Volunteer, VolunteerMeeting


def volunteer_meetings(volunteer: Volunteer) -> list[VolunteerMeeting]:
    return list(
        db.session.scalars(
            select(VolunteerMeeting)
            .join(Meeting, Meeting.id == VolunteerMeeting.meeting_id)
            .where(VolunteerMeeting.volunteer_id == volunteer.id)
            .order_by(Meeting.weekday, Meeting.start_time, Meeting.name)
        ).unique()
    )


def availability_windows(volunteer: Volunteer) -> list[AvailabilityWindow]:
    return list(
        db.session.scalars(
            select(AvailabilityWindow)
            .where(AvailabilityWindow.volunteer_id == volunteer.id)
            .order_by(AvailabilityWindow.weekday, AvailabilityWindow.start_time)
        )
    )


def time_away(volunteer: Volunteer, include_past: bool = False) -> list[TimeAway]:
    statement = select(TimeAway).where(TimeAway.volunteer_id == volunteer.id)
    if not include_past:
        statement = statement.where(TimeAway.last_day >= today_local())
    return list(db.session.scalars(statement.order_by(TimeAway.first_day, TimeAway.id)))


def search_meetings(
    query: str = "", fellowship_id: int | None = None, weekday: int | None = None
) -> Any:
    """Active meetings by name, area, venue or postcode, fellowship and day (0 = Sunday)."""
    statement = (
        select(Meeting)
        .where(Meeting.active.is_(True))
        .order_by(Meeting.weekday, Meeting.start_time, Meeting.name, Meeting.id)
    )
    if query:
        like = f"%{query.lower()}%"
        statement = statement.where(
            or_(
                func.lower(Meeting.name).like(like),
                func.lower(Meeting.area).like(like),
                func.lower(Meeting.venue).like(like),
                func.lower(Meeting.postcode).like(like),
            )
        )
    if fellowship_id is not None:
        statement = statement.where(Meeting.fellowship_id == fellowship_id)
    if weekday is not None:
        statement = statement.where(Meeting.weekday == weekday)
    return statement


def get_active_meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not meeting.active:
        raise NotFound("No such meeting")
    return meeting


def _weeks_value(weeks: Iterable[int] | None) -> str:
    chosen = sorted(set(weeks or []))
    if not chosen:
        return "every"
    if not set(chosen) <= {1, 2, 3, 4, 5}:
        raise InvalidChange("Select weeks of the month from the list", field="weeks")
    if len(chosen) == 5:
        return "every"
    return ",".join(str(w) for w in chosen)


def add_meeting(
    volunteer: Volunteer, meeting_id: int, weeks: Iterable[int] | None, actor: User
) -> VolunteerMeeting:
    """Add a meeting the volunteer goes to anyway: every week (no weeks) or some weeks."""
    _require_editor(volunteer, actor)
    meeting = get_active_meeting(meeting_id)
    row = VolunteerMeeting(
        volunteer_id=volunteer.id, meeting_id=meeting.id, weeks=_weeks_value(weeks)
    )
    add_unique(
        row, refusal=InvalidChange(f"{meeting.name} is already in the list", field="meeting_id")
    )
    _mark_active(volunteer, actor)
    audit(
        "volunteer_meeting_added",
        volunteer,
        detail={"meeting_id": meeting.id, "weeks": row.weeks},
    )
    db.session.commit()
    return row


# The volunteer's three lists: for each kind of row, what a missing one says, and how its
# removal is audited (the action, and the detail's key and the row attribute it shows).
_LISTS: dict[type, tuple[str, str, str, str]] = {
    VolunteerMeeting: (
        "No such meeting in the list",
        "volunteer_meeting_removed",
        "meeting_id",
        "meeting_id",
    ),
    AvailabilityWindow: (
        "No such time in the list",
        "availability_window_removed",
        "window_id",
        "id",
    ),
    TimeAway: ("No such dates in the list", "time_away_removed", "away_id", "id"),
}


def _remove_listed(volunteer: Volunteer, model: type, row_id: int, actor: User) -> None:
    """Delete one row of the volunteer's own list (anyone else's is NotFound); audited,
    committed."""
    missing, action, key, attribute = _LISTS[model]
    _require_editor(volunteer, actor)
    row = db.session.get(model, row_id)
    if row is None or row.volunteer_id != volunteer.id:
        raise NotFound(missing)
    db.session.delete(row)
    _mark_active(volunteer, actor)
    audit(action, volunteer, detail={key: getattr(row, attribute)})
    db.session.commit()


def remove_meeting(volunteer: Volunteer, row_id: int, actor: User) -> None:
    _remove_listed(volunteer, VolunteerMeeting, row_id, actor)


def add_window(
    volunteer: Volunteer, weekday: int, start: time, end: time, actor: User
) -> AvailabilityWindow:
    """A weekly stretch of free time (0 = Monday), local time."""
    _require_editor(volunteer, actor)
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise InvalidChange("Select a day", field="weekday")
    if not isinstance(start, time):
        raise InvalidChange("Enter the time you are free from", field="start_time")
    if not isinstance(end, time):
        raise InvalidChange("Enter the time you are free until", field="end_time")
    if end <= start:
        raise InvalidChange("The end time must be after the start time", field="end_time")
    row = AvailabilityWindow(
        volunteer_id=volunteer.id, weekday=weekday, start_time=start, end_time=end
    )
    db.session.add(row)
    db.session.flush()
    _mark_active(volunteer, actor)
    audit(
        "availability_window_added",
        volunteer,
        detail={"window_id": row.id, "weekday": weekday, "start": start, "end": end},
    )
    db.session.commit()
    return row


def remove_window(volunteer: Volunteer, row_id: int, actor: User) -> None:
    _remove_listed(volunteer, AvailabilityWindow, row_id, actor)


def add_time_away(volunteer: Volunteer, first: date, last: date, actor: User) -> TimeAway:
    """Dates away, both included; a range that has already ended is refused."""
    _require_editor(volunteer, actor)
    if not isinstance(first, date):
        raise InvalidChange("Enter the first day you are away", field="first_day")
    if not isinstance(last, date):
        raise InvalidChange("Enter the last day you are away", field="last_day")
    if last < first:
        raise InvalidChange("The last day must be on or after the first day", field="last_day")
    if last < today_local():
        raise InvalidChange("The last day must be today or later", field="last_day")
    row = TimeAway(volunteer_id=volunteer.id, first_day=first, last_day=last)
    db.session.add(row)
    db.session.flush()
    _mark_active(volunteer, actor)
    audit(
        "time_away_added",
        volunteer,
        detail={"away_id": row.id, "first_day": first, "last_day": last},
    )
    _volunteer_changed(volunteer.id, "away")
    db.session.commit()
    return row


def remove_time_away(volunteer: Volunteer, row_id: int, actor: User) -> None:
    _remove_listed(volunteer, TimeAway, row_id, actor)
