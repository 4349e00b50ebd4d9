"""Small factories: each test makes exactly the data it needs."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from flask import Flask, has_app_context

from portal.auth.models import User, UserRole
from portal.auth.passwords import hash_password
from portal.auth.second_factor import enrol_directly
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


def saved(obj):
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


def _make_user(number, roles, email, name, password, active) -> User:
    user = User(
        email=email or f"person{number}@example.org",
        name=name or f"Person {number}",
        password_hash=(_password_hash() if password == PASSWORD else hash_password(password))
        if password
        else None,
        active=active,
    )
    user.role_rows = [UserRole(role=role) for role in roles]
    if set(roles) & STAFF_ROLES:  # staff sign in with a code from an app (issue 20)
        enrol_directly(user)
    return saved(user)


STAFF_ROLES = {"admin", "champion", "keyworker"}


def sign_in_code(email: str) -> str:
    """The code a person's authenticator app would show now, for a step not used yet (a code is
    good once, so a second sign-in within 30 seconds takes the next step's code, which the portal
    accepts for a phone whose clock runs a little fast)."""
    import time

    import pyotp
    from sqlalchemy import select

    from portal.auth.second_factor import DRIFT_STEPS, STEP_SECONDS

    with context():
        user = db.session.scalar(select(User).where(User.email == email.lower()))
        now = int(time.time()) // STEP_SECONDS
        step = max(now, (user.totp_last_step or 0) + 1)
        assert step <= now + DRIFT_STEPS, "signed in three times within one code's life"
        return pyotp.TOTP(user.totp_secret).at(step * STEP_SECONDS)


# --- volunteers ------------------------------------------------------------------------------


def make_volunteer(user: User | None = None, **overrides: object):
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


def make_safeguarding_item(volunteer, kind: str, **overrides: object):
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
):
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


def make_fellowship(**overrides: object):
    from portal.meetings.models import Fellowship

    number = next(_counter)
    values: dict = {"code": f"F{number}", "name": f"Fellowship {number}", "kind": "community"}
    values.update(overrides)
    with context():
        return saved(Fellowship(**values))


def make_meeting(fellowship: str = "AA", **overrides: object):
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


def make_client(keyworker: User | None = None, **overrides: object):
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


def make_request(client, meeting=None, state: str = "open", weeks_ahead: int = 0, **overrides):
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


# --- offers and escorts (matching and coordination) ----------------------------------------------


def make_attendance(volunteer, meeting, weeks: str = "every"):
    """The volunteer goes to `meeting` anyway (every week unless told)."""
    from portal.volunteers.models import VolunteerMeeting

    with context():
        return saved(
            VolunteerMeeting(volunteer_id=volunteer.id, meeting_id=meeting.id, weeks=weeks)
        )


def make_window(volunteer, weekday: int, start, end):
    """A weekly time the volunteer is free (0 = Monday, local times)."""
    from portal.volunteers.models import AvailabilityWindow

    with context():
        return saved(
            AvailabilityWindow(
                volunteer_id=volunteer.id, weekday=weekday, start_time=start, end_time=end
            )
        )


def make_offer(request, volunteer, state: str = "pending", hours: float = 24, **overrides):
    """An offer of `request` to `volunteer` closing in `hours` (the request is not moved)."""
    from datetime import UTC, datetime, timedelta

    from portal.accompaniment.models import Offer

    values: dict = {
        "request_id": request.id,
        "volunteer_id": volunteer.id,
        "state": state,
        "expires_at": datetime.now(UTC) + timedelta(hours=hours),
    }
    values.update(overrides)
    with context():
        return saved(Offer(**values))


def make_conflict(volunteer, client, note: str | None = None):
    from portal.accompaniment.models import VolunteerClientConflict

    with context():
        return saved(
            VolunteerClientConflict(volunteer_id=volunteer.id, client_id=client.id, note=note)
        )


# --- reports and data governance -----------------------------------------------------------------


def make_fama_session(client, kind: int, held_on, **values):
    """A FAMA session of `kind` held on `held_on` (recorded by the client's keyworker)."""
    from portal.clients.models import FamaSession

    for name in ("goals", "handouts", "concerns", "encouragement", "participation"):
        values.setdefault(name, [])
    values.setdefault("recorded_by_id", client.keyworker_id)
    with context():
        return saved(FamaSession(client_id=client.id, kind=kind, held_on=held_on, **values))


def make_request_history(
    client,
    meeting,
    meeting_date,
    state: str = "open",
    outcome: str | None = None,
    *,
    raised_at=None,
    accepted_after_hours: float | None = None,
    session=None,
    volunteer=None,
    **overrides: object,
):
    """A past (or any) request for `meeting` on `meeting_date` that reached `state`, with the
    events on its way there; `accepted_after_hours` adds offered → accepted that many hours
    after it was raised. It is not the client's current request unless told."""
    from datetime import timedelta

    from portal.accompaniment.models import AccompanimentRequest, RequestEvent
    from portal.meetings.occurrences import at_local

    starts_at = at_local(meeting_date, meeting.start_time)
    raised_at = raised_at or starts_at - timedelta(days=5)
    accepted_at = (
        raised_at + timedelta(hours=accepted_after_hours)
        if accepted_after_hours is not None
        else None
    )
    values: dict = {
        "client_id": client.id,
        "session_id": session.id if session is not None else None,
        "meeting_id": meeting.id,
        "meeting_date": meeting_date,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=1),
        "state": state,
        "outcome": outcome,
        "is_current": False,
        "created_by_id": client.keyworker_id,
        "created_at": raised_at,
        "volunteer_id": volunteer.id if volunteer is not None else None,
        "accepted_at": accepted_at if state in ("accepted", "completed") else None,
    }
    values.update(overrides)
    events = [(raised_at, None, "open")]
    if accepted_at is not None:
        events += [(raised_at, "open", "offered"), (accepted_at, "offered", "accepted")]
    last = events[-1][2]
    if state in ("completed", "cancelled", "unfilled"):
        events.append((max(starts_at, events[-1][0]), last, state))
    with context():
        request = AccompanimentRequest(**values)
        db.session.add(request)
        db.session.flush()
        for at, from_state, to_state in events:
            db.session.add(
                RequestEvent(request_id=request.id, at=at, from_state=from_state, to_state=to_state)
            )
        return saved(request)


