"""The recovery champion's side: the queue, one request with its ranked peers, batch proposals.

Reads here load what a page shows in a fixed number of queries, whatever the number of
volunteers or requests: the SQL filter in `facts` narrows the pool first, then matching judges
the few it keeps.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import and_, case, func, select

from ..audit import utcnow
from ..auth.models import User
from ..errors import InvalidChange, NotFound
from ..extensions import db
from ..matching import (
    Candidate,
    Reason,
    Score,
    VolunteerPool,
    assign_batch,
    greedy_assign,
    is_eligible,
    rank,
)
from ..meetings.models import Fellowship, Meeting
from ..volunteers.models import STATUSES as VOLUNTEER_STATUSES
from ..volunteers.models import Volunteer
from ..web import Page, paginate
from .facts import (
    LoadedRequest,
    candidate_ids_for_many,
    load_requests,
    load_volunteer_facts,
    loaded_from,
    matching_rules,
    requests_statement,
    sift,
)
from .models import (
    PEER_GENDERS,
    AccompanimentRequest,
    Offer,
    RequestEvent,
    VolunteerClientConflict,
)
from .offers import (
    MAX_BROADCAST,
    OfferChecker,
    _create_offers,
    _lock_requests,
    _require_champion,
    expire_offers_if_due,
)

URGENT_WITHIN = timedelta(hours=48)
QUEUE_STATES = {"live": "Open or offered", "open": "Open", "offered": "Offered"}
QUEUE_CHECK = 3  # candidates per request the queue verifies with matching
EXCLUDED_SHOWN = 30
ELIGIBLE_SHOWN = 30
PROPOSAL_DAYS = 7


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector during a burst of short-lived tuples.

    Loading thousands of volunteers allocates enough containers to set off several full
    collections of a big heap, each far slower than the work itself; nothing made here is cyclic.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def client_label(item: LoadedRequest) -> str:
    """The client as the champion may see them: the first name only with consent."""
    return item.client.first_name if item.client.consent_first_name else "A client"


def wish_words(item: LoadedRequest) -> list[str]:
    """The client's wishes matching reads, in plain words."""
    words = []
    if item.facts.peer_gender != "any":
        words.append(f"Peer: {PEER_GENDERS.get(item.facts.peer_gender, item.facts.peer_gender)}")
    if item.request.language:
        words.append(f"Speaks {item.request.language}")
    if item.request.fellowship_experience:
        words.append(f"Knows {item.fellowship.name}")
    return words


# --- the queue -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    fellowship_id: int | None = None
    area: str = ""
    state: str = "live"


@dataclass(frozen=True)
class QueueRow:
    item: LoadedRequest
    urgent: bool
    passed: bool
    fits: bool | None
    pending: int

    @property
    def client(self) -> str:
        return client_label(self.item)

    @property
    def wishes(self) -> list[str]:
        return wish_words(self.item)


def queue_statement(filters: QueueFilters) -> Any:
    """Open and offered requests, soonest meeting first, narrowed by the filters."""
    states = ("open", "offered") if filters.state not in ("open", "offered") else (filters.state,)
    statement = requests_statement().where(AccompanimentRequest.state.in_(states))
    if filters.fellowship_id is not None:
        statement = statement.where(Meeting.fellowship_id == filters.fellowship_id)
    if filters.area:
        statement = statement.where(func.lower(Meeting.area) == filters.area.lower())
    return statement.order_by(AccompanimentRequest.starts_at, AccompanimentRequest.id)


def fits(items: list[LoadedRequest], now: datetime) -> dict[int, bool | None]:
    """For each request: someone eligible (True), nobody (False), or not sure (None).

    The SQL filter keeps every volunteer matching could accept; a request it finds nobody for
    has nobody. For the rest, matching judges the first few it found.
    """
    live = [item for item in items if item.request.state in ("open", "offered")]
    rules = matching_rules()
    found = candidate_ids_for_many([item.facts for item in live], rules, limit=QUEUE_CHECK)
    volunteer_ids = sorted({v for ids in found.values() for v in ids})
    facts = load_volunteer_facts(volunteer_ids, now, scoring=False)  # eligibility only
    result: dict[int, bool | None] = {}
    for item in live:
        ids = found.get(item.request.id, [])
        if any(is_eligible(facts[v], item.facts, rules) for v in ids if v in facts):
            result[item.request.id] = True
        elif len(ids) < QUEUE_CHECK:
            result[item.request.id] = False
        else:
            result[item.request.id] = None
    return result


