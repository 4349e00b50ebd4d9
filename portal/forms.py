"""The base form every domain's forms extend: no control characters, no stray fields."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, time
from typing import Any, Self

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    Field,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

# NUL cannot be stored by PostgreSQL and no person types other control characters.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Form(FlaskForm):
    """Strips surrounding space from text and refuses control characters by the field."""

    class Meta:
        def bind_field(self, form: FlaskForm, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", []))
            if issubclass(unbound_field.field_class, StringField | TextAreaField):
                filters.append(_strip)
            return unbound_field.bind(form=form, filters=filters, **options)

    def data_for(self, *names: str) -> dict[str, Any]:
        """The answers to the fields `names`, by name: what a service takes as keywords."""
        return {name: self[name].data for name in names}

    @property
    def first_draw(self) -> bool:
        """Shown for the first time (a GET), not sent back: the moment for starting values."""
        return not self.is_submitted()

    @classmethod
    def drawn(cls, data: Mapping[str, Any] | None = None, obj: Any = None) -> Self:
        """The form as sent; when first drawn, showing `data` or `obj` (what is on record).
        Starting values only ever fill a form being drawn: a default must never stand in for an
        answer left out of what was sent."""
        form = cls()
        if form.first_draw:
            form.process(data=data, obj=obj)
        return form

    def validate(self, extra_validators=None) -> bool:
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


def line(
    label: str, limit: int, required: str | None = None, *, too_long: str | None = None, **kwargs
) -> StringField:
    """A line of text at most `limit` characters (its column's size); `required` is the message
    for a blank answer, and without it a blank answer is fine."""
    return StringField(label, validators=_text_checks(limit, required, too_long), **kwargs)


def box(
    label: str, limit: int, required: str | None = None, *, too_long: str | None = None, **kwargs
) -> TextAreaField:
    """A box of free text at most `limit` characters; `required` as for `line`."""
    return TextAreaField(label, validators=_text_checks(limit, required, too_long), **kwargs)


def date_box(label: str, message: str, required: str | None = None, **kwargs) -> DateBox:
    """A date typed as YYYY-MM-DD; `message` for text that is not one, `required` for a blank
    answer (without it a blank answer is fine)."""
    check = InputRequired(required) if required else Optional()
    return DateBox(label, message, validators=[check], **kwargs)


def _text_checks(limit: int, required: str | None, too_long: str | None) -> list:
    first = DataRequired(required) if required else Optional()
    return [first, Length(max=limit, message=too_long or f"Enter {limit} characters or fewer")]


def _known(field: Field) -> set:
    return {value for value, *_ in field.iter_choices()}


class Radios(RadioField):
    """Radio buttons from a {value: label} mapping (or `choices`). A value not among them (a
    forged post) gets `message` by the field; so does no answer when `needed`, and otherwise the
    validators decide whether an answer is needed."""

    def __init__(
        self,
        label: str,
        options: dict[str, str] | None = None,
        message: str = "Select one of the options",
        *,
        needed: bool = False,
        **kwargs,
    ) -> None:
        if options is not None:
            kwargs["choices"] = choices(options)
        super().__init__(label, **kwargs)
        self.message = message
        self.needed = needed

    def pre_validate(self, form: object) -> None:
        blank = not self.raw_data or self.raw_data == [""]
        if blank and not self.needed:
            return
        if self.data not in _known(self):
            raise ValidationError(self.message)


class Select(SelectField):
    """A select whose forged value gets a plain message; no answer is left to the validators."""

    def pre_validate(self, form: object) -> None:
        if self.data and self.data not in _known(self):
            raise ValidationError("Choose one of the options")


class CheckboxGroup(SelectMultipleField):
    """A group of checkboxes; a value not among the choices (a forged post) or one that cannot be
    read (`coerce`) gets `message`."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(
        self, label: str | None = None, message: str = "Select options from the list", **kwargs
    ) -> None:
        super().__init__(label, **kwargs)
        self.refusal = message

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            self.data = [self.coerce(value) for value in valuelist]
        except (ValueError, TypeError):
            self.data = []
            self.process_errors.append(self.refusal)

    def pre_validate(self, form: object) -> None:
        known = _known(self)
        if any(value not in known for value in self.data or []):
            raise ValidationError(self.refusal)


