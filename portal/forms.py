"""The base form every domain's forms extend: no control characters, no stray fields."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    Field,
    IntegerField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

# NUL cannot be stored by PostgreSQL and no person types other control characters.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Form(FlaskForm):
    """Strips surrounding space from text and refuses control characters by the field."""

    class Meta:
        def bind_field(self, form: FlaskForm, unbound_field, options):  # noqa: ANN001, ANN201
            filters = list(unbound_field.kwargs.get("filters", []))
            if issubclass(unbound_field.field_class, StringField | TextAreaField):
                filters.append(_strip)
            return unbound_field.bind(form=form, filters=filters, **options)

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        ok = super().validate(extra_validators)
        for field in self:
            if _has_control(field):
                field.errors = [*field.errors, "Remove the unusual characters from this answer"]
                ok = False
            if _too_big(field):
                field.errors = [*field.errors, "Enter a smaller number"]
                ok = False
        return ok


# The widest whole number an INTEGER column holds (PostgreSQL's int4; SQLite fails past 2**63).
MAX_INT = 2**31 - 1


def _too_big(field: Field) -> bool:
    """A number no column can hold: it must never reach the database (a 500 there)."""
    return (
        isinstance(field, IntegerField)
        and isinstance(field.data, int)
        and abs(field.data) > MAX_INT
    )


def without_control(text: str) -> str:
    """Text with every control character removed, for search words that are never refused."""
    return _ANY_CONTROL.sub("", text)


_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _has_control(field: Field) -> bool:
    data = field.data
    values = data if isinstance(data, list) else [data]
    return any(isinstance(v, str) and _CONTROL.search(v) for v in values)


def choices(options: dict[str, str]) -> list[SelectChoice]:
    """Select or checkbox options from a {value: label} mapping, in its order."""
    return [SelectChoice(value, label) for value, label in options.items()]


class CheckboxGroup(SelectMultipleField):
    """A group of checkboxes; a value not among the choices (a forged post) gets `refusal`."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
    refusal = "Select options from the list"

    def pre_validate(self, form: object) -> None:
        known = {value for value, *_ in self.iter_choices()}
        if any(value not in known for value in self.data or []):
            raise ValidationError(self.refusal)


class WholeNumberField(IntegerField):
    """An integer field whose complaint about non-numbers is in plain English."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(f"{self.label.text}: enter a whole number, like 12") from None


def email_field(
    label: str = "Email address", required: str = "Enter their email address"
) -> EmailField:
    """An email address field with the checks and messages every form uses."""
    return EmailField(
        label,
        validators=[
            DataRequired(required),
            Length(max=254, message="Enter an email address of 254 characters or fewer"),
            Email(
                "Enter an email address in the correct format, like name@example.org",
                check_deliverability=False,
            ),
        ],
    )
