"""Accompaniment requests and the events that record every change of their state."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..dbtypes import UTCDateTime, label_of, one_of, parent_key, unique_where
from ..extensions import db
from ..meetings.models import Meeting

STATES = {
    "open": "Waiting for a volunteer",
    "offered": "Offered to a volunteer",
    "accepted": "Volunteer confirmed",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "unfilled": "Nobody could go",
}
LIVE_STATES = ("open", "offered", "accepted")
OUTCOMES = {
    "attended": "The client went to the meeting",
    "client_did_not_come": "The client did not come",
    "volunteer_could_not_go": "The volunteer could not go",
}
PEER_GENDERS = {
    "any": "No preference",
    "same": "Same gender as the client",
    "woman": "A woman",
    "man": "A man",
    "non-binary": "A non-binary person",
}
DEFAULT_MEETING_POINT = "Outside the main entrance"
DEFAULT_MINUTES_BEFORE = 15


class AccompanimentRequest(db.Model):
    """A keyworker's request for a peer to go with a client to one dated meeting."""

    __tablename__ = "accompaniment_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = parent_key("clients.id")
    # indexed: reports join commitments to the requests raised from them
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("fama_sessions.id", ondelete="SET NULL"), index=True
    )
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    meeting_date: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    meeting_point: Mapped[str] = mapped_column(String(200), default=DEFAULT_MEETING_POINT)
    minutes_before: Mapped[int] = mapped_column(SmallInteger, default=DEFAULT_MINUTES_BEFORE)
    peer_gender: Mapped[str] = mapped_column(String(12), default="any")
    language: Mapped[str | None] = mapped_column(String(60))
    fellowship_experience: Mapped[bool] = mapped_column(Boolean, default=False)
    note_for_champion: Mapped[str | None] = mapped_column(String(1000))
    note_for_volunteer: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(12), default="open", index=True)
    outcome: Mapped[str | None] = mapped_column(String(24))
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    # First name of the peer who will meet the client, set when a volunteer accepts.
    peer_first_name: Mapped[str | None] = mapped_column(String(60))
    # The volunteer who accepted, and when (cleared when the request opens again).
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The request for the client's current commitment (at most one per client).
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    meeting: Mapped[Meeting] = relationship(lazy="joined")
    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request",
        order_by="RequestEvent.id",
        cascade="all, delete-orphan",
        lazy="select",
    )

    __table_args__ = (
        CheckConstraint(one_of("state", STATES), name="state_kind"),
        CheckConstraint("outcome IS NULL OR " + one_of("outcome", OUTCOMES), name="outcome_kind"),
        CheckConstraint(one_of("peer_gender", PEER_GENDERS), name="peer_gender_kind"),
        CheckConstraint("minutes_before BETWEEN 0 AND 120", name="minutes_before_range"),
        unique_where("uq_accompaniment_requests_current_client", "client_id", where="is_current"),
        # A volunteer's record of turning up (matching's scores) read from the index alone (0019).
        Index(
            "ix_accompaniment_requests_volunteer_record",
            "volunteer_id",
            "state",
            "starts_at",
            "outcome",
        ),
    )

    state_label = label_of("state", STATES)

    @property
    def outcome_label(self) -> str | None:
        return OUTCOMES.get(self.outcome) if self.outcome else None

    peer_gender_label = label_of("peer_gender", PEER_GENDERS)

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    @property
    def meeting_point_at(self) -> datetime:
        """When the peer meets the client: the escort starts here."""
        return self.starts_at - timedelta(minutes=self.minutes_before or 0)


class RequestEvent(db.Model):
    """One change of a request: who, when, from which state to which, and why."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = parent_key("accompaniment_requests.id")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(String(500))

    request: Mapped[AccompanimentRequest] = relationship(back_populates="events")


OFFER_STATES = {
    "pending": "Waiting for an answer",
    "accepted": "Accepted",
    "declined": "Declined",
    "expired": "Expired",
    "withdrawn": "Withdrawn",
}
# Why an offer was withdrawn: a stable code beside the sentence the champion reads.
WITHDRAW_CODES = {
    "champion": "Withdrawn by the recovery champion",
    "taken": "Someone else accepted first",
    "request_closed": "The request was cancelled or closed",
    "date_changed": "The meeting date changed",
    "released": "The volunteer can no longer go",
    "no_longer_eligible": "The volunteer no longer meets every rule",
    "consent_withdrawn": "The client withdrew a consent",
}


class Offer(db.Model):
    """The champion's proposal of one request to one volunteer; a broadcast shares a group id."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = parent_key("accompaniment_requests.id")
    volunteer_id: Mapped[int] = parent_key("volunteers.id")
    state: Mapped[str] = mapped_column(String(12), default="pending")
    decline_reason: Mapped[str | None] = mapped_column(String(300))
    withdraw_code: Mapped[str | None] = mapped_column(String(30))
    withdraw_reason: Mapped[str | None] = mapped_column(String(300))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    broadcast_id: Mapped[str | None] = mapped_column(String(32), index=True)
    # The 4 digits a volunteer texts back ("YES 4821"): unique among their pending offers.
    reply_code: Mapped[str | None] = mapped_column(String(4))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Who answered: the volunteer, or the champion recording a phone-only contact's answer.
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    request: Mapped[AccompanimentRequest] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint(one_of("state", OFFER_STATES), name="state_kind"),
        # A request has at most one accepted offer: of two acceptances racing, one fails here.
        unique_where("uq_offers_accepted_request", "request_id", where="state = 'accepted'"),
        # One pending offer per volunteer per request.
        unique_where(
            "uq_offers_pending_volunteer", "request_id", "volunteer_id", where="state = 'pending'"
        ),
        # A volunteer's reply code names one of their pending offers (0016).
        unique_where(
            "uq_offers_pending_reply_code",
            "volunteer_id",
            "reply_code",
            where="state = 'pending' AND reply_code IS NOT NULL",
        ),
        Index("ix_offers_state_expires_at", "state", "expires_at"),
        # Matching reads a volunteer's declines and releases from the index alone (0010, 0019).
        Index(
            "ix_offers_volunteer_answers",
            "volunteer_id",
            "state",
            "request_id",
            "withdraw_code",
            "answered_at",
        ),
    )

    state_label = label_of("state", OFFER_STATES)


class EscortSlot(db.Model):
    """One 15-minute slot an accepted escort covers: an overlap fails the unique key."""

    __tablename__ = "escort_slots"

    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True
    )
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    request_id: Mapped[int] = parent_key("accompaniment_requests.id")


class VolunteerWeekCount(db.Model):
    """Escorts a volunteer holds in one ISO week, raised only while under their cap."""

    __tablename__ = "volunteer_week_counts"

    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True
    )
    iso_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso_week: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (CheckConstraint("n >= 0", name="n_not_negative"),)


class VolunteerClientConflict(db.Model):
    """A conflict of interest the champion recorded: this volunteer never escorts this client."""

    __tablename__ = "volunteer_client_conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = parent_key("volunteers.id")
    client_id: Mapped[int] = parent_key("clients.id")
    note: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("volunteer_id", "client_id", name="uq_volunteer_client_conflicts_pair"),
    )