def queue(filters: QueueFilters, actor: User, now: datetime | None = None) -> tuple[Page, list]:
    """One page of the champion's queue with urgency, "no one fits" and offers waiting."""
    _require_champion(actor)
    now = now or utcnow()
    expire_offers_if_due(now)
    page = paginate(queue_statement(filters), scalars=False)
    items = loaded_from(page.items)
    ids = [item.request.id for item in items]
    pending = (
        dict(
            db.session.execute(
                select(Offer.request_id, func.count())
                .where(Offer.request_id.in_(ids), Offer.state == "pending")
                .group_by(Offer.request_id)
            ).all()
        )
        if ids
        else {}
    )
    fitting = fits(items, now) if items else {}
    rows = [
        QueueRow(
            item,
            urgent=now <= item.request.starts_at <= now + URGENT_WITHIN,
            passed=item.request.starts_at <= now,
            fits=fitting.get(item.request.id),
            pending=pending.get(item.request.id, 0),
        )
        for item in items
    ]
    return page, rows


def queue_options() -> tuple[list[Fellowship], list[str]]:
    """Fellowships and areas for the queue's filters (two queries)."""
    fellowships = list(
        db.session.scalars(
            select(Fellowship).where(Fellowship.active.is_(True)).order_by(Fellowship.name)
        )
    )
    areas = list(
        db.session.scalars(
            select(Meeting.area)
            .join(AccompanimentRequest, AccompanimentRequest.meeting_id == Meeting.id)
            .where(
                AccompanimentRequest.state.in_(("open", "offered")),
                Meeting.area.is_not(None),
                Meeting.area != "",
            )
            .distinct()
            .order_by(Meeting.area)
        )
    )
    return fellowships, areas


def waiting_counts(now: datetime | None = None) -> dict[str, int]:
    """How many requests wait for a volunteer, and how many of them are urgent (one query)."""
    now = now or utcnow()
    urgent = and_(
        AccompanimentRequest.starts_at >= now,
        AccompanimentRequest.starts_at <= now + URGENT_WITHIN,
    )
    row = db.session.execute(
        select(
            func.count(),
            func.sum(case((urgent, 1), else_=0)),
            func.sum(case((AccompanimentRequest.state == "open", 1), else_=0)),
        ).where(AccompanimentRequest.state.in_(("open", "offered")))
    ).one()
    return {"waiting": row[0] or 0, "urgent": int(row[1] or 0), "open": int(row[2] or 0)}


# --- one request ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankedRow:
    candidate: Candidate
    name: str
    phone_only: bool
    offered: bool

    @property
    def score(self) -> Score:
        return self.candidate.score

    @property
    def volunteer_id(self) -> int:
        return self.candidate.volunteer.id


@dataclass(frozen=True)
class ExcludedRow:
    volunteer_id: int
    name: str
    status: str
    reasons: list[Reason]


@dataclass(frozen=True)
class OfferRow:
    offer: Offer
    name: str
    phone_only: bool


@dataclass
class Board:
    """Everything the champion's request page shows."""

    item: LoadedRequest
    urgent: bool
    passed: bool
    eligible: list[RankedRow] = field(default_factory=list)
    excluded: list[ExcludedRow] = field(default_factory=list)
    excluded_more: int = 0
    eligible_more: int = 0
    not_free: int = 0
    pool_size: int = 0
    offers: list[OfferRow] = field(default_factory=list)
    conflicts: list[tuple[VolunteerClientConflict, str]] = field(default_factory=list)
    timeline: list[tuple[RequestEvent, str | None]] = field(default_factory=list)
    volunteer: tuple[int, str, str] | None = None  # (id, name, status) once accepted

    @property
    def client(self) -> str:
        return client_label(self.item)

    @property
    def wishes(self) -> list[str]:
        return wish_words(self.item)

    @property
    def can_offer(self) -> bool:
        return self.item.request.state in ("open", "offered") and not self.passed

    @cached_property
    def waiting_ids(self) -> list[int]:
        """Eligible volunteers not asked yet, best first."""
        return [row.volunteer_id for row in self.eligible if not row.offered]

    @cached_property
    def top_choices(self) -> list[int]:
        most = min(MAX_BROADCAST, len(self.waiting_ids))
        return list(range(2, most + 1))

    @cached_property
    def people(self) -> list[tuple[int, str]]:
        """Volunteers shown on the page, for the conflict-of-interest form."""
        seen = {row.volunteer_id: row.name for row in self.eligible}
        seen |= {row.volunteer_id: row.name for row in self.excluded}
        seen |= {row.offer.volunteer_id: row.name for row in self.offers}
        return sorted(seen.items(), key=lambda pair: (pair[1].lower(), pair[0]))


