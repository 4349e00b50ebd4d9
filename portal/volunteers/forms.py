"""Forms of the volunteers domain: every text field as long as its column, no longer."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from flask import request
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..forms import (
    CheckboxGroup,
    DateBox,
    Form,
    Radios,
    TimeBox,
    VersionField,
    WholeNumberField,
    box,
    choices,
    date_box,
    email_field,
    line,
)
from .applications import Answers
from .models import (
    ACCOMPANY_RULES,
    DBS_LEVELS,
    GENDERS,
    TRAVEL_MODES,
    WEEKDAYS,
    WEEKS_OF_MONTH,
)
from .services import today_local

PHONE = re.compile(r"^\+?[0-9 ()-]+$")
YES_NO = {"yes": "Yes", "no": "No"}


def phone_line() -> Any:
    """The optional phone number box, as the profile and the public application ask for it."""
    return line(
        "Phone number (optional)",
        40,
        too_long="Enter a phone number of 40 characters or fewer",
        render_kw={"type": "tel", "autocomplete": "tel"},
    )


def split_languages(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class ProfileForm(Form):
    preferred_name = line(
        "Preferred first name",
        60,
        "Enter a first name",
        too_long="Enter a first name of 60 characters or fewer",
    )
    pronouns = line(
        "Pronouns (optional)",
        40,
        too_long="Enter pronouns of 40 characters or fewer",
        description="For example, she/her, he/him or they/them.",
    )
    gender = Radios("Gender", GENDERS, "Select a gender", needed=True)
    languages = line(
        "Languages spoken",
        400,
        "Enter at least one language",
        too_long="Enter languages in 400 characters or fewer",
        description="Separate languages with commas, for example English, Polish.",
    )
    fellowship_ids = CheckboxGroup(
        "Fellowships known",
        "Select fellowships from the list",
        coerce=int,
        description="The fellowships whose meetings you know well enough to take a newcomer to.",
    )
    home_area = line(
        "Home area",
        100,
        "Enter your home area",
        too_long="Enter an area of 100 characters or fewer",
        description="The town or part of town you live in. Not your address.",
    )
    home_district = line(
        "Home postcode district (optional)",
        6,
        too_long="Enter only the first part of the postcode, like LS6",
        description="Only the first part of your postcode, like LS6: it tells us roughly how "
        "far meetings are from you. Not your full postcode.",
        render_kw={"spellcheck": "false", "autocapitalize": "characters"},
    )
    travel_modes = CheckboxGroup(
        "How you travel",
        "Select ways of travelling from the list",
        choices=choices(TRAVEL_MODES),
        validators=[DataRequired("Select at least one way of travelling")],
    )
    phone = phone_line()
    share_phone = Radios(
        "May we give your number to a client you accompany?",
        YES_NO,
        "Select yes or no",
        default="no",
        description="Only for escorts you have accepted, so you can find each other.",
        needed=True,
    )
    weekly_cap = WholeNumberField(
        "Most escorts in a week",
        "Enter a whole number, like 2",
        default=2,
        validators=[
            InputRequired("Enter the most escorts you will do in a week"),
            NumberRange(min=0, max=14, message="Enter a number from 0 to 14"),
        ],
        render_kw={"inputmode": "numeric"},
    )
    accompany_rule = Radios(
        "Whom will you accompany?",
        ACCOMPANY_RULES,
        "Select whom you will accompany",
        default="anyone",
        needed=True,
    )
    recovery_date = DateBox(
        "When did your recovery begin?",
        "Enter a real date, like 2024-03-27",
        description="Only the recovery champion sees this. Volunteers need a year in recovery.",
        validators=[Optional()],
    )

    def __init__(self, *args: Any, fellowships: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fellowship_ids.choices = choices({f.id: f.name for f in fellowships or []})

    def validate_phone(self, field: StringField) -> None:
        if field.data:
            digits = sum(ch.isdigit() for ch in field.data)
            if not PHONE.match(field.data) or not 7 <= digits <= 15:
                raise ValidationError("Enter a phone number, like 07700 900 982")

    def validate_share_phone(self, field: RadioField) -> None:
        if field.data == "yes" and not self.phone.data:
            raise ValidationError("Enter a phone number to share it")

    def validate_recovery_date(self, field: DateField) -> None:
        if field.data and field.data > today_local():
            raise ValidationError("The date your recovery began must be in the past")

    def validate_languages(self, field: StringField) -> None:
        parts = split_languages(field.data)
        if any(len(part) > 40 for part in parts):
            raise ValidationError("Enter each language in 40 characters or fewer")
        if len(parts) > 10:
            raise ValidationError("Enter up to 10 languages")

    def profile(self) -> dict[str, Any]:
        """The answers in the shape the services take."""
        return {
            "preferred_name": self.preferred_name.data,
            "pronouns": self.pronouns.data or None,
            "gender": self.gender.data,
            "languages": split_languages(self.languages.data),
            "fellowship_ids": list(self.fellowship_ids.data or []),
            "home_area": self.home_area.data,
            "home_district": self.home_district.data or None,
            "travel_modes": list(self.travel_modes.data or []),
            "phone": self.phone.data or None,
            "share_phone": self.share_phone.data == "yes",
            "weekly_cap": self.weekly_cap.data,
            "accompany_rule": self.accompany_rule.data,
            "recovery_date": self.recovery_date.data,
        }

    def fill_from(self, volunteer: Any) -> None:
        """Show a saved record in the form (for a GET)."""
        self.preferred_name.data = volunteer.preferred_name
        self.pronouns.data = volunteer.pronouns
        self.gender.data = volunteer.gender
        self.languages.data = ", ".join(volunteer.languages)
        self.fellowship_ids.data = [f.id for f in volunteer.fellowships]
        self.home_area.data = volunteer.home_area
        self.home_district.data = volunteer.home_district
        self.travel_modes.data = volunteer.travel_mode_list
        self.phone.data = volunteer.phone
        self.share_phone.data = "yes" if volunteer.share_phone else "no"
        self.weekly_cap.data = volunteer.weekly_cap
        self.accompany_rule.data = volunteer.accompany_rule
        self.recovery_date.data = volunteer.recovery_date


class ApplicationForm(ProfileForm):
    must_agree = True  # the code of conduct is due, so agreeing to it is required
    code_of_conduct = BooleanField(
        "I agree to the code of conduct",
        validators=[DataRequired("Agree to the code of conduct to volunteer")],
    )
    recovery_date = DateBox(
        "When did your recovery begin?",
        "Enter a real date, like 2024-03-27",
        description="Only the recovery champion sees this. Volunteers need a year in recovery.",
        validators=[InputRequired("Enter the date your recovery began")],
    )
    version = VersionField()

    @classmethod
    def for_volunteer(
        cls,
        volunteer: Any | None,
        *,
        fellowships: list,
        must_agree: bool,
        recovery_months: int,
        first_name: str,
    ) -> ApplicationForm:
        """The application: saved answers (or a first name) on a GET, the recovery time the
        service asks for, and the code of conduct required only when an agreement is due."""
        form = showing(cls(fellowships=fellowships), volunteer)
        form.recovery_date.description = (
            "Only the recovery champion sees this. Volunteers need "
            f"{'a year' if recovery_months == 12 else f'{recovery_months} months'} in recovery "
            "before escorting."
        )
        if volunteer is None and form.first_draw:
            form.preferred_name.data = first_name
        form.must_agree = must_agree
        if not must_agree:
            form.code_of_conduct.validators = []
        return form

    @property
    def agreed(self) -> bool:
        return bool(self.code_of_conduct.data)


# The champion fills these in about someone else.
THIRD_PERSON = {
    "home_area": ("Home area", "The town or part of town they live in. Not their address."),
    "fellowship_ids": ("Fellowships known", "Fellowships whose meetings they know well."),
    "phone": ("Phone number", None),
    "share_phone": (
        "May their number be given to a client they accompany?",
        "Only for escorts they have accepted.",
    ),
    "accompany_rule": ("Whom will they accompany?", None),
    "travel_modes": ("How they travel", None),
    "home_district": (
        "Home postcode district (optional)",
        "Only the first part of their postcode, like LS6. Not their full postcode.",
    ),
    "recovery_date": (
        "When did their recovery begin? (optional)",
        "As they told you. You confirm it on their page.",
    ),
}


class ChampionProfileForm(ProfileForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, (label, hint) in THIRD_PERSON.items():
            self[name].label.text = label
            if hint is not None:
                self[name].description = hint


class PhoneContactForm(ChampionProfileForm):
    """The champion's record of a group member who only takes phone calls."""

    def validate_phone(self, field: StringField) -> None:
        if not field.data:
            raise ValidationError("Enter their phone number")
        super().validate_phone(field)


