"""Clients: the caseload, least-data records, consents, FAMA sessions, outcome, goals, journal.

Every lookup is scoped to the keyworker: another keyworker's client is NotFound (a 404).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import noload

from ..accompaniment.models import LIVE_STATES, AccompanimentRequest
from ..accompaniment.models import OUTCOMES as REQUEST_OUTCOMES
from ..audit import audit, utcnow
from ..auth.models import User, UserRole
from ..errors import Conflict, InvalidChange, NotFound
from ..extensions import db
from ..meetings.models import Fellowship, Meeting
from ..meetings.occurrences import LONDON
from . import fama
from .models import (
    CONSENTS,
    GENDERS,
    OUTCOMES,
    Client,
    Consent,
    FamaSession,
    Goal,
    JournalEntry,
)
from .picker import resolve_choice, today_in_london

CONFLICT_MESSAGE = "Someone changed this client's record while you were looking. Reload it."
REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9 /._-]{0,39}$")

# Next actions, most urgent first: the caseload sorts and filters by these codes.
NEXT_ACTIONS = {
    "record_session_3": "Meeting has happened: record session 3",
    "session_1": "Session 1 not yet held",
    "session_2": "Session 2 due",
    "waiting_volunteer": "Waiting for a volunteer",
    "volunteer_confirmed": "Volunteer confirmed",
    "meeting_planned": "Meeting planned",
    "engaged": "Engaged",
    "not_attending": "Not attending for now",
    "closed": "Case closed",
}
SORTS = {
    "next_action": "Next action",
    "reference": "Reference",
    "first_name": "First name",
    "recent": "Most recently seen",
}


# --- reading --------------------------------------------------------------------------------


def get_client_for(user: User, client_id: int) -> Client:
    """One of `user`'s own clients; anybody else's (or none) is NotFound."""
    client = db.session.scalar(
        select(Client).where(Client.id == client_id, Client.keyworker_id == user.id)
    )
    if client is None:
        raise NotFound("No such client")
    return client


def next_action_expression(now: datetime) -> Any:
    """SQL giving each client's next-action code, so the caseload sorts and filters in the query."""
    state = AccompanimentRequest.state
    return case(
        (Client.status == "closed", literal("closed")),
        (Client.fama_outcome == "engaged", literal("engaged")),
        (Client.fama_outcome == "not_attending", literal("not_attending")),
        (Client.last_session_kind == 0, literal("session_1")),
        (Client.commitment_at.is_(None), literal("session_2")),
        (Client.commitment_at <= now, literal("record_session_3")),
        (state.in_(("open", "offered")), literal("waiting_volunteer")),
        (state == "accepted", literal("volunteer_confirmed")),
        else_=literal("meeting_planned"),
    )


def _action_rank() -> Any:
    return {code: rank for rank, code in enumerate(NEXT_ACTIONS)}


def caseload_statement(
    user: User,
    query: str = "",
    action: str = "",
    sort: str = "next_action",
    now: datetime | None = None,
) -> Any:
    """A select of (Client, request id, request state, next-action code) for the caseload page.

    One row per client (a client has at most one current request), in a fixed number of
    queries whatever the page size.
    """
    now = now or utcnow()
    action_code = next_action_expression(now)
    statement = (
        select(
            Client,
            AccompanimentRequest.id,
            AccompanimentRequest.state,
            action_code.label("action"),
        )
        .outerjoin(
            AccompanimentRequest,
            and_(
                AccompanimentRequest.client_id == Client.id,
                AccompanimentRequest.is_current.is_(True),
            ),
        )
        .where(Client.keyworker_id == user.id)
        .options(noload(Client.fellowships))
    )
    words = query.strip()[:60]
    if words:
        statement = statement.where(
            or_(
                func.upper(Client.reference).contains(words.upper(), autoescape=True),
                func.lower(Client.first_name).contains(words.lower(), autoescape=True),
            )
        )
    if action in NEXT_ACTIONS:
        statement = statement.where(action_code == action)
    elif action != "all":
        statement = statement.where(Client.status == "active")
    if sort == "reference":
        order = [Client.reference]
    elif sort == "first_name":
        order = [func.lower(Client.first_name), Client.reference]
    elif sort == "recent":
        order = [Client.last_session_on.desc().nulls_last(), Client.reference]
    else:
        rank = case(_action_rank(), value=action_code, else_=len(NEXT_ACTIONS))
        order = [rank, Client.commitment_at, Client.reference]
    return statement.order_by(*order, Client.id)


