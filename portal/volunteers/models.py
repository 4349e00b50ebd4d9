"""Volunteers: profile and vetting, dated safeguarding items, and availability."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..auth.models import User
from ..dbtypes import UTCDateTime, label_of, one_of, parent_key
from ..extensions import db
from ..meetings.models import Fellowship, Meeting

STATUSES = {
    "applied": "Applied",
    "approved": "Approved",
    "paused": "Paused",
    "withdrawn": "Withdrawn",
}
GENDERS = {
    "woman": "Woman",
    "man": "Man",
    "non-binary": "Non-binary",
    "not_said": "Prefer not to say",
}
TRAVEL_MODES = {"walk": "Walking", "public_transport": "Public transport", "car": "Car"}
ACCOMPANY_RULES = {"anyone": "Anyone", "same_gender": "People of my own gender only"}
SAFEGUARDING_KINDS = {
    "dbs": "DBS check",
    "training": "Safeguarding and confidentiality training",
    "references": "References",
    "lone_working": "Lone-working briefing",
    "code_of_conduct": "Code of conduct agreed",
}
# A safeguarding item of a kind the service defined (CheckKind) carries this code.
SERVICE_KIND = "service"
SUPERVISION_KINDS = {
    "one_to_one": "One-to-one",
    "group": "Group",
    "reflective": "Reflective practice",
}
DBS_LEVELS = {"basic": "Basic", "standard": "Standard", "enhanced": "Enhanced"}
# Python's numbering (date.weekday()): 0 = Monday. Meetings keep Meeting Guide's 0 = Sunday.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKS_OF_MONTH = {"1": "1st", "2": "2nd", "3": "3rd", "4": "4th", "5": "5th"}

volunteer_fellowships = Table(
    "volunteer_fellowships",
    db.metadata,
    Column(
        "volunteer_id",
        ForeignKey("volunteers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("fellowship_id", ForeignKey("fellowships.id"), primary_key=True, index=True),
)


class Volunteer(db.Model):
    """A peer who accompanies; linked to an account unless they are a phone-only contact."""

    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    preferred_name: Mapped[str] = mapped_column(String(60))
    pronouns: Mapped[str | None] = mapped_column(String(40))
    gender: Mapped[str | None] = mapped_column(String(20))
    home_area: Mapped[str | None] = mapped_column(String(100), index=True)
    # The home postcode's district only ("LS6"), never the address; its centre places them.
    home_district: Mapped[str | None] = mapped_column(String(4))
    # Space-separated TRAVEL_MODES codes.
    travel_modes: Mapped[str] = mapped_column(String(60), default="")
    phone: Mapped[str | None] = mapped_column(String(40))
    share_phone: Mapped[bool] = mapped_column(Boolean, default=False)
    weekly_cap: Mapped[int] = mapped_column(Integer, default=2)
    accompany_rule: Mapped[str] = mapped_column(String(20), default="anyone")
    phone_only: Mapped[bool] = mapped_column(Boolean, default=False)

    status: Mapped[str] = mapped_column(String(20), default="applied", index=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    recovery_date: Mapped[date | None] = mapped_column(Date)
    recovery_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recovery_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    code_of_conduct_agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    application_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Seen by champions only, never by the volunteer.
    conflict_notes: Mapped[str | None] = mapped_column(Text)

    # Only a hash of the calendar feed's secret is kept; resetting it kills the old URL.
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    last_active_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    fellowships: Mapped[list[Fellowship]] = relationship(
        secondary=volunteer_fellowships, order_by=Fellowship.name
    )
    language_rows: Mapped[list[VolunteerLanguage]] = relationship(
        cascade="all, delete-orphan", order_by="VolunteerLanguage.language"
    )

    __table_args__ = (
        CheckConstraint(
            "status IN ('applied', 'approved', 'paused', 'withdrawn')", name="status_kind"
        ),
        CheckConstraint("weekly_cap >= 0", name="weekly_cap_not_negative"),
        CheckConstraint("accompany_rule IN ('anyone', 'same_gender')", name="accompany_rule_kind"),
    )

    @property
    def languages(self) -> list[str]:
        return [row.language for row in self.language_rows]

    @property
    def travel_mode_list(self) -> list[str]:
        return self.travel_modes.split() if self.travel_modes else []

    status_label = label_of("status", STATUSES)


class VolunteerLanguage(db.Model):
    __tablename__ = "volunteer_languages"

    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Lower-cased copy for filtering without regard to case on every database.
    folded: Mapped[str] = mapped_column(String(40), index=True)


class SafeguardingItem(db.Model):
    """One dated check (DBS outcome, training, references, briefing, code of conduct).

    Valid from `issued_on` up to and including `expires_on`; no expiry means it never lapses.
    A DBS row holds the outcome only, never the content of a disclosure.
    """

    __tablename__ = "safeguarding_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    # Set for the kinds the service defines (kind "service"), empty for the built-in ones.
    check_kind_id: Mapped[int | None] = mapped_column(ForeignKey("check_kinds.id"), index=True)
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    dbs_level: Mapped[str | None] = mapped_column(String(10))
    dbs_certificate_number: Mapped[str | None] = mapped_column(String(20))
    dbs_update_service: Mapped[bool | None] = mapped_column(Boolean)
    references_received: Mapped[int | None] = mapped_column(SmallInteger)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        CheckConstraint(
            "kind IN ('dbs', 'training', 'references', 'lone_working', 'code_of_conduct', "
            "'service')",
            name="kind_known",
        ),
        CheckConstraint(
            "(kind = 'service' AND check_kind_id IS NOT NULL) "
            "OR (kind <> 'service' AND check_kind_id IS NULL)",
            name="service_kind_named",
        ),
        CheckConstraint("expires_on IS NULL OR expires_on >= issued_on", name="expiry_after_issue"),
        CheckConstraint(
            "dbs_level IS NULL OR dbs_level IN ('basic', 'standard', 'enhanced')",
            name="dbs_level_kind",
        ),
        CheckConstraint(
            "references_received IS NULL OR references_received BETWEEN 0 AND 2",
            name="references_range",
        ),
        Index("ix_safeguarding_items_volunteer_kind", "volunteer_id", "kind"),
    )

    check_kind: Mapped[CheckKind | None] = relationship(lazy="joined")

    @property
    def kind_label(self) -> str:
        if self.check_kind is not None:
            return self.check_kind.name
        return SAFEGUARDING_KINDS.get(self.kind, self.kind)

    @property
    def kind_key(self) -> str:
        """The kind as addresses name it: "dbs"…, or "service-12" for a service's own kind."""
        return f"service-{self.check_kind_id}" if self.check_kind_id else self.kind


