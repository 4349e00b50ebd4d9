from ..forms import CheckboxGroup, Form, choices
from .kinds import optional_kinds


class EmailChoicesForm(Form):
    by_email = CheckboxGroup(
        "Also send me these by email",
        description=(
            "Safety alerts, urgent requests, invitations and password resets always come by email."
        ),
        choices=choices({name: kind.label for name, kind in optional_kinds().items()}),
    )
