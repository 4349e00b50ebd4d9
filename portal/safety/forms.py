"""The outcome form, the champion's record-a-check form; the safety buttons are bare POST forms
carrying only the CSRF token."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from wtforms import DateField, HiddenField, RadioField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, Optional

from ..accompaniment.models import OUTCOMES
from ..forms import Form, choices
from .models import WANTS_AGAIN

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
    note = TextAreaField(
        "A short note (optional)",
        validators=[Optional(), Length(max=500, message="Write 500 characters or fewer")],
        description="What went well or what would help next time. Nothing medical, no names.",
    )
    version = HiddenField()


class DayBox(DateField):
    """A date typed as YYYY-MM-DD (what the browser's date picker sends), with a plain error."""

    def __init__(self, label: str, message: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        value = valuelist[0].strip()
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError
            self.data = date.fromisoformat(value)
        except ValueError:
            self.data = None
            raise ValueError(self.message) from None


class TimeBox(TimeField):
    """A 24-hour time typed as HH:MM (what the browser's time picker sends)."""

    def __init__(self, label: str, message: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        value = valuelist[0].strip()
        try:
            if not re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", value):
                raise ValueError
            self.data = time.fromisoformat(value.zfill(5) if len(value) <= 5 else value)
        except ValueError:
            self.data = None
            raise ValueError(self.message) from None


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
    happened_on = DayBox(
        "Date it happened",
        "Enter a real date, like 2026-12-08",
        validators=[InputRequired("Enter the date it happened")],
        description="For example, 2026-12-08.",
    )
    happened_time = TimeBox(
        "Time it happened (UK time)",
        "Enter a time on the 24-hour clock, like 17:45",
        validators=[InputRequired("Enter the time it happened")],
        description="On the 24-hour clock, for example 17:45.",
    )
