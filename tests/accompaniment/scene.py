"""A small service to match in: a champion, a keyworker's client with a request, and volunteers
who go to the meeting anyway and pass every check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.auth.models import User
from portal.extensions import db

from ..factories import (
    make_attendance,
    make_client,
    make_meeting,
    make_request,
    make_user,
    make_vetted_volunteer,
)


@dataclass
class Scene:
    champion: User
    keyworker: User
    client: Any
    meeting: Any
    request: Any
    volunteers: list[Any] = field(default_factory=list)  # Volunteer rows
    users: list[User] = field(default_factory=list)  # their accounts, same order


def scene(
    n: int = 3,
    *,
    weeks_ahead: int = 1,
    client: dict | None = None,
    request: dict | None = None,
    volunteer: dict | None = None,
    champion: User | None = None,
    keyworker: User | None = None,
    meeting: Any = None,
) -> Scene:
    """`n` vetted volunteers with accounts, all going to the request's meeting every week."""
    champion = champion or make_user(roles=("champion",))
    keyworker = keyworker or make_user(roles=("keyworker",))
    made_client = make_client(keyworker, **({"consent_first_name": True} | (client or {})))
    meeting = meeting or make_meeting()
    made_request = make_request(made_client, meeting, weeks_ahead=weeks_ahead, **(request or {}))
    result = Scene(champion, keyworker, made_client, meeting, made_request)
    for _ in range(n):
        user = make_user(roles=("volunteer",))
        person = make_vetted_volunteer(user, **(volunteer or {}))
        make_attendance(person, meeting)
        result.volunteers.append(person)
        result.users.append(user)
    return result


def add_request(s: Scene, weeks_ahead: int = 1, meeting: Any = None, **overrides: Any) -> Any:
    """Another client of the same keyworker with a request (same meeting unless told)."""
    other = make_client(s.keyworker, consent_first_name=True)
    return make_request(other, meeting or s.meeting, weeks_ahead=weeks_ahead, **overrides)


def fresh(user: User) -> User:
    """The user loaded in the current app context's session."""
    return db.session.get(User, user.id)
