"""Batch proposals: every open request of the coming days paired at once, the solver's answer
kept briefly in a cache, and the ticked pairs sent as offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ..audit import utcnow, viewing_list
from ..auth.models import User
from ..dates import when_with_year
from ..errors import InvalidChange
from ..extensions import db
from ..matching import Reason, Score, VolunteerPool, assign_batch, greedy_assign
from ..volunteers.models import Volunteer
from .models import AccompanimentRequest, Offer, RequestEvent, VolunteerClientConflict
from .offers import OfferChecker, _create_offers, _lock_requests, _require_champion
from .request_labels import LabelledRequest
from .request_loading import LoadedRequest, load_requests, matching_rules
from .volunteer_loading import gc_paused, load_volunteer_facts

PROPOSAL_DAYS = 7


@dataclass(frozen=True)
class ProposalRow(LabelledRequest):
    item: LoadedRequest
    volunteer_id: int
    name: str
    phone_only: bool
    score: Score

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

    def count_and_last(key: Any, last: Any = None) -> list[Any]:
        """A volunteers' table's row count and its largest `last` (by default `key`)."""
        return [one(select(func.count(key))), one(select(func.max(key if last is None else last)))]

    parts = [
        *count_and_last(Volunteer.id, Volunteer.updated_at),
        one(select(func.count()).select_from(VolunteerLanguage)),
        *count_and_last(SafeguardingItem.id, SafeguardingItem.updated_at),
        *count_and_last(VolunteerMeeting.id),
        *count_and_last(AvailabilityWindow.id),
        *count_and_last(TimeAway.id),
        one(select(func.max(RequestEvent.id))),
        one(select(func.max(Offer.id))),
        *count_and_last(VolunteerClientConflict.id),
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
    viewing_list("proposals", days=days, method=method)
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

    def messages(self) -> list[tuple[str, str]]:
        """What to tell the champion, as (text, flash category): how many went, and the first
        20 pairs not sent with why."""
        sent = f"{self.sent} {'offer' if self.sent == 1 else 'offers'} sent."
        return [(sent, "success"), *((f"Not sent: {line}", "error") for line in self.skipped[:20])]


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
            label = (
                f"{item.meeting.name}, {when_with_year(item.request.starts_at)}"
                if item
                else "A request"
            )
            skipped.append(f"{label}: {problem}")
            continue
        _create_offers(request, [volunteer_id], checker.names, actor, now)
        sent += 1
    db.session.commit()
    return SendResult(sent, skipped)
