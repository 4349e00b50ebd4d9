"""What every safety module shares: who the champions are, the volunteer behind a user, and
links to portal pages in messages (built with or without a request)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from werkzeug.routing import BuildError

from ..auth.models import User
from ..extensions import db
from ..notify.texts import mobile_of, shown_mobile
from ..volunteers.models import Volunteer


def _path(endpoint: str, fallback: str, **values: object) -> str:
    """A path inside the portal, built with or without a request."""
    try:
        return current_app.url_map.bind("portal").build(endpoint, values)
    except BuildError:
        return fallback


def champions() -> list[User]:
    from ..auth.services import users_with_role

    return users_with_role("champion")


def is_champion(user: User | None) -> bool:
    return bool(user is not None and user.has_role("champion"))


def volunteer_of(user: User) -> Volunteer | None:
    return db.session.scalar(select(Volunteer).where(Volunteer.user_id == user.id))


def volunteer_phone(volunteer: Volunteer) -> str | None:
    """The number a champion calls: the volunteer's phone, else the mobile they gave for texts."""
    if volunteer.phone:
        return volunteer.phone
    mobile = mobile_of(volunteer.user_id) if volunteer.user_id else None
    return shown_mobile(mobile) or None
