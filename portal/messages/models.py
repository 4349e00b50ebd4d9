"""Tables of the messages package: a champion's message, who it went to, and their replies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..audit import utcnow
from ..dbtypes import UTCDateTime, one_of, parent_key
from ..extensions import db

MAX_BODY = 2000
MAX_FILTERS = 500
# one volunteer; the volunteers the list's filters show; every approved volunteer
AUDIENCES = {
    "one": "One volunteer",
    "filtered": "Volunteers the list showed",
    "all": "All volunteers",
}
STATES = ("draft", "sent")


class ChampionMessage(db.Model):
    """A message a champion writes: a draft while they preview who gets it, then sent."""

    __tablename__ = "champion_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    audience: Mapped[str] = mapped_column(String(10))
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL")
    )
    # The volunteer list's filters as JSON (portal.volunteers.listing.VolunteerFilters).
    filters: Mapped[str | None] = mapped_column(String(MAX_FILTERS))
    body: Mapped[str] = mapped_column(String(MAX_BODY))
    # The champion ticked "no client can be identified" after a warning about a name.
    names_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(10), default="draft")
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (
        CheckConstraint(one_of("audience", AUDIENCES), name="audience_known"),
        CheckConstraint(one_of("state", STATES), name="state_known"),
    )


class MessageRecipient(db.Model):
    """One volunteer a message went to, and by which channels besides the portal."""

    __tablename__ = "message_recipients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = parent_key("champion_messages.id")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL")
    )
    by_email: Mapped[bool] = mapped_column(Boolean, default=False)
    by_text: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("message_id", "user_id", name="uq_message_recipients_message_user"),
        Index("ix_message_recipients_user", "user_id", "created_at"),
    )


class MessageReply(db.Model):
    """A volunteer's answer to a message they were sent, seen by every champion."""

    __tablename__ = "message_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_id: Mapped[int] = parent_key("message_recipients.id")
    message_id: Mapped[int] = parent_key("champion_messages.id")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(String(MAX_BODY))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
