"""The outbox: every email is a row first, so a mail server that is down delays but never drops."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from ..audit import utcnow
from ..dbtypes import UTCDateTime, one_of
from ..extensions import db


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(String(500))


class Notification(db.Model):
    """A message in the portal for one person; its text never holds client names or notes."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(String(1000))
    link: Mapped[str | None] = mapped_column(String(500))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Makes a time-based message idempotent: the same event for the same person is one row.
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_user_dedupe"),
    )


class _ChoicePerKind:
    """One person's yes or no for one kind of message on one channel (see `set_choices`)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (UniqueConstraint("user_id", "kind", name=f"uq_{cls.__tablename__}_user_kind"),)


class EmailPreference(_ChoicePerKind, db.Model):
    """A person's choice to have one non-urgent kind of message by email too, or not."""

    __tablename__ = "email_preferences"

    by_email: Mapped[bool] = mapped_column(Boolean)


# --- text messages (GOV.UK Notify) -----------------------------------------------------------

# Notify's statuses for a text (its API's words), then ours for a text Notify has not had yet:
# queued (waiting to go), held (no key in production, or over the daily cap), refused (Notify
# answered 400: a bad number or template; never retried), too_late (its `send_by` passed
# before it could go: a reminder for "tomorrow" sent the day after would mislead).
NOTIFY_STATUSES = (
    "created",
    "sending",
    "pending",
    "sent",
    "delivered",
    "permanent-failure",
    "temporary-failure",
    "technical-failure",
)
TEXT_STATUSES = ("queued", "held", "refused", "too_late", *NOTIFY_STATUSES)
STATUS_WORDS = {
    "queued": "Waiting to go",
    "held": "Held",
    "refused": "Refused by Notify",
    "too_late": "Not sent: too late to be true",
    "created": "With Notify",
    "sending": "Sending",
    "pending": "Waiting for the phone network",
    "sent": "Sent",
    "delivered": "Delivered",
    "permanent-failure": "Not delivered: the number does not work",
    "temporary-failure": "Not delivered: the phone was off or full",
    "technical-failure": "Not delivered: a problem at Notify",
}
FINAL_STATUSES = frozenset(
    {
        "refused",
        "too_late",
        "delivered",
        "permanent-failure",
        "temporary-failure",
        "technical-failure",
    }
)
FAILED_STATUSES = frozenset(
    {"refused", "too_late", "permanent-failure", "temporary-failure", "technical-failure"}
)


class TextMessage(db.Model):
    """A text in the outbox: a row first, so a Notify that is down delays but never drops it."""

    __tablename__ = "text_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_number: Mapped[str] = mapped_column(String(16))  # E.164
    body: Mapped[str] = mapped_column(String(918))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="SET NULL"), index=True
    )
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    at_any_hour: Mapped[bool] = mapped_column(Boolean, default=False)  # safety: never capped
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    send_by: Mapped[datetime | None] = mapped_column(UTCDateTime)  # after it, the words are wrong
    # Named, not imported: the channel reads who a text was for without depending on the
    # domains that own people (auth, clients). Only the champion's list loads them.
    user = relationship("User", viewonly=True, lazy="raise")
    client = relationship("Client", viewonly=True, lazy="raise")
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    notify_id: Mapped[str | None] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last receipt or poll
    last_error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        UniqueConstraint("to_number", "dedupe_key", name="uq_text_messages_number_dedupe"),
        Index("ix_text_messages_due", "sent_at", "next_attempt_at"),
        Index("ix_text_messages_status", "status", "created_at"),
        CheckConstraint(one_of("status", TEXT_STATUSES), name="status_kind"),
    )


class TextContact(db.Model):
    """A person's mobile for texts (one per account)."""

    __tablename__ = "text_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    mobile: Mapped[str] = mapped_column(String(16), index=True)  # E.164
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TextPreference(_ChoicePerKind, db.Model):
    """A person's choice to have one kind of message by text, or not (no row: the default)."""

    __tablename__ = "text_preferences"

    by_text: Mapped[bool] = mapped_column(Boolean)


class TextStop(db.Model):
    """A number that texted STOP: nothing is texted to it until it texts START."""

    __tablename__ = "text_stops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    stopped_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


RECEIVED_OUTCOMES = {
    "stop": "Texts stopped",
    "start": "Texts started again",
    "handled": "Answered",
    "unhandled": "Passed to the champions",
    "unknown_number": "From a number the portal does not know",
    "failed": "Could not be handled",
}


class ReceivedText(db.Model):
    """A text someone sent to the service's number, stored once (by Notify's id)."""

    __tablename__ = "received_texts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notify_id: Mapped[str] = mapped_column(String(36), unique=True)
    from_number: Mapped[str] = mapped_column(String(20), index=True)
    content: Mapped[str] = mapped_column(String(1000))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    user = relationship("User", viewonly=True, lazy="raise")  # named, as on TextMessage

    __table_args__ = (
        CheckConstraint(
            f"outcome IS NULL OR {one_of('outcome', RECEIVED_OUTCOMES)}", name="outcome_kind"
        ),
    )


def set_choices(
    model: type, field: str, user_id: int, kinds: Iterable[str], chosen: set[str]
) -> None:
    """Record a person's yes or no for each kind (`model` is EmailPreference or TextPreference,
    `field` its yes/no column), in the caller's transaction."""
    existing = {
        row.kind: row for row in db.session.scalars(select(model).where(model.user_id == user_id))
    }
    for kind in kinds:
        if kind in existing:
            setattr(existing[kind], field, kind in chosen)
        else:
            db.session.add(model(user_id=user_id, kind=kind, **{field: kind in chosen}))
