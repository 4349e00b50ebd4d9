"""The words of safety's text messages: reminders to clients and volunteers, alerts to champions
(plain Python, no database).

A text shows on a phone's lock screen, to whoever holds the phone. So no text names a client, and
none says what the service is or mentions drugs or alcohol. A client's text says "your meeting"
(a meeting's name can say which fellowship it is, "Leeds NA") unless the service lets it name the
meeting, and ends with the service's sign-off only when an admin set one. Volunteers' texts,
like their offer texts, say "the meeting" with its day and time. The keyworker's free text (the
meeting point) goes in only when it says nothing about what the meeting is for.
"""

from __future__ import annotations

from datetime import datetime

from ..accompaniment.offer_texts import fit, safe_place
from ..dates import clock, short_day


def _meet(peer: str | None, meet_at: datetime, point: str | None) -> str:
    who = f"{peer} will meet you" if peer else "Someone will meet you"
    place = safe_place(point)
    return f"{who} at {clock(meet_at)}, {place}." if place else f"{who} at {clock(meet_at)}."


def client_reminder(
    *, meet_at: datetime, peer: str | None, point: str | None, meeting: str | None, today: bool
) -> str:
    """'Reminder: your meeting is tomorrow, Tue 8 Dec. Sam will meet you at 6:45pm, Outside the
    main entrance.' `meeting` is the meeting's name only where the service allows it."""
    what = " ".join((meeting or "").split()) or "your meeting"
    when = "today" if today else "tomorrow"
    return f"Reminder: {what} is {when}, {short_day(meet_at)}. {_meet(peer, meet_at, point)}"


def client_plan_changed(meet_at: datetime) -> str:
    """An escort the client was told about is off or changed: the keyworker explains."""
    return f"The plan for {short_day(meet_at)} has changed; your keyworker will be in touch."


def volunteer_day_before(*, meet_at: datetime, point: str | None) -> str:
    """The volunteer's reminder the day before (it may wait for service hours, so it says the
    day, never "tomorrow")."""
    start = f"Reminder: you're booked for the meeting on {short_day(meet_at)}, meet at"
    place = safe_place(point)
    end = "Details in the portal."
    versions = [f"{start} {clock(meet_at)}, {place}. {end}"] if place else []
    return fit(*versions, f"{start} {clock(meet_at)}. {end}")


def volunteer_soon(*, meet_at: datetime, point: str | None, link: str) -> str:
    """Two hours before: when and where, and the page with "I've met them"."""
    start = f"Reminder: the meeting today, meet at {clock(meet_at)}"
    place = safe_place(point)
    end = f'Press "I\'ve met them" here when you meet: {link}'
    versions = [f"{start}, {place}. {end}"] if place else []
    return fit(*versions, f"{start}. {end}", f"{start}. {link}")


def _call(phone: str | None) -> str:
    return f"Call them on {phone}" if phone else "Their phone is not in the portal"


def help_alert(
    *, name: str, at: datetime, phone: str | None, point: str | None, place: str | None, link: str
) -> str:
    """'URGENT: Sam pressed "I need help now" at 7:12pm. Call them on 07700 900123. Meeting point:
    Outside the main entrance, St Mark's Church Hall. <link>': who, when, how to reach them,
    where (a safety alert may run to two texts); the meeting's name and the client are left
    out."""
    start = f'URGENT: {name} pressed "I need help now" at {clock(at)}. {_call(phone)}.'
    where = ", ".join(part for part in (safe_place(point), safe_place(place)) if part)
    return f"{start} Meeting point: {where}. {link}" if where else f"{start} {link}"


def overdue_alert(*, name: str, ended_at: datetime, phone: str | None, link: str) -> str:
    """'URGENT: Sam has not checked out; the meeting ended at 8:30pm. Call them on … to check
    they are safe. <link>'."""
    return (
        f"URGENT: {name} has not checked out; the meeting ended at {clock(ended_at)}. "
        f"{_call(phone)} to check they are safe. {link}"
    )