# --- safety on the day -------------------------------------------------------------------------


def make_escort(
    volunteer_user: User | None = None,
    *,
    starts_in=None,  # a timedelta from now; default in one hour
    keyworker: User | None = None,
    phone_only: bool = False,
    meeting=None,
):
    """An accepted escort: (request, volunteer, volunteer's user or None, keyworker, client).

    The request is accepted by a vetted volunteer through an accepted offer, starting
    `starts_in` from now and lasting an hour."""
    from datetime import UTC, datetime, timedelta

    from portal.meetings.occurrences import LONDON

    starts_at = datetime.now(UTC).replace(microsecond=0) + (
        starts_in if starts_in is not None else timedelta(hours=1)
    )
    keyworker = keyworker or make_user(roles=("keyworker",))
    client = make_client(keyworker, consent_first_name=True)
    if phone_only:
        volunteer_user = None
        volunteer = make_vetted_volunteer(None, phone="07700 900123")
    else:
        volunteer_user = volunteer_user or make_user(roles=("volunteer",))
        volunteer = make_vetted_volunteer(volunteer_user, phone="07700 900123")
    request = make_request(
        client,
        meeting or make_meeting(),
        state="accepted",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        meeting_date=starts_at.astimezone(LONDON).date(),
        volunteer_id=volunteer.id,
        accepted_at=starts_at - timedelta(days=2),
        peer_first_name=volunteer.preferred_name,
    )
    make_offer(request, volunteer, state="accepted", answered_at=starts_at - timedelta(days=2))
    return request, volunteer, volunteer_user, keyworker, client


def make_someone_elses_records(**client_values: object) -> dict:
    """Another keyworker's client with a session, a goal and a request: the ids a probe tries
    ("c", "s", "g", "r"), the reference and the keyworker."""
    from datetime import UTC, datetime

    from portal.clients.models import Goal
    from portal.dates import london_today

    other = make_client(**client_values)
    request = make_request(other)
    session = make_fama_session(other, 1, london_today(datetime.now(UTC)))
    with context():
        goal = saved(Goal(client_id=other.id, goal="Go", recorded_by_id=other.keyworker_id))
    return {
        "c": other.id,
        "s": session.id,
        "g": goal.id,
        "r": request.id,
        "ref": other.reference,
        "keyworker": other.keyworker_id,
    }


def give_mobile(user, mobile: str = "07700 900123", **choices: bool):
    """A person's mobile for texts (issue 16), with any text choices (kind=True/False)."""
    from portal.notify.models import TextContact, TextPreference
    from portal.notify.texts import normalise_mobile

    with context():
        contact = saved(TextContact(user_id=user.id, mobile=normalise_mobile(mobile)))
        for kind, on in choices.items():
            saved(TextPreference(user_id=user.id, kind=kind, by_text=on))
    return contact


def give_text_consent(client, mobile: str = "07700 900456"):
    """The client's consent to text reminders (issue 16), as the keyworker records it: the flag,
    the history row and the mobile in E.164."""
    from datetime import UTC, datetime

    from portal.clients.models import Client, Consent
    from portal.notify.texts import normalise_mobile

    with context():
        row = db.session.get(Client, client.id)
        row.consent_texts = True
        row.phone = normalise_mobile(mobile)
        db.session.add(
            Consent(
                client_id=row.id,
                kind="texts",
                given=True,
                at=datetime.now(UTC),
                recorded_by_id=row.keyworker_id,
                wording_version="2026-1",
            )
        )
        return saved(row)


