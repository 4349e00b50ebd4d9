"""Who may do what with a volunteer, what counts as their activity, and today's date.

Shared by every volunteers module: the permission checks, the change listeners matching
subscribes to, and the UK date every expiry is judged on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import update

from ..audit import utcnow
from ..auth.models import User
from ..dates import london_today
from ..errors import NotAllowed, NotFound
from ..extensions import db
from .models import Volunteer


def today_local() -> date:
    """Today's date in the UK, the date every expiry is judged on."""
    return london_today(utcnow())


def is_champion(user: User) -> bool:
    """Champions see and manage every volunteer."""
    return user.has_role("champion")


def _require_champion(actor: User) -> None:
    if not is_champion(actor):
        raise NotAllowed("Only a recovery champion can do this")


def _require_editor(volunteer: Volunteer, actor: User) -> None:
    """The volunteer themselves or a champion; anyone else is told nothing exists."""
    own = volunteer.user_id is not None and volunteer.user_id == actor.id
    if not (own or is_champion(actor)):
        raise NotFound("No such volunteer")


def _mark_active(volunteer: Volunteer, actor: User) -> None:
    """A change by the volunteer (or by the champion for a phone-only contact) is activity."""
    if volunteer.phone_only or volunteer.user_id == actor.id:
        volunteer.last_active_at = utcnow()


VolunteerListener = Callable[[int, str], None]
_change_listeners: list[VolunteerListener] = []


def on_volunteer_change(listener: VolunteerListener) -> VolunteerListener:
    """Register `listener(volunteer_id, what)`, called inside the change's transaction when a
    volunteer's status, safeguarding record or time away changes (matching uses it to withdraw
    pending offers that no longer hold)."""
    _change_listeners.append(listener)
    return listener


def _volunteer_changed(volunteer_id: int, what: str) -> None:
    for listener in _change_listeners:
        listener(volunteer_id, what)


def mark_active(volunteer_id: int, at: datetime | None = None) -> None:
    """Record activity (an escort, an answer to an offer) in the caller's transaction."""
    db.session.execute(
        update(Volunteer)
        .where(Volunteer.id == volunteer_id)
        .values(last_active_at=at or utcnow())
        .execution_options(synchronize_session=False)
    )


# How to read a volunteer's escorts, given by accompaniment, which books them: the dependency
# runs one way (accompaniment uses volunteers), as with the change listeners above.
_escort_readers: dict[str, Callable[[int], Any]] = {}


def read_escorts_with(
    *, summary: Callable[[int], dict[str, Any]], calendar: Callable[[int], list[dict[str, Any]]]
) -> None:
    """Register how to read a volunteer's escorts: `summary(volunteer_id)` for their home page
    and `calendar(volunteer_id)` for their calendar feed."""
    _escort_readers.update(summary=summary, calendar=calendar)


def escort_reader(name: str) -> Callable[[int], Any] | None:
    return _escort_readers.get(name)
