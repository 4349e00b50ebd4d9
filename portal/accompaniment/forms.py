from __future__ import annotations

from datetime import date

from wtforms import BooleanField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..clients.forms import Radios, Select
from ..forms import Form, VersionField, WholeNumberField, choices
from .models import DEFAULT_MEETING_POINT, DEFAULT_MINUTES_BEFORE, PEER_GENDERS


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
    minutes_before = WholeNumberField(
        "How many minutes before the start",
        "Enter a number of minutes, like 15",
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
    version = VersionField(required=True)


class DateForm(Form):
    meeting_date = MeetingDate(
        "New date", choices=[], validators=[DataRequired("Choose the new date")]
    )
    version = VersionField(required=True)


# --- offers and coordination ---------------------------------------------------------------------


class OfferForm(Form):
    """Offer the request to one volunteer (the button beside their name)."""

    volunteer_id = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])


class OfferTopForm(Form):
    count = Select(
        "How many volunteers",
        choices=[],
        validators=[DataRequired("Choose how many volunteers to ask")],
        description=(
            "They all get the offer now; the first to accept goes, and the others are thanked."
        ),
    )


class DeclineForm(Form):
    reason = TextAreaField(
        "Why not? (optional)",
        validators=[Optional(), Length(max=300, message="Write 300 characters or fewer")],
        description="It helps the recovery champion ask the right person next time.",
    )


ANSWERS = {"accept": "Yes, they will go", "decline": "No, they cannot go"}


class AnswerForm(Form):
    """The champion records what a phone-only contact said on the phone."""

    answer = Radios(
        "What did they say?",
        choices=choices(ANSWERS),
        validators=[InputRequired("Choose what they said")],
    )
    reason = TextAreaField(
        "If no, why not? (optional)",
        validators=[Optional(), Length(max=300, message="Write 300 characters or fewer")],
    )


class WithdrawForm(Form):
    reason = TextAreaField(
        "Why are you withdrawing it? (optional)",
        validators=[Optional(), Length(max=300, message="Write 300 characters or fewer")],
        description=(
            "The volunteer is told the offer is no longer needed; this reason is for the record."
        ),
    )


class ReleaseForm(Form):
    reason = TextAreaField(
        "Why can they no longer go?",
        validators=[
            DataRequired("Say why they can no longer go"),
            Length(max=300, message="Write 300 characters or fewer"),
        ],
    )


class ConflictForm(Form):
    volunteer_id = WholeNumberField(  # a volunteer picked from the page's list, sent as their id
        "Volunteer",
        "Choose a volunteer from the list",
        validators=[InputRequired("Choose a volunteer from the list"), NumberRange(1, 2**31)],
    )
    note = TextAreaField(
        "Note (optional)",
        validators=[Optional(), Length(max=300, message="Write 300 characters or fewer")],
        description="Only recovery champions see this. Keep it short and factual.",
    )
