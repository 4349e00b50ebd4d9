"""The volunteer's iCal feed of accepted escorts, behind a secret address only they hold."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..audit import audit, utcnow
from ..auth.models import User
from ..errors import NotFound
from ..extensions import db
from ._common import escort_reader
from .models import Volunteer


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reset_calendar_link(volunteer: Volunteer, actor: User) -> str:
    """A new secret for the calendar feed; the old address stops working at once.

    Only a hash is stored, so the address can be shown once, now, and never again.
    """
    if volunteer.user_id != actor.id:
        raise NotFound("No such volunteer")
    token = secrets.token_urlsafe(32)
    volunteer.calendar_token_hash = _hash_token(token)
    audit("calendar_link_reset", volunteer)
    db.session.commit()
    return token


def volunteer_for_calendar(token: str) -> Volunteer:
    """The volunteer whose feed this secret opens; NotFound for anything else."""
    if not token or len(token) > 100:
        raise NotFound("No such calendar")
    volunteer = db.session.scalar(
        select(Volunteer)
        .outerjoin(User, User.id == Volunteer.user_id)
        .where(Volunteer.calendar_token_hash == _hash_token(token), User.active.is_(True))
    )
    if volunteer is None:
        raise NotFound("No such calendar")
    return volunteer


@dataclass(frozen=True)
class CalendarEvent:
    """One accepted escort as a calendar entry: nothing about the client."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str = ""
    description: str = ""


def escort_events(volunteer: Volunteer) -> list[CalendarEvent]:
    """The volunteer's accepted escorts for the feed: meeting point, time and place only."""
    reader = escort_reader("calendar")
    return [CalendarEvent(**entry) for entry in reader(volunteer.id)] if reader else []


def build_calendar(events: Iterable[CalendarEvent], name: str = "Peer accompaniment") -> bytes:
    """An iCalendar document (RFC 5545) for calendar apps to subscribe to."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Peer accompaniment portal//Escorts//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/London")
    stamp = utcnow()
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.start)
        event.add("dtend", item.end)
        event.add("summary", item.summary)
        if item.location:
            event.add("location", item.location)
        if item.description:
            event.add("description", item.description)
        calendar.add_component(event)
    return calendar.to_ical()


def calendar_feed(token: str) -> bytes:
    """The feed behind a secret address: the volunteer's escorts, or NotFound."""
    volunteer = volunteer_for_calendar(token)
    return build_calendar(escort_events(volunteer))
