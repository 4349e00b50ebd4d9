"""Text and places from feed records: clean text, UK postcodes, web links and phone numbers.

Plain Python with no Flask and no database. Helpers here never reject a record: they tidy what
they are given, or leave it out with a warning.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

# A UK postcode's shape (not whether it exists): outward code, optional space, inward code.
POSTCODE_SHAPE = re.compile(r"^(GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})$")
POSTCODE_IN_TEXT = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})\b", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,500}>")
_BREAK = re.compile(r"<\s*/?\s*(br|p|div|li)\b[^>]{0,200}>", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_COUNTRY_TAIL = re.compile(r",?\s*(UK|U\.K\.|GB|United Kingdom|England|Scotland|Wales)\s*$", re.I)

# Column limits of the Meeting model; longer text is cut with a warning.
LIMITS = {
    "name": 255,
    "venue": 255,
    "address": 500,
    "postcode": 10,
    "area": 100,
    "online_url": 500,
    "type_codes": 500,
    "contact_name": 100,
    "contact_phone": 40,
    "slug": 255,
}


def clean_text(value: str | None, single_line: bool = False) -> str | None:
    """Tags out, entities decoded, control characters gone; None when nothing is left."""
    if value is None:
        return None
    text = _BREAK.sub("\n", value)
    text = _TAG.sub("", text)
    for _ in range(2):  # feeds double-encode: '&amp;#039;'
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    text = CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    if single_line:
        text = " ".join(text.split())
    else:
        text = "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()
        text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() or None


def _string(value: object) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def _limited(value: str | None, key: str, warnings: list[str]) -> str | None:
    limit = LIMITS[key]
    if value is not None and len(value) > limit:
        warnings.append(
            f"the {key.replace('_', ' ')} was longer than {limit} characters and was cut"
        )
        return value[:limit].rstrip()
    return value


def normalise_postcode(value: str) -> str | None:
    """'sw1a1aa' to 'SW1A 1AA'; None when it is not the shape of a UK postcode."""
    compact = re.sub(r"\s+", "", value).upper()
    if len(compact) < 5 or len(compact) > 7:
        return None
    spaced = f"{compact[:-3]} {compact[-3:]}"
    return spaced if POSTCODE_SHAPE.match(spaced) else None


def _postcode(value: object, address: str | None, warnings: list[str]) -> str | None:
    given = clean_text(_string(value), single_line=True)
    if given:
        postcode = normalise_postcode(given)
        if postcode:
            return postcode
        warnings.append(f"the postcode {given[:20]!r} is not a UK postcode, so it was left out")
    if address:
        for match in POSTCODE_IN_TEXT.finditer(address):
            postcode = normalise_postcode(match.group(1))
            if postcode:
                return postcode
    return None


def _without_postcode(address: str, postcode: str) -> str | None:
    compact = postcode.replace(" ", "")
    pattern = re.compile(rf"\b{compact[:-3]}\s*{compact[-3:]}\b", re.IGNORECASE)
    trimmed = pattern.sub("", address)
    trimmed = _COUNTRY_TAIL.sub("", trimmed)
    trimmed = re.sub(r"\s*,\s*(,\s*)+", ", ", trimmed)
    trimmed = re.sub(r"\s{2,}", " ", trimmed).strip(" ,")
    return trimmed or None


def _address(raw: dict, warnings: list[str]) -> str | None:
    formatted = clean_text(_string(raw.get("formatted_address")), single_line=True)
    if formatted:
        return formatted
    parts = [
        clean_text(_string(raw.get(key)), single_line=True) for key in ("address", "city", "state")
    ]
    joined = ", ".join(part for part in parts if part)
    return joined or None


def _area(raw: dict) -> str | None:
    regions = raw.get("regions")
    candidates: list[object] = [raw.get("sub_region"), raw.get("region")]
    if isinstance(regions, list) and regions:
        candidates.insert(0, regions[-1])
    candidates.append(raw.get("city"))
    for candidate in candidates:
        text = clean_text(_string(candidate), single_line=True)
        if text:
            return text
    return None


def safe_web_url(value: str | None) -> str | None:
    """A link people can be sent to: http or https with a host; anything else is None."""
    if not value or len(value) > LIMITS["online_url"] or any(ch.isspace() for ch in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return value


def phone_link(number: str | None) -> str | None:
    """'0330 123 4567' to 'tel:03301234567'; None when there are no digits to dial."""
    if not number:
        return None
    digits = re.sub(r"[^\d+]", "", number)
    return f"tel:{digits}" if len(digits) >= 6 else None


def _online_url(raw: dict, warnings: list[str]) -> str | None:
    given = clean_text(_string(raw.get("conference_url")), single_line=True)
    url = safe_web_url(given)
    if given and url is None:
        warnings.append("the online link is not a web address, so it was left out")
    if url:
        return url
    return phone_link(clean_text(_string(raw.get("conference_phone")), single_line=True))


def _online_notes(raw: dict) -> str | None:
    parts = [
        clean_text(_string(raw.get("conference_url_notes"))),
        _labelled("Phone", clean_text(_string(raw.get("conference_phone")), True)),
        clean_text(_string(raw.get("conference_phone_notes"))),
    ]
    joined = "\n".join(part for part in parts if part)
    return joined or None


def _labelled(label: str, value: str | None) -> str | None:
    return f"{label}: {value}" if value else None


def _coordinate(value: object, bound: float, key: str, warnings: list[str]) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        warnings.append(f"the {key} is not a number and was left out")
        return None
    if number != number or abs(number) > bound or number == 0:
        warnings.append(f"the {key} is out of range and was left out")
        return None
    return round(number, 6)


def _fellowship_code(value: object) -> str | None:
    if isinstance(value, str) and re.match(r"^[A-Za-z0-9\-]{1,20}$", value.strip()):
        return value.strip().upper()
    return None


def _utc_stamp(value: object) -> datetime | None:
    """Meeting Guide's 'YYYY-MM-DD HH:MM:SS' in UTC (or ISO 8601) to an aware instant."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        stamp = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError:
        return None
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
