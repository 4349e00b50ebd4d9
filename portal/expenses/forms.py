"""Forms of the expenses package."""

from __future__ import annotations

import re

from flask_wtf.file import FileField
from wtforms import HiddenField
from wtforms.validators import ValidationError

from ..forms import Form, Radios, VersionField, box, line
from .models import KINDS, MAX_MILES_TENTHS, MAX_PENCE

MONEY = re.compile(r"^£?\s*(\d{1,6})(?:\.(\d{1,2}))?$")
MILES = re.compile(r"^(\d{1,6})(?:\.(\d))?$")


def parse_pence(text: str | None) -> int | None:
    """'12.5', '£12.50' or '12' as pence; None when it is not money."""
    found = MONEY.match((text or "").strip().replace(",", ""))
    if not found:
        return None
    pounds, pence = found.groups()
    return int(pounds) * 100 + int((pence or "0").ljust(2, "0"))


def parse_tenths(text: str | None) -> int | None:
    """'12.5' or '12' miles as tenths of a mile; None when it is not a distance."""
    found = MILES.match((text or "").strip())
    if not found:
        return None
    whole, tenth = found.groups()
    return int(whole) * 10 + int(tenth or "0")


class ClaimForm(Form):
    kind = Radios(
        "What are you claiming for?", KINDS, "Select what you are claiming for", needed=True
    )
    amount = line(
        "Fare in pounds and pence",
        12,
        description="For a bus or train fare, for example 3.40. Both ways in one claim.",
    )
    miles = line(
        "Miles you drove",
        8,
        description="For a car, to one decimal place, for example 6.5. Both ways in one claim.",
    )
    detail = line(
        "Where you travelled from and to (optional)",
        200,
        description="For example, Hightown bus station to the meeting and back.",
    )
    ticket = FileField(
        "Photo of your ticket (optional)",
        description="A JPEG, PNG or PDF file smaller than 5 MB.",
    )

    def validate_amount(self, field) -> None:
        if self.kind.data in ("bus", "train"):
            pence = parse_pence(field.data)
            if pence is None or pence <= 0:
                raise ValidationError("Enter the fare in pounds and pence, like 3.40")
            if pence > MAX_PENCE:
                raise ValidationError("Enter a fare of £500 or less")

    def validate_miles(self, field) -> None:
        if self.kind.data == "miles":
            tenths = parse_tenths(field.data)
            if tenths is None or tenths <= 0:
                raise ValidationError("Enter the miles to one decimal place, like 6.5")
            if tenths > MAX_MILES_TENTHS:
                raise ValidationError("Enter 500 miles or fewer")

    def claim(self) -> dict:
        """The answers as `make_claim` takes them."""
        fare = self.kind.data in ("bus", "train")
        return {
            "kind": self.kind.data,
            "amount_pence": parse_pence(self.amount.data) if fare else None,
            "miles_tenths": parse_tenths(self.miles.data) if not fare else None,
            "detail": self.detail.data,
        }


class DecideForm(Form):
    version = VersionField(required=True)


class DeclineForm(Form):
    version = VersionField(required=True)
    reason = box(
        "Why is it declined?",
        300,
        "Enter why the claim is declined",
        description="The volunteer sees this. Say what they could do, if anything.",
    )


class PaidForm(Form):
    seen = HiddenField()
