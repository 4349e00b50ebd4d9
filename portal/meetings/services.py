"""The meetings directory's rules: search, champions' changes, checks, imports and exports.

Other domains use meetings through these functions: `get_meeting`, `meetings_by_id`,
`search_meetings`, `active_meeting_choices` and `next_meeting_times`.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Select, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from ..audit import audit, audit_many, audit_row, utcnow
from ..database import write_transaction
from ..errors import Conflict, InvalidChange, NotFound
from ..extensions import db
from ..web import Page, page_number
from . import meeting_types
from .feed import (
    CONTROL,
    LONGEST_MEETING,
    PORTAL_EXTRAS,
    FeedError,
    FeedMeeting,
    FeedResult,
    Skipped,
    is_mentioned,
    minutes_between,
    normalise_postcode,
    parse_feed,
    safe_web_url,
    utc_stamp_text,
)
from .models import ATTENDANCE, FELLOWSHIP_KINDS, WEEKDAYS, Fellowship, Meeting, MeetingImport
from .occurrences import LONDON, next_occurrences

Progress = Callable[[int], None]

# --- search -------------------------------------------------------------------------------

TIMES_OF_DAY = {
    "morning": ("Morning (before 12pm)", None, time(12)),
    "afternoon": ("Afternoon (12pm to 5pm)", time(12), time(17)),
    "evening": ("Evening (from 5pm)", time(17), None),
}
ATTENDANCE_FILTERS = {
    "in_person": ("Can go in person", ("in_person", "hybrid")),
    "online": ("Can join online", ("online", "hybrid")),
    "hybrid": ("In person and online at once", ("hybrid",)),
}
STATUS_FILTERS = {"active": "Running", "inactive": "Deactivated", "all": "Running or deactivated"}
# Monday first, as people in the UK read a week; Meeting Guide numbers Sunday as 0.
DAY_ORDER = (1, 2, 3, 4, 5, 6, 0)
QUERY_MAX = 100


@dataclass(frozen=True)
class MeetingFilters:
    """What a search asks for; built from the query string, so a search is a shareable URL."""

    q: str = ""
    fellowship: str = ""
    day: int | None = None
    time_of_day: str = ""
    area: str = ""
    attendance: str = ""
    features: tuple[str, ...] = ()
    language: str = ""
    status: str = "active"

    @classmethod
    def from_args(cls, args: Mapping[str, Any], may_see_inactive: bool = False) -> MeetingFilters:
        """Read the query string, ignoring anything unknown rather than failing."""

        def one(name: str, limit: int = QUERY_MAX) -> str:
            value = args.get(name, "")
            if not isinstance(value, str):
                return ""
            return " ".join(CONTROL.sub("", value[: limit * 2]).split())[:limit]

        getlist = getattr(args, "getlist", None)
        raw_features = getlist("feature") if getlist else args.get("feature", [])
        day_text = one("day", 2)
        status = one("status", 10)
        return cls(
            q=" ".join(one("q").split()),
            fellowship=one("fellowship", 20).upper(),
            day=int(day_text) if day_text.isdigit() and int(day_text) < 7 else None,
            time_of_day=_known(one("time", 10), TIMES_OF_DAY),
            area=one("area"),
            attendance=_known(one("attendance", 10), ATTENDANCE_FILTERS),
            features=tuple(name for name in meeting_types.FEATURES if name in (raw_features or [])),
            language=_known(one("language", 5), meeting_types.LANGUAGES),
            status=status if may_see_inactive and status in STATUS_FILTERS else "active",
        )

    def as_args(self) -> dict[str, Any]:
        """The query-string form of these filters, for links (CSV, print, pages)."""
        args: dict[str, Any] = {
            "q": self.q,
            "fellowship": self.fellowship,
            "day": "" if self.day is None else str(self.day),
            "time": self.time_of_day,
            "area": self.area,
            "attendance": self.attendance,
            "feature": list(self.features),
            "language": self.language,
            "status": "" if self.status == "active" else self.status,
        }
        return {key: value for key, value in args.items() if value}

    @property
    def narrowed(self) -> bool:
        return bool(self.as_args())


def _known(value: str, options: Mapping[str, Any]) -> str:
    return value if value in options else ""


def _has_code(*codes: str):  # noqa: ANN202
    padded = " " + Meeting.type_codes + " "
    return or_(*(padded.like(f"% {code} %") for code in codes))


def _conditions(filters: MeetingFilters) -> list:
    """The WHERE clauses of a search; none needs a join, so counting stays cheap."""
    conditions: list = []
    if filters.status == "active":
        conditions.append(Meeting.active.is_(True))
    elif filters.status == "inactive":
        conditions.append(Meeting.active.is_(False))
    if filters.fellowship:
        code = select(Fellowship.id).where(Fellowship.code == filters.fellowship)
        conditions.append(Meeting.fellowship_id == code.scalar_subquery())
    if filters.day is not None:
        conditions.append(Meeting.weekday == filters.day)
    if filters.time_of_day:
        _, after, before = TIMES_OF_DAY[filters.time_of_day]
        if after is not None:
            conditions.append(Meeting.start_time >= after)
        if before is not None:
            conditions.append(Meeting.start_time < before)
    if filters.area:
        conditions.append(Meeting.area == filters.area)
    if filters.attendance:
        conditions.append(Meeting.attendance.in_(ATTENDANCE_FILTERS[filters.attendance][1]))
    for feature in filters.features:
        conditions.append(_has_code(*meeting_types.FEATURES[feature][1]))
    if filters.language:
        conditions.append(_has_code(filters.language))
    for word in filters.q.lower().split()[:8]:
        conditions.append(Meeting.search_text.contains(word, autoescape=True))
    return conditions


# Monday first then by time: the order of the index on (active, day_rank, start_time).
SEARCH_ORDER = (Meeting.day_rank, Meeting.start_time, Meeting.name, Meeting.id)


def search_meetings(filters: MeetingFilters) -> Select:
    """A select of meetings matching the filters, Monday first then by time."""
    return select(Meeting).where(*_conditions(filters)).order_by(*SEARCH_ORDER)


def count_meetings(filters: MeetingFilters) -> int:
    statement = select(func.count()).select_from(Meeting).where(*_conditions(filters))
    return db.session.scalar(statement) or 0


def search_page(filters: MeetingFilters, per_page: int | None = None) -> Page:
    """One page of a search and the total: two queries whatever the number of meetings."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    number = page_number()
    total = count_meetings(filters)
    statement = search_meetings(filters).limit(per_page).offset((number - 1) * per_page)
    return Page(list(db.session.scalars(statement)), number, per_page, total)


