from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from flask import request
from wtforms import BooleanField, HiddenField, IntegerField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from ..forms import Form, Radios, Select, VersionField, WholeNumberField, box, choices, line
from .models import DEFAULT_MEETING_POINT, DEFAULT_MINUTES_BEFORE, PEER_GENDERS

if TYPE_CHECKING:
    from .board import Board
    from .request_pages import RequestFormPage, RequestPage


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
    meeting_point = line(
        "Where the peer will meet the client",
        200,
        "Say where the peer will meet the client",
        default=DEFAULT_MEETING_POINT,
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
    language = line(
        "Language the peer should speak (optional)", 60, description="Leave blank for English."
    )
    fellowship_experience = BooleanField("The peer should know this fellowship")
    note_for_champion = box(
        "Note for the recovery champion (optional)",
        1000,
        description="Anything that helps pair the client well. Volunteers never see this.",
    )
    note_for_volunteer = box(
        "Note for the volunteer (optional)",
        500,
        description=(
            "Shown only to the volunteer who accepts, for example how to recognise the client."
        ),
    )

    def chosen_session(self) -> int | None:
        """The session posted back, else the one the client's page linked with (?session=)."""
        if self.session.data is not None:
            return self.session.data
        return request.args.get("session", type=int)

    def fit(self, page: RequestFormPage) -> None:
        """Offer the meeting's dates; on a GET, start from the day the client committed to."""
        self.meeting_date.choices = page.dates
        if request.method != "GET":
            return
        self.session.data = page.session.id
        if any(value == page.committed_day for value, _ in page.dates):
            self.meeting_date.data = page.committed_day
        self.fellowship_experience.data = True

    def details(self, page: RequestFormPage) -> dict[str, Any]:
        """The request as `raise_request` takes it, for the commitment the page shows."""
        return {
            "session": page.session,
            "now": page.now,
            "meeting_date": self.meeting_date.day,
            "meeting_point": self.meeting_point.data,
            "minutes_before": self.minutes_before.data,
            "peer_gender": self.peer_gender.data,
            "language": self.language.data,
            "fellowship_experience": self.fellowship_experience.data,
            "note_for_champion": self.note_for_champion.data,
            "note_for_volunteer": self.note_for_volunteer.data,
        }


class _RequestChange(Form):
    """A change to a request the page showed, sent back with its version."""

    version = VersionField(required=True)

    @classmethod
    def for_request(cls, page: RequestPage) -> Any:
        """The form as posted, or on a GET carrying the version of the request it shows."""
        return cls(data={"version": page.item.version})


class CancelForm(_RequestChange):
    reason = box(
        "Why is the request being cancelled?", 300, "Say why the request is being cancelled"
    )


class DateForm(_RequestChange):
    meeting_date = MeetingDate(
        "New date", choices=[], validators=[DataRequired("Choose the new date")]
    )

    @classmethod
    def for_request(cls, page: RequestPage) -> Any:
        form = super().for_request(page)
        form.meeting_date.choices = page.dates
        return form


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

    @classmethod
    def for_board(cls, board: Board) -> OfferTopForm:
        """Ask the top 2, 3… of the volunteers not asked yet."""
        form = cls()
        form.count.choices = [(str(n), f"Top {n}") for n in board.top_choices]
        return form


class DeclineForm(Form):
    reason = box(
        "Why not? (optional)",
        300,
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
    reason = box("If no, why not? (optional)", 300)

    def recorded(self) -> str:
        """What the champion is told once the answer is saved (no name: flashes sit in the
        session cookie, and the page shows whose answer it was)."""
        if self.answer.data == "accept":
            return "Their yes is recorded: the escort is booked."
        return "Their no is recorded."


class WithdrawForm(Form):
    reason = box(
        "Why are you withdrawing it? (optional)",
        300,
        description=(
            "The volunteer is told the offer is no longer needed; this reason is for the record."
        ),
    )


class ReleaseForm(Form):
    reason = box("Why can they no longer go?", 300, "Say why they can no longer go")


class ConflictForm(Form):
    volunteer_id = WholeNumberField(  # a volunteer picked from the page's list, sent as their id
        "Volunteer",
        "Choose a volunteer from the list",
        validators=[InputRequired("Choose a volunteer from the list"), NumberRange(1, 2**31)],
    )
    note = box(
        "Note (optional)",
        300,
        description="Only recovery champions see this. Keep it short and factual.",
    )
