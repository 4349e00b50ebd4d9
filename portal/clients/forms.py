from __future__ import annotations

from datetime import datetime
from typing import Any

from wtforms import (
    BooleanField,
    HiddenField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..forms import CheckboxGroup, Form, Radios, Select, VersionField, box, choices, date_box, line
from ..notify.texts import shown_mobile
from . import fama
from .models import CONSENTS, GENDERS, OUTCOMES, Client, Goal
from .picker import today_in_london

# The client's own details, read from the record into the form and back out as they are.
DETAIL_FIELDS = (
    "reference",
    "first_name",
    "gender",
    "pronouns",
    "languages",
    "access_needs",
    "literacy_support",
    "home_district",
)


class ClientForm(Form):
    reference = line(
        "Case-management reference",
        40,
        "Enter the client's case-management reference",
        description="As it appears in your case-management system. It must be unique.",
    )
    first_name = line(
        "Preferred first name",
        60,
        "Enter the name the client likes to be called",
        description="Only the name they like to be called. Do not enter a surname.",
    )
    gender = Radios(
        "Gender",
        GENDERS,
        validators=[InputRequired("Select how the client describes their gender")],
    )
    pronouns = line(
        "Pronouns (optional)", 40, description="For example, she/her, he/him, they/them"
    )
    languages = line(
        "Languages (optional)",
        200,
        description="The languages they speak, for example English, Polish",
    )
    access_needs = box(
        "Access needs (optional)",
        500,
        description=(
            "Anything a venue or a peer should know, like step-free access or a hearing loop."
        ),
    )
    fellowships = CheckboxGroup(
        "Fellowships they are interested in (optional)",
        "Select fellowships from the list",
        coerce=int,
        choices=[],
    )
    literacy_support = BooleanField("The client needs support with reading or writing")
    home_district = line(
        "Home postcode district (optional)",
        6,
        too_long="Enter only the first part of the postcode, like LS6",
        description="Only the first part of their postcode, like LS6, to find meetings near "
        "them. Never the full postcode.",
    )
    version = VersionField()

    @classmethod
    def for_client(cls, client: Client | None) -> ClientForm:
        """Blank for a new client; a correction starts from the client's details as they stand."""
        if client is None:
            return cls()
        return cls.drawn(
            {
                **{name: getattr(client, name) for name in DETAIL_FIELDS},
                "fellowships": [f.id for f in client.fellowships],
                "version": client.version,
            },
        )

    def details(self) -> dict[str, Any]:
        """The answers as add_client and update_client take them."""
        return {
            **self.data_for(*DETAIL_FIELDS),
            "fellowship_ids": self.fellowships.data or [],
        }


class VersionForm(Form):
    """A one-button action carrying the version of the record the person was looking at."""

    version = VersionField(required=True)


class ConsentForm(Form):
    agreed = BooleanField(
        "The client has heard these words and agrees",
        validators=[DataRequired("Confirm the client agrees to these words")],
    )
    phone = line("Phone number", 30, description="A mobile is best, for example 07700 900123")
    version = VersionField(required=True)

    @classmethod
    def for_kind(cls, kind: str, client: Client) -> ConsentForm:
        """The form for one consent, the client's phone as people write it; texts need a
        mobile, so that consent asks for one."""
        form = cls(data={"version": client.version, "phone": shown_mobile(client.phone)})
        if kind == "texts":
            form.phone.label.text = "Mobile number"
            form.phone.description = "Reminders are texted to this number, like 07700 900123"
        return form


class OutcomeForm(Form):
    outcome = Radios("Where has the client got to?", {**OUTCOMES, "": "Still working towards it"})
    version = VersionField(required=True)


class _SessionBase(Form):
    held_on = date_box(
        "Date of the session",
        "Enter the date of the session, like 2026-12-03",
        "Enter the date of the session",
    )
    notes = box(
        "Notes about mutual aid (optional)",
        1000,
        description="Only what helps with mutual aid. Do not write clinical notes here.",
    )

    @classmethod
    def for_new(cls, defaults: dict[str, Any], now: datetime) -> _SessionBase:
        """First drawn with today's date and the answers already known (from an escort)."""
        return cls.drawn({"held_on": today_in_london(now), **defaults})


class _Commitment(Form):
    """The meeting picker: search fields (never stored) and the chosen meeting and date."""

    meeting_q = line("Meeting name, area or postcode", 100)
    meeting_fellowship = StringField("Fellowship", validators=[Optional(), Length(max=10)])
    meeting_day = StringField("Day", validators=[Optional(), Length(max=2)])
    # geography (issue 15): "near" lists meetings nearest the client's postcode district first
    meeting_order = StringField("Order", validators=[Optional(), Length(max=10)])
    commitment = StringField(
        "The meeting the client commits to", validators=[Optional(), Length(max=40)]
    )
    wants_company = Radios(
        "Would the client like someone to go with them?",
        fama.YES_NO,
        description="If yes, you will ask for a peer next, with the meeting filled in.",
    )


class Session1Form(_SessionBase):
    past_experience = Radios(
        "Past experience of mutual aid groups",
        fama.PAST_EXPERIENCE,
        validators=[InputRequired("Select the client's past experience of mutual aid")],
    )
    experience_note = box(
        "What they said about it (optional)",
        500,
        description="For example which groups, and how long ago.",
    )
    handouts = CheckboxGroup("Hand-outs given", choices=choices(fama.HANDOUTS))
    journal_given = BooleanField("A journal was given")
    literacy_support = Radios("Support with reading the hand-outs", fama.LITERACY_SUPPORT)
    goals = CheckboxGroup("Goals set for the next session", choices=choices(fama.SESSION1_GOALS))


class Session2Form(_SessionBase, _Commitment):
    handouts = CheckboxGroup("Hand-outs talked through", choices=choices(fama.HANDOUTS))
    last_goal_met = Radios("Did the client meet last session's goal?", fama.GOAL_MET)
    concerns = CheckboxGroup("Worries talked through", choices=choices(fama.WORRIES))
    concern_other = line("The other worry (optional)", 300)
    preferred_group = Radios("Type of group the client would like to try", fama.GROUP_TYPES)


class Session3Form(_SessionBase, _Commitment):
    attended = Radios(
        "Did the client go to the meeting?",
        fama.YES_NO,
        validators=[InputRequired("Say whether the client went to the meeting")],
    )
    which_meeting = Radios(
        "Which meeting?", {"committed": "The meeting they committed to", "other": "Another meeting"}
    )
    attended_meeting_other = line("The other meeting's name (optional)", 200)
    reactions = box("How they felt about it", 1000)
    benefits = box("What was good about it", 1000)
    drawbacks = box("What was hard about it", 1000)
    concerns = CheckboxGroup("Worries revisited", choices=choices(fama.WORRIES))
    concern_other = line("The other worry (optional)", 300)
    encouragement = CheckboxGroup("Encouragement given", choices=choices(fama.ENCOURAGEMENT))
    participation = CheckboxGroup("Next steps in the group", choices=choices(fama.PARTICIPATION))


SESSION_FORMS = {1: Session1Form, 2: Session2Form, 3: Session3Form}


class GoalForm(Form):
    goal = box(
        "Goal",
        300,
        "Write the goal",
        description="For example: talk to people at meetings, or find a sponsor.",
    )
    progress = box("Progress made so far (optional)", 1000)
    remaining = box("What is left, and who may help (optional)", 1000)
    achieved = BooleanField("This goal has been reached")
    version = VersionField()

    @classmethod
    def for_goal(cls, goal: Goal) -> GoalForm:
        return cls.drawn(obj=goal)

    def changes(self) -> dict[str, Any]:
        """The answers as update_goal takes them."""
        return {
            "goal_text": self.goal.data,
            **self.data_for("progress", "remaining", "achieved"),
        }


class JournalForm(Form):
    attended_on = date_box(
        "Date of the meeting",
        "Enter the date of the meeting, like 2026-12-03",
        "Enter the date of the meeting",
    )
    meeting_name = line("Which meeting", 200, "Write which meeting it was")
    reactions = box("How they felt about it", 1000)
    benefits = box("What was good about it", 1000)
    drawbacks = box("What was hard about it", 1000)

    @classmethod
    def for_new(cls) -> JournalForm:
        return cls.drawn({"attended_on": today_in_london()})

    def entry(self) -> dict[str, Any]:
        """The answers as add_journal_entry takes them."""
        names = ("attended_on", "meeting_name", "reactions", "benefits", "drawbacks")
        return {name: self[name].data for name in names}


class TransferSearchForm(Form):
    class Meta:
        csrf = False

    reference = line("Client's case-management reference", 40)


class TransferForm(Form):
    reference = StringField(validators=[DataRequired(), Length(max=40)], widget=HiddenField.widget)
    keyworker_id = Select(
        "Move to keyworker",
        choices=[],
        validators=[DataRequired("Choose the keyworker to move the client to")],
    )
    version = VersionField(required=True)

    @classmethod
    def for_client(cls, client: Client | None) -> TransferForm:
        """Names the client found, at the version the admin is looking at."""
        return cls(
            data={"reference": client.reference, "version": client.version} if client else {}
        )


CONSENT_KINDS = tuple(CONSENTS)
