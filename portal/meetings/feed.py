"""Meeting Guide JSON feeds in and out: messy records become clean ones or a reason to skip.

Plain Python with no Flask and no database, so it is tested alone. Real feeds send slugs as
numbers, days as numbers, arrays or English names, times with or without seconds, nulls where
strings belong and HTML entities in text; each record either yields one clean record per
weekday or a skip reason, and one bad record never stops the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from .feed_json import MAX_DEPTH, MAX_NUMBER_LENGTH, BadNumber, FeedError, decode_feed
from .meeting_types import KNOWN_CODES
from .text import (
    CONTROL,
    LIMITS,
    POSTCODE_IN_TEXT,
    POSTCODE_SHAPE,
    _address,
    _area,
    _coordinate,
    _fellowship_code,
    _limited,
    _online_notes,
    _online_url,
    _postcode,
    _string,
    _utc_stamp,
    _without_postcode,
    clean_text,
    normalise_postcode,
    phone_link,
    safe_web_url,
)

__all__ = [
    "CONTROL",
    "DAY_NAMES",
    "DEFAULT_LENGTH",
    "FEED_FIELD_RULES",
    "LIMITS",
    "LONDON_ZONES",
    "LONGEST_MEETING",
    "PORTAL_EXTRAS",
    "POSTCODE_IN_TEXT",
    "POSTCODE_SHAPE",
    "MAX_DEPTH",
    "MAX_NUMBER_LENGTH",
    "BadNumber",
    "FeedError",
    "FeedMeeting",
    "FeedResult",
    "Skip",
    "Skipped",
    "check_feed_record",
    "clean_text",
    "decode_feed",
    "is_mentioned",
    "minutes_between",
    "normalise_postcode",
    "parse_days",
    "parse_feed",
    "parse_record",
    "parse_slug",
    "parse_time",
    "parse_types",
    "phone_link",
    "safe_web_url",
    "unknown_codes",
    "utc_stamp_text",
]

LONDON_ZONES = frozenset({"Europe/London", "GB", "GB-Eire", "Europe/Belfast"})
DEFAULT_LENGTH = timedelta(hours=1)
LONGEST_MEETING = timedelta(hours=6)

_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?::(\d{2}))?\s*([ap])?\.?m?\.?$", re.IGNORECASE)
_CODE = re.compile(r"^[A-Za-z0-9\-]{1,12}$")

DAY_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("sunday", "sun"),
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed", "weds"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
        )
    )
    for name in names
}

# Portal-only fields a feed may carry as extra keys (our own export does).
PORTAL_EXTRAS = ("directions_walk", "directions_car", "directions_public_transport")


class Skip(Exception):
    """This record cannot be imported; the message says why in plain words."""


@dataclass
class FeedMeeting:
    """One weekly meeting as the portal stores it, read from one feed record."""

    slug: str
    name: str
    weekday: int
    start_time: time
    end_time: time
    attendance: str
    venue: str | None = None
    address: str | None = None
    postcode: str | None = None
    area: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    location_notes: str | None = None
    online_url: str | None = None
    online_notes: str | None = None
    type_codes: str = ""
    contact_name: str | None = None
    contact_phone: str | None = None
    notes: str | None = None
    fellowship_code: str | None = None
    # Portal-only fields, present only when the feed carried the key.
    extras: dict[str, str | None] = field(default_factory=dict)
    last_verified_at: datetime | None = None
    record: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        # A shallow copy: dataclasses.asdict deep-copies every value, ten times slower on a
        # feed of thousands of meetings.
        data = {**self.__dict__, "extras": dict(self.extras), "warnings": list(self.warnings)}
        data["start_time"] = self.start_time.strftime("%H:%M")
        data["end_time"] = self.end_time.strftime("%H:%M")
        data["last_verified_at"] = (
            self.last_verified_at.isoformat() if self.last_verified_at else None
        )
        return data

    @classmethod
    def from_json(cls, data: dict) -> FeedMeeting:
        data = dict(data)
        data["start_time"] = time.fromisoformat(data["start_time"])
        data["end_time"] = time.fromisoformat(data["end_time"])
        if data.get("last_verified_at"):
            data["last_verified_at"] = datetime.fromisoformat(data["last_verified_at"])
        return cls(**data)


@dataclass(frozen=True)
class Skipped:
    record: int  # 1-based position in the feed
    slug: str | None
    name: str | None
    reason: str


@dataclass
class FeedResult:
    meetings: list[FeedMeeting]
    skipped: list[Skipped]
    records: int

    @property
    def mentioned_slugs(self) -> set[str]:
        """Slugs the feed lists, even in records it could not read (a bad record is no closure)."""
        return {m.slug for m in self.meetings} | {s.slug for s in self.skipped if s.slug}


def is_mentioned(slug: str, mentioned: set[str]) -> bool:
    """True when a stored meeting's slug (or the record it was split from) is in the feed."""
    return slug in mentioned or slug.rsplit("@", 1)[0] in mentioned