def caseload_counts(user: User, now: datetime | None = None) -> dict[str, int]:
    """How many of the keyworker's clients have each next action (one query)."""
    code = next_action_expression(now or utcnow())
    rows = db.session.execute(
        select(code, func.count())
        .select_from(Client)
        .outerjoin(
            AccompanimentRequest,
            and_(
                AccompanimentRequest.client_id == Client.id,
                AccompanimentRequest.is_current.is_(True),
            ),
        )
        .where(Client.keyworker_id == user.id)
        .group_by(code)
    ).all()
    return {action: count for action, count in rows}


def short_day(value: datetime | date) -> str:
    """'Tue 3 Dec' in UK time."""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return f"{value:%a} {value.day} {value:%b}"


def describe_next_action(code: str, commitment_at: datetime | None, now: datetime) -> str:
    """The next action in plain words, with the day where it helps."""
    if code == "record_session_3" and commitment_at is not None:
        days = (today_in_london(now) - commitment_at.astimezone(LONDON).date()).days
        when = {0: "today", 1: "yesterday"}.get(days, f"on {short_day(commitment_at)}")
        return f"Meeting was {when}: record session 3"
    if code == "volunteer_confirmed" and commitment_at is not None:
        return f"Volunteer confirmed for {short_day(commitment_at)}"
    if code == "waiting_volunteer" and commitment_at is not None:
        return f"Waiting for a volunteer for {short_day(commitment_at)}"
    if code == "meeting_planned" and commitment_at is not None:
        return f"Going to a meeting on {short_day(commitment_at)}"
    return NEXT_ACTIONS.get(code, code)


def stage_label(client: Client) -> str:
    if client.fama_outcome:
        return OUTCOMES[client.fama_outcome]
    if client.last_session_kind == 0:
        return "Not started"
    return f"Session {client.last_session_kind} held"


@dataclass
class ClientRecord:
    """Everything the client's page shows, loaded in a fixed number of queries."""

    client: Client
    sessions: list[FamaSession]
    requests: list[AccompanimentRequest]
    goals: list[Goal]
    journal: list[JournalEntry]
    consents: dict[str, tuple[Consent, str] | None]
    next_action: str
    next_action_code: str
    pending_request_session: FamaSession | None
    can_request: bool


def client_record(client: Client, now: datetime | None = None) -> ClientRecord:
    now = now or utcnow()
    sessions = list(
        db.session.scalars(
            select(FamaSession)
            .where(FamaSession.client_id == client.id)
            .order_by(FamaSession.held_on, FamaSession.id)
        ).unique()
    )
    requests = list(
        db.session.scalars(
            select(AccompanimentRequest)
            .where(AccompanimentRequest.client_id == client.id)
            .order_by(AccompanimentRequest.id.desc())
        ).unique()
    )
    goals = list(
        db.session.scalars(select(Goal).where(Goal.client_id == client.id).order_by(Goal.id))
    )
    journal = list(
        db.session.scalars(
            select(JournalEntry)
            .where(JournalEntry.client_id == client.id)
            .order_by(JournalEntry.attended_on.desc(), JournalEntry.id.desc())
        ).unique()
    )
    consents: dict[str, tuple[Consent, str] | None] = dict.fromkeys(CONSENTS)
    rows = db.session.execute(
        select(Consent, User.name)
        .join(User, User.id == Consent.recorded_by_id)
        .where(Consent.client_id == client.id)
        .order_by(Consent.at, Consent.id)
    ).all()
    for consent, name in rows:
        consents[consent.kind] = (consent, name)
    current = next((r for r in requests if r.is_current), None)
    code = _next_action_code(client, current, now)
    # A commitment where the client wanted company but no request was raised for it yet.
    pending = None
    if (
        client.status == "active"
        and client.commitment_at is not None
        and client.commitment_at > now
        and current is None
    ):
        pending = next(
            (
                s
                for s in reversed(sessions)
                if s.commitment_at == client.commitment_at and s.wants_company
            ),
            None,
        )
    return ClientRecord(
        client,
        sessions,
        requests,
        goals,
        journal,
        consents,
        describe_next_action(code, client.commitment_at, now),
        code,
        pending,
        can_request=(
            client.status == "active"
            and client.commitment_at is not None
            and client.commitment_at > now
            and (current is None or current.state not in LIVE_STATES)
        ),
    )


