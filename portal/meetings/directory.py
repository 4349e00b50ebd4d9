"""The meetings directory: search, reading a meeting, and champions' changes and checks.

Other domains use meetings through these functions (re-exported by `services`): `get_meeting`,
`meetings_by_id`, `search_meetings`, `active_meeting_choices` and `next_meeting_times`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, or_, select

from ..audit import audit, utcnow
from ..errors import InvalidChange, NotFound
from ..extensions import db
from ..versioning import claim_version
from ..web import Page, page_number
from . import meeting_types
from .feed import CONTROL, LONGEST_MEETING, minutes_between, normalise_postcode, safe_web_url
from .models import ATTENDANCE, Fellowship, Meeting
from .occurrences import next_occurrences

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
    near: str = ""  # a postcode or district to sort by distance from (geography)

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
            near=one("near", 10).upper(),
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
            "near": self.near,
        }
        return {key: value for key, value in args.items() if value}

    @property
    def narrowed(self) -> bool:
        return bool(self.as_args())


def _known(value: str, options: Mapping[str, Any]) -> str:
    return value if value in options else ""


def _has_code(*codes: str):
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


def search_meetings(filters: MeetingFilters, place: Any = None) -> Select:
    """A select of meetings matching the filters, Monday first then by time; nearest first
    (meetings with no point last) when `place` (a geography Place) is given."""
    statement = select(Meeting).where(*_conditions(filters))
    if place is not None:
        statement = statement.order_by(*nearest_first(place.latitude, place.longitude))
    return statement.order_by(*SEARCH_ORDER)


def nearest_first(lat: float, lon: float) -> tuple:
    """ORDER BY terms: meetings with a point first, nearest first.

    An equirectangular squared distance (no trigonometry in SQL, so every database can sort
    by it, with the page then limited in the database); within a region it orders as the
    great-circle distance shown beside each meeting does.
    """
    squeeze = math.cos(math.radians(lat)) ** 2
    dlat = Meeting.latitude - lat
    dlon = Meeting.longitude - lon
    return (Meeting.latitude.is_(None), dlat * dlat + dlon * dlon * squeeze)


def near_place(filters: MeetingFilters) -> dict[str, Any]:
    """Where a search sorts from (`place`), or why it cannot: an unknown postcode
    (`near_error`, shown by the field) or no directory loaded (`distances_unknown`)."""
    from ..geography.places import find_place

    if not filters.near:
        return {"place": None, "near_error": None, "distances_unknown": False}
    try:
        place = find_place(filters.near, field="near")
    except InvalidChange as error:
        return {"place": None, "near_error": error.message, "distances_unknown": False}
    return {"place": place, "near_error": None, "distances_unknown": place is None}


def meeting_distances(meetings: list[Meeting], place: Any) -> dict[int, float]:
    """Km from the place to each meeting that has a point (great-circle)."""
    from ..geography.places import distances_km

    located = [m for m in meetings if m.latitude is not None and m.longitude is not None]
    km = distances_km(place.latitude, place.longitude, [(m.latitude, m.longitude) for m in located])
    return {m.id: k for m, k in zip(located, km, strict=True) if k is not None}


def count_meetings(filters: MeetingFilters) -> int:
    statement = select(func.count()).select_from(Meeting).where(*_conditions(filters))
    return db.session.scalar(statement) or 0


def search_page(filters: MeetingFilters, per_page: int | None = None, place: Any = None) -> Page:
    """One page of a search and the total: two queries whatever the number of meetings.

    With a `place`, nearest first, and `page.distances` maps meeting id to km."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    number = page_number()
    total = count_meetings(filters)
    statement = search_meetings(filters, place).limit(per_page).offset((number - 1) * per_page)
    page = Page(list(db.session.scalars(statement)), number, per_page, total)
    page.distances = meeting_distances(page.items, place) if place is not None else {}  # type: ignore[attr-defined]
    return page


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


def search_limit(
    filters: MeetingFilters, limit: int, place: Any = None
) -> tuple[list[Meeting], int]:
    """The first `limit` meetings of a search and how many there are in all (two queries)."""
    statement = search_meetings(filters, place).limit(limit)
    return list(db.session.scalars(statement)), count_meetings(filters)


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
    from ..dates import clock

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


def locate_meeting(values: dict[str, Any], meeting: Meeting | None = None) -> dict[str, Any]:
    """A point the champion gave stays theirs; with none, the postcode directory's point (the
    postcode's, else its district's centre) is used and marked as the directory's, so a new
    postcode or a new directory moves it. The directory's point shown back unchanged in the
    edit form is still the directory's."""
    from ..geography.places import point_for_postcode

    given = values["latitude"] is not None
    if (
        given
        and meeting is not None
        and meeting.located_from_directory
        and (values["latitude"], values["longitude"]) == (meeting.latitude, meeting.longitude)
    ):
        given = False
    if given:
        return {**values, "located_from_directory": False}
    point = point_for_postcode(values["postcode"])
    return {
        **values,
        "latitude": point[0] if point else None,
        "longitude": point[1] if point else None,
        "located_from_directory": point is not None,
    }


def create_meeting(values: dict[str, Any], actor_id: int | None) -> Meeting:
    """Add a meeting by hand; whoever adds it has just checked it."""
    values = locate_meeting(check_meeting(values))
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
    values = locate_meeting(check_meeting(values), meeting)
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
    _switch_active(meeting, "meeting", active, actor_id, version, removed_from_source=False)


def _switch_active(
    record: Meeting | Fellowship,
    noun: str,
    active: bool,
    actor_id: int | None,
    version: int | None,
    **also: Any,
) -> None:
    """Set a meeting's or fellowship's `active` (and the values `also`) under its version, audit
    as "<noun>_reactivated" or "<noun>_deactivated", commit; nothing to do if it is already so."""
    if record.active == active:
        return
    _claim_version(type(record), record, version, noun)
    record.active = active
    for name, value in also.items():
        setattr(record, name, value)
    audit(f"{noun}_reactivated" if active else f"{noun}_deactivated", record, actor_id=actor_id)
    db.session.commit()


def mark_meeting_checked(meeting: Meeting, actor_id: int | None) -> None:
    """Record that the champion confirmed today that the meeting still runs as listed."""
    meeting.last_verified_at = utcnow()
    audit("meeting_checked", meeting, actor_id=actor_id)
    db.session.commit()


def _claim_version(model: type, obj: Any, version: int | None, noun: str) -> None:
    """Advance the version, refusing a save made from a stale copy (409, not an overwrite)."""
    message = f"Someone else changed this {noun} while you were looking. Reload it."
    claim_version(obj, version, message)
