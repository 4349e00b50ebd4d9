"""Forms of the data-protection pages."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from ..forms import Form, choices, line

KINDS = {"client": "A client (by reference)", "volunteer": "A volunteer (by name or number)"}


class PersonSearchForm(Form):
    class Meta:
        csrf = False  # a GET search that changes nothing

    kind = SelectField("Who are you looking for?", choices=choices(KINDS), default="client")
    q = StringField(
        "Reference, name or number",
        validators=[
            InputRequired("Enter a reference, name or number"),
            Length(max=60, message="Enter 60 characters or fewer"),
        ],
    )


class EraseForm(Form):
    confirmation = line(
        "Type it here to confirm", 100, "Type the reference or name shown above to confirm"
    )
    checked = BooleanField(
        "I have checked that the request came from this person, or from someone entitled to "
        "make it for them",
        validators=[DataRequired("Confirm you have checked who made the request")],
    )


class RetentionRunForm(Form):
    """One button: anonymise everyone the list shows."""
