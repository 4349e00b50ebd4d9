"""What every safety module shares: who is a champion, the volunteer behind a user and the
number to call them on."""

from __future__ import annotations

from sqlalchemy import select

from ..auth.models import User
from ..extensions import db
from ..notify.texts import mobile_of, shown_mobile
from ..volunteers.models import Volunteer


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
