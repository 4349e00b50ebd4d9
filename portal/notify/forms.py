from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form, choices
from .kinds import optional_kinds


class EmailChoicesForm(Form):
    by_email = SelectMultipleField(
        "Also send me these by email",
        description=(
            "Safety alerts, urgent requests, invitations and password resets always come by email."
        ),
        choices=choices({name: kind.label for name, kind in optional_kinds().items()}),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