class CheckKind(db.Model):
    """A check or training the service defines ("Naloxone training"), beside the built-in ones.

    Retiring one keeps it and every item recorded of it; it is no longer asked for.
    """

    __tablename__ = "check_kinds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    # Lower-cased, trimmed name: two kinds may not differ only by case.
    folded: Mapped[str] = mapped_column(String(80), unique=True)
    # None: it does not expire.
    valid_months: Mapped[int | None] = mapped_column(SmallInteger)
    needed_to_escort: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        CheckConstraint("valid_months IS NULL OR valid_months BETWEEN 1 AND 120", name="months"),
    )

    @property
    def key(self) -> str:
        return f"service-{self.id}"


class Supervision(db.Model):
    """One supervision a volunteer had. The note is for champions only, never the volunteer."""

    __tablename__ = "supervisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = parent_key("volunteers.id")
    held_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    # A champion's account, or the name of someone outside the portal.
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    held_by_name: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(500))
    next_due_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    held_by: Mapped[User | None] = relationship(foreign_keys=[held_by_id], lazy="joined")

    __table_args__ = (
        CheckConstraint(one_of("kind", SUPERVISION_KINDS), name="kind_known"),
        CheckConstraint("next_due_on > held_on", name="due_after_held"),
        Index("ix_supervisions_volunteer_held", "volunteer_id", "held_on"),
    )

    kind_label = label_of("kind", SUPERVISION_KINDS)

    @property
    def held_by_label(self) -> str:
        if self.held_by is not None:
            return self.held_by.name
        return self.held_by_name or "Not recorded"


