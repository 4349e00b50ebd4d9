from __future__ import annotations

from datetime import date

from wtforms import BooleanField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..clients.forms import Radios, Select, Version
from ..forms import Form, choices
from .models import DEFAULT_MEETING_POINT, DEFAULT_MINUTES_BEFORE, PEER_GENDERS


class Minutes(IntegerField):
    def process_formdata(self, valuelist) -> None:  # noqa: ANN001
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Enter a number of minutes, like 15") from None


class MeetingDate(Select):
    """One of the meeting's next dates, sent as YYYY-MM-DD."""

    @property
    def day(self) -> date | None:
        try:
            return date.fromisoformat(self.data or "")
        except ValueError:
            return None


class RequestForm(Form):
    session = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    meeting_date = MeetingDate(
        "Date of the meeting", choices=[], validators=[DataRequired("Choose the date")]
    )
    meeting_point = StringField(
        "Where the peer will meet the client",
        default=DEFAULT_MEETING_POINT,
        validators=[
            DataRequired("Say where the peer will meet the client"),
            Length(max=200, message="Write 200 characters or fewer"),
        ],
        description="Somewhere public and easy to find.",
    )
    minutes_before = Minutes(
        "How many minutes before the start",
        default=DEFAULT_MINUTES_BEFORE,
        validators=[
            InputRequired("Enter a number of minutes, like 15"),
            NumberRange(0, 120, "Enter a number of minutes from 0 to 120"),
        ],
    )
    peer_gender = Radios(
        "Would the client like the peer to be",
        choices=choices(PEER_GENDERS),
        default="any",
        validators=[InputRequired("Choose one of the options")],
    )
    language = StringField(
        "Language the peer should speak (optional)",
        validators=[Optional(), Length(max=60, message="Write 60 characters or fewer")],
        description="Leave blank for English.",
    )
    fellowship_experience = BooleanField("The peer should know this fellowship")
    note_for_champion = TextAreaField(
        "Note for the recovery champion (optional)",
        validators=[Optional(), Length(max=1000, message="Write 1000 characters or fewer")],
        description="Anything that helps pair the client well. Volunteers never see this.",
    )
    note_for_volunteer = TextAreaField(
        "Note for the volunteer (optional)",
        validators=[Optional(), Length(max=500, message="Write 500 characters or fewer")],
        description=(
            "Shown only to the volunteer who accepts, for example how to recognise the client."
        ),
    )


class CancelForm(Form):
    reason = TextAreaField(
        "Why is the request being cancelled?",
        validators=[
            DataRequired("Say why the request is being cancelled"),
            Length(max=300, message="Write 300 characters or fewer"),
        ],
    )
    version = Version(validators=[InputRequired("This page is out of date. Reload it.")])


class DateForm(Form):
    meeting_date = MeetingDate(
        "New date", choices=[], validators=[DataRequired("Choose the new date")]
    )
    version = Version(validators=[InputRequired("This page is out of date. Reload it.")])