def parse_feed(
    payload: bytes | str | list,
    progress: Callable[[int], None] | None = None,
    max_meetings: int | None = None,
) -> FeedResult:
    """Every record of a feed, read: clean meetings, and skipped records with their reasons.

    With `max_meetings`, a feed holding more meetings than that (a record naming several
    weekdays counts once for each) is refused whole, as soon as that is known.
    """
    records = payload if isinstance(payload, list) else decode_feed(payload)
    if max_meetings is not None and len(records) > max_meetings:
        raise FeedError(_too_many(f"lists {len(records):,} records", max_meetings))
    meetings: list[FeedMeeting] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for number, raw in enumerate(records, start=1):
        slug = _peek(raw, "slug")
        name = _peek(raw, "name")
        try:
            found = parse_record(raw, number)
            base = parse_slug(raw.get("slug"))  # type: ignore[union-attr]
            if base in seen:
                raise Skip(f"the slug {base!r} appears more than once in the feed")
            seen.add(base)
            meetings.extend(found)
        except Skip as reason:
            skipped.append(Skipped(number, slug, name, str(reason)))
        if max_meetings is not None and len(meetings) > max_meetings:
            raise FeedError(
                _too_many(f"holds more than {max_meetings:,} meetings by record {number:,}", 0)
            )
        if progress:
            progress(1)
    return FeedResult(meetings, skipped, len(records))


def _too_many(what: str, limit: int) -> str:
    most = f" The portal imports at most {limit:,} meetings from one feed." if limit else ""
    return (
        f"The feed {what} (a meeting held on several days counts once for each).{most} "
        "Split the feed, for example by area, and import each part."
    )


def _peek(raw: object, key: str) -> str | None:
    """A short, clean look at a field for the skip report, whatever state the record is in."""
    if not isinstance(raw, dict):
        return None
    value = raw.get(key)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        text = clean_text(str(value), single_line=True)
        return text[:120] if text else None
    return None