class VolunteerMeeting(db.Model):
    """A meeting the volunteer goes to anyway, every week or on some weeks of the month."""

    __tablename__ = "volunteer_meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = parent_key("volunteers.id")
    meeting_id: Mapped[int] = parent_key("meetings.id")
    # "every", or week numbers of the month 1..5 separated by commas ("1,3").
    weeks: Mapped[str] = mapped_column(String(10), default="every")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("volunteer_id", "meeting_id", name="uq_volunteer_meetings_pair"),
    )

    @property
    def week_numbers(self) -> list[int]:
        if self.weeks == "every":
            return []
        return [int(w) for w in self.weeks.split(",") if w.isdigit()]

    @property
    def frequency_label(self) -> str:
        if self.weeks == "every":
            return "Every week"
        labels = [WEEKS_OF_MONTH[str(n)] for n in self.week_numbers if str(n) in WEEKS_OF_MONTH]
        if not labels:
            return "Every week"
        joined = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
        return f"{joined} {self.meeting.weekday_name} of the month"


class AvailabilityWindow(db.Model):
    """A weekly stretch of free time, local wall-clock time (Europe/London); 0 = Monday."""

    __tablename__ = "availability_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = parent_key("volunteers.id")
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("end_time > start_time", name="ends_after_start"),
        # Matching's SQL filter asks "who is free on this weekday at this time" (0010).
        Index("ix_availability_windows_weekday_start", "weekday", "start_time"),
    )

    @property
    def weekday_name(self) -> str:
        return WEEKDAYS[self.weekday]


class TimeAway(db.Model):
    """Dates the volunteer is away, both ends included."""

    __tablename__ = "volunteer_time_away"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = parent_key("volunteers.id")
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date, index=True)

    __table_args__ = (CheckConstraint("last_day >= first_day", name="ends_after_start"),)


# --- applications through the public "Volunteer with us" form (portal/volunteers/applications.py)

APPLICATION_STATES = {
    "unconfirmed": "Email address not confirmed",
    "confirmed": "Waiting for a decision",
    "invited": "Invited",
    "declined": "Declined",
}

volunteer_application_fellowships = Table(
    "volunteer_application_fellowships",
    db.metadata,
    Column(
        "application_id",
        ForeignKey("volunteer_applications.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("fellowship_id", ForeignKey("fellowships.id"), primary_key=True, index=True),
)


class VolunteerApplication(db.Model):
    """Someone who offered to volunteer through the public form: the least the champion needs
    to decide whether to invite them. Declining empties every personal column (the database
    refuses a declined row that still holds any); inviting links the new volunteer record and
    lets the email and phone go (the account and profile hold their own)."""

    __tablename__ = "volunteer_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(12), default="unconfirmed")
    first_name: Mapped[str | None] = mapped_column(String(60))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    in_recovery: Mapped[bool | None] = mapped_column(Boolean)
    message: Mapped[str | None] = mapped_column(String(500))
    # An HMAC of the sender's address under the app's secret key: it counts their applications
    # for the hourly limit; the address itself is never kept.
    address_hash: Mapped[str | None] = mapped_column(String(64))
    # Only a hash of the confirmation link's secret, as for password-reset links.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Kept for the service only: never shown or sent to the applicant.
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )

    fellowships: Mapped[list[Fellowship]] = relationship(
        secondary=volunteer_application_fellowships, order_by=Fellowship.name
    )

    __table_args__ = (
        CheckConstraint(
            "state IN ('unconfirmed', 'confirmed', 'invited', 'declined')", name="state_kind"
        ),
        CheckConstraint(
            "state NOT IN ('unconfirmed', 'confirmed') "
            "OR (first_name IS NOT NULL AND email IS NOT NULL)",
            name="open_has_contact",
        ),
        CheckConstraint(
            "state <> 'declined' OR (first_name IS NULL AND email IS NULL AND phone IS NULL "
            "AND in_recovery IS NULL AND message IS NULL AND address_hash IS NULL)",
            name="declined_holds_nothing_personal",
        ),
        # the hourly limit per sender, the daily limit per email, the list and the clean-up
        Index("ix_volunteer_applications_address_created", "address_hash", "created_at"),
        Index("ix_volunteer_applications_email_created", "email", "created_at"),
        Index("ix_volunteer_applications_state_created", "state", "created_at"),
    )

    state_label = label_of("state", APPLICATION_STATES)
