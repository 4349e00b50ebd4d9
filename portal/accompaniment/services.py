"""Accompaniment requests: raising one from a commitment, and every change of its state.

`change_request_state` is the one way a request's state changes (matching calls it too): the
move is an `UPDATE … WHERE id = ? AND state IN (allowed sources) AND version = ?`, so of two
people acting at once exactly one wins and the other gets a Conflict ("this changed, reload").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import select, update

from .. import dates
from ..audit import audit, utcnow
from ..auth.models import User
from ..clients.models import Client, FamaSession
from ..clients.picker import occurrence_of
from ..database import add_unique
from ..errors import Conflict, InvalidChange, NotFound
from ..extensions import db
from ..meetings.models import Meeting
from ..versioning import claim_version
from .models import (
    DEFAULT_MEETING_POINT,
    LIVE_STATES,
    OUTCOMES,
    PEER_GENDERS,
    AccompanimentRequest,
    RequestEvent,
)
from .states import REDATE_FROM, TRANSITIONS, allowed, refusal

__all__ = [
    "TRANSITIONS",
    "REDATE_FROM",
    "allowed",
    "cancel_request",
    "change_request_date",
    "change_request_state",
    "current_request",
    "get_request_for",
    "on_state_change",
    "raise_request",
    "requests_for_client",
    "wished_peer_gender",
]

CONFLICT_MESSAGE = (
    "This request changed while you were looking at it. Reload it to see the latest, "
    "then try again."
)
StateListener = Callable[[AccompanimentRequest, str, str, User | None], None]
_listeners: list[StateListener] = []


def on_state_change(listener: StateListener) -> StateListener:
    """Register `listener(request, from_state, to_state, actor)`, called inside the change's
    transaction (matching uses it to withdraw offers when a request re-opens or ends)."""
    _listeners.append(listener)
    return listener


def get_request_for(user: User, request_id: int) -> AccompanimentRequest:
    """A request of one of `user`'s own clients; any other is NotFound (a 404, never a 403)."""
    request = db.session.scalar(
        select(AccompanimentRequest)
        .join(Client, Client.id == AccompanimentRequest.client_id)
        .where(AccompanimentRequest.id == request_id, Client.keyworker_id == user.id)
    )
    if request is None:
        raise NotFound("No such request")
    return request


def request_with_events(request: AccompanimentRequest) -> list[tuple[RequestEvent, str | None]]:
    """The request's timeline: each event with the name of who made it."""
    rows = db.session.execute(
        select(RequestEvent, User.name)
        .outerjoin(User, User.id == RequestEvent.actor_id)
        .where(RequestEvent.request_id == request.id)
        .order_by(RequestEvent.at, RequestEvent.id)
    ).all()
    return [(event, name) for event, name in rows]


def requests_for_client(client: Client) -> list[AccompanimentRequest]:
    return list(
        db.session.scalars(
            select(AccompanimentRequest)
            .where(AccompanimentRequest.client_id == client.id)
            .order_by(AccompanimentRequest.id.desc())
        )
    )


def current_request(client: Client) -> AccompanimentRequest | None:
    """The request for the client's current commitment, if there is one."""
    return db.session.scalar(
        select(AccompanimentRequest).where(
            AccompanimentRequest.client_id == client.id, AccompanimentRequest.is_current.is_(True)
        )
    )


def wished_peer_gender(request: AccompanimentRequest, client: Client) -> str:
    """The wish as matching reads it: 'any', 'woman', 'man' or 'non-binary'."""
    if request.peer_gender == "same":
        return client.peer_gender_for_same or "any"
    return request.peer_gender


def latest_commitment_session(client: Client) -> FamaSession | None:
    """The most recent session in which the client committed to a meeting."""
    return db.session.scalar(
        select(FamaSession)
        .where(FamaSession.client_id == client.id, FamaSession.commitment_meeting_id.is_not(None))
        .order_by(FamaSession.held_on.desc(), FamaSession.id.desc())
        .limit(1)
    )


def session_for_request(client: Client, session_id: int | None) -> FamaSession:
    """The session a request is raised from: the one named (if it is this client's and holds a
    commitment), else the latest session with a commitment."""
    session = None
    if session_id is not None:
        session = db.session.scalar(
            select(FamaSession).where(
                FamaSession.id == session_id,
                FamaSession.client_id == client.id,
                FamaSession.commitment_meeting_id.is_not(None),
            )
        )
    session = session or latest_commitment_session(client)
    if session is None:
        raise InvalidChange(
            "Record the meeting the client commits to in session 2 first, then ask for a peer."
        )
    return session