def _next_action_code(client: Client, current: AccompanimentRequest | None, now: datetime) -> str:
    """The same rule as next_action_expression, for one client already loaded."""
    state = current.state if current is not None else None
    if client.status == "closed":
        return "closed"
    if client.fama_outcome:
        return client.fama_outcome
    if client.last_session_kind == 0:
        return "session_1"
    if client.commitment_at is None:
        return "session_2"
    if client.commitment_at <= now:
        return "record_session_3"
    if state in ("open", "offered"):
        return "waiting_volunteer"
    if state == "accepted":
        return "volunteer_confirmed"
    return "meeting_planned"


def get_session_for(client: Client, session_id: int) -> FamaSession:
    session = db.session.scalar(
        select(FamaSession).where(FamaSession.id == session_id, FamaSession.client_id == client.id)
    )
    if session is None:
        raise NotFound("No such session")
    return session


def keyworkers() -> list[User]:
    """Active accounts holding the keyworker role, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.role_rows.any(UserRole.role == "keyworker"))
            .order_by(User.name, User.id)
        )
    )


# --- clients --------------------------------------------------------------------------------


def normalise_reference(reference: str) -> str:
    return " ".join(reference.split()).upper()


def _check_details(details: dict) -> dict:
    """Whitelist and check the least-data fields; anything else is ignored."""
    reference = normalise_reference(details.get("reference") or "")
    if not REFERENCE.match(reference):
        raise InvalidChange(
            "Enter the case-management reference using letters, numbers, spaces and - / . _",
            field="reference",
        )
    first_name = (details.get("first_name") or "").strip()
    if not first_name or len(first_name) > 60:
        raise InvalidChange("Enter the name the client likes to be called", field="first_name")
    gender = details.get("gender")
    if gender not in GENDERS:
        raise InvalidChange("Select how the client describes their gender", field="gender")
    fellowship_ids = sorted(set(details.get("fellowship_ids") or []))
    fellowships = (
        list(db.session.scalars(select(Fellowship).where(Fellowship.id.in_(fellowship_ids))))
        if fellowship_ids
        else []
    )
    if len(fellowships) != len(fellowship_ids):
        raise InvalidChange("Select fellowships from the list", field="fellowships")
    return {
        "reference": reference,
        "first_name": first_name,
        "gender": gender,
        "pronouns": (details.get("pronouns") or "").strip()[:40] or None,
        "languages": (details.get("languages") or "").strip()[:200] or None,
        "access_needs": (details.get("access_needs") or "").strip()[:500] or None,
        "literacy_support": bool(details.get("literacy_support")),
        "fellowships": fellowships,
    }


def _reference_taken(reference: str, except_id: int | None = None) -> bool:
    statement = select(Client.id).where(Client.reference == reference)
    if except_id is not None:
        statement = statement.where(Client.id != except_id)
    return db.session.scalar(statement) is not None


def add_client(actor: User, **details: Any) -> Client:
    """Add a client to the actor's own caseload with the least data that does the job."""
    values = _check_details(details)
    if _reference_taken(values["reference"]):
        raise InvalidChange(
            "A client with this reference is already in the portal. Check the reference, or "
            "ask your admin to move the client to your caseload",
            field="reference",
        )
    client = Client(keyworker_id=actor.id, status="active", **values)
    db.session.add(client)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise InvalidChange(
            "A client with this reference is already in the portal", field="reference"
        ) from None
    audit("client_added", client, client_ref=client.reference, actor_id=actor.id)
    db.session.commit()
    return client


