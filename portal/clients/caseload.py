"""The keyworker's caseload and each client's page: next actions, counts, the record.

Every lookup is scoped to the keyworker: another keyworker's client is NotFound (a 404). The
lookup and the caseload say what they show (`audit.viewing`), so each page drawn from them
records one view of client data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import noload

from ..accompaniment.models import LIVE_STATES, AccompanimentRequest
from ..audit import utcnow, viewing, viewing_list
from ..auth.models import User
from ..database import one_or_missing
from ..extensions import db
from ..meetings.occurrences import LONDON
from ..web import Page, paginate
from ._common import short_day
from .models import CONSENTS, OUTCOMES, Client, Consent, FamaSession, Goal, JournalEntry
from .picker import today_in_london

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
# A client has at most one current request: joining it keeps one row per client.
_CURRENT_REQUEST = and_(
    AccompanimentRequest.client_id == Client.id, AccompanimentRequest.is_current.is_(True)
)


def get_client_for(user: User, client_id: int) -> Client:
    """One of `user`'s own clients; anybody else's (or none) is NotFound."""
    mine = select(Client).where(Client.id == client_id, Client.keyworker_id == user.id)
    client = one_or_missing(mine, "No such client")
    viewing("client_viewed", client, client_ref=client.reference)
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
        .outerjoin(AccompanimentRequest, _CURRENT_REQUEST)
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
        .outerjoin(AccompanimentRequest, _CURRENT_REQUEST)
        .where(Client.keyworker_id == user.id)
        .group_by(code)
    ).all()
    return {action: count for action, count in rows}


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


@dataclass
class CaseloadRow:
    client: Client
    request_id: int | None
    request_state: str | None
    action_code: str
    next_action: str


@dataclass
class CaseloadPage:
    """One page of the keyworker's caseload as searched, with how many clients await each action."""

    page: Page
    rows: list[CaseloadRow]
    query: str
    action: str
    sort: str
    counts: dict[str, int]


def caseload_page(
    user: User, query: str = "", action: str = "", sort: str = "", now: datetime | None = None
) -> CaseloadPage:
    """The caseload page: the rows in a fixed number of queries, each next action in words."""
    now = now or utcnow()
    sort = sort if sort in SORTS else "next_action"
    page = paginate(caseload_statement(user, query, action, sort, now), scalars=False)
    rows = [
        CaseloadRow(
            client, request_id, state, code, describe_next_action(code, client.commitment_at, now)
        )
        for client, request_id, state, code in page.items
    ]
    viewing_list("caseload", page=page.page, search=query, action=action, sort=sort)
    return CaseloadPage(page, rows, query, action, sort, caseload_counts(user, now))


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