def get_loaded_request(request_id: int) -> LoadedRequest:
    found = load_requests(AccompanimentRequest.id == request_id)
    if not found:
        raise NotFound("No such request")
    return found[0]


def request_board(request_id: int, actor: User, now: datetime | None = None) -> Board:
    """The request with its ranked volunteers, the excluded ones and why, and its offers."""
    _require_champion(actor)
    now = now or utcnow()
    item = get_loaded_request(request_id)
    request = item.request
    board = Board(
        item,
        urgent=now <= request.starts_at <= now + URGENT_WITHIN,
        passed=request.meeting_point_at <= now,
    )
    rules = matching_rules()
    board.pool_size = db.session.scalar(select(func.count()).select_from(Volunteer)) or 0
    offers = db.session.execute(
        select(Offer, Volunteer.preferred_name, Volunteer.phone_only)
        .join(Volunteer, Volunteer.id == Offer.volunteer_id)
        .where(Offer.request_id == request.id)
        .order_by(Offer.id.desc())
    ).all()
    board.offers = [OfferRow(offer, name, phone_only) for offer, name, phone_only in offers]
    if board.can_offer:
        sifted = sift(item.facts, rules)
        board.not_free = board.pool_size - sifted.free
        shown = sifted.excluded[:EXCLUDED_SHOWN]
        with gc_paused():
            facts = load_volunteer_facts(sifted.candidates + [row[0] for row in shown], now)
            ranking = rank(facts.values(), item.facts, rules)
        top = ranking.eligible[:ELIGIBLE_SHOWN]
        people = sifted.profiles
        asked = {row.offer.volunteer_id for row in board.offers if row.offer.state == "pending"}
        board.eligible = [
            RankedRow(
                candidate,
                people[candidate.volunteer.id][0],
                people[candidate.volunteer.id][1],
                candidate.volunteer.id in asked,
            )
            for candidate in top
        ]
        board.eligible_more = len(ranking.eligible) - len(top)
        excluded_rows = [
            ExcludedRow(
                entry.volunteer.id,
                people[entry.volunteer.id][0],
                VOLUNTEER_STATUSES.get(people[entry.volunteer.id][2], ""),
                entry.reasons,
            )
            for entry in ranking.excluded
        ]
        board.excluded = sorted(
            excluded_rows, key=lambda e: (e.status != "Approved", e.name.lower(), e.volunteer_id)
        )
        board.excluded_more = max(0, len(sifted.excluded) - len(shown))
    board.volunteer = booked_volunteer(item)
    board.conflicts = [
        (conflict, name)
        for conflict, name in db.session.execute(
            select(VolunteerClientConflict, Volunteer.preferred_name)
            .join(Volunteer, Volunteer.id == VolunteerClientConflict.volunteer_id)
            .where(VolunteerClientConflict.client_id == request.client_id)
            .order_by(Volunteer.preferred_name)
        ).all()
    ]
    from .services import request_with_events

    board.timeline = request_with_events(request)
    return board


def offer_row(offer_id: int, actor: User) -> tuple[OfferRow, LoadedRequest]:
    """One offer with its volunteer's name, and its request (for the offer's own pages)."""
    _require_champion(actor)
    row = db.session.execute(
        select(Offer, Volunteer.preferred_name, Volunteer.phone_only)
        .join(Volunteer, Volunteer.id == Offer.volunteer_id)
        .where(Offer.id == offer_id)
    ).first()
    if row is None:
        raise NotFound("No such offer")
    return OfferRow(*row), get_loaded_request(row[0].request_id)


def booked_volunteer(item: LoadedRequest) -> tuple[int, str, str] | None:
    """(id, name, status) of the volunteer booked for the request, if any."""
    if item.request.volunteer_id is None:
        return None
    row = db.session.execute(
        select(Volunteer.id, Volunteer.preferred_name, Volunteer.status).where(
            Volunteer.id == item.request.volunteer_id
        )
    ).one_or_none()
    return tuple(row) if row is not None else None


def view_board(request_id: int, actor: User, now: datetime | None = None) -> Board:
    """The request page, after expiring offers that ran out (the view records the look)."""
    _require_champion(actor)
    now = now or utcnow()
    expire_offers_if_due(now)
    return request_board(request_id, actor, now)