def _claim_version(client: Client, version: int | None) -> None:
    """Advance the client's version, refusing a save made from a stale page (409)."""
    expected = client.version if version is None else version
    result = db.session.execute(
        update(Client)
        .where(Client.id == client.id, Client.version == expected)
        .values(version=Client.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(CONFLICT_MESSAGE)
    db.session.refresh(client, ["version"])


def update_client(client: Client, actor: User, version: int | None, **details: Any) -> Client:
    """Correct the client's details."""
    values = _check_details(details)
    if _reference_taken(values["reference"], except_id=client.id):
        raise InvalidChange(
            "Another client already has this reference. Check it and try again",
            field="reference",
        )
    _claim_version(client, version)
    changed = sorted(k for k, v in values.items() if getattr(client, k) != v)
    for key, value in values.items():
        setattr(client, key, value)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise InvalidChange(
            "Another client already has this reference", field="reference"
        ) from None
    audit(
        "client_updated",
        client,
        detail={"fields": changed},
        client_ref=client.reference,
        actor_id=actor.id,
    )
    db.session.commit()
    return client


def set_client_status(client: Client, actor: User, status: str, version: int | None) -> None:
    """Close a case (it leaves the caseload) or reopen it."""
    if status not in ("active", "closed"):
        raise InvalidChange("Choose open or closed")
    if client.status == status:
        return
    if status == "closed":
        live = db.session.scalar(
            select(func.count())
            .select_from(AccompanimentRequest)
            .where(
                AccompanimentRequest.client_id == client.id,
                AccompanimentRequest.state.in_(LIVE_STATES),
            )
        )
        if live:
            raise InvalidChange(
                "This client has a request for a peer in progress. Cancel it before closing "
                "the case."
            )
    _claim_version(client, version)
    client.status = status
    client.closed_at = utcnow() if status == "closed" else None
    audit(
        "client_closed" if status == "closed" else "client_reopened",
        client,
        client_ref=client.reference,
        actor_id=actor.id,
    )
    db.session.commit()


def transfer_client(client: Client, keyworker_id: int, actor: User, version: int | None) -> None:
    """Move a client to another keyworker's caseload (admins only; audited)."""
    if not actor.has_role("admin"):
        raise NotFound("No such client")
    target = db.session.get(User, keyworker_id)
    if target is None or not target.active or not target.has_role("keyworker"):
        raise InvalidChange("Choose a keyworker from the list", field="keyworker_id")
    if target.id == client.keyworker_id:
        raise InvalidChange(
            "The client is already on this keyworker's caseload", field="keyworker_id"
        )
    _claim_version(client, version)
    before = client.keyworker_id
    client.keyworker_id = target.id
    audit(
        "client_transferred",
        client,
        detail={"from_keyworker": before, "to_keyworker": target.id},
        client_ref=client.reference,
        actor_id=actor.id,
    )
    db.session.commit()


def find_client_by_reference(reference: str) -> Client | None:
    """For the admin's transfer page only."""
    normal = normalise_reference(reference or "")
    if not normal or len(normal) > 40:
        return None
    return db.session.scalar(select(Client).where(Client.reference == normal))


# --- consents -------------------------------------------------------------------------------

PHONE = re.compile(r"^\+?[0-9 ()-]{7,25}$")
ConsentListener = Callable[[Client, str, User], None]
_consent_listeners: list[ConsentListener] = []


def on_consent_withdrawn(listener: ConsentListener) -> ConsentListener:
    """Register `listener(client, kind, actor)`, called inside the withdrawal's transaction
    (matching uses it to withdraw offers that showed the data)."""
    _consent_listeners.append(listener)
    return listener


def shared_with_volunteer(client: Client) -> dict[str, str | None]:
    """What a volunteer on an escort may be told: each item only while its consent holds."""
    return {
        "first_name": client.first_name if client.consent_first_name else None,
        "phone": client.phone if client.consent_phone and client.phone else None,
    }


def give_consent(
    client: Client, actor: User, kind: str, version: int | None, phone: str | None = None
) -> None:
    """Record the client's consent (with the wording version shown); the phone comes with it."""
    if kind not in CONSENTS:
        raise NotFound("No such consent")
    if kind == "share_phone":
        phone = (phone or "").strip()
        if not PHONE.match(phone) or sum(ch.isdigit() for ch in phone) < 7:
            raise InvalidChange("Enter a phone number, like 07700 900123", field="phone")
    _claim_version(client, version)
    db.session.add(
        Consent(
            client_id=client.id,
            kind=kind,
            given=True,
            at=utcnow(),
            recorded_by_id=actor.id,
            wording_version=CONSENTS[kind]["version"],
        )
    )
    if kind == "share_first_name":
        client.consent_first_name = True
    else:
        client.consent_phone = True
        client.phone = phone
    audit(
        "consent_given",
        client,
        detail={"kind": kind},
        client_ref=client.reference,
        actor_id=actor.id,
    )
    db.session.commit()


def withdraw_consent(client: Client, actor: User, kind: str, version: int | None) -> None:
    """Record a withdrawal: it holds at once, and a withdrawn phone consent removes the phone."""
    if kind not in CONSENTS:
        raise NotFound("No such consent")
    _claim_version(client, version)
    db.session.add(
        Consent(
            client_id=client.id,
            kind=kind,
            given=False,
            at=utcnow(),
            recorded_by_id=actor.id,
            wording_version=CONSENTS[kind]["version"],
        )
    )
    if kind == "share_first_name":
        client.consent_first_name = False
    else:
        client.consent_phone = False
        client.phone = None
    for listener in _consent_listeners:
        listener(client, kind, actor)
    audit(
        "consent_withdrawn",
        client,
        detail={"kind": kind},
        client_ref=client.reference,
        actor_id=actor.id,
    )
    db.session.commit()


# --- FAMA sessions --------------------------------------------------------------------------

_LISTS = {
    "handouts": fama.HANDOUTS,
    "goals": fama.SESSION1_GOALS,
    "concerns": fama.WORRIES,
    "encouragement": fama.ENCOURAGEMENT,
    "participation": fama.PARTICIPATION,
}
_CHOICES = {
    "past_experience": fama.PAST_EXPERIENCE,
    "literacy_support": fama.LITERACY_SUPPORT,
    "last_goal_met": fama.GOAL_MET,
    "preferred_group": fama.GROUP_TYPES,
}
_TEXTS = {
    "experience_note": 500,
    "concern_other": 300,
    "attended_meeting_other": 200,
    "reactions": 1000,
    "benefits": 1000,
    "drawbacks": 1000,
    "notes": 1000,
}
SESSION_FIELDS: dict[int, set[str]] = {
    1: {
        "past_experience",
        "experience_note",
        "handouts",
        "journal_given",
        "literacy_support",
        "goals",
        "notes",
    },
    2: {
        "handouts",
        "last_goal_met",
        "concerns",
        "concern_other",
        "preferred_group",
        "commitment",
        "wants_company",
        "notes",
    },
    3: {
        "attended",
        "which_meeting",
        "attended_meeting_other",
        "reactions",
        "benefits",
        "drawbacks",
        "concerns",
        "concern_other",
        "encouragement",
        "participation",
        "commitment",
        "wants_company",
        "notes",
    },
}


def allowed_session_kinds(client: Client) -> list[int]:
    """Which sessions can be recorded next: 1 first, then 2, then 2 or 3 as often as needed."""
    if client.last_session_kind == 0:
        return [1]
    if client.last_session_kind == 1:
        return [2]
    return [2, 3]


def _yes_no(value: Any) -> bool | None:
    if value in (True, "yes"):
        return True
    if value in (False, "no"):
        return False
    return None


def _session_values(kind: int, answers: dict) -> dict:
    values: dict[str, Any] = {}
    for name in SESSION_FIELDS[kind]:
        value = answers.get(name)
        if name in _LISTS:
            codes = [c for c in (value or []) if isinstance(c, str)]
            if any(code not in _LISTS[name] for code in codes):
                raise InvalidChange("Select options from the list", field=name)
            values[name] = [code for code in _LISTS[name] if code in codes]
        elif name in _CHOICES:
            if value in (None, ""):
                values[name] = None
            elif value not in _CHOICES[name]:
                raise InvalidChange("Select one of the options", field=name)
            else:
                values[name] = value
        elif name in _TEXTS:
            text = (value or "").strip() if isinstance(value, str) else ""
            if len(text) > _TEXTS[name]:
                raise InvalidChange(f"Write {_TEXTS[name]} characters or fewer", field=name)
            values[name] = text or None
        elif name in ("journal_given", "attended", "wants_company"):
            values[name] = _yes_no(value)
    return values


def _session_three_request(client: Client) -> AccompanimentRequest | None:
    """The request session three reports on: the current one, else the latest."""
    return db.session.scalar(
        select(AccompanimentRequest)
        .where(AccompanimentRequest.client_id == client.id)
        .order_by(AccompanimentRequest.is_current.desc(), AccompanimentRequest.id.desc())
        .limit(1)
    )


def _clock_on(moment: datetime) -> str:
    """'7pm on Tuesday 8 December' (UK time)."""
    local = moment.astimezone(LONDON)
    hour = local.strftime("%-I:%M%p").lower().replace(":00", "")
    return f"{hour} on {local:%A} {local.day} {local:%B}"


def meeting_not_started(client: Client, now: datetime | None = None) -> str | None:
    """Why session three cannot say yet whether the client went to the meeting their escort
    request is for (it has not started), or None when it can."""
    now = now or utcnow()
    request = _session_three_request(client)
    if (
        request is None
        or request.state not in (*LIVE_STATES, "completed")
        or request.starts_at <= now
    ):
        return None
    return (
        f"{request.meeting.name} has not started yet. You can record whether the client went "
        f"to it from {_clock_on(request.starts_at)}, when it starts. If they went to another "
        'meeting, choose "Another meeting".'
    )


def session_defaults(client: Client, kind: int, now: datetime | None = None) -> dict:
    """Answers to prefill a new session's form with."""
    defaults: dict[str, Any] = {}
    if kind == 3:
        request = _session_three_request(client)
        waiting = meeting_not_started(client, now)
        if waiting:
            defaults["meeting_not_started"] = waiting
        elif request is not None and request.state == "completed":
            if request.outcome == "attended":
                defaults["attended"] = "yes"
            elif request.outcome == "client_did_not_come":
                defaults["attended"] = "no"
            defaults["escort_outcome"] = REQUEST_OUTCOMES.get(request.outcome or "")
        defaults["which_meeting"] = "committed" if client.commitment_meeting_id else "other"
    return defaults


def record_session(
    client: Client,
    actor: User,
    kind: int,
    held_on: date,
    answers: dict,
    now: datetime | None = None,
) -> FamaSession:
    """Record one FAMA session and move the client's stage, commitment and journal on."""
    now = now or utcnow()
    if client.keyworker_id != actor.id:
        raise NotFound("No such client")
    if client.status != "active":
        raise InvalidChange("This client's case is closed. Reopen it to record a session.")
    if kind not in allowed_session_kinds(client):
        raise InvalidChange(
            f"Session {kind} cannot be recorded yet: record session "
            f"{allowed_session_kinds(client)[0]} first."
        )
    today = today_in_london(now)
    if held_on > today:
        raise InvalidChange("The date cannot be in the future", field="held_on")
    if held_on < today - timedelta(days=366):
        raise InvalidChange("Enter a date in the last year", field="held_on")
    values = _session_values(kind, answers)
    chosen = resolve_choice(answers.get("commitment"), now) if kind in (2, 3) else None
    which = answers.get("which_meeting") if kind == 3 else None
    if values.get("wants_company") and chosen is None:
        raise InvalidChange(
            "Choose the meeting the client will go to, so a peer can go with them",
            field="commitment",
        )
    if kind == 3 and values.get("attended") is None:
        raise InvalidChange("Say whether the client went to the meeting", field="attended")
    tied = which == "committed" or (not which and client.commitment_meeting_id is not None)
    if kind == 3 and tied:
        waiting = meeting_not_started(client, now)
        if waiting:  # "went" or "did not go" to a meeting that has not begun is not known yet
            raise InvalidChange(waiting, field="attended")
    live = db.session.scalar(
        select(AccompanimentRequest).where(
            AccompanimentRequest.client_id == client.id,
            AccompanimentRequest.is_current.is_(True),
        )
    )
    live_future = live is not None and live.state in LIVE_STATES and live.starts_at > now
    if chosen is not None and live_future:
        raise InvalidChange(
            f"A peer is already being arranged for {short_day(live.starts_at)}. Change the "
            "date of that request, or cancel it, before choosing another meeting.",
            field="commitment",
        )
    session = FamaSession(
        client_id=client.id,
        kind=kind,
        held_on=held_on,
        recorded_by_id=actor.id,
        recorded_at=now,
        **values,
    )
    for name in _LISTS:
        if getattr(session, name) is None:
            setattr(session, name, [])
    if kind == 3 and which == "committed" and client.commitment_meeting_id:
        session.attended_meeting_id = client.commitment_meeting_id
        session.attended_meeting_other = None
    if chosen is not None:
        meeting, starts_at, _ends = chosen
        session.commitment_meeting_id = meeting.id
        session.commitment_at = starts_at
    else:
        session.wants_company = None
    db.session.add(session)
    db.session.flush()

    if kind == 3 and session.attended:
        attended_on = held_on
        if (
            session.attended_meeting_id == client.commitment_meeting_id
            and client.commitment_at is not None
            and client.commitment_at <= now
        ):
            attended_on = client.commitment_at.astimezone(LONDON).date()
        db.session.add(
            JournalEntry(
                client_id=client.id,
                session_id=session.id,
                attended_on=attended_on,
                meeting_id=session.attended_meeting_id,
                meeting_other=session.attended_meeting_other,
                reactions=session.reactions,
                benefits=session.benefits,
                drawbacks=session.drawbacks,
                recorded_by_id=actor.id,
            )
        )
    # The commitment this session leaves the client with.
    if chosen is not None or (kind == 3 and not live_future):
        db.session.execute(
            update(AccompanimentRequest)
            .where(AccompanimentRequest.client_id == client.id, AccompanimentRequest.is_current)
            .values(is_current=False)
            .execution_options(synchronize_session=False)
        )
        client.commitment_meeting_id = session.commitment_meeting_id
        client.commitment_at = session.commitment_at
    if client.last_session_on is None or held_on >= client.last_session_on:
        client.last_session_on = held_on
    client.last_session_kind = kind
    if client.fama_outcome and kind in (2, 3) and held_on >= (client.fama_outcome_on or held_on):
        client.fama_outcome = None
        client.fama_outcome_on = None
    audit(
        "fama_session_recorded",
        session,
        detail={"kind": kind, "commitment": session.commitment_meeting_id is not None},
        client_ref=client.reference,
        actor_id=actor.id,
    )
    db.session.commit()
    return session


def record_outcome(
    client: Client, actor: User, outcome: str | None, version: int | None, on: date | None = None
) -> None:
    """Record where FAMA ended for now: engaged with a group, or not attending for now."""
    if outcome not in (*OUTCOMES, None, ""):
        raise InvalidChange("Select one of the options", field="outcome")
    _claim_version(client, version)
    client.fama_outcome = outcome or None
    client.fama_outcome_on = (on or today_in_london()) if outcome else None
    audit(
        "fama_outcome_recorded",
        client,
        detail={"outcome": outcome or None},
        client_ref=client.reference,
        actor_id=actor.id,
    )
    db.session.commit()


# --- goals and journal ----------------------------------------------------------------------


def _text(value: str | None, limit: int, field: str) -> str | None:
    text = (value or "").strip()
    if len(text) > limit:
        raise InvalidChange(f"Write {limit} characters or fewer", field=field)
    return text or None


def add_goal(
    client: Client,
    actor: User,
    goal: str,
    progress: str | None = None,
    remaining: str | None = None,
) -> Goal:
    """Add a line to the client's goal planner."""
    text = _text(goal, 300, "goal")
    if not text:
        raise InvalidChange("Write the goal", field="goal")
    row = Goal(
        client_id=client.id,
        goal=text,
        progress=_text(progress, 1000, "progress"),
        remaining=_text(remaining, 1000, "remaining"),
        recorded_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    audit("goal_added", row, client_ref=client.reference, actor_id=actor.id)
    db.session.commit()
    return row


def get_goal_for(client: Client, goal_id: int) -> Goal:
    goal = db.session.scalar(select(Goal).where(Goal.id == goal_id, Goal.client_id == client.id))
    if goal is None:
        raise NotFound("No such goal")
    return goal


def update_goal(
    client: Client,
    goal: Goal,
    actor: User,
    version: int | None,
    *,
    goal_text: str,
    progress: str | None,
    remaining: str | None,
    achieved: bool,
) -> None:
    """Update progress on a goal, refusing a save made from a stale page."""
    text = _text(goal_text, 300, "goal")
    if not text:
        raise InvalidChange("Write the goal", field="goal")
    expected = goal.version if version is None else version
    result = db.session.execute(
        update(Goal)
        .where(Goal.id == goal.id, Goal.version == expected)
        .values(
            version=Goal.version + 1,
            goal=text,
            progress=_text(progress, 1000, "progress"),
            remaining=_text(remaining, 1000, "remaining"),
            achieved=achieved,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("Someone changed this goal while you were looking. Reload it.")
    audit("goal_updated", goal, client_ref=client.reference, actor_id=actor.id)
    db.session.commit()


def add_journal_entry(
    client: Client,
    actor: User,
    *,
    attended_on: date,
    meeting_name: str | None,
    reactions: str | None,
    benefits: str | None,
    drawbacks: str | None,
) -> JournalEntry:
    """Add a meeting the client went to, with what they made of it."""
    if attended_on > today_in_london():
        raise InvalidChange("The date cannot be in the future", field="attended_on")
    entry = JournalEntry(
        client_id=client.id,
        attended_on=attended_on,
        meeting_other=_text(meeting_name, 200, "meeting_name"),
        reactions=_text(reactions, 1000, "reactions"),
        benefits=_text(benefits, 1000, "benefits"),
        drawbacks=_text(drawbacks, 1000, "drawbacks"),
        recorded_by_id=actor.id,
    )
    if not entry.meeting_other:
        raise InvalidChange("Write which meeting it was", field="meeting_name")
    db.session.add(entry)
    db.session.flush()
    audit("journal_entry_added", entry, client_ref=client.reference, actor_id=actor.id)
    db.session.commit()
    return entry


def committed_meeting(client: Client) -> Meeting | None:
    if client.commitment_meeting_id is None:
        return None
    return db.session.get(Meeting, client.commitment_meeting_id)
