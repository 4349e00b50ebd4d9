"""The directory going out: the Meeting Guide feed, the CSV download and a meeting's calendar.

`feed.py` reads feeds and checks the records we publish; this module builds them from the
database.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select

from ..audit import utcnow
from ..csv_export import csv_stream, rows_of
from ..extensions import db
from . import meeting_types
from .feed import utc_stamp_text
from .models import Meeting
from .occurrences import LONDON, next_occurrences


def feed_record(meeting: Meeting) -> dict[str, Any]:
    """One meeting as a Meeting Guide record; portal-only fields ride along as extra keys."""
    record: dict[str, Any] = {
        "name": meeting.name,
        "slug": str(meeting.id),
        "day": meeting.weekday,
        "time": meeting.start_time.strftime("%H:%M"),
        "end_time": meeting.end_time.strftime("%H:%M"),
        "timezone": "Europe/London",
        "types": meeting.codes,
        "updated": utc_stamp_text(meeting.updated_at),
        "fellowship": meeting.fellowship.code,
        "attendance": meeting.attendance,
    }
    optional = {
        "location": meeting.venue,
        "location_notes": meeting.location_notes,
        "notes": meeting.notes,
        "region": meeting.area,
        "directions_walk": meeting.directions_walk,
        "directions_car": meeting.directions_car,
        "directions_public_transport": meeting.directions_public_transport,
        "last_verified_at": utc_stamp_text(meeting.last_verified_at),
    }
    if meeting.in_person:
        place = [part for part in (meeting.address, meeting.postcode) if part]
        optional["formatted_address"] = ", ".join([*place, "UK"]) if place else None
        optional["address"] = meeting.address
        optional["postal_code"] = meeting.postcode
        optional["country"] = "GB"
        if meeting.latitude is not None and meeting.longitude is not None:
            optional["latitude"] = meeting.latitude
            optional["longitude"] = meeting.longitude
    link = meeting.online_link
    if link and link.startswith("tel:"):
        optional["conference_phone"] = link[4:]
        optional["conference_url_notes"] = meeting.online_notes
    elif link:
        optional["conference_url"] = link
        optional["conference_url_notes"] = meeting.online_notes
    record.update({key: value for key, value in optional.items() if value not in (None, "")})
    return record


def feed_records() -> list[dict[str, Any]]:
    """Every running meeting as a Meeting Guide feed (the contacts are never published)."""
    statement = (
        select(Meeting)
        .where(Meeting.active.is_(True))
        .order_by(Meeting.weekday, Meeting.start_time, Meeting.id)
    )
    return [feed_record(meeting) for meeting in db.session.scalars(statement)]


CSV_COLUMNS = (
    "Name",
    "Fellowship",
    "Day",
    "Starts",
    "Ends",
    "Attendance",
    "Venue",
    "Address",
    "Postcode",
    "Area",
    "Online link",
    "What kind of meeting",
    "Directions on foot",
    "Directions by car",
    "Directions by public transport",
    "Last checked",
    "Running",
)


def csv_lines(statement: Select) -> Iterator[str]:
    """The search's meetings as CSV, a line at a time; cells cannot start a spreadsheet formula."""
    found = rows_of(lambda: db.session.scalars(statement.execution_options(yield_per=500)))
    yield from csv_stream(CSV_COLUMNS, map(_csv_row, found))


def _csv_row(meeting: Meeting) -> tuple[object, ...]:
    kinds = meeting_types.labels_for(meeting.codes, meeting_types.OPEN_CLOSED)
    kinds += meeting_types.labels_for(meeting.codes)
    return (
        meeting.name,
        meeting.fellowship.name,
        meeting.weekday_name,
        meeting.start_time.strftime("%H:%M"),
        meeting.end_time.strftime("%H:%M"),
        meeting.attendance_label,
        meeting.venue,
        meeting.address,
        meeting.postcode,
        meeting.area,
        meeting.online_link,
        "; ".join(kinds),
        meeting.directions_walk,
        meeting.directions_car,
        meeting.directions_public_transport,
        meeting.last_verified_at.astimezone(LONDON).date().isoformat()
        if meeting.last_verified_at
        else "",
        "Yes" if meeting.active else "No",
    )


def meeting_calendar(meeting: Meeting, page_url: str, today: date | None = None) -> bytes:
    """An .ics file: a weekly event in Europe/London (with its VTIMEZONE) from the next date."""
    from icalendar import Calendar, Event, vRecur

    today = today or utcnow().astimezone(LONDON).date()
    first = next_occurrences(
        meeting.weekday,
        meeting.start_time,
        meeting.end_time,
        datetime.combine(today, time.min, tzinfo=LONDON),
        1,
    )[0][0].date()
    start = datetime.combine(first, meeting.start_time, tzinfo=LONDON)
    end_day = first + timedelta(days=1) if meeting.crosses_midnight else first
    end = datetime.combine(end_day, meeting.end_time, tzinfo=LONDON)
    place = ", ".join(
        part for part in (meeting.venue, meeting.address, meeting.postcode) if part
    ) or ("Online" if meeting.online else "")
    lines = [f"{meeting.fellowship.name} meeting ({meeting.attendance_label.lower()})."]
    if meeting.open_closed:
        lines.append(meeting.open_closed)
    if meeting.online_link:
        lines.append(f"Join online: {meeting.online_link}")
    if meeting.location_notes:
        lines.append(f"Finding the room: {meeting.location_notes}")
    lines.append(f"Details: {page_url}")
    event = Event.new(
        uid=f"meeting-{meeting.id}@peer-accompaniment-portal",
        summary=meeting.name,
        start=start,
        end=end,
        stamp=utcnow(),
        description="\n".join(lines),
        location=place or None,
    )
    event.add("rrule", vRecur({"FREQ": "WEEKLY", "BYDAY": _ICAL_DAYS[meeting.weekday]}))
    calendar = Calendar.new(prodid="-//Peer accompaniment portal//Meetings//EN")
    calendar.add_component(event)
    # Enough of the zone's rules for calendar apps that do not know Europe/London by name.
    calendar.add_missing_timezones(
        first_date=first - timedelta(days=7), last_date=date(first.year + 10, 1, 1)
    )
    return calendar.to_ical()


_ICAL_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