def _record_event(
    request: AccompanimentRequest,
    from_state: str | None,
    to_state: str,
    actor: User | None,
    note: str | None,
) -> None:
    db.session.add(
        RequestEvent(
            request_id=request.id,
            at=utcnow(),
            actor_id=actor.id if actor is not None else None,
            from_state=from_state,
            to_state=to_state,
            note=(note or None) and note[:500],
        )
    )


def _check_version(request: AccompanimentRequest, version: int | None) -> None:
    """Refuse at once when the page was drawn from an older version than the one loaded."""
    if version is not None and version != request.version:
        db.session.rollback()
        raise Conflict(CONFLICT_MESSAGE)


def _claim(
    request: AccompanimentRequest, sources: frozenset[str], version: int | None, values: dict
) -> None:
    """Apply `values` only if the request is still in an allowed state at the version seen."""
    _check_version(request, version)
    where = [AccompanimentRequest.state.in_(sorted(sources))]
    claim_version(request, version, CONFLICT_MESSAGE, where=where, updated_at=utcnow(), **values)


def _client_of(request: AccompanimentRequest) -> Client:
    return db.session.get(Client, request.client_id)


def change_request_state(
    request: AccompanimentRequest,
    to_state: str,
    actor: User | None,
    note: str | None = None,
    version: int | None = None,
    *,
    outcome: str | None = None,
    reason: str | None = None,
    peer_first_name: str | None = None,
    commit: bool = True,
) -> AccompanimentRequest:
    """Move a request along one allowed arrow, recording who, when and why.

    Raises InvalidChange for an arrow the table does not have (nothing changes) and Conflict
    when someone else moved the request first. Permission checks are the caller's: this is
    the low-level step every domain shares. With commit=False the change joins the caller's
    transaction (a Conflict then rolls that transaction back).
    """
    if to_state not in TRANSITIONS:
        raise InvalidChange("That is not a state a request can be in.")
    _check_version(request, version)
    from_state = request.state
    if not allowed(from_state, to_state):
        raise InvalidChange(refusal(from_state, to_state))
    values: dict = {"state": to_state}
    if to_state == "completed":
        if outcome not in OUTCOMES:
            raise InvalidChange("Choose what happened at the meeting", field="outcome")
        values["outcome"] = outcome
    if to_state == "cancelled":
        reason = (reason or "").strip()
        if not reason:
            raise InvalidChange("Say why the request is being cancelled", field="reason")
        if len(reason) > 300:
            raise InvalidChange("Give a reason of 300 characters or fewer", field="reason")
        values["cancel_reason"] = reason
    if to_state == "accepted":
        values["peer_first_name"] = (peer_first_name or "").strip()[:60] or None
    if to_state == "open":
        values["peer_first_name"] = None
    _claim(request, TRANSITIONS[to_state], version, values)
    _record_event(request, from_state, to_state, actor, note or reason)
    for listener in _listeners:
        listener(request, from_state, to_state, actor)
    client = _client_of(request)
    audit(
        "request_state_changed",
        request,
        actor_id=actor.id if actor is not None else None,
        detail={"from": from_state, "to": to_state, "outcome": values.get("outcome")},
        client_ref=client.reference if client else None,
    )
    if commit:
        db.session.commit()
    return request


def _check_keyworker(request_or_client_id: int, actor: User) -> Client:
    client = db.session.get(Client, request_or_client_id)
    if client is None or client.keyworker_id != actor.id:
        raise NotFound("No such client")
    return client


def cancel_request(
    request: AccompanimentRequest, actor: User, reason: str, version: int | None
) -> AccompanimentRequest:
    """The keyworker calls off the request, saying why."""
    _check_keyworker(request.client_id, actor)
    return change_request_state(request, "cancelled", actor, version=version, reason=reason)