class EditProfileForm(ChampionProfileForm):
    version = VersionField()


class InviteVolunteerForm(Form):
    name = line(
        "First name",
        60,
        "Enter their first name",
        too_long="Enter a name of 60 characters or fewer",
        description="The name they like to be called by.",
    )
    email = email_field(required="Enter their email address")


class StatusForm(Form):
    reason = TextAreaField(
        "Reason",
        validators=[
            Optional(),
            Length(max=500, message="Enter a reason of 500 characters or fewer"),
        ],
    )
    version = VersionField()


class VersionForm(Form):
    version = VersionField()


class ConflictNotesForm(Form):
    notes = TextAreaField(
        "Conflicts of interest",
        description="Only recovery champions see these notes. For example: knows client X.",
        validators=[Length(max=2000, message="Enter notes of 2,000 characters or fewer")],
    )
    version = VersionField()

    @classmethod
    def for_volunteer(cls, volunteer: Any) -> ConflictNotesForm:
        """The saved notes on a GET; on a POST, what was sent."""
        if request.method != "GET":
            return cls()
        return cls(data={"notes": volunteer.conflict_notes or "", "version": volunteer.version})


class CheckForm(Form):
    """Dates common to every safeguarding item."""

    issued_on = date_box(
        "Date issued",
        "Enter a real date, like 2025-01-31",
        "Enter the date it was issued",
    )
    expires_on = date_box("Expiry date", "Enter a real date, like 2026-01-31")
    version = VersionField()

    def validate_issued_on(self, field: DateField) -> None:
        if field.data and field.data > today_local():
            raise ValidationError("The issue date cannot be in the future")

    def validate_expires_on(self, field: DateField) -> None:
        if field.data and self.issued_on.data and field.data <= self.issued_on.data:
            raise ValidationError("The expiry date must be after the issue date")

    def item(self) -> dict[str, Any]:
        return self.data_for("issued_on", "expires_on")

    def fill_from(self, item: Any) -> None:
        self.issued_on.data = item.issued_on
        self.expires_on.data = item.expires_on
        self.version.data = item.version


