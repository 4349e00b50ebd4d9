"""Clients with the least data that does the job: consents, FAMA sessions, goals, journal."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..dbtypes import UTCDateTime, label_of, parent_key
from ..extensions import db
from ..meetings.models import Fellowship, Meeting

GENDERS = {
    "woman": "Woman",
    "man": "Man",
    "non-binary": "Non-binary",
    "other": "Describes their gender another way",
    "not_said": "Prefers not to say",
}
STATUSES = {"active": "Active", "closed": "Closed"}
OUTCOMES = {"engaged": "Engaged with a group", "not_attending": "Not attending for now"}

# Consent kinds, and the words the client agreed to. Change the wording → give it a new version.
CONSENTS = {
    "share_first_name": {
        "label": "Share their preferred first name with the volunteer",
        "version": "2026-1",
        "wording": (
            "The volunteer who meets me may be told my preferred first name, so they can "
            "find me and greet me."
        ),
    },
    "share_phone": {
        "label": "Share their phone number with the volunteer",
        "version": "2026-1",
        "wording": (
            "The volunteer who meets me may be given my phone number, only to arrange meeting "
            "up for this meeting."
        ),
    },
    "texts": {
        "label": "Send them text reminders about their meeting",
        "version": "2026-1",
        "wording": (
            "I may be sent text messages on my mobile to remind me of the meeting I chose: the "
            "day before and on the day, with the time, where to meet and who will meet me. The "
            "texts will not say what the service is. I can ask for them to stop at any time."
        ),
    },
}
# The consents that keep the client's phone: it is removed when none of them holds.
PHONE_CONSENTS = ("share_phone", "texts")
# Each consent kind and the client's flag that says whether it holds now.
CONSENT_FLAGS = {
    "share_first_name": "consent_first_name",
    "share_phone": "consent_phone",
    "texts": "consent_texts",
}

client_fellowships = Table(
    "client_fellowships",
    db.metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("fellowship_id", ForeignKey("fellowships.id"), primary_key=True),
)


class Client(db.Model):
    """A client of the service: no surname, date of birth, address or clinical notes."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    first_name: Mapped[str] = mapped_column(String(60))
    gender: Mapped[str] = mapped_column(String(12))
    pronouns: Mapped[str | None] = mapped_column(String(40))
    languages: Mapped[str | None] = mapped_column(String(200))
    access_needs: Mapped[str | None] = mapped_column(String(500))
    literacy_support: Mapped[bool] = mapped_column(Boolean, default=False)
    # The home postcode's district only ("LS6"), never a full postcode: for meetings near them.
    home_district: Mapped[str | None] = mapped_column(String(4))
    keyworker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="active", index=True)
    # Current consents (the history is in client_consents); the phone only while consented.
    consent_first_name: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_phone: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_texts: Mapped[bool] = mapped_column(Boolean, default=False)  # reminders by text
    # Kept only while a consent that needs it holds; E.164 ("+447700900123") while texts do.
    phone: Mapped[str | None] = mapped_column(String(30))
    # Where the client is in FAMA, kept up to date by the session services for the caseload.
    last_session_kind: Mapped[int] = mapped_column(SmallInteger, default=0)
    last_session_on: Mapped[date | None] = mapped_column(Date)
    commitment_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    commitment_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    fama_outcome: Mapped[str | None] = mapped_column(String(16))
    fama_outcome_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When the case was last closed: the retention period counts from here (migration 0008).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    fellowships: Mapped[list[Fellowship]] = relationship(
        secondary=client_fellowships, lazy="selectin", order_by=Fellowship.name
    )
    commitment_meeting: Mapped[Meeting | None] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("status IN ('active', 'closed')", name="status_kind"),
        CheckConstraint(
            "fama_outcome IS NULL OR fama_outcome IN ('engaged', 'not_attending')",
            name="outcome_kind",
        ),
        CheckConstraint("last_session_kind BETWEEN 0 AND 3", name="session_kind"),
    )

    gender_label = label_of("gender", GENDERS)

    @property
    def peer_gender_for_same(self) -> str | None:
        """The peer gender 'same as the client' means, when the client's gender says it."""
        return self.gender if self.gender in ("woman", "man", "non-binary") else None


class Consent(db.Model):
    """One recorded consent decision; the latest row of a kind is the one that holds."""

    __tablename__ = "client_consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = parent_key("clients.id")
    kind: Mapped[str] = mapped_column(String(20))
    given: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    wording_version: Mapped[str] = mapped_column(String(20))

    __table_args__ = (
        CheckConstraint(
            "kind IN ('share_first_name', 'share_phone', 'texts')", name="consent_kind"
        ),
    )