def search_choices() -> dict[str, Any]:
    """The options the search form offers: fellowships and areas in use (two queries)."""
    fellowships = db.session.scalars(
        select(Fellowship).where(Fellowship.active.is_(True)).order_by(Fellowship.name)
    ).all()
    areas = db.session.scalars(
        select(Meeting.area)
        .where(Meeting.active.is_(True), Meeting.area.is_not(None))
        .distinct()
        .order_by(Meeting.area)
    ).all()
    return {"fellowships": fellowships, "areas": areas}


def search_limit(filters: MeetingFilters, limit: int) -> tuple[list[Meeting], int]:
    """The first `limit` meetings of a search and how many there are in all (two queries)."""
    statement = search_meetings(filters).limit(limit)
    return list(db.session.scalars(statement)), count_meetings(filters)


# --- reading one ---------------------------------------------------------------------------


def get_meeting(meeting_id: int) -> Meeting:
    """A meeting by id, active or not (requests may point at a deactivated one)."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("No such meeting")
    return meeting


def meetings_by_id(ids: list[int] | set[int]) -> dict[int, Meeting]:
    """Several meetings in one query, for pages that list things pointing at meetings."""
    if not ids:
        return {}
    return {m.id: m for m in db.session.scalars(select(Meeting).where(Meeting.id.in_(ids)))}


def active_meeting_choices(fellowship_ids: list[int] | None = None) -> list[tuple[int, str]]:
    """(id, 'Name — Tuesday 7:30pm, Venue') for every running meeting, for a select box."""
    statement = select(Meeting).where(Meeting.active.is_(True))
    if fellowship_ids:
        statement = statement.where(Meeting.fellowship_id.in_(fellowship_ids))
    statement = statement.order_by(*SEARCH_ORDER)
    return [(m.id, describe_meeting(m)) for m in db.session.scalars(statement)]


def describe_meeting(meeting: Meeting) -> str:
    from .models import clock

    place = meeting.venue or ("Online" if meeting.attendance == "online" else meeting.area)
    text = f"{meeting.name} — {meeting.weekday_name} {clock(meeting.start_time)}"
    return f"{text}, {place}" if place else text


def next_meeting_times(
    meeting: Meeting, after: datetime | None = None, count: int = 4
) -> list[tuple[datetime, datetime]]:
    """The next `count` (start, end) instants in Europe/London, right across clock changes."""
    return next_occurrences(
        meeting.weekday, meeting.start_time, meeting.end_time, after or utcnow(), count
    )


def stale_days() -> int:
    """Days unchecked before a meeting needs checking: the admin's setting, else the config's
    MEETING_STALE_DAYS (90), the same figure the monthly digest uses."""
    from ..settings import get_setting

    return int(get_setting("stale_meeting_days"))


def stale_cutoff(now: datetime | None = None, days: int | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=stale_days() if days is None else days)


def stale_meetings(now: datetime | None = None, days: int | None = None) -> Select:
    """Running meetings nobody has checked within `days` days (never-checked first)."""
    cutoff = stale_cutoff(now, days)
    return (
        select(Meeting)
        .where(
            Meeting.active.is_(True),
            or_(Meeting.last_verified_at.is_(None), Meeting.last_verified_at < cutoff),
        )
        .order_by(Meeting.last_verified_at.is_not(None), Meeting.last_verified_at, Meeting.name)
    )


def count_stale(now: datetime | None = None, days: int | None = None) -> int:
    statement = stale_meetings(now, days).order_by(None)
    return db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0


# --- champions' changes --------------------------------------------------------------------

MEETING_FIELDS = (
    "name",
    "fellowship_id",
    "weekday",
    "start_time",
    "end_time",
    "attendance",
    "venue",
    "address",
    "postcode",
    "area",
    "latitude",
    "longitude",
    "location_notes",
    "directions_walk",
    "directions_car",
    "directions_public_transport",
    "online_url",
    "online_notes",
    "type_codes",
    "contact_name",
    "contact_phone",
    "notes",
)


def check_meeting(values: dict[str, Any]) -> dict[str, Any]:
    """The rules every saved meeting meets; returns the values tidied (postcode, empties)."""
    values = {key: values.get(key) for key in MEETING_FIELDS}
    for key, value in values.items():
        if isinstance(value, str) and key not in ("type_codes",):
            values[key] = value.strip() or None
    if values["attendance"] not in ATTENDANCE:
        raise InvalidChange("Choose how people can attend", field="attendance")
    if not isinstance(values["weekday"], int) or not 0 <= values["weekday"] <= 6:
        raise InvalidChange("Choose the day of the week", field="weekday")
    if values["postcode"]:
        postcode = normalise_postcode(values["postcode"])
        if postcode is None:
            raise InvalidChange("Enter a real postcode, like QX1 4AB", field="postcode")
        values["postcode"] = postcode
    start, end = values["start_time"], values["end_time"]
    if not isinstance(start, time):
        raise InvalidChange("Enter the start time, like 19:30", field="start_time")
    if not isinstance(end, time):
        raise InvalidChange("Enter the end time, like 20:30", field="end_time")
    length = minutes_between(start, end)
    if length == 0 or length > LONGEST_MEETING.total_seconds() // 60:
        raise InvalidChange(
            "The end time must be after the start time (a meeting that runs past midnight "
            "can end the next morning, up to 6 hours after it starts)",
            field="end_time",
        )
    in_person = values["attendance"] in ("in_person", "hybrid")
    online = values["attendance"] in ("online", "hybrid")
    if in_person and not (values["address"] or values["postcode"]):
        raise InvalidChange(
            "Enter the address or the postcode: people need to know where to go", field="address"
        )
    if values["online_url"] and not (
        safe_web_url(values["online_url"]) or values["online_url"].startswith("tel:")
    ):
        raise InvalidChange(
            "Enter the online link as a web address starting with https://", field="online_url"
        )
    if online and not values["online_url"]:
        raise InvalidChange("Enter the link people use to join online", field="online_url")
    lat, lon = values["latitude"], values["longitude"]
    if (lat is None) != (lon is None):
        raise InvalidChange("Enter both latitude and longitude, or neither", field="latitude")
    values["type_codes"] = " ".join(sorted(set((values["type_codes"] or "").split())))
    fellowship = db.session.get(Fellowship, values["fellowship_id"] or 0)
    if fellowship is None:
        raise InvalidChange("Choose the fellowship", field="fellowship_id")
    return values


def create_meeting(values: dict[str, Any], actor_id: int | None) -> Meeting:
    """Add a meeting by hand; whoever adds it has just checked it."""
    values = check_meeting(values)
    if not db.session.get(Fellowship, values["fellowship_id"]).active:
        raise InvalidChange("That fellowship is deactivated; choose another", field="fellowship_id")
    meeting = Meeting(**values, active=True, last_verified_at=utcnow())
    db.session.add(meeting)
    db.session.flush()
    audit("meeting_created", meeting, actor_id=actor_id)
    db.session.commit()
    return meeting


def update_meeting(
    meeting: Meeting, values: dict[str, Any], actor_id: int | None, version: int | None
) -> list[str]:
    """Save a champion's edit; a stale copy is refused (409). Returns the fields changed."""
    values = check_meeting(values)
    if values["fellowship_id"] != meeting.fellowship_id:
        fellowship = db.session.get(Fellowship, values["fellowship_id"])
        if not fellowship.active:
            raise InvalidChange(
                "That fellowship is deactivated; choose another", field="fellowship_id"
            )
    changed = [key for key, value in values.items() if getattr(meeting, key) != value]
    _claim_version(Meeting, meeting, version, "meeting")
    for key in changed:
        setattr(meeting, key, values[key])
    audit("meeting_changed", meeting, actor_id=actor_id, detail={"fields": changed})
    db.session.commit()
    return changed


