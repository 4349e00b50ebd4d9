from __future__ import annotations

import math
from typing import Any

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    SelectField,
    StringField,
)
from wtforms.validators import ValidationError
from wtforms.widgets import TimeInput

from ..forms import CheckboxGroup, Form, VersionField, box, choices, date_box, line
from . import meeting_types
from .feed import Skip, parse_time
from .models import ATTENDANCE, FELLOWSHIP_KINDS, WEEKDAYS
from .visits import today

DAY_CHOICES = {str(day): WEEKDAYS[day] for day in (1, 2, 3, 4, 5, 6, 0)}
ACCESS_CODES = {**meeting_types.ACCESS, "TC": meeting_types.STATUS["TC"]}
# Type codes the form shows; any other code on a meeting (from a feed) is kept untouched.
FORM_CODE_GROUPS = (
    ("open_closed", meeting_types.OPEN_CLOSED),
    ("audience", meeting_types.AUDIENCE),
    ("formats", meeting_types.FORMAT),
    ("access", ACCESS_CODES),
    ("languages", meeting_types.LANGUAGES),
)
FORM_CODES = frozenset(code for _, group in FORM_CODE_GROUPS for code in group)


class ClockField(StringField):
    """A time of day typed as 19:30 (or picked from the browser's time control)."""

    widget = TimeInput()

    def __init__(self, label: str, message: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.message = message
        self.time = None

    def pre_validate(self, form: Any) -> None:
        self.time = None
        text = (self.data or "").strip()
        if not text:
            raise ValidationError(self.message)
        try:
            self.time = parse_time(text[:20])
        except Skip:
            self.time = None
        if self.time is None:
            raise ValidationError(f"{self.message}, like 19:30")

    def _value(self) -> str:
        return self.data or ""


class MeetingForm(Form):
    name = line("Meeting name", 255, "Enter the meeting's name")
    fellowship_id = SelectField("Fellowship", coerce=int, validate_choice=True)
    weekday = SelectField("Day", choices=choices(DAY_CHOICES), coerce=int)
    start_time = ClockField("Starts", "Enter the start time")
    end_time = ClockField("Ends", "Enter the end time")
    attendance = SelectField("How people can attend", choices=choices(ATTENDANCE))
    venue = line("Venue", 255, description="For example, St Mark's Church Hall")
    address = box("Address", 500, description="Street and town. Leave out the postcode.")
    postcode = line("Postcode", 10)
    area = line("Area", 100, description="The part of town people know it by.")
    latitude = line("Latitude", 20, description="Optional, for the map link. For example 52.4862")
    longitude = line("Longitude", 20, description="Optional. For example -1.8904")
    location_notes = box("How to find the room", 2000)
    directions_walk = box("Directions on foot", 2000)
    directions_car = box("Directions by car", 2000, description="Include where to park.")
    directions_public_transport = box(
        "Directions by public transport", 2000, description="Bus routes, the nearest stop."
    )
    online_url = line("Online link", 500, description="A web address starting with https://")
    online_notes = box("Joining online", 2000, description="Meeting ID, passcode, dial-in.")
    open_closed = SelectField(
        "Who can go",
        choices=choices({"": "Not stated", **meeting_types.OPEN_CLOSED_EXPLAINED}),
    )
    audience = CheckboxGroup(
        "Who it is for", "Choose from the list", choices=choices(meeting_types.AUDIENCE)
    )
    formats = CheckboxGroup(
        "What happens", "Choose from the list", choices=choices(meeting_types.FORMAT)
    )
    access = CheckboxGroup(
        "Access and facilities", "Choose from the list", choices=choices(ACCESS_CODES)
    )
    languages = CheckboxGroup(
        "Languages", "Choose from the list", choices=choices(meeting_types.LANGUAGES)
    )
    contact_name = line("Contact's first name", 100)
    contact_phone = line("Contact's phone number", 40)
    notes = box("Notes", 4000)
    version = VersionField()

    @classmethod
    def from_meeting(cls, meeting: Any) -> MeetingForm:
        """The form showing a saved meeting (a GET): its times, coordinates and ticked codes."""
        form = cls(obj=meeting, formdata=None)
        form.start_time.data = meeting.start_time.strftime("%H:%M")
        form.end_time.data = meeting.end_time.strftime("%H:%M")
        form.latitude.data = "" if meeting.latitude is None else f"{meeting.latitude:g}"
        form.longitude.data = "" if meeting.longitude is None else f"{meeting.longitude:g}"
        form.set_codes(meeting.codes)
        return form

    def set_codes(self, codes: list[str]) -> None:
        """Tick the boxes for a meeting's codes (when showing the form, not on a post)."""
        present = set(codes)
        self.open_closed.data = next((c for c in meeting_types.OPEN_CLOSED if c in present), "")
        for name, group in FORM_CODE_GROUPS[1:]:
            getattr(self, name).data = [code for code in group if code in present]

    def validate_latitude(self, field: StringField) -> None:
        _coordinate(field.data, 90)

    def validate_longitude(self, field: StringField) -> None:
        _coordinate(field.data, 180)

    def meeting_values(self, kept_codes: list[str]) -> dict[str, Any]:
        """The values to save; codes the form does not show are carried over unchanged."""
        codes = {code for code in kept_codes if code not in FORM_CODES}
        if self.open_closed.data:
            codes.add(self.open_closed.data)
        for name, _ in FORM_CODE_GROUPS[1:]:
            codes.update(getattr(self, name).data or [])
        return {
            "name": self.name.data,
            "fellowship_id": self.fellowship_id.data,
            "weekday": self.weekday.data,
            "start_time": self.start_time.time,
            "end_time": self.end_time.time,
            "attendance": self.attendance.data,
            "venue": self.venue.data,
            "address": self.address.data,
            "postcode": self.postcode.data,
            "area": self.area.data,
            "latitude": _coordinate(self.latitude.data, 90),
            "longitude": _coordinate(self.longitude.data, 180),
            "location_notes": self.location_notes.data,
            "directions_walk": self.directions_walk.data,
            "directions_car": self.directions_car.data,
            "directions_public_transport": self.directions_public_transport.data,
            "online_url": self.online_url.data,
            "online_notes": self.online_notes.data,
            "type_codes": " ".join(sorted(codes)),
            "contact_name": self.contact_name.data,
            "contact_phone": self.contact_phone.data,
            "notes": self.notes.data,
        }


def _coordinate(text: str | None, bound: float) -> float | None:
    if not text or not text.strip():
        return None
    try:
        value = float(text.strip())
    except ValueError:
        raise ValidationError("Enter a number, like 52.4862") from None
    if not math.isfinite(value) or abs(value) > bound:
        raise ValidationError(f"Enter a number between -{bound:g} and {bound:g}")
    return round(value, 6)


class FellowshipForm(Form):
    code = line(
        "Short code",
        20,
        "Enter a short code",
        description="Letters, numbers and hyphens, like NA. Used in search links.",
    )
    name = line("Name", 100, "Enter the fellowship's name")
    kind = SelectField("Kind of group", choices=choices(FELLOWSHIP_KINDS))
    description = box(
        "Description",
        500,
        description="What a meeting of this fellowship is like, in plain words a client can read."
        " It is shown on meeting pages, in the session two meeting picker and on printed lists.",
    )
    version = VersionField()


class ConfirmForm(Form):
    """A one-button action carrying the version the person was looking at."""

    version = VersionField(required=True)


class ButtonForm(Form):
    """A one-button action that needs nothing but the CSRF token."""


class ImportForm(Form):
    feed = FileField(
        "Meeting Guide feed (a .json file)",
        validators=[FileRequired("Choose the feed file to upload")],
    )
    source = line(
        "Where the feed comes from",
        255,
        "Enter where the feed comes from",
        description="For example, Wessex Intergroup. Importing again from the same source "
        "updates those meetings instead of adding them twice.",
    )
    fellowship_id = SelectField(
        "Fellowship",
        coerce=int,
        validate_choice=True,
        description="Meetings in the feed belong to this fellowship.",
    )


class VisitForm(Form):
    """A keyworker's own visit to an open meeting (portal/meetings/visits.py keeps the rules)."""

    visited_on = date_box(
        "Date you went",
        "Enter the date you went, like 2026-12-03",
        "Enter the date you went",
    )
    note = box(
        "Note for colleagues (optional)",
        500,
        description="What it was like, to help you describe it to clients. For example: "
        "welcoming, about 15 people, step-free. Do not name anyone who was there.",
    )

    @classmethod
    def for_today(cls) -> VisitForm:
        """The form as sent; when first drawn, dated today (UK)."""
        return cls.drawn({"visited_on": today()})

    def answers(self) -> dict[str, Any]:
        """The answers as record_visit takes them."""
        return self.data_for("visited_on", "note")