class _TypedText:
    """A field typed as text: blank is no answer (the validators decide); text that `parse`
    refuses gets `message` by the field."""

    keep_default_when_absent = False

    def __init__(self, label: str | None = None, message: str | None = None, **kwargs) -> None:
        super().__init__(label, **kwargs)
        self.message = message

    def parse(self, value: str) -> object:
        raise NotImplementedError

    def refusal(self) -> str:
        return self.message or ""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist and self.keep_default_when_absent:
            return  # not in the form (or a GET form's address) at all: the default
        value = valuelist[0].strip() if valuelist else ""
        if not value:
            self.data = None
            return
        try:
            self.data = self.parse(value)
        except ValueError:
            self.data = None
            raise ValueError(self.refusal()) from None


class WholeNumberField(_TypedText, IntegerField):
    """An integer field whose complaint about non-numbers is in plain English: `message`, or
    "<label>: enter a whole number, like 12"."""

    def parse(self, value: str) -> int:
        return int(value)

    def refusal(self) -> str:
        return self.message or f"{self.label.text}: enter a whole number, like 12"


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLOCK = re.compile(r"\d{1,2}:\d{2}(:\d{2})?")


class DateBox(_TypedText, DateField):
    """A date typed as YYYY-MM-DD (what the browser's date picker sends); anything else gets
    `message`. A date not sent at all keeps the field's default."""

    keep_default_when_absent = True

    def parse(self, value: str) -> date:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)


class TimeBox(_TypedText, TimeField):
    """A 24-hour time typed as HH:MM (what the browser's time picker sends); anything else gets
    `message`."""

    def parse(self, value: str) -> time:
        if not _CLOCK.fullmatch(value):
            raise ValueError
        return time.fromisoformat(value.zfill(5) if len(value) <= 5 else value)


# --- the optimistic version check's hidden field (the service half: portal/versioning.py) ---

STALE_PAGE = "This page is out of date. Reload it and try again."
UNKNOWN_VERSION = -1  # no record has it, so a save carrying it meets a Conflict ("reload")


def parse_version(text: object) -> int:
    """The version a page was drawn from, from its posted text; UNKNOWN_VERSION when the text
    is not one (not a whole number, or too long for a column)."""
    raw = str(text if text is not None else "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else UNKNOWN_VERSION


class VersionField(IntegerField):
    """The hidden copy of the record's version the page showed, sent back with the save.

    `required=True` for a one-button action on an existing record; otherwise a form that also
    creates records sends none. Text that is not a version is a form error (reload the page)."""

    widget = HiddenInput()

    def __init__(self, label: str | None = None, *, required: bool = False, **kwargs) -> None:
        check = InputRequired(STALE_PAGE) if required else Optional()
        super().__init__(label, validators=[check], **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        self.data = parse_version(valuelist[0])
        if self.data == UNKNOWN_VERSION:
            self.data = None
            raise ValueError(STALE_PAGE)


def email_field(
    label: str = "Email address",
    required: str = "Enter their email address",
    *,
    check_format: bool = True,
) -> EmailField:
    """An email address field with the checks and messages every form uses. Signing in skips
    the format check: a wrong address there gets the same answer as a wrong password."""
    checks = [
        DataRequired(required),
        Length(max=254, message="Enter an email address of 254 characters or fewer"),
    ]
    if check_format:
        checks.append(
            Email(
                "Enter an email address in the correct format, like name@example.org",
                check_deliverability=False,
            )
        )
    return EmailField(label, validators=checks)