def parse_record(raw: object, number: int = 0) -> list[FeedMeeting]:
    """One feed record as one clean meeting per weekday it names; Skip when it cannot be used."""
    if not isinstance(raw, dict):
        raise Skip("this entry is not a meeting record")
    _refuse_bad_numbers(raw)
    warnings: list[str] = []
    slug = parse_slug(raw.get("slug"))
    name = _limited(clean_text(_string(raw.get("name")), single_line=True), "name", warnings)
    if not name:
        raise Skip("the meeting has no name")
    days = parse_days(raw.get("day"))
    zone = raw.get("timezone")
    if zone not in (None, "") and zone not in LONDON_ZONES:
        raise Skip(f"the meeting is in the time zone {str(zone)[:40]!r}, not UK time")
    start = parse_time(raw.get("time"))
    if start is None:
        raise Skip("the meeting has no start time")
    end = _end_time(start, raw.get("end_time"), warnings)

    codes = parse_types(raw.get("types"), warnings)
    address = _address(raw, warnings)
    postcode = _postcode(raw.get("postal_code"), address, warnings)
    if postcode and address:
        address = _without_postcode(address, postcode)
    address = _limited(address, "address", warnings)
    online_url = _online_url(raw, warnings)
    attendance = _attendance(codes, bool(address or postcode), online_url)
    if attendance == "in_person" and not (address or postcode):
        raise Skip("an in-person meeting needs an address or a postcode, and this has neither")
    if "TC" in codes:
        warnings.append("the venue is marked as temporarily closed")

    latitude = _coordinate(raw.get("latitude"), 90, "latitude", warnings)
    longitude = _coordinate(raw.get("longitude"), 180, "longitude", warnings)
    if latitude is None or longitude is None:
        latitude = longitude = None

    common = {
        "name": name,
        "start_time": start,
        "end_time": end,
        "attendance": attendance,
        "venue": _limited(clean_text(_string(raw.get("location")), True), "venue", warnings),
        "address": address,
        "postcode": postcode,
        "area": _limited(_area(raw), "area", warnings),
        "latitude": latitude,
        "longitude": longitude,
        "location_notes": clean_text(_string(raw.get("location_notes"))),
        "online_url": online_url,
        "online_notes": _online_notes(raw),
        "type_codes": _limited(" ".join(codes), "type_codes", warnings) or "",
        "contact_name": _limited(
            clean_text(_string(raw.get("contact_1_name")), True), "contact_name", warnings
        ),
        "contact_phone": _limited(
            clean_text(_string(raw.get("contact_1_phone")), True), "contact_phone", warnings
        ),
        "notes": clean_text(_string(raw.get("notes"))),
        "fellowship_code": _fellowship_code(raw.get("fellowship")),
        "extras": {key: clean_text(_string(raw.get(key))) for key in PORTAL_EXTRAS if key in raw},
        "last_verified_at": _utc_stamp(raw.get("last_verified_at")),
        "record": number,
    }
    one_day = len(days) == 1
    return [
        FeedMeeting(
            slug=slug if one_day else f"{slug}@{day}",
            weekday=day,
            warnings=list(warnings),
            **common,
        )
        for day in days
    ]


def _refuse_bad_numbers(raw: dict) -> None:
    """Skip a record with a number no field could hold, in a field or a list in a field."""
    for key, value in raw.items():
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, BadNumber):
                name = clean_text(str(key), single_line=True) or "a field"
                raise Skip(f"the {name[:40]} field holds {item.reason}")


def parse_slug(value: object) -> str:
    if isinstance(value, bool) or value is None:
        raise Skip("the meeting has no slug (its id in the feed)")
    if isinstance(value, float):
        if not value.is_integer():
            raise Skip(f"the slug {value!r} is not a usable id")
        value = int(value)
    if not isinstance(value, int | str):
        raise Skip("the slug is not a number or text")
    slug = clean_text(str(value), single_line=True)
    if not slug:
        raise Skip("the meeting has no slug (its id in the feed)")
    if len(slug) > LIMITS["slug"] - 3:
        raise Skip("the slug is longer than 250 characters")
    return slug


def parse_days(value: object) -> list[int]:
    """Meeting Guide weekdays (0 = Sunday) from a number, numeric text, a name, or a list."""
    if value is None or value == "" or value == []:
        raise Skip("the meeting has no weekday (it may be by appointment)")
    items = value if isinstance(value, list) else [value]
    days: list[int] = []
    for item in items:
        day = _day(item)
        if day not in days:
            days.append(day)
    return sorted(days)


def _day(item: object) -> int:
    if isinstance(item, bool):
        raise Skip(f"the day {item!r} is not a weekday")
    if isinstance(item, float) and item.is_integer():
        item = int(item)
    if isinstance(item, str):
        text = item.strip().lower()
        if text.isascii() and text.isdigit() and len(text) <= 3:
            item = int(text)
        elif text in DAY_NAMES:
            return DAY_NAMES[text]
    if isinstance(item, int) and 0 <= item <= 6:
        return item
    shown = str(item)[:30] if isinstance(item, int | float | str) else type(item).__name__
    raise Skip(f"the day {shown!r} is not a weekday (0 = Sunday to 6 = Saturday)")


