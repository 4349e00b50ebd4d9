"""Reading a Meeting Guide feed's JSON safely: numbers no field could hold and nesting no feed
has are caught here, before any record is looked at (feed.py reads the records)."""

from __future__ import annotations

import json
import math

# What one feed may hold, whatever its size in bytes (the size and the number of meetings are
# set in portal/config.py). No field of a feed needs a number longer than an id or a
# coordinate, and a feed is at most four levels deep: {"meetings": [{"types": ["O"]}]}.
MAX_NUMBER_LENGTH = 30  # characters in one number, sign, point and exponent included
MAX_DEPTH = 8  # levels of lists and objects inside one another


class FeedError(Exception):
    """The whole feed is unreadable; nothing in it can be imported."""


class BadNumber:
    """Stands in for a number no feed field could hold (5,000 digits, 1e999, NaN), so the record
    holding it is skipped with a reason instead of the number being converted (Python refuses
    to convert an integer of more than 4,300 digits, which used to end in a 500)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"BadNumber({self.reason!r})"


def _int(text: str) -> int | BadNumber:
    if len(text) > MAX_NUMBER_LENGTH:
        return BadNumber(f"a number {len(text.lstrip('-')):,} digits long")
    return int(text)


def _float(text: str) -> float | BadNumber:
    if len(text) > MAX_NUMBER_LENGTH:
        return BadNumber(f"a number {len(text):,} characters long")
    value = float(text)
    return value if math.isfinite(value) else BadNumber(f"the number {text}, too large to use")


def _constant(name: str) -> BadNumber:
    return BadNumber(f"{name}, which is not a number")


def check_depth(data: object, limit: int = MAX_DEPTH) -> None:
    """FeedError when lists and objects sit more than `limit` levels inside one another.

    Read a level at a time (no recursion), after the JSON reader, which itself gives up at
    about a thousand levels; a realistic 10 MB feed takes a few hundredths of a second.
    """
    level = [data] if isinstance(data, list | dict) else []
    for _ in range(limit):
        deeper = []
        for container in level:
            for value in container.values() if isinstance(container, dict) else container:
                if isinstance(value, list | dict):
                    deeper.append(value)
        if not deeper:
            return
        level = deeper
    raise _too_deep(limit)


def _too_deep(limit: int) -> FeedError:
    return FeedError(
        f"The file has lists or sets of fields inside one another more than {limit} levels "
        "deep, so it is not a Meeting Guide feed (a feed is a list of meetings, each a set of "
        "fields)."
    )


def decode_feed(payload: bytes | str) -> list:
    """Bytes to the list of records, or FeedError saying why the file is not a feed.

    Numbers no field could hold come back as BadNumber (their record is skipped, the rest read
    on), and nesting deeper than MAX_DEPTH refuses the whole file.
    """
    if isinstance(payload, bytes):
        try:
            text = payload.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = payload.decode("cp1252", errors="replace")
    else:
        text = payload
    if not text.strip():
        raise FeedError("The file is empty.")
    try:
        data = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as error:
        raise FeedError(
            "The file is not valid JSON, so it cannot be a Meeting Guide feed "
            f"(problem near line {error.lineno})."
        ) from None
    except RecursionError:
        raise _too_deep(MAX_DEPTH) from None
    check_depth(data)
    if isinstance(data, dict) and isinstance(data.get("meetings"), list):
        data = data["meetings"]
    if not isinstance(data, list):
        raise FeedError("The file is JSON but not a Meeting Guide feed: it should be a list.")
    return data
