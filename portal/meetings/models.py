"""Fellowships and the recurring meetings they hold."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..dbtypes import UTCDateTime
from ..extensions import db

FELLOWSHIP_KINDS = {
    "twelve_step": "12-step fellowship",
    "smart": "SMART Recovery",
    "community": "Local recovery group",
    "family": "For families and friends",
}
ATTENDANCE = {"in_person": "In person", "online": "Online", "hybrid": "In person and online"}
# Meeting Guide counts weekdays from 0 = Sunday; we keep that numbering for interchange.
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


class Fellowship(db.Model):
    __tablename__ = "fellowships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Meeting(db.Model):
    """A recurring meeting; times are local wall-clock times in Europe/London."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    fellowship_id: Mapped[int] = mapped_column(ForeignKey("fellowships.id"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger, index=True)  # 0 = Sunday … 6 = Saturday
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    attendance: Mapped[str] = mapped_column(String(10), default="in_person")
    venue: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(String(500))
    postcode: Mapped[str | None] = mapped_column(String(10), index=True)
    area: Mapped[str | None] = mapped_column(String(100), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_notes: Mapped[str | None] = mapped_column(Text)
    directions_walk: Mapped[str | None] = mapped_column(Text)
    directions_car: Mapped[str | None] = mapped_column(Text)
    directions_public_transport: Mapped[str | None] = mapped_column(Text)
    online_url: Mapped[str | None] = mapped_column(String(500))
    online_notes: Mapped[str | None] = mapped_column(Text)
    # Meeting Guide type codes, space-separated; unknown codes are kept but not shown.
    type_codes: Mapped[str] = mapped_column(String(500), default="")
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    last_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Where an imported meeting came from, so a re-import updates instead of duplicating.
    source: Mapped[str | None] = mapped_column(String(255))
    source_slug: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    fellowship: Mapped[Fellowship] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("source", "source_slug", name="uq_meetings_source_slug"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("attendance IN ('in_person', 'online', 'hybrid')", name="attendance_kind"),
    )

    @property
    def codes(self) -> list[str]:
        return self.type_codes.split() if self.type_codes else []

    @property
    def weekday_name(self) -> str:
        return WEEKDAYS[self.weekday]
