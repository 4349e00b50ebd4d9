"""FAMA sessions: what each asks, which comes next, recording one, and where FAMA ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from ..accompaniment.models import LIVE_STATES, AccompanimentRequest
from ..accompaniment.models import OUTCOMES as REQUEST_OUTCOMES
from ..audit import audit, utcnow, viewing
from ..auth.models import User
from ..database import one_or_missing
from ..dates import clock, clock_on, london_today
from ..errors import InvalidChange, NotFound
from ..extensions import db
from ..meetings.models import Meeting
from . import fama
from ._common import _claim_version, short_day
from .handouts import current_versions
from .models import OUTCOMES, Client, FamaSession, JournalEntry
from .picker import resolve_choice, today_in_london

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


def get_session_for(client: Client, session_id: int) -> FamaSession:
    theirs = select(FamaSession).where(
        FamaSession.id == session_id, FamaSession.client_id == client.id
    )
    session = one_or_missing(theirs, "No such session")
    viewing("fama_session_viewed", session, client_ref=client.reference)
    return session


def committed_meeting(client: Client) -> Meeting | None:
    if client.commitment_meeting_id is None:
        return None
    return db.session.get(Meeting, client.commitment_meeting_id)


def _current_request(client: Client) -> AccompanimentRequest | None:
    """The request for a peer for the client's current commitment, if there is one."""
    return db.session.scalar(
        select(AccompanimentRequest).where(
            AccompanimentRequest.client_id == client.id,
            AccompanimentRequest.is_current.is_(True),
        )
    )


@dataclass
class ClientSheet:
    """What a printed sheet for the client shows: their meeting and, with a peer, when to meet."""

    client: Client
    meeting: Meeting | None
    request_: AccompanimentRequest | None
    meet_at: str | None
    ends_at: str | None


def client_sheet(client: Client) -> ClientSheet:
    """The client's meeting and their request for a peer, with the times in words."""
    meeting = committed_meeting(client)
    request = _current_request(client)
    meet_at = None
    if request is not None:
        meet_at = clock(request.starts_at - timedelta(minutes=request.minutes_before))
    ends_at = clock(meeting.end_time) if meeting else None
    return ClientSheet(client, meeting, request, meet_at, ends_at)


def allowed_session_kinds(client: Client) -> list[int]:
    """Which sessions can be recorded next: 1 first, then 2, then 2 or 3 as often as needed."""
    if client.last_session_kind == 0:
        return [1]
    if client.last_session_kind == 1:
        return [2]
    return [2, 3]


def session_not_allowed(client: Client, kind: int) -> str | None:
    """Why session `kind` cannot be recorded for the client now, or None when it can; a kind
    that is no session at all is NotFound."""
    if kind not in SESSION_FIELDS:
        raise NotFound("No such session")
    allowed = allowed_session_kinds(client)
    if kind not in allowed or client.status != "active":
        return f"Session {kind} cannot be recorded yet: record session {allowed[0]} first."
    return None


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
                raise InvalidChange(f"Enter {_TEXTS[name]} characters or fewer", field=name)
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
        f"to it from {clock_on(request.starts_at)}, when it starts. If they went to another "
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
    live = _current_request(client)
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
    if session.handouts:  # the wording given is the one in force as the session is saved
        session.handout_versions = current_versions(session.handouts)
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
            attended_on = london_today(client.commitment_at)
        db.session.add(
            JournalEntry(
                client_id=client.id,
                session_id=session.id,
                attended_on=attended_on,
                meeting_id=session.attended_meeting_id,
                meeting_other=session.attended_meeting_other,
                recorded_by_id=actor.id,
                **session.thoughts(),
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