def set_meeting_active(
    meeting: Meeting, active: bool, actor_id: int | None, version: int | None
) -> None:
    """Deactivate (never delete: requests point at meetings) or bring a meeting back."""
    if meeting.active == active:
        return
    _claim_version(Meeting, meeting, version, "meeting")
    meeting.active = active
    meeting.removed_from_source = False
    audit("meeting_reactivated" if active else "meeting_deactivated", meeting, actor_id=actor_id)
    db.session.commit()


def mark_meeting_checked(meeting: Meeting, actor_id: int | None) -> None:
    """Record that the champion confirmed today that the meeting still runs as listed."""
    meeting.last_verified_at = utcnow()
    audit("meeting_checked", meeting, actor_id=actor_id)
    db.session.commit()


def _claim_version(model: type, obj: Any, version: int | None, noun: str) -> None:
    """Advance the version, refusing a save made from a stale copy (409, not an overwrite)."""
    expected = obj.version if version is None else version
    result = db.session.execute(
        update(model)
        .where(model.id == obj.id, model.version == expected)
        .values(version=model.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(f"Someone else changed this {noun} while you were looking. Reload it.")
    db.session.refresh(obj, ["version"])


# --- fellowships ---------------------------------------------------------------------------


def list_fellowships() -> list[tuple[Fellowship, int]]:
    """Every fellowship with its number of running meetings (two queries)."""
    counts = dict(
        db.session.execute(
            select(Meeting.fellowship_id, func.count())
            .where(Meeting.active.is_(True))
            .group_by(Meeting.fellowship_id)
        ).all()
    )
    fellowships = db.session.scalars(
        select(Fellowship).order_by(Fellowship.active.desc(), Fellowship.name)
    ).all()
    return [(fellowship, counts.get(fellowship.id, 0)) for fellowship in fellowships]


def active_fellowships(include_id: int | None = None) -> list[Fellowship]:
    """Fellowships a meeting may be given (plus its current one, even if deactivated)."""
    condition = Fellowship.active.is_(True)
    if include_id:
        condition = or_(condition, Fellowship.id == include_id)
    return db.session.scalars(select(Fellowship).where(condition).order_by(Fellowship.name)).all()


def get_fellowship(fellowship_id: int) -> Fellowship:
    fellowship = db.session.get(Fellowship, fellowship_id)
    if fellowship is None:
        raise NotFound("No such fellowship")
    return fellowship


def fellowship_by_code(code: str) -> Fellowship | None:
    return db.session.scalar(select(Fellowship).where(Fellowship.code == code.strip().upper()))


def _check_fellowship(values: dict[str, Any], current_id: int | None = None) -> dict[str, Any]:
    code = (values.get("code") or "").strip().upper()
    if not code or not all(ch.isalnum() or ch == "-" for ch in code) or len(code) > 20:
        raise InvalidChange(
            "Enter a short code of letters, numbers and hyphens, like NA", field="code"
        )
    if values.get("kind") not in FELLOWSHIP_KINDS:
        raise InvalidChange("Choose what kind of group it is", field="kind")
    name = (values.get("name") or "").strip()
    if not name:
        raise InvalidChange("Enter the fellowship's name", field="name")
    taken = fellowship_by_code(code)
    if taken is not None and taken.id != current_id:
        raise InvalidChange(f"{taken.name} already uses the code {code}", field="code")
    return {
        "code": code,
        "name": name,
        "kind": values["kind"],
        "description": (values.get("description") or "").strip() or None,
    }


def create_fellowship(values: dict[str, Any], actor_id: int | None) -> Fellowship:
    """Add a fellowship (a new local group, say) that meetings can belong to."""
    fellowship = Fellowship(**_check_fellowship(values), active=True)
    db.session.add(fellowship)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise InvalidChange("Another fellowship already uses that code", field="code") from None
    audit("fellowship_created", fellowship, actor_id=actor_id)
    db.session.commit()
    return fellowship


def update_fellowship(
    fellowship: Fellowship, values: dict[str, Any], actor_id: int | None, version: int | None
) -> None:
    """Save a champion's edit of a fellowship; a stale copy is refused (409)."""
    clean = _check_fellowship(values, fellowship.id)
    changed = [key for key, value in clean.items() if getattr(fellowship, key) != value]
    _claim_version(Fellowship, fellowship, version, "fellowship")
    for key in changed:
        setattr(fellowship, key, clean[key])
    try:
        audit("fellowship_changed", fellowship, actor_id=actor_id, detail={"fields": changed})
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise InvalidChange("Another fellowship already uses that code", field="code") from None


def set_fellowship_active(
    fellowship: Fellowship, active: bool, actor_id: int | None, version: int | None
) -> None:
    """Stop (or start again) offering a fellowship for new meetings; its meetings stay."""
    if fellowship.active == active:
        return
    _claim_version(Fellowship, fellowship, version, "fellowship")
    fellowship.active = active
    audit(
        "fellowship_reactivated" if active else "fellowship_deactivated",
        fellowship,
        actor_id=actor_id,
    )
    db.session.commit()


# --- imports -------------------------------------------------------------------------------

# Fields a feed owns: a re-import sets them to the feed's values. Directions and the last
# check are the portal's own and change only when the feed carries them as extra keys.
FEED_FIELDS = (
    "name",
    "weekday",
    "start_time",
    "end_time",
    "attendance",
    "venue",
    "address",
    "postcode",
    "area",
    "latitude",
    "longitude",
    "location_notes",
    "online_url",
    "online_notes",
    "type_codes",
    "contact_name",
    "contact_phone",
    "notes",
)
PREVIEW_LIFETIME = timedelta(days=1)
SHOWN_PER_LIST = 200


@dataclass
class ImportPlan:
    """What applying a feed would do, worked out against the database as it is now."""

    source: str
    fellowship_id: int
    records: int
    created: list[tuple[FeedMeeting, int]] = field(default_factory=list)
    updated: list[tuple[int, FeedMeeting, int, list[str]]] = field(default_factory=list)
    deactivated: list[tuple[int, str]] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    versions: dict[int, int] = field(default_factory=dict)  # of the meetings to update

    @property
    def counts(self) -> dict[str, int]:
        return {
            "records": self.records,
            "created": len(self.created),
            "updated": len(self.updated),
            "deactivated": len(self.deactivated),
            "unchanged": len(self.unchanged),
            "skipped": len(self.skipped),
        }

    @property
    def changes_anything(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)

    def summary(self) -> dict[str, Any]:
        """Counts and the first few of each list, as the preview page and the CLI show them."""
        from .models import clock

        def when(meeting: FeedMeeting) -> str:
            return f"{WEEKDAYS[meeting.weekday]} {clock(meeting.start_time)}"

        warnings = [
            {"record": m.record, "slug": m.slug, "name": m.name, "warning": warning}
            for m in ([m for m, _ in self.created] + [m for _, m, _, _ in self.updated])
            for warning in m.warnings
        ]
        return {
            "counts": self.counts,
            "created": [
                {"name": m.name, "when": when(m), "slug": m.slug}
                for m, _ in self.created[:SHOWN_PER_LIST]
            ],
            "updated": [
                {"id": mid, "name": m.name, "when": when(m), "fields": fields}
                for mid, m, _, fields in self.updated[:SHOWN_PER_LIST]
            ],
            "deactivated": [
                {"id": mid, "name": name} for mid, name in self.deactivated[:SHOWN_PER_LIST]
            ],
            "skipped": [
                {"record": s.record, "slug": s.slug, "name": s.name, "reason": s.reason}
                for s in self.skipped[:SHOWN_PER_LIST]
            ],
            "warnings": warnings[:SHOWN_PER_LIST],
            "warning_count": len(warnings),
        }


def _feed_values(meeting: FeedMeeting) -> dict[str, Any]:
    values = {key: getattr(meeting, key) for key in FEED_FIELDS}
    values.update({key: meeting.extras[key] for key in PORTAL_EXTRAS if key in meeting.extras})
    if meeting.last_verified_at is not None:
        values["last_verified_at"] = meeting.last_verified_at
    return values


def plan_import(
    feed: FeedResult, source: str, fellowship: Fellowship, progress: Progress | None = None
) -> ImportPlan:
    """Compare a read feed with the meetings already imported from the same source."""
    if not feed.meetings:
        raise FeedError(
            "No meeting in this feed could be read, so nothing would change. "
            "Check it is the right file."
        )
    # Locked until the plan is applied (PostgreSQL; SQLite's write transaction does the same).
    existing = {
        m.source_slug: m
        for m in db.session.scalars(
            select(Meeting)
            .where(Meeting.source == source)
            .options(lazyload(Meeting.fellowship))
            .with_for_update(of=Meeting)
        )
    }
    by_code = {f.code: f.id for f in db.session.scalars(select(Fellowship))}
    plan = ImportPlan(source, fellowship.id, feed.records, skipped=list(feed.skipped))
    for record in feed.meetings:
        fellowship_id = by_code.get(record.fellowship_code or "", fellowship.id)
        meeting = existing.get(record.slug)
        if meeting is None:
            plan.created.append((record, fellowship_id))
        else:
            values = _feed_values(record) | {"fellowship_id": fellowship_id}
            changed = [key for key, value in values.items() if getattr(meeting, key) != value]
            if meeting.removed_from_source and not meeting.active:
                changed.append("active")
            if changed:
                plan.updated.append((meeting.id, record, fellowship_id, changed))
                plan.versions[meeting.id] = meeting.version
            else:
                plan.unchanged.append(meeting.id)
        if progress:
            progress(1)
    mentioned = feed.mentioned_slugs
    for slug, meeting in existing.items():
        if meeting.active and not is_mentioned(slug or "", mentioned):
            plan.deactivated.append((meeting.id, meeting.name))
    return plan


IMPORT_BATCH = 500


def apply_plan(plan: ImportPlan, actor_id: int | None, progress: Progress | None = None) -> None:
    """Carry a plan out in the caller's transaction, auditing every meeting it touches.

    Writes go in batches (one INSERT or UPDATE statement per few hundred meetings), so a feed
    of thousands applies in well under a second. The rows were locked when the plan was made.
    """
    now = utcnow()
    audit_rows: list[dict] = []
    for batch in _batches(plan.created):
        rows = [
            _full_values(record)
            | {
                "fellowship_id": fellowship_id,
                "source": plan.source,
                "source_slug": record.slug,
                "active": True,
                "removed_from_source": False,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for record, fellowship_id in batch
        ]
        statement = insert(Meeting).returning(Meeting.id, sort_by_parameter_order=True)
        for meeting_id in db.session.scalars(statement, rows):
            audit_rows.append(_audit_row("meeting_imported", meeting_id, actor_id, plan.source))
        _advance(progress, len(batch))
    for batch in _batches(plan.updated):
        rows = []
        for meeting_id, record, fellowship_id, changed in batch:
            row = _feed_values(record) | {"id": meeting_id, "fellowship_id": fellowship_id}
            if "active" in changed:
                row |= {"active": True, "removed_from_source": False}
            rows.append(row | {"version": plan.versions[meeting_id] + 1, "updated_at": now})
            audit_rows.append(
                _audit_row("meeting_import_changed", meeting_id, actor_id, None, changed)
            )
        db.session.execute(update(Meeting), rows)
        _advance(progress, len(batch))
    for batch in _batches(plan.deactivated):
        ids = [meeting_id for meeting_id, _ in batch]
        db.session.execute(
            update(Meeting)
            .where(Meeting.id.in_(ids))
            .values(
                active=False,
                removed_from_source=True,
                version=Meeting.version + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        audit_rows += [_audit_row("meeting_import_deactivated", i, actor_id) for i in ids]
        _advance(progress, len(batch))
    for batch in _batches(audit_rows):
        audit_many(batch)
    audit(
        "meetings_import_applied", actor_id=actor_id, detail={"source": plan.source, **plan.counts}
    )
    db.session.flush()


def _full_values(record: FeedMeeting) -> dict[str, Any]:
    """Every column a new meeting gets from a record (the same keys for each, for batching)."""
    values = {key: getattr(record, key) for key in FEED_FIELDS}
    values.update({key: record.extras.get(key) for key in PORTAL_EXTRAS})
    values["last_verified_at"] = record.last_verified_at
    return values


def _audit_row(
    action: str,
    meeting_id: int,
    actor_id: int | None,
    source: str | None = None,
    fields: list[str] | None = None,
) -> dict:
    detail = {"source": source} if source else ({"fields": fields} if fields else None)
    return audit_row(action, _Ref(meeting_id), actor_id, detail, None)


@dataclass(frozen=True)
class _Ref:
    """Stands in for a meeting in an audit row when only its id is at hand."""

    id: int
    __tablename__ = "meetings"


def _batches(items: list) -> Iterator[list]:
    for start in range(0, len(items), IMPORT_BATCH):
        yield items[start : start + IMPORT_BATCH]


def _advance(progress: Progress | None, steps: int) -> None:
    if progress:
        progress(steps)


def read_feed(payload: bytes, progress: Progress | None = None) -> FeedResult:
    try:
        return parse_feed(payload, progress)
    except FeedError as error:
        raise InvalidChange(str(error), field="feed") from None


def preview_import(
    payload: bytes,
    source: str,
    fellowship: Fellowship,
    actor_id: int | None,
    filename: str | None = None,
) -> MeetingImport:
    """Read a feed and keep what an import would do, server-side, until someone confirms."""
    source = " ".join(source.split())[:255]
    if not source:
        raise InvalidChange("Enter where this feed comes from", field="source")
    feed = read_feed(payload)
    try:
        plan = plan_import(feed, source, fellowship)
    except FeedError as error:
        raise InvalidChange(str(error), field="feed") from None
    db.session.execute(
        delete(MeetingImport).where(
            MeetingImport.status == "preview",
            MeetingImport.created_at < utcnow() - PREVIEW_LIFETIME,
        )
    )
    run = MeetingImport(
        id=secrets.token_urlsafe(24),
        created_by_id=actor_id,
        source=source,
        fellowship_id=fellowship.id,
        filename=" ".join(CONTROL.sub("", filename or "").split())[:255] or None,
        status="preview",
        records=json.dumps(
            {
                "records": feed.records,
                "meetings": [m.to_json() for m in feed.meetings],
                "skipped": [s.__dict__ for s in feed.skipped],
            }
        ),
        summary=json.dumps(plan.summary()),
    )
    db.session.add(run)
    audit("meetings_import_previewed", actor_id=actor_id, detail={"source": source})
    db.session.commit()
    return run


def get_import(import_id: str, user_id: int) -> MeetingImport:
    """An import run its own creator may look at; anyone else's is a 404."""
    run = db.session.get(MeetingImport, import_id[:43]) if import_id else None
    if run is None or run.created_by_id != user_id:
        raise NotFound("No such import")
    return run


def import_summary(run: MeetingImport) -> dict[str, Any]:
    return json.loads(run.summary) if run.summary else {}


def preview_expired(run: MeetingImport) -> bool:
    return run.status == "preview" and run.created_at < utcnow() - PREVIEW_LIFETIME


def _stored_feed(run: MeetingImport) -> FeedResult:
    data = json.loads(run.records)
    return FeedResult(
        [FeedMeeting.from_json(m) for m in data["meetings"]],
        [Skipped(**s) for s in data["skipped"]],
        data["records"],
    )


def confirm_import(run: MeetingImport, actor_id: int | None) -> bool:
    """Apply a previewed import in one transaction.

    The plan is worked out again first; if the meetings changed since the preview, nothing is
    applied, the preview is refreshed and False comes back so the person can look again.
    """
    if run.status != "preview":
        raise InvalidChange("This import has already been applied or discarded.")
    if preview_expired(run):
        raise InvalidChange("This preview is more than a day old. Upload the feed again.")
    seen = import_summary(run).get("counts")
    try:
        plan = plan_import(_stored_feed(run), run.source, run.fellowship)
    except FeedError as error:
        raise InvalidChange(str(error)) from None
    if plan.counts != seen:
        run.summary = json.dumps(plan.summary())
        db.session.commit()
        return False
    claimed = db.session.execute(
        update(MeetingImport)
        .where(MeetingImport.id == run.id, MeetingImport.status == "preview")
        .values(status="applied", applied_at=utcnow(), records="")
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise Conflict("This import was confirmed a moment ago, perhaps in another tab.")
    apply_plan(plan, actor_id)
    db.session.commit()
    db.session.refresh(run)
    return True


def discard_import(run: MeetingImport, actor_id: int | None) -> None:
    """Throw a preview away; nothing about the meetings changes."""
    if run.status != "preview":
        return
    run.status = "discarded"
    run.records = ""
    audit("meetings_import_discarded", actor_id=actor_id, detail={"source": run.source})
    db.session.commit()


def recent_imports(limit: int = 10) -> list[MeetingImport]:
    return db.session.scalars(
        select(MeetingImport)
        .where(MeetingImport.status == "applied")
        .order_by(MeetingImport.applied_at.desc())
        .limit(limit)
    ).all()


def known_sources() -> list[str]:
    return db.session.scalars(
        select(Meeting.source)
        .where(Meeting.source.is_not(None))
        .distinct()
        .order_by(Meeting.source)
    ).all()


@dataclass
class CommandImport:
    plan: ImportPlan
    applied: bool


def import_from_command(
    payload: bytes,
    source: str,
    fellowship: Fellowship,
    confirm: Callable[[ImportPlan], bool],
    progress_factory: Callable[[str, int], Any] | None = None,
) -> CommandImport:
    """The CLI's import: read, plan, show it to `confirm`, then apply in one transaction."""
    bar = progress_factory or (lambda label, length: _NoBar())
    with bar("Reading meetings", _record_count(payload)) as reading:
        feed = parse_feed(payload, reading.update)
    with write_transaction():
        with bar("Comparing with the directory", len(feed.meetings)) as comparing:
            plan = plan_import(feed, source, fellowship, comparing.update)
        if not confirm(plan) or not plan.changes_anything:
            db.session.rollback()
            return CommandImport(plan, applied=False)
        steps = len(plan.created) + len(plan.updated) + len(plan.deactivated)
        with bar("Saving changes", steps) as saving:
            apply_plan(plan, None, saving.update)
        db.session.commit()
    return CommandImport(plan, applied=True)


def _record_count(payload: bytes) -> int:
    # A cheap estimate for the progress bar: one "slug" key per record.
    return max(payload.count(b'"slug"'), 1)


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


def fetch_feed(location: str, max_bytes: int, timeout: float) -> tuple[bytes, str]:
    """The feed's bytes from a web address or a file path, refusing anything over `max_bytes`."""
    limit_text = (
        f"{max_bytes / 1024 / 1024:.0f} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes} bytes"
    )
    if location.lower().startswith(("http://", "https://")):
        request = urllib.request.Request(  # noqa: S310  (the scheme is checked just above)
            location, headers={"User-Agent": "peer-accompaniment-portal meetings import"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FeedError(f"The feed is larger than {limit_text}.")
                payload = response.read(max_bytes + 1)
        except urllib.error.HTTPError as error:
            error.close()
            raise FeedError(
                f"The feed could not be fetched: the server said {error.code}."
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise FeedError(f"The feed could not be fetched: {reason}") from None
        name = location
    else:
        path = Path(location)
        try:
            if path.stat().st_size > max_bytes:
                raise FeedError(f"The file is larger than {limit_text}.")
            with path.open("rb") as handle:
                payload = handle.read(max_bytes + 1)
        except OSError as error:
            raise FeedError(f"The file could not be read: {error.strerror or error}") from None
        name = path.name
    if len(payload) > max_bytes:
        raise FeedError(f"The feed is larger than {limit_text}.")
    return payload, name


# --- exports -------------------------------------------------------------------------------


def feed_record(meeting: Meeting) -> dict[str, Any]:
    """One meeting as a Meeting Guide record; portal-only fields ride along as extra keys."""
    record: dict[str, Any] = {
        "name": meeting.name,
        "slug": str(meeting.id),
        "day": meeting.weekday,
        "time": meeting.start_time.strftime("%H:%M"),
        "end_time": meeting.end_time.strftime("%H:%M"),
        "timezone": "Europe/London",
        "types": meeting.codes,
        "updated": utc_stamp_text(meeting.updated_at),
        "fellowship": meeting.fellowship.code,
        "attendance": meeting.attendance,
    }
    optional = {
        "location": meeting.venue,
        "location_notes": meeting.location_notes,
        "notes": meeting.notes,
        "region": meeting.area,
        "directions_walk": meeting.directions_walk,
        "directions_car": meeting.directions_car,
        "directions_public_transport": meeting.directions_public_transport,
        "last_verified_at": utc_stamp_text(meeting.last_verified_at),
    }
    if meeting.in_person:
        place = [part for part in (meeting.address, meeting.postcode) if part]
        optional["formatted_address"] = ", ".join([*place, "UK"]) if place else None
        optional["address"] = meeting.address
        optional["postal_code"] = meeting.postcode
        optional["country"] = "GB"
        if meeting.latitude is not None and meeting.longitude is not None:
            optional["latitude"] = meeting.latitude
            optional["longitude"] = meeting.longitude
    link = meeting.online_link
    if link and link.startswith("tel:"):
        optional["conference_phone"] = link[4:]
        optional["conference_url_notes"] = meeting.online_notes
    elif link:
        optional["conference_url"] = link
        optional["conference_url_notes"] = meeting.online_notes
    record.update({key: value for key, value in optional.items() if value not in (None, "")})
    return record


def feed_records() -> list[dict[str, Any]]:
    """Every running meeting as a Meeting Guide feed (the contacts are never published)."""
    statement = (
        select(Meeting)
        .where(Meeting.active.is_(True))
        .order_by(Meeting.weekday, Meeting.start_time, Meeting.id)
    )
    return [feed_record(meeting) for meeting in db.session.scalars(statement)]


CSV_COLUMNS = (
    "Name",
    "Fellowship",
    "Day",
    "Starts",
    "Ends",
    "Attendance",
    "Venue",
    "Address",
    "Postcode",
    "Area",
    "Online link",
    "What kind of meeting",
    "Directions on foot",
    "Directions by car",
    "Directions by public transport",
    "Last checked",
    "Running",
)


def csv_lines(statement: Select) -> Iterator[str]:
    """The search's meetings as CSV, a line at a time; cells cannot start a spreadsheet formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for meeting in db.session.scalars(statement.execution_options(yield_per=500)):
        kinds = meeting_types.labels_for(meeting.codes, meeting_types.OPEN_CLOSED)
        kinds += meeting_types.labels_for(meeting.codes)
        writer.writerow(
            [
                _cell(value)
                for value in (
                    meeting.name,
                    meeting.fellowship.name,
                    meeting.weekday_name,
                    meeting.start_time.strftime("%H:%M"),
                    meeting.end_time.strftime("%H:%M"),
                    meeting.attendance_label,
                    meeting.venue,
                    meeting.address,
                    meeting.postcode,
                    meeting.area,
                    meeting.online_link,
                    "; ".join(kinds),
                    meeting.directions_walk,
                    meeting.directions_car,
                    meeting.directions_public_transport,
                    meeting.last_verified_at.astimezone(LONDON).date().isoformat()
                    if meeting.last_verified_at
                    else "",
                    "Yes" if meeting.active else "No",
                )
            ]
        )
        yield flush()


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def meeting_calendar(meeting: Meeting, page_url: str, today: date | None = None) -> bytes:
    """An .ics file: a weekly event in Europe/London (with its VTIMEZONE) from the next date."""
    from icalendar import Calendar, Event, vRecur

    today = today or utcnow().astimezone(LONDON).date()
    first = next_occurrences(
        meeting.weekday,
        meeting.start_time,
        meeting.end_time,
        datetime.combine(today, time.min, tzinfo=LONDON),
        1,
    )[0][0].date()
    start = datetime.combine(first, meeting.start_time, tzinfo=LONDON)
    end_day = first + timedelta(days=1) if meeting.crosses_midnight else first
    end = datetime.combine(end_day, meeting.end_time, tzinfo=LONDON)
    place = ", ".join(
        part for part in (meeting.venue, meeting.address, meeting.postcode) if part
    ) or ("Online" if meeting.online else "")
    lines = [f"{meeting.fellowship.name} meeting ({meeting.attendance_label.lower()})."]
    if meeting.open_closed:
        lines.append(meeting.open_closed)
    if meeting.online_link:
        lines.append(f"Join online: {meeting.online_link}")
    if meeting.location_notes:
        lines.append(f"Finding the room: {meeting.location_notes}")
    lines.append(f"Details: {page_url}")
    event = Event.new(
        uid=f"meeting-{meeting.id}@peer-accompaniment-portal",
        summary=meeting.name,
        start=start,
        end=end,
        stamp=utcnow(),
        description="\n".join(lines),
        location=place or None,
    )
    event.add("rrule", vRecur({"FREQ": "WEEKLY", "BYDAY": _ICAL_DAYS[meeting.weekday]}))
    calendar = Calendar.new(prodid="-//Peer accompaniment portal//Meetings//EN")
    calendar.add_component(event)
    # Enough of the zone's rules for calendar apps that do not know Europe/London by name.
    calendar.add_missing_timezones(
        first_date=first - timedelta(days=7), last_date=date(first.year + 10, 1, 1)
    )
    return calendar.to_ical()


_ICAL_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