class _MeetingThoughts:
    """What the client thought of a meeting they went to: the journal's three questions, asked
    again in session three (whose answers become a journal entry)."""

    reactions: Mapped[str | None] = mapped_column(String(1000))
    benefits: Mapped[str | None] = mapped_column(String(1000))
    drawbacks: Mapped[str | None] = mapped_column(String(1000))

    def thoughts(self) -> dict[str, str | None]:
        return {"reactions": self.reactions, "benefits": self.benefits, "drawbacks": self.drawbacks}


class FamaSession(_MeetingThoughts, db.Model):
    """One keywork session about mutual aid: kind 1, 2 or 3 (2 and 3 repeat as needed)."""

    __tablename__ = "fama_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = parent_key("clients.id")
    kind: Mapped[int] = mapped_column(SmallInteger)
    held_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Session 1
    past_experience: Mapped[str | None] = mapped_column(String(10))
    experience_note: Mapped[str | None] = mapped_column(String(500))
    journal_given: Mapped[bool | None] = mapped_column(Boolean)
    literacy_support: Mapped[str | None] = mapped_column(String(12))
    goals: Mapped[list] = mapped_column(JSON, default=list)
    # Hand-outs given (session 1) or talked through (session 2)
    handouts: Mapped[list] = mapped_column(JSON, default=list)
    # Which wording of each hand-out that was, when the session was saved: {"3": 2}. On the
    # session's own row: written once with it, read with it, never queried on its own.
    handout_versions: Mapped[dict | None] = mapped_column(JSON)
    # Session 2
    last_goal_met: Mapped[str | None] = mapped_column(String(10))
    preferred_group: Mapped[str | None] = mapped_column(String(20))
    # Worries talked through (session 2) or revisited (session 3)
    concerns: Mapped[list] = mapped_column(JSON, default=list)
    concern_other: Mapped[str | None] = mapped_column(String(300))
    # Session 3
    attended: Mapped[bool | None] = mapped_column(Boolean)
    attended_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    attended_meeting_other: Mapped[str | None] = mapped_column(String(200))
    encouragement: Mapped[list] = mapped_column(JSON, default=list)
    participation: Mapped[list] = mapped_column(JSON, default=list)
    # The commitment (sessions 2 and 3): one dated occurrence of a meeting
    commitment_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    commitment_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wants_company: Mapped[bool | None] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(String(1000))

    commitment_meeting: Mapped[Meeting | None] = relationship(
        foreign_keys=[commitment_meeting_id], lazy="joined"
    )
    attended_meeting: Mapped[Meeting | None] = relationship(
        foreign_keys=[attended_meeting_id], lazy="joined"
    )

    __table_args__ = (
        CheckConstraint("kind BETWEEN 1 AND 3", name="kind_range"),
        Index("ix_fama_sessions_client_held", "client_id", "held_on"),
        # reports count commitments made in a period
        Index("ix_fama_sessions_commitment_at", "commitment_at"),
    )


class Goal(db.Model):
    """A line of the goal planner: the goal, progress made, what is left and who may help."""

    __tablename__ = "client_goals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = parent_key("clients.id")
    goal: Mapped[str] = mapped_column(String(300))
    progress: Mapped[str | None] = mapped_column(String(1000))
    remaining: Mapped[str | None] = mapped_column(String(1000))
    achieved: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)


class JournalEntry(_MeetingThoughts, db.Model):
    """A meeting the client went to, with their reactions, the good and the hard parts."""

    __tablename__ = "client_journal_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = parent_key("clients.id")
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("fama_sessions.id", ondelete="SET NULL")
    )
    attended_on: Mapped[date] = mapped_column(Date)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    meeting_other: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    meeting: Mapped[Meeting | None] = relationship(lazy="joined")

    @property
    def meeting_label(self) -> str:
        if self.meeting is not None:
            return self.meeting.name
        return self.meeting_other or "A meeting"


class HandoutVersion(db.Model):
    """One saved wording of a hand-out for this service. Version 1 is the portal's standard
    wording and is never stored; each save adds the next number, so no wording is overwritten
    and the unique key turns two admins saving at once into one save and one clear refusal."""

    __tablename__ = "handout_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer)
    # {"sections": [...]} in the shape of portal/clients/handout_text.py; None means "back to
    # the standard wording".
    body: Mapped[dict | None] = mapped_column(JSON)
    saved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_handout_versions_key_version"),
        CheckConstraint("version >= 2", name="after_standard"),
    )