def make_escort_at(starts_at, *, peer: str = "Sam", texting: bool = True, **escort_options):
    """An accepted escort (as make_escort) whose meeting starts exactly at `starts_at` (UTC),
    meeting up 15 minutes before, the peer called `peer`, and its client consenting to texts
    unless told: (request, volunteer, volunteer's user, keyworker, client)."""
    from datetime import UTC, datetime, timedelta

    from portal.accompaniment.models import AccompanimentRequest
    from portal.meetings.occurrences import LONDON

    request, volunteer, user, keyworker, client = make_escort(
        starts_in=starts_at - datetime.now(UTC), **escort_options
    )
    with context():
        row = db.session.get(AccompanimentRequest, request.id)
        row.starts_at = starts_at
        row.ends_at = starts_at + timedelta(hours=1)
        row.meeting_date = starts_at.astimezone(LONDON).date()
        row.minutes_before = 15
        row.peer_first_name = peer
        request = saved(row)
    if texting:
        client = give_text_consent(client)
    return request, volunteer, user, keyworker, client


# --- the champions' tasks (issue 19) -----------------------------------------------------------


def make_task(volunteer=None, *, due_in_days: int = 1, **overrides: object):
    """An open task added by hand, due `due_in_days` from today (London), for any champion."""
    from datetime import timedelta

    from portal.audit import utcnow
    from portal.dates import london_today
    from portal.tasks.models import Task

    values = {
        "kind": "other",
        "title": f"Ring about the rota {next(_counter)}",
        "volunteer_id": volunteer.id if volunteer is not None else None,
        "due_on": london_today(utcnow()) + timedelta(days=due_in_days),
        "state": "open",
    }
    values.update(overrides)
    with context():
        return saved(Task(**values))


# --- travel expenses (issue 19) ----------------------------------------------------------------


def make_past_escort(volunteer_user: User | None = None, days_ago: float = 2, **options):
    """An accepted escort whose meeting was `days_ago` days ago, as make_escort returns it."""
    from datetime import timedelta

    return make_escort(volunteer_user, starts_in=-timedelta(days=days_ago), **options)


def make_expense_claim(request, volunteer, *, state: str = "waiting", **overrides: object):
    """A claim (a £3.40 bus fare unless told) for `request` by `volunteer`."""
    from portal.expenses.models import ExpenseClaim

    values: dict = {"kind": "bus", "amount_pence": 340, "state": state}
    values.update(overrides)
    with context():
        claim = ExpenseClaim(volunteer_id=volunteer.id, request_id=request.id, **values)
        db.session.add(claim)
        db.session.commit()
        return saved(claim)


# --- messages from the champion (issue 19) ----------------------------------------------------


def send_champion_message(champion, body: str = "Thank you all for this week.", **audience):
    """A message `champion` wrote and sent (to all approved volunteers unless told otherwise,
    e.g. audience="one", volunteer_id=…); returns the sent ChampionMessage."""
    from portal.messages import services

    with context():
        sender = db.session.get(User, champion.id)
        draft = services.save_draft(sender, body, True, **audience)
        people = services.recipients(draft, sender)
        message = services.send_message(draft.id, services.fingerprint(draft, people), sender)
        return saved(message)


# --- check kinds the service defines, and supervision (issue 19) ------------------------------


def make_check_kind(name: str | None = None, **overrides: object):
    """A kind of check the service defined: lasts 36 months and is needed before escorting
    unless told otherwise."""
    from portal.volunteers.models import CheckKind

    name = name or f"Naloxone training {next(_counter)}"
    values: dict = {"valid_months": 36, "needed_to_escort": True, "active": True}
    values.update(overrides)
    with context():
        return saved(CheckKind(name=name, folded=name.casefold(), **values))


def make_check_kind_item(volunteer, check_kind, **overrides: object):
    """An item of a service's own kind on the volunteer's record, issued a month ago and in
    date for years unless told otherwise."""
    from datetime import UTC, datetime, timedelta

    from portal.dates import london_today
    from portal.volunteers.models import SafeguardingItem

    today = london_today(datetime.now(UTC))
    values: dict = {
        "issued_on": today - timedelta(days=30),
        "expires_on": today + timedelta(days=900),
    }
    values.update(overrides)
    with context():
        item = SafeguardingItem(
            volunteer_id=volunteer.id, kind="service", check_kind_id=check_kind.id, **values
        )
        return saved(item)


def make_supervision(volunteer, *, held_days_ago: int = 7, due_in_days: int = 49, **overrides):
    """A one-to-one supervision held `held_days_ago`, the next due `due_in_days` from today."""
    from datetime import UTC, datetime, timedelta

    from portal.dates import london_today
    from portal.volunteers.models import Supervision

    today = london_today(datetime.now(UTC))
    values: dict = {
        "held_on": today - timedelta(days=held_days_ago),
        "kind": "one_to_one",
        "held_by_name": "Jo Supervisor",
        "note": "Talked about the first escorts.",
        "next_due_on": today + timedelta(days=due_in_days),
    }
    values.update(overrides)
    with context():
        return saved(Supervision(volunteer_id=volunteer.id, **values))
