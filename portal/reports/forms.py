"""The reports' date range: a GET form, checked like any other."""

from __future__ import annotations

from datetime import date, timedelta

from wtforms import DateField
from wtforms.validators import StopValidation, ValidationError

from ..forms import DateBox, Form
from .services import LONGEST_RANGE_DAYS, DateRange, default_range, today_in_london

EARLIEST = date(2000, 1, 1)


def required(message: str):
    """Like DataRequired, but keeps a "not a real date" message instead of replacing it."""

    def check(form: Form, field: DateField) -> None:
        if field.data is None:
            raise StopValidation(None if field.errors else message)

    return check


class RangeForm(Form):
    class Meta:
        csrf = False  # a GET form that changes nothing

    start = DateBox(  # not in the address at all: the default period
        "From",
        "From: enter a real date, like 2026-03-31",
        default=lambda: default_range().start,
        validators=[required("From: enter a date, like 2026-03-02")],
    )
    end = DateBox(
        "To",
        "To: enter a real date, like 2026-03-31",
        default=lambda: default_range().end,
        validators=[required("To: enter a date, like 2026-05-24")],
    )

    def validate_start(self, field: DateBox) -> None:
        if field.data and field.data < EARLIEST:
            raise ValidationError("From: enter a date in 2000 or later")

    def validate_end(self, field: DateBox) -> None:
        start, end = self.start.data, field.data
        if end is None:
            return
        if end > today_in_london() + timedelta(days=366):
            raise ValidationError("To: enter a date no more than a year from today")
        if start and end < start:
            raise ValidationError("To: the end date must be on or after the start date")
        if start and (end - start).days > LONGEST_RANGE_DAYS:
            raise ValidationError("To: choose a period of two years or less")

    @property
    def range(self) -> DateRange:
        return DateRange(self.start.data, self.end.data)
