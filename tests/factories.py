"""Small factories: each test makes exactly the data it needs."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from flask import Flask, has_app_context

from portal.auth.models import User, UserRole
from portal.auth.passwords import hash_password
from portal.extensions import db

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)
_app: Flask | None = None


def use_app(app: Flask | None) -> None:
    global _app
    _app = app


@contextmanager
def context() -> Iterator[None]:
    """An app context of its own (so a test's requests never share one with the factories)."""
    if has_app_context():
        yield
        return
    assert _app is not None, "factories need the app fixture"
    with _app.app_context():
        yield


def saved(obj):  # noqa: ANN001, ANN201
    """Commit, load every column and detach, so the test can read the object freely."""
    db.session.add(obj)
    db.session.commit()
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


def make_user(
    roles: tuple[str, ...] | list[str] = ("keyworker",),
    email: str | None = None,
    name: str | None = None,
    password: str | None = PASSWORD,
    active: bool = True,
) -> User:
    number = next(_counter)
    with context():
        return _make_user(number, roles, email, name, password, active)


def _make_user(number, roles, email, name, password, active) -> User:  # noqa: ANN001
    user = User(
        email=email or f"person{number}@example.org",
        name=name or f"Person {number}",
        password_hash=(_password_hash() if password == PASSWORD else hash_password(password))
        if password
        else None,
        active=active,
    )
    user.role_rows = [UserRole(role=role) for role in roles]
    return saved(user)


# --- volunteers ------------------------------------------------------------------------------


def make_volunteer(user: User | None = None, **overrides: object):  # noqa: ANN201
    """A volunteer record (status applied unless told); linked to `user` when given."""
    from datetime import UTC, datetime

    from portal.meetings.models import Fellowship
    from portal.volunteers.models import Volunteer, VolunteerLanguage

    number = next(_counter)
    languages = overrides.pop("languages", ["English"])
    fellowship_codes = overrides.pop("fellowships", ["AA"])
    values = {
        "preferred_name": f"Volunteer {number}",
        "gender": "woman",
        "home_area": "Leeds",
        "travel_modes": "walk public_transport",
        "weekly_cap": 2,
        "status": "applied",
        "phone_only": user is None,
        "application_completed_at": datetime.now(UTC) if user is not None else None,
    }
    values.update(overrides)
    with context():
        volunteer = Volunteer(user_id=user.id if user else None, **values)
        volunteer.language_rows = [
            VolunteerLanguage(language=lang, folded=lang.casefold()) for lang in languages
        ]
        volunteer.fellowships = list(
            db.session.scalars(db.select(Fellowship).where(Fellowship.code.in_(fellowship_codes)))
        )
        return saved(volunteer)


def make_safeguarding_item(volunteer, kind: str, **overrides: object):  # noqa: ANN001, ANN201
    """One safeguarding item, issued a year ago and valid for years unless told otherwise."""
    from datetime import date, timedelta

    from portal.volunteers.models import SafeguardingItem

    values: dict = {
        "issued_on": date.today() - timedelta(days=365),
        "expires_on": date.today() + timedelta(days=3 * 365),
    }
    if kind == "dbs":
        values |= {
            "dbs_level": "enhanced",
            "dbs_certificate_number": "001234567890",
            "dbs_update_service": True,
        }
    if kind == "references":
        values |= {"references_received": 2, "expires_on": None}
    values.update(overrides)
    with context():
        return saved(SafeguardingItem(volunteer_id=volunteer.id, kind=kind, **values))


def make_vetted_volunteer(
    user: User | None = None, expires: dict | None = None, **overrides: object
):  # noqa: ANN201
    """An approved volunteer with every check in date and a confirmed recovery date.

    `expires` sets some items' expiry dates, for example {"dbs": date(2026, 5, 1)}.
    """
    from datetime import UTC, date, datetime

    overrides.setdefault("status", "approved")
    overrides.setdefault("recovery_date", date(2020, 1, 1))
    overrides.setdefault("recovery_confirmed_at", datetime.now(UTC))
    volunteer = make_volunteer(user, **overrides)
    for kind in ("dbs", "training", "references", "lone_working", "code_of_conduct"):
        if expires and kind in expires:
            make_safeguarding_item(volunteer, kind, expires_on=expires[kind])
        else:
            make_safeguarding_item(volunteer, kind)
    return volunteer


def fellowship_id(code: str = "AA") -> int:
    """The id of a seeded fellowship (AA, NA, CA, CMA, SMART, AL-ANON, FA, LOCAL)."""
    from sqlalchemy import select

    from portal.meetings.models import Fellowship

    with context():
        return db.session.scalar(select(Fellowship.id).where(Fellowship.code == code))


def make_fellowship(**overrides: object):  # noqa: ANN201
    from portal.meetings.models import Fellowship

    number = next(_counter)
    values: dict = {"code": f"F{number}", "name": f"Fellowship {number}", "kind": "community"}
    values.update(overrides)
    with context():
        return saved(Fellowship(**values))


def make_meeting(fellowship: str = "AA", **overrides: object):  # noqa: ANN201
    """A running in-person meeting, checked just now, of a seeded fellowship (by code)."""
    from datetime import UTC, datetime, time

    from portal.meetings.models import Meeting

    number = next(_counter)
    values: dict = {
        "name": f"Meeting {number}",
        "weekday": 2,
        "start_time": time(19, 30),
        "end_time": time(20, 30),
        "attendance": "in_person",
        "venue": "St Mark's Church Hall",
        "address": "12 Church Lane, Wrenford",
        "postcode": "QX1 4AB",
        "area": "Town centre",
        "type_codes": "O",
        "last_verified_at": datetime.now(UTC),
    }
    values.update(overrides)
    values.setdefault("fellowship_id", fellowship_id(fellowship))
    with context():
        return saved(Meeting(**values))


def make_client(keyworker: User | None = None, **overrides: object):  # noqa: ANN201
    """A client on `keyworker`'s caseload (a new keyworker when none is given)."""
    from portal.clients.models import Client

    keyworker = keyworker or make_user(roles=("keyworker",))
    number = next(_counter)
    values: dict = {
        "reference": f"CM-{number:05d}",
        "first_name": f"Robin{number}",
        "gender": "woman",
        "keyworker_id": keyworker.id,
        "status": "active",
    }
    values.update(overrides)
    with context():
        return saved(Client(**values))


def make_request(client, meeting=None, state: str = "open", weeks_ahead: int = 0, **overrides):  # noqa: ANN001, ANN201
    """A request for the meeting's next occurrence (`weeks_ahead` later), in any state."""
    from datetime import UTC, datetime, timedelta

    from portal.accompaniment.models import AccompanimentRequest, RequestEvent
    from portal.meetings.occurrences import LONDON, next_occurrences

    meeting = meeting or make_meeting()
    after = datetime.now(UTC) + timedelta(weeks=weeks_ahead)
    start, end = next_occurrences(meeting.weekday, meeting.start_time, meeting.end_time, after, 1)[
        0
    ]
    values: dict = {
        "client_id": client.id,
        "meeting_id": meeting.id,
        "meeting_date": start.astimezone(LONDON).date(),
        "starts_at": start,
        "ends_at": end,
        "state": state,
        "is_current": True,
        "created_by_id": client.keyworker_id,
    }
    values.update(overrides)
    with context():
        request = AccompanimentRequest(**values)
        db.session.add(request)
        db.session.flush()
        db.session.add(
            RequestEvent(request_id=request.id, actor_id=client.keyworker_id, to_state="open")
        )
        if values["is_current"]:
            from portal.clients.models import Client

            row = db.session.get(Client, client.id)
            row.commitment_meeting_id = meeting.id
            row.commitment_at = start
            row.last_session_kind = max(row.last_session_kind, 2)
        return saved(request)
