"""The meetings list as the public sees it: the finder at /find and the Meeting Guide feed.

Only what a meeting list publishes goes out: running meetings, where and when, how to get there,
what kind of meeting, how to join online, and each fellowship's description. Never the group's
contacts, the service's own notes, when a meeting was last checked, or anything about who uses
the service (requests, volunteers, keyworkers' visits).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..errors import NotFound
from ..extensions import db
from ..web import external_link
from .exports import feed_record
from .models import Meeting

FEED_CACHE = "public_feed"
FIND_MEETING = "meetings.find_meeting"

# Fields of the service's working feed that stay inside: free-text notes may be the service's
# own, and the date last checked is part of its upkeep, not of the list.
WORKING_ONLY = frozenset({"notes", "last_verified_at"})


def public_record(meeting: Meeting, page_url: str | None = None) -> dict[str, Any]:
    """One running meeting as a Meeting Guide record with only what a list publishes."""
    record = {k: v for k, v in feed_record(meeting).items() if k not in WORKING_ONLY}
    if page_url:
        record["url"] = page_url
    return record


@dataclass(frozen=True)
class Feed:
    body: bytes
    etag: str  # a hash of the body: equal bodies, equal tags, on every app machine


def cached_feed() -> Feed:
    """The feed as worked out at most PUBLIC_FEED_CACHE_SECONDS ago on this app machine.

    Working it out reads every running meeting (about a second for 5,000 on a busy machine), and
    the Meeting Guide app and websites ask often; a change reaches the feed within that time on
    every machine, well inside the PUBLIC_FEED_MAX_AGE other caches are told they may keep it.
    """
    from ..cache import app_cache, cache_seconds

    ttl = cache_seconds("PUBLIC_FEED_CACHE_SECONDS")
    return app_cache(FEED_CACHE, size=1).get_or_compute("feed", ttl, _linked_feed).value


def _linked_feed() -> Feed:
    # Each record links to its public page, on the configured address (never the request's).
    adapter = current_app.url_map.bind("portal.invalid")
    root = external_link("/").rstrip("/")
    return public_feed(
        lambda meeting_id: root + adapter.build(FIND_MEETING, {"meeting_id": meeting_id})
    )


def public_feed(page_url: Any = None) -> Feed:
    """Every running meeting, Monday's first, as a Meeting Guide feed (JSON array).

    `page_url(meeting_id)` gives each record's public page. The tag is worked out from the body
    itself, so a change anyone makes on any machine changes it.
    """
    statement = (
        select(Meeting)
        .where(Meeting.active.is_(True))
        .order_by(Meeting.weekday, Meeting.start_time, Meeting.id)
    )
    records = [
        public_record(meeting, page_url(meeting.id) if page_url else None)
        for meeting in db.session.scalars(statement)
    ]
    body = json.dumps(records, ensure_ascii=False, separators=(",", ":")).encode()
    return Feed(body, hashlib.sha256(body).hexdigest()[:32])


def public_meeting(meeting_id: int) -> Meeting:
    """A running meeting; a deactivated or unknown one is not found (it is not on the list)."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not meeting.active:
        raise NotFound("No such meeting")
    return meeting