class DbsForm(CheckForm):
    dbs_level = Radios("Level", DBS_LEVELS, "Select the level of the DBS check", needed=True)
    dbs_certificate_number = line(
        "Certificate number",
        20,
        "Enter the certificate number",
        too_long="Enter the 12-digit certificate number",
        description="12 digits, printed at the top right of the certificate.",
        render_kw={"inputmode": "numeric", "spellcheck": "false"},
    )
    dbs_update_service = Radios(
        "Subscribed to the DBS Update Service?", YES_NO, "Select yes or no", needed=True
    )

    def validate_dbs_certificate_number(self, field: StringField) -> None:
        number = (field.data or "").replace(" ", "")
        if not number.isdigit() or len(number) != 12:
            raise ValidationError("Enter the 12-digit certificate number")

    def item(self) -> dict[str, Any]:
        return super().item() | {
            "dbs_level": self.dbs_level.data,
            "dbs_certificate_number": self.dbs_certificate_number.data,
            "dbs_update_service": self.dbs_update_service.data == "yes",
        }

    def fill_from(self, item: Any) -> None:
        super().fill_from(item)
        self.dbs_level.data = item.dbs_level
        self.dbs_certificate_number.data = item.dbs_certificate_number
        self.dbs_update_service.data = "yes" if item.dbs_update_service else "no"


class ReferencesForm(CheckForm):
    references_received = Radios(
        "References received",
        {"1": "One", "2": "Both"},
        "Select how many references arrived",
        needed=True,
    )

    def item(self) -> dict[str, Any]:
        return super().item() | {"references_received": int(self.references_received.data)}

    def fill_from(self, item: Any) -> None:
        super().fill_from(item)
        self.references_received.data = str(item.references_received or "")


FilledForm = TypeVar("FilledForm", bound=Form)


def showing(form: FilledForm, record: Any | None) -> FilledForm:
    """`form` showing a saved `record` (and its version) on a GET; on a POST, what was sent."""
    if record is not None and form.first_draw:
        form.fill_from(record)  # type: ignore[attr-defined]
        form.version.data = record.version  # type: ignore[attr-defined]
    return form


CHECK_FORMS: dict[str, type[CheckForm]] = {
    "dbs": DbsForm,
    "training": CheckForm,
    "references": ReferencesForm,
    "lone_working": CheckForm,
    "code_of_conduct": CheckForm,
}


