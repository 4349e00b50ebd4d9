"""Fellowships and the recurring meetings they hold."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import quote, urlencode

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..dates import clock
from ..dbtypes import UTCDateTime, label_of, one_of
from ..extensions import db
from . import meeting_types
from .feed import minutes_between, safe_web_url

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
    # True when the point came from the postcode directory (refreshed on each load and when
    # the postcode changes); a point a champion or a feed gave is never overwritten.
    located_from_directory: Mapped[bool] = mapped_column(Boolean, default=False)
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
    # Set when an import deactivated the meeting because its feed no longer lists it, so a
    # later import that lists it again brings it back (one a champion closed stays closed).
    removed_from_source: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # What free-text search looks in, lower-cased once by the database on every write, so a
    # search reads one column per row instead of lower-casing four.
    search_text: Mapped[str | None] = mapped_column(
        Text,
        Computed(
            "lower(coalesce(name, '') || ' ' || coalesce(venue, '') || ' ' || "
            "coalesce(area, '') || ' ' || coalesce(postcode, ''))",
            persisted=True,
        ),
    )

    # 0 = Monday … 6 = Sunday: the order people in the UK read a week, kept by the database
    # so the search can walk an index in that order instead of sorting every meeting.
    day_rank: Mapped[int | None] = mapped_column(
        SmallInteger, Computed("(weekday + 6) % 7", persisted=True)
    )

    fellowship: Mapped[Fellowship] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("source", "source_slug", name="uq_meetings_source_slug"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("attendance IN ('in_person', 'online', 'hybrid')", name="attendance_kind"),
        # The search's usual shapes: one day's meetings by time, and every meeting in week order.
        Index("ix_meetings_active_weekday_start", "active", "weekday", "start_time"),
        Index("ix_meetings_active_week_order", "active", "day_rank", "start_time", "name"),
        # The search form's list of areas in use is read from this index alone.
        Index("ix_meetings_active_area", "active", "area"),
    )

    @property
    def codes(self) -> list[str]:
        return self.type_codes.split() if self.type_codes else []

    @property
    def weekday_name(self) -> str:
        return WEEKDAYS[self.weekday]

    @property
    def attendance_label(self) -> str:
        return ATTENDANCE[self.attendance]

    @property
    def in_person(self) -> bool:
        return self.attendance in ("in_person", "hybrid")

    @property
    def online(self) -> bool:
        return self.attendance in ("online", "hybrid")

    @property
    def crosses_midnight(self) -> bool:
        return self.end_time <= self.start_time

    @property
    def length_minutes(self) -> int:
        return minutes_between(self.start_time, self.end_time)

    @property
    def time_range(self) -> str:
        """'7:30pm to 8:30pm' (and '(next day)' when it runs past midnight)."""
        text = f"{clock(self.start_time)} to {clock(self.end_time)}"
        return text + " (next day)" if self.crosses_midnight else text

    @property
    def open_closed(self) -> str | None:
        """The sentence that tells a newcomer whether they may go."""
        for code, sentence in meeting_types.OPEN_CLOSED_EXPLAINED.items():
            if code in self.codes:
                return sentence
        return None

    @property
    def type_groups(self) -> list[tuple[str, list[str]]]:
        """Known type codes as plain-English labels by heading; unknown codes are not shown."""
        return [
            (heading, labels)
            for heading, labels in meeting_types.grouped_labels(self.codes)
            if heading not in ("Who can go", "Access and facilities")
        ]

    @property
    def access_labels(self) -> list[str]:
        return meeting_types.labels_for(self.codes, meeting_types.ACCESS)

    @property
    def feature_labels(self) -> list[str]:
        """A short list for search results: open/closed and who it is for, in plain words."""
        codes = self.codes
        return meeting_types.labels_for(codes, meeting_types.OPEN_CLOSED) + (
            meeting_types.labels_for(codes, meeting_types.AUDIENCE)
            + meeting_types.labels_for(codes, {"X": "Wheelchair access"})
        )

    @property
    def temporarily_closed(self) -> bool:
        return "TC" in self.codes

    @property
    def online_link(self) -> str | None:
        """The online link only when it is safe to put in an href (web or phone)."""
        url = self.online_url
        if not url:
            return None
        if url.startswith("tel:") and url[4:].replace("+", "", 1).isdigit():
            return url
        return safe_web_url(url)

    @property
    def map_url(self) -> str | None:
        """An outbound OpenStreetMap link: the exact spot when known, else a postcode search."""
        if not self.in_person:
            return None
        if self.latitude is not None and self.longitude is not None:
            lat, lon = f"{self.latitude:.5f}", f"{self.longitude:.5f}"
            return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
        if self.postcode:
            return "https://www.openstreetmap.org/search?" + urlencode(
                {"query": self.postcode}, quote_via=quote
            )
        return None

    def is_stale(self, now: datetime, days: int) -> bool:
        """Not checked for `days` days (or never): it belongs on the needs-checking list."""
        return self.last_verified_at is None or self.last_verified_at < now - timedelta(days=days)


IMPORT_STATUSES = {
    "reading": "Reading the feed",
    "preview": "Waiting for confirmation",
    "applying": "Importing",
    "applied": "Imported",
    "discarded": "Discarded",
    "failed": "Could not be read",
    "stopped": "Stopped part-way",
}


class MeetingImport(db.Model):
    """One import of a Meeting Guide feed: its preview waits here (not in the cookie) for a yes.

    A large feed is read, and a large preview applied, by the tick (see MeetingFeedJob): the
    import is then "reading" or "applying" until its job ends.
    """

    __tablename__ = "meeting_imports"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)  # random, unguessable
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    source: Mapped[str] = mapped_column(String(255))
    fellowship_id: Mapped[int] = mapped_column(ForeignKey("fellowships.id"))
    filename: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(12), default="preview")
    # JSON: the clean records and skip reasons (emptied once applied or discarded); read only
    # when applying, as a large feed's run to megabytes.
    records: Mapped[str] = mapped_column(Text, default="", deferred=True)
    # JSON: the counts and lists the preview page shows.
    summary: Mapped[str] = mapped_column(Text, default="")
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    fellowship: Mapped[Fellowship] = relationship(lazy="joined")

    __table_args__ = (CheckConstraint(one_of("status", IMPORT_STATUSES), name="status_kind"),)

    status_label = label_of("status", IMPORT_STATUSES)


FEED_JOB_KINDS = {"read": "Reading the feed", "apply": "Importing the meetings"}
FEED_JOB_STATES = {
    "queued": "Waiting to start",
    "running": "Running",
    "done": "Done",
    "failed": "Failed",
}


class MeetingFeedJob(db.Model):
    """Work on one import that a web request hands to the tick: reading a large feed into a
    preview, or applying a large preview, in batches that commit their progress.

    One job of each kind per import (a unique pair), so a second confirmation cannot queue the
    work twice. A worker takes a job by writing its own `claim` into the row, and every batch
    it commits first checks the claim is still its own, so two workers never both apply a
    batch; a job whose worker died (its claim expired) is taken up again where it stopped.
    """

    __tablename__ = "meeting_feed_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No index of its own: the unique (import_id, kind) pair below leads with it.
    import_id: Mapped[str] = mapped_column(ForeignKey("meeting_imports.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(8), default="queued")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The worker holding the job, and until when; a claim past its time may be taken over.
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Progress: records read of the records in the feed, or meetings saved of those to save.
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)  # worked so far, all attempts
    # JSON: what applying has done so far (created, updated, unchanged, deactivated).
    counts: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(String(1000))  # why it failed, in plain words
    # The uploaded feed, kept only until it is read.
    payload: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    __table_args__ = (
        UniqueConstraint("import_id", "kind", name="uq_meeting_feed_jobs_import_kind"),
        CheckConstraint(one_of("kind", FEED_JOB_KINDS), name="kind_kind"),
        CheckConstraint(one_of("state", FEED_JOB_STATES), name="state_kind"),
        Index("ix_meeting_feed_jobs_state_created", "state", "created_at"),
    )

    state_label = label_of("state", FEED_JOB_STATES)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


class KeyworkerVisit(db.Model):
    """A member of staff went to an open meeting themselves, so they can tell clients what it is
    like (FAMA expects keyworkers to know the local groups first-hand)."""

    __tablename__ = "keyworker_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    # Not `user_id`: the visit is the member of staff's work, not their own personal record.
    visitor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    visited_on: Mapped[date] = mapped_column(Date)  # the UK date they went
    note: Mapped[str | None] = mapped_column(String(500))  # for colleagues: what it was like
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship(lazy="raise")

    __table_args__ = (
        # The meeting page reads a meeting's latest visits (and the year's count) from this.
        Index("ix_keyworker_visits_meeting_visited", "meeting_id", "visited_on"),
        # One visit per person, meeting and day (a second click records nothing twice); it also
        # serves "My visits", newest first.
        UniqueConstraint(
            "visitor_id", "visited_on", "meeting_id", name="uq_keyworker_visits_visitor_day"
        ),
    )