# --- batch proposals -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalRow:
    item: LoadedRequest
    volunteer_id: int
    name: str
    phone_only: bool
    score: Score

    @property
    def client(self) -> str:
        return client_label(self.item)

    @property
    def key(self) -> str:
        return f"{self.item.request.id}:{self.volunteer_id}"


@dataclass(frozen=True)
class Proposal:
    rows: list[ProposalRow]
    unpaired: list[tuple[LoadedRequest, list[Reason]]]
    total_score: float
    method: str
    pool_size: int
    computed_at: datetime | None = None  # when the solver worked it out ("proposed at")
    cached: bool = False


def proposal_requests(now: datetime, days: int = PROPOSAL_DAYS) -> list[LoadedRequest]:
    """Open requests whose meeting point is in the next `days` days (one query)."""
    items = load_requests(
        AccompanimentRequest.state == "open",
        AccompanimentRequest.starts_at > now,
        AccompanimentRequest.starts_at <= now + timedelta(days=days),
    )
    soon = now + timedelta(minutes=35)
    return sorted(
        (item for item in items if item.request.meeting_point_at > soon),
        key=lambda item: (item.request.starts_at, item.request.id),
    )


PROPOSAL_CACHE = "proposals"


@dataclass(frozen=True)
class Solved:
    """What the solver worked out, by id only: no names, nothing about a client.

    This is what the proposal cache keeps; names, meetings and client labels are read afresh on
    every page, so a cached proposal never shows a first name after consent to it is withdrawn.
    """

    pairs: tuple[tuple[int, int, Score], ...]  # (request id, volunteer id, score)
    unassigned: tuple[tuple[int, tuple[Reason, ...]], ...]
    total_score: float
    method: str
    pool_size: int


def volunteer_fingerprint() -> tuple[Any, ...]:
    """A cheap sign that anything matching reads about volunteers changed (one query).

    Matching's facts (facts.load_volunteer_facts) read the volunteer's profile and status,
    languages, vetting items, meetings they know, availability windows, time away, escorts and
    their record (request state changes: every one writes a `request_events` row), offers
    and conflicts of interest. The volunteers' own tables (thousands of rows) give their row
    count (deletions), their largest id (insertions) and, where rows carry one, the latest
    `updated_at` (edits). The big tables, request events and offers, give only their largest id,
    read from the primary key: counting or summing them cost 70 ms at large scale. A change
    this misses (an offer declined while its request stays offered, an availability window
    edited in place) shows once the short lifetime ends, or at once with "Work the proposal out
    again now"; sending judges every pair again either way.
    """
    from ..volunteers.models import (
        AvailabilityWindow,
        SafeguardingItem,
        TimeAway,
        VolunteerLanguage,
        VolunteerMeeting,
    )

    def one(expression: Any) -> Any:
        return expression.scalar_subquery()

    parts = [
        one(select(func.count(Volunteer.id))),
        one(select(func.max(Volunteer.updated_at))),
        one(select(func.count()).select_from(VolunteerLanguage)),
        one(select(func.count(SafeguardingItem.id))),
        one(select(func.max(SafeguardingItem.updated_at))),
        one(select(func.count(VolunteerMeeting.id))),
        one(select(func.max(VolunteerMeeting.id))),
        one(select(func.count(AvailabilityWindow.id))),
        one(select(func.max(AvailabilityWindow.id))),
        one(select(func.count(TimeAway.id))),
        one(select(func.max(TimeAway.id))),
        one(select(func.max(RequestEvent.id))),
        one(select(func.max(Offer.id))),
        one(select(func.count(VolunteerClientConflict.id))),
        one(select(func.max(VolunteerClientConflict.id))),
    ]
    return tuple(str(value) for value in db.session.execute(select(*parts)).one())


def proposal_key(items: list[LoadedRequest], days: int, method: str) -> tuple[Any, ...]:
    """Everything the proposal depends on: the requests as they stand, the rules, the pool.

    Every champion sees every open request (the queue is not split between them) and the
    solver's answer holds ids only, so the key needs no viewer.
    """
    rules = matching_rules()
    return (
        days,
        method,
        tuple((item.request.id, str(item.request.updated_at)) for item in items),
        rules.min_recovery_months,
        tuple(sorted(rules.weights.items())),
        volunteer_fingerprint(),
    )