class AddMeetingForm(Form):
    meeting_id = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    frequency = Radios(
        "How often do you go?",
        {"every": "Every week", "some": "Only some weeks of the month"},
        "Select how often you go",
        default="every",
        needed=True,
    )
    weeks = CheckboxGroup(
        "Which weeks of the month?",
        "Select weeks from the list",
        coerce=int,
        choices=choices({int(k): v for k, v in WEEKS_OF_MONTH.items()}),
    )

    def validate_weeks(self, field: SelectMultipleField) -> None:
        if self.frequency.data == "some" and not field.data:
            raise ValidationError("Select the weeks of the month you go")

    def chosen_weeks(self) -> list[int]:
        return list(self.weeks.data or []) if self.frequency.data == "some" else []


class WindowForm(Form):
    weekday = SelectField(
        "Day",
        choices=choices({str(i): name for i, name in enumerate(WEEKDAYS)}),
        validate_choice=False,
        validators=[InputRequired("Select a day")],
    )
    start_time = TimeBox(
        "From", "Enter a time, like 18:30", validators=[InputRequired("Enter a start time")]
    )
    end_time = TimeBox(
        "Until", "Enter a time, like 21:00", validators=[InputRequired("Enter an end time")]
    )

    def validate_weekday(self, field: SelectField) -> None:
        if field.data not in {str(i) for i in range(7)}:
            raise ValidationError("Select a day")

    def validate_end_time(self, field: TimeField) -> None:
        if field.data and self.start_time.data and field.data <= self.start_time.data:
            raise ValidationError("The end time must be after the start time")


class AwayForm(Form):
    first_day = date_box(
        "First day away",
        "Enter a real date, like 2025-08-01",
        "Enter the first day you are away",
    )
    last_day = date_box(
        "Last day away",
        "Enter a real date, like 2025-08-14",
        "Enter the last day you are away",
    )

    def validate_last_day(self, field: DateField) -> None:
        if field.data and self.first_day.data and field.data < self.first_day.data:
            raise ValidationError("The last day must be on or after the first day")


# --- the public "Volunteer with us" form and the champion's decline (applications.py) ---------


class HoneypotField(StringField):
    """A field people neither see nor reach with the keyboard: only a program fills it in. Its
    data says whether it was filled; what was typed is never kept, checked or shown again."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = bool(valuelist and valuelist[0])

    def _value(self) -> str:
        return ""


class ApplyForm(Form):
    """The least an applicant tells us: nothing else (no address, no date of birth, no health
    details beyond whether they are in recovery)."""

    first_name = line(
        "First name",
        60,
        "Enter your first name",
        too_long="Enter a first name of 60 characters or fewer",
    )
    email = email_field(required="Enter your email address")
    phone = phone_line()
    in_recovery = Radios(
        "Are you in recovery yourself?",
        YES_NO,
        "Select yes if you are in recovery yourself",
        needed=True,
    )
    fellowship_ids = CheckboxGroup(
        "Which groups do you know? (optional)",
        "Select groups from the list",
        coerce=int,
        description="Tick the groups whose meetings you go to or know well.",
    )
    message = box(
        "Anything you would like to tell us (optional)",
        500,
        too_long="Enter a message of 500 characters or fewer",
        description="For example, when you are usually free. You do not need to tell us about "
        "your health.",
    )
    website = HoneypotField("Leave this empty")

    def __init__(self, *args: Any, fellowships: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fellowship_ids.choices = choices({f.id: f.name for f in fellowships or []})

    @property
    def filled_by_a_program(self) -> bool:
        return self.is_submitted() and bool(self.website.data)

    def validate_phone(self, field: StringField) -> None:
        ProfileForm.validate_phone(self, field)  # type: ignore[arg-type]

    def answers(self) -> Answers:
        return Answers(
            first_name=self.first_name.data,
            email=self.email.data,
            phone=self.phone.data or None,
            in_recovery=self.in_recovery.data == "yes",
            fellowship_ids=list(self.fellowship_ids.data or []),
            message=self.message.data or None,
        )


class ConfirmApplicationForm(Form):
    """The confirmation link's one button (its token is in the address)."""


class DeclineApplicationForm(Form):
    reason = box(
        "Reason (optional)",
        500,
        too_long="Enter a reason of 500 characters or fewer",
        description="For the service's own records: the applicant never sees it. Do not write "
        "their name or contact details here.",
    )
