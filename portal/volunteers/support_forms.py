"""Forms for the volunteers' support: supervision sessions, and the kinds of check and training
the admin defines."""

from __future__ import annotations

from typing import Any

from wtforms import DateField
from wtforms.validators import ValidationError

from ..forms import (
    Form,
    Radios,
    Select,
    VersionField,
    WholeNumberField,
    box,
    choices,
    date_box,
    line,
)
from ._common import today_local
from .check_kinds import MAX_MONTHS, NAME_LENGTH
from .models import SUPERVISION_KINDS
from .supervision import NAME_LENGTH as HELD_BY_LENGTH
from .supervision import NOTE_LENGTH

YES_NO = {"yes": "Yes", "no": "No"}
SOMEONE_ELSE = "other"


class SupervisionForm(Form):
    held_on = date_box(
        "Date held", "Enter a real date, like 2026-01-31", "Enter the date it was held"
    )
    kind = Radios("Kind of supervision", SUPERVISION_KINDS, "Select the kind", needed=True)
    held_by = Select("Who held it")
    held_by_name = line(
        "Their name, if not a champion in the list",
        HELD_BY_LENGTH,
        too_long=f"Enter a name of {HELD_BY_LENGTH} characters or fewer",
    )
    note = box(
        "Note (optional)",
        NOTE_LENGTH,
        too_long=f"Enter a note of {NOTE_LENGTH} characters or fewer",
        description="Only recovery champions see this note. The volunteer never does.",
    )
    next_due_on = date_box(
        "Next supervision due (optional)",
        "Enter a real date, like 2026-03-31",
        description="Leave blank for the service's usual gap after the date held.",
    )
    version = VersionField()

    def __init__(self, supervisors: dict[int, str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = {"": "Choose who held it"} | {str(k): v for k, v in supervisors.items()}
        self.held_by.choices = choices(options | {SOMEONE_ELSE: "Someone else (enter their name)"})

    def validate_held_on(self, field: DateField) -> None:
        if field.data and field.data > today_local():
            raise ValidationError("The date cannot be in the future")

    def validate_held_by(self, field: Select) -> None:
        if not field.data:
            raise ValidationError("Choose who held it")
        if field.data == SOMEONE_ELSE and not self.held_by_name.data:
            raise ValidationError("Enter the name of who held it")

    def validate_next_due_on(self, field: DateField) -> None:
        if field.data and self.held_on.data and field.data <= self.held_on.data:
            raise ValidationError("The next due date must be after the date held")

    def supervision(self) -> dict[str, Any]:
        chosen = self.held_by.data
        return self.data_for("held_on", "kind", "note", "next_due_on") | {
            "held_by_id": int(chosen) if chosen and chosen.isdigit() else None,
            "held_by_name": self.held_by_name.data if chosen == SOMEONE_ELSE else None,
        }

    def fill_from(self, row: Any) -> None:
        self.held_on.data = row.held_on
        self.kind.data = row.kind
        self.held_by.data = str(row.held_by_id) if row.held_by_id else SOMEONE_ELSE
        self.held_by_name.data = row.held_by_name
        self.note.data = row.note
        self.next_due_on.data = row.next_due_on


class CheckKindForm(Form):
    name = line(
        "Name",
        NAME_LENGTH,
        "Enter the name of the check or training",
        too_long=f"Enter a name of {NAME_LENGTH} characters or fewer",
        description="For example, Naloxone training or First aid.",
    )
    expires = Radios("Does it expire?", YES_NO, "Select yes or no", needed=True)
    valid_months = WholeNumberField(
        "How many months it lasts",
        f"Enter how many months it lasts, from 1 to {MAX_MONTHS}",
        description="Only if it expires. For example, 36 for three years.",
    )
    needed_to_escort = Radios(
        "Is it needed before a volunteer escorts anyone?", YES_NO, "Select yes or no", needed=True
    )
    version = VersionField()

    def validate_valid_months(self, field: WholeNumberField) -> None:
        if self.expires.data != "yes":
            return
        if field.data is None or not 1 <= field.data <= MAX_MONTHS:
            raise ValidationError(f"Enter how many months it lasts, from 1 to {MAX_MONTHS}")

    def kind(self) -> dict[str, Any]:
        return {
            "name": self.name.data,
            "expires": self.expires.data == "yes",
            "valid_months": self.valid_months.data,
            "needed_to_escort": self.needed_to_escort.data == "yes",
        }

    def fill_from(self, kind: Any) -> None:
        self.name.data = kind.name
        self.expires.data = "yes" if kind.valid_months else "no"
        self.valid_months.data = kind.valid_months
        self.needed_to_escort.data = "yes" if kind.needed_to_escort else "no"
        self.version.data = kind.version
