"""The outcome form, the champion's record-a-check form; the safety buttons are bare POST forms
carrying only the CSRF token."""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import RadioField
from wtforms.validators import InputRequired, Optional

from ..accompaniment.models import OUTCOMES
from ..forms import Form, TimeBox, VersionField, box, choices, date_box
from .models import WANTS_AGAIN, WELLBEING

CAME = {
    "attended": "Yes, they came",
    "client_did_not_come": "No, they did not come",
    "volunteer_could_not_go": "I could not go",
}
assert set(CAME) == set(OUTCOMES)


class ActionForm(Form):
    """A button that changes something: only the CSRF token."""


class OutcomeForm(Form):
    came = RadioField(
        "Did the client come?",
        choices=choices(CAME),
        validators=[InputRequired("Say whether the client came")],
    )
    together = RadioField(
        "Did you go in together?",
        choices=choices({"yes": "Yes", "no": "No"}),
        validators=[Optional()],
        description="Answer this if the client came.",
    )
    again = RadioField(
        "Would the client like to go again?",
        choices=choices(WANTS_AGAIN),
        validators=[Optional()],
    )
    note = box(
        "A short note (optional)",
        500,
        description="What went well or what would help next time. Nothing medical, no names.",
    )
    wellbeing = RadioField(
        "How are you after this escort?",
        choices=choices(WELLBEING),
        validators=[Optional()],
        description="Going with someone can bring up feelings. It is fine to ask for a chat. "
        "The champion will get in touch by the next working day.",
    )
    version = VersionField(required=True)

    @classmethod
    def for_request(cls, request_row: Any) -> OutcomeForm:
        """The form as posted, or on a GET carrying the version of the request it shows."""
        return cls.drawn({"version": request_row.version})

    def answers(self) -> dict[str, Any]:
        """What happened, as `record_outcome` takes it."""
        return self.data_for("came", "together", "again", "note", "wellbeing")


RECORD_KINDS = {
    "checkin": "They met the client (check-in)",
    "checkout": "They finished and are safe (check-out)",
}


class RecordCheckForm(Form):
    """A champion records a check-in or check-out after the fact, at the time it happened."""

    kind = RadioField(
        "What happened?",
        choices=choices(RECORD_KINDS),
        validators=[InputRequired("Choose check-in or check-out")],
    )
    happened_on = date_box(
        "Date it happened",
        "Enter a real date, like 2026-12-08",
        "Enter the date it happened",
        description="For example, 2026-12-08.",
    )
    happened_time = TimeBox(
        "Time it happened (UK time)",
        "Enter a time on the 24-hour clock, like 17:45",
        validators=[InputRequired("Enter the time it happened")],
        description="On the 24-hour clock, for example 17:45.",
    )

    @classmethod
    def for_escort(cls, first_day: date) -> RecordCheckForm:
        """The form as posted, or on a GET starting at the escort's first day."""
        return cls.drawn({"happened_on": first_day})