def _solve(items: list[LoadedRequest], now: datetime, method: str) -> Solved:
    rules = matching_rules()
    with gc_paused():
        facts = (
            load_volunteer_facts(select(Volunteer.id).where(Volunteer.status == "approved"), now)
            if items
            else {}
        )
        pool = VolunteerPool(facts.values(), rules)
        solve = assign_batch if method == "exact" else greedy_assign
        result = solve([item.facts for item in items], pool, rules)
    return Solved(
        tuple((pair.request.id, pair.volunteer.id, pair.score) for pair in result.pairs),
        tuple((request_id, tuple(reasons)) for request_id, reasons in result.unassigned.items()),
        result.total_score,
        result.method,
        pool.size,
    )


def propose_pairings(
    actor: User,
    now: datetime | None = None,
    days: int = PROPOSAL_DAYS,
    method: str = "exact",
    refresh: bool = False,
) -> Proposal:
    """Every open request of the coming days assigned at once, maximising the total score.

    The solver's answer is kept for a short while (config PROPOSAL_CACHE_SECONDS) under a key
    that changes whenever the requests, the rules or anything read about volunteers changes; a
    kept answer is only ever a suggestion, as sending judges every pair again.
    """
    from ..cache import app_cache, cache_seconds

    _require_champion(actor)
    now = now or utcnow()
    items = proposal_requests(now, days)
    ttl = cache_seconds("PROPOSAL_CACHE_SECONDS")
    found = app_cache(PROPOSAL_CACHE, size=8).get_or_compute(
        proposal_key(items, days, method),
        ttl,
        lambda: _solve(items, now, method),
        refresh=refresh,
    )
    solved: Solved = found.value
    by_id = {item.request.id: item for item in items}
    people = (
        {
            row.id: row
            for row in db.session.execute(
                select(Volunteer.id, Volunteer.preferred_name, Volunteer.phone_only).where(
                    Volunteer.id.in_([volunteer_id for _r, volunteer_id, _s in solved.pairs])
                )
            )
        }
        if solved.pairs
        else {}
    )
    rows = [
        ProposalRow(
            by_id[request_id],
            volunteer_id,
            people[volunteer_id].preferred_name,
            people[volunteer_id].phone_only,
            score,
        )
        for request_id, volunteer_id, score in solved.pairs
        if request_id in by_id and volunteer_id in people
    ]
    rows.sort(key=lambda row: (row.item.request.starts_at, row.item.request.id))
    unpaired = [
        (by_id[request_id], list(reasons))
        for request_id, reasons in solved.unassigned
        if request_id in by_id
    ]
    unpaired.sort(key=lambda pair: (pair[0].request.starts_at, pair[0].request.id))
    return Proposal(
        rows,
        unpaired,
        solved.total_score,
        solved.method,
        solved.pool_size,
        computed_at=found.computed_at,
        cached=found.hit,
    )


def parse_pairs(values: list[str]) -> list[tuple[int, int]]:
    """Ticked pairs from the form ("request:volunteer"); anything else is ignored."""
    pairs = []
    for value in values[:1000]:
        left, _, right = (value or "").partition(":")
        if left.isdigit() and right.isdigit() and len(left) < 10 and len(right) < 10:
            pairs.append((int(left), int(right)))
    return list(dict.fromkeys(pairs))


@dataclass(frozen=True)
class SendResult:
    sent: int
    skipped: list[str]


def send_proposed_offers(
    pairs: list[tuple[int, int]], actor: User, now: datetime | None = None
) -> SendResult:
    """Send the ticked pairs as offers in one transaction, each judged again by matching now."""
    _require_champion(actor)
    now = now or utcnow()
    if not pairs:
        raise InvalidChange("Tick at least one pair to send, or go back to the queue.")
    by_request: dict[int, int] = {}
    skipped = []
    for request_id, volunteer_id in pairs:
        if request_id in by_request:
            skipped.append("A request can be proposed to one volunteer only; extra ticks skipped.")
            continue
        by_request[request_id] = volunteer_id
    requests = _lock_requests(by_request)
    checker = OfferChecker(list(by_request), list(set(by_request.values())), now)
    sent = 0
    for request_id in sorted(by_request):
        volunteer_id = by_request[request_id]
        request = requests.get(request_id)
        problem = checker.problem(request_id, volunteer_id) if request else "No such request."
        if problem is None and request.state != "open":
            problem = "This request was offered to someone meanwhile."
        if problem:
            item = checker.loaded.get(request_id)
            label = f"{item.meeting.name}, {_when(item.request.starts_at)}" if item else "A request"
            skipped.append(f"{label}: {problem}")
            continue
        _create_offers(request, [volunteer_id], checker.names, actor, now)
        sent += 1
    db.session.commit()
    return SendResult(sent, skipped)


def _when(moment: datetime) -> str:
    from ..pages import format_when

    return format_when(moment)