def parse_time(value: object) -> time | None:
    """'19:30', '19:30:00', '7:30', '7:30 pm' to a wall-clock time; None when absent."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise Skip(f"the time {str(value)[:20]!r} is not a time like 19:30")
    match = _TIME.match(value.strip())
    if not match:
        raise Skip(f"the time {value.strip()[:20]!r} is not a time like 19:30")
    hour, minute = int(match.group(1)), int(match.group(2))
    second = int(match.group(3) or 0)
    meridiem = (match.group(4) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            raise Skip(f"the time {value.strip()[:20]!r} is not a time like 19:30")
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise Skip(f"the time {value.strip()[:20]!r} is not a time like 19:30")
    return time(hour, minute)


def minutes_between(start: time, end: time) -> int:
    """How long a meeting lasts; an end before the start means it runs past midnight."""
    return (end.hour * 60 + end.minute - start.hour * 60 - start.minute) % (24 * 60)


def _end_time(start: time, value: object, warnings: list[str]) -> time:
    default = (datetime.combine(datetime.min, start) + DEFAULT_LENGTH).time()
    try:
        end = parse_time(value)
    except Skip:
        warnings.append("the end time could not be read, so it is taken as one hour")
        return default
    if end is None:
        return default
    length = minutes_between(start, end)
    if length == 0:
        warnings.append("the end time is the start time, so it is taken as one hour later")
        return default
    if length > LONGEST_MEETING.total_seconds() // 60:
        hours, minutes = divmod(length, 60)
        raise Skip(f"it ends {hours} h {minutes:02d} min after it starts; check the end time")
    return end


def parse_types(value: object, warnings: list[str] | None = None) -> list[str]:
    """Type codes, known or not, deduplicated and sorted; junk that cannot be a code is dropped."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items: Iterable[object] = re.split(r"[,\s]+", value)
    elif isinstance(value, list):
        items = value
    else:
        if warnings is not None:
            warnings.append("the types were not a list and were left out")
        return []
    codes = set()
    for item in items:
        if not isinstance(item, str):
            continue
        code = item.strip()
        if _CODE.match(code):
            codes.add(code)
    return sorted(codes)


def unknown_codes(codes: Iterable[str]) -> list[str]:
    return sorted(set(codes) - KNOWN_CODES)


def _attendance(codes: list[str], has_place: bool, online_url: str | None) -> str:
    """In person, online or hybrid, by the rules of the Meeting Guide reference."""
    if online_url and "TC" in codes:
        return "online"  # the venue is closed, the meeting carries on online
    if online_url and has_place:
        return "hybrid"
    if online_url:
        return "online"
    if "ONL" in codes:
        raise Skip("the meeting is marked online but gives no link or phone number")
    return "in_person"


def utc_stamp_text(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else None


FEED_FIELD_RULES = {
    "name": "text of 1 to 255 characters",
    "slug": "text, unique in the feed",
    "day": "whole number 0 (Sunday) to 6 (Saturday)",
    "time": "HH:MM, 24-hour",
    "end_time": "HH:MM, 24-hour",
    "types": "list of type codes",
}


def check_feed_record(record: dict) -> list[str]:
    """What is wrong with one record we publish, measured against the Meeting Guide rules."""
    problems = []
    name = record.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        problems.append("name")
    if not isinstance(record.get("slug"), str) or not record["slug"]:
        problems.append("slug")
    day = record.get("day")
    if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
        problems.append("day")
    for key in ("time", "end_time"):
        value = record.get(key)
        if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            problems.append(key)
    types = record.get("types")
    if not isinstance(types, list) or not all(isinstance(code, str) for code in types):
        problems.append("types")
    for key in ("latitude", "longitude"):
        if key in record and not isinstance(record[key], int | float):
            problems.append(key)
    if "conference_url" in record and safe_web_url(record["conference_url"]) is None:
        problems.append("conference_url")
    if "updated" in record and not re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", str(record["updated"])
    ):
        problems.append("updated")
    return problems
