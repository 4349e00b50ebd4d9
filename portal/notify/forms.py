from ..forms import CheckboxGroup, Form, choices, line
from .kinds import optional_kinds, text_choice_kinds


class EmailChoicesForm(Form):
    by_email = CheckboxGroup(
        "Also send me these by email",
        description=(
            "Safety alerts, urgent requests, invitations and password resets always come by email."
        ),
        choices=choices({name: kind.label for name, kind in optional_kinds().items()}),
    )
    mobile = line(
        "Mobile for texts",
        30,
        description="A UK mobile number, like 07700 900 982. Leave it blank to get no texts.",
        render_kw={"type": "tel", "autocomplete": "tel", "spellcheck": "false"},
    )
    by_text = CheckboxGroup(
        "Send me these by text",
        description=(
            "Only when you give a mobile number. Champions get safety alerts by text as well, "
            "at any hour."
        ),
        choices=choices({name: kind.label for name, kind in text_choice_kinds().items()}),
    )
