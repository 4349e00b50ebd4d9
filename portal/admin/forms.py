from wtforms import (
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..audit import KINDS as AUDIT_KINDS
from ..auth.models import ROLES
from ..auth.teams import TEAM_LENGTH
from ..forms import (
    CheckboxGroup,
    Form,
    Radios,
    Select,
    VersionField,
    WholeNumberField,
    choices,
    email_field,
    line,
)
from ..settings import SETTINGS, all_settings


def role_field(label: str) -> CheckboxGroup:
    return CheckboxGroup(
        label,
        "Select roles from the list",
        choices=choices(ROLES),
        validators=[DataRequired("Select at least one role")],
    )


class InviteForm(Form):
    name = line(
        "Name",
        100,
        "Enter their name",
        too_long="Enter a name of 100 characters or fewer",
        description="How colleagues will see them in the portal, for example their first name.",
    )
    email = email_field(required="Enter their email address")
    roles = role_field("Roles")
    submit = SubmitField("Send invitation")


class RolesForm(Form):
    roles = role_field("Roles")
    version = VersionField(required=True)
    submit = SubmitField("Save roles")


class TeamForm(Form):
    team = line(
        "Team",
        TEAM_LENGTH,
        too_long=f"Enter a team name of {TEAM_LENGTH} characters or fewer",
        description="The keyworker's team, for reports, for example North locality",
    )
    version = VersionField(required=True)
    submit = SubmitField("Save team")


class VersionedActionForm(Form):
    """A one-button action on an account, carrying the version the admin was looking at."""

    version = VersionField(required=True)


def settings_form_class() -> type[Form]:
    """A form with one field per service setting, built from the settings registry."""
    fields: dict[str, object] = {}
    for name, spec in SETTINGS.items():
        if spec.kind == "int":
            fields[name] = WholeNumberField(
                spec.label,
                description=spec.hint,
                validators=[
                    InputRequired(f"{spec.label}: enter a whole number"),
                    NumberRange(
                        spec.low,
                        spec.high,
                        f"{spec.label}: enter a number from {spec.low} to {spec.high}",
                    ),
                ],
            )
            continue
        if spec.kind == "yesno":
            fields[name] = Radios(
                spec.label,
                {"yes": "Yes", "no": "No"},
                f"{spec.label}: select yes or no",
                needed=True,
                description=spec.hint,
            )
            continue
        if spec.kind == "time":
            message = f"{spec.label}: enter a time on the 24-hour clock, like 08:00"
        else:
            message = f"{spec.label}: enter {spec.max_length} characters or fewer"
        fields[name] = StringField(
            spec.label,
            description=spec.hint,
            validators=[Length(max=spec.max_length, message=message)],
        )
    fields["submit"] = SubmitField("Save settings")
    return type("SettingsForm", (Form,), fields)


def settings_form() -> Form:
    """The settings form: the saved values on a GET, what was sent on a POST."""
    shown = {
        name: ("yes" if value else "no") if SETTINGS[name].kind == "yesno" else value
        for name, value in all_settings().items()
    }
    return settings_form_class().drawn(shown)


def setting_values(form: Form) -> dict[str, object]:
    """Each setting's value as the form holds it, for `save_settings`."""
    return {name: form[name].data for name in all_settings()}


class AuditSearchForm(Form):
    class Meta:
        csrf = False  # a GET search that changes nothing

    person = StringField("Person (name or email)", validators=[Length(max=100)])
    client_ref = StringField("Client reference", validators=[Length(max=64)])
    action = StringField("Action", validators=[Length(max=64)])
    kind = Select("What happened", choices=choices({"": "Everything", **AUDIT_KINDS}))
    since = StringField("From (YYYY-MM-DD)", validators=[Length(max=10)])
    until = StringField("To (YYYY-MM-DD)", validators=[Length(max=10)])