def change_request_date(
    request: AccompanimentRequest, actor: User, day: date, version: int | None
) -> AccompanimentRequest:
    """Move the request to another date of the same meeting; it opens again for volunteers."""
    client = _check_keyworker(request.client_id, actor)
    _check_version(request, version)
    from_state = request.state
    if from_state not in REDATE_FROM:
        raise InvalidChange(
            refusal(from_state, "open").replace("re-opened", "moved to another date")
        )
    if day == request.meeting_date and from_state == "open":
        raise InvalidChange(
            "Choose a different date from the one already set", field="meeting_date"
        )
    meeting = db.session.get(Meeting, request.meeting_id)
    starts_at, ends_at = occurrence_of(meeting, day, field="meeting_date")
    old_day = request.meeting_date
    _claim(
        request,
        REDATE_FROM,
        version,
        {
            "state": "open",
            "meeting_date": day,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "peer_first_name": None,
            "outcome": None,
        },
    )
    _record_event(
        request,
        from_state,
        "open",
        actor,
        f"Date changed from {dates.day(old_day)} to {dates.day(day)}",
    )
    for listener in _listeners:
        listener(request, from_state, "open", actor)
    if request.is_current:
        client.commitment_meeting_id = meeting.id
        client.commitment_at = starts_at
    audit(
        "request_date_changed",
        request,
        detail={"from": old_day.isoformat(), "to": day.isoformat(), "state_was": from_state},
        client_ref=client.reference,
        actor_id=actor.id,
    )
    db.session.commit()
    return request


def raise_request(
    client: Client,
    actor: User,
    *,
    session: FamaSession,
    meeting_date: date,
    meeting_point: str = DEFAULT_MEETING_POINT,
    minutes_before: int = 15,
    peer_gender: str = "any",
    language: str | None = None,
    fellowship_experience: bool = False,
    note_for_champion: str | None = None,
    note_for_volunteer: str | None = None,
    now: datetime | None = None,
) -> AccompanimentRequest:
    """Ask for a peer to go with the client to the meeting they committed to in `session`."""
    if client.keyworker_id != actor.id:
        raise NotFound("No such client")
    if client.status != "active":
        raise InvalidChange("This client's case is closed. Reopen it to ask for a peer.")
    if session.client_id != client.id or session.commitment_meeting_id is None:
        raise InvalidChange("Choose the session in which the client committed to a meeting.")
    if peer_gender not in PEER_GENDERS:
        raise InvalidChange("Choose one of the options", field="peer_gender")
    if peer_gender == "same" and client.peer_gender_for_same is None:
        raise InvalidChange(
            "The client's gender is not recorded as woman, man or non-binary: choose the "
            "peer's gender, or no preference",
            field="peer_gender",
        )
    if not 0 <= minutes_before <= 120:
        raise InvalidChange("Enter a number of minutes from 0 to 120", field="minutes_before")
    meeting = db.session.get(Meeting, session.commitment_meeting_id)
    starts_at, ends_at = occurrence_of(meeting, meeting_date, now, field="meeting_date")
    live = current_request(client)
    if live is not None and live.state in LIVE_STATES:
        raise InvalidChange(
            "This client already has a request in progress. Change its date or cancel it "
            "before asking again."
        )
    db.session.execute(
        update(AccompanimentRequest)
        .where(AccompanimentRequest.client_id == client.id, AccompanimentRequest.is_current)
        .values(is_current=False)
        .execution_options(synchronize_session=False)
    )
    request = AccompanimentRequest(
        client_id=client.id,
        session_id=session.id,
        meeting_id=meeting.id,
        meeting_date=meeting_date,
        starts_at=starts_at,
        ends_at=ends_at,
        meeting_point=meeting_point.strip() or DEFAULT_MEETING_POINT,
        minutes_before=minutes_before,
        peer_gender=peer_gender,
        language=(language or "").strip() or None,
        fellowship_experience=fellowship_experience,
        note_for_champion=(note_for_champion or "").strip() or None,
        note_for_volunteer=(note_for_volunteer or "").strip() or None,
        state="open",
        is_current=True,
        created_by_id=actor.id,
    )
    add_unique(request, refusal=Conflict(CONFLICT_MESSAGE))
    _record_event(request, None, "open", actor, "Request raised")
    client.commitment_meeting_id = meeting.id
    client.commitment_at = starts_at
    audit(
        "request_raised",
        request,
        detail={"meeting_id": meeting.id, "date": meeting_date.isoformat()},
        client_ref=client.reference,
        actor_id=actor.id,
    )
    db.session.commit()
    return request
