"""The reports' date range: a GET form, checked like any other."""

from __future__ import annotations

from datetime import date, timedelta

from wtforms import DateField
from wtforms.validators import StopValidation, ValidationError

from ..forms import Form
from .services import LONGEST_RANGE_DAYS, DateRange, default_range, today_in_london

EARLIEST = date(2000, 1, 1)


def required(message: str):  # noqa: ANN201
    """Like DataRequired, but keeps a "not a real date" message instead of replacing it."""

    def check(form: Form, field: DateField) -> None:
        if field.data is None:
            raise StopValidation(None if field.errors else message)

    return check


class DayField(DateField):
    """A date typed as YYYY-MM-DD (a date picker where the browser has one)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return  # not in the address at all: the default period
        if not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = date.fromisoformat(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(f"{self.label.text}: enter a real date, like 2026-03-31") from None


class RangeForm(Form):
    class Meta:
        csrf = False  # a GET form that changes nothing

    start = DayField(
        "From",
        default=lambda: default_range().start,
        validators=[required("From: enter a date, like 2026-03-02")],
    )
    end = DayField(
        "To",
        default=lambda: default_range().end,
        validators=[required("To: enter a date, like 2026-05-24")],
    )

    def validate_start(self, field: DayField) -> None:
        if field.data and field.data < EARLIEST:
            raise ValidationError("From: enter a date in 2000 or later")

    def validate_end(self, field: DayField) -> None:
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
