"""One request as the champion works it: its ranked volunteers, the excluded ones and why, its
offers, conflicts of interest and timeline.

The SQL filter narrows the pool first, then matching judges the few it keeps, so the page takes a
fixed number of queries whatever the number of volunteers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy import func, select

from ..audit import utcnow
from ..auth.models import User
from ..errors import NotFound
from ..extensions import db
from ..matching import Candidate, Reason, Score, rank
from ..volunteers.models import STATUSES as VOLUNTEER_STATUSES
from ..volunteers.models import Volunteer
from .facts import sift
from .models import AccompanimentRequest, Offer, RequestEvent, VolunteerClientConflict
from .offers import MAX_BROADCAST, _require_champion, expire_offers_if_due
from .request_labels import URGENT_WITHIN, LabelledRequest
from .request_loading import LoadedRequest, load_requests, matching_rules
from .volunteer_loading import gc_paused, load_volunteer_facts

EXCLUDED_SHOWN = 30
ELIGIBLE_SHOWN = 30


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
class Board(LabelledRequest):
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


def phone_offer_row(offer_id: int, actor: User) -> tuple[OfferRow, LoadedRequest]:
    """An offer to a phone-only volunteer, whose answer the champion records for them."""
    row, item = offer_row(offer_id, actor)
    if not row.phone_only:
        raise NotFound("No such offer")
    return row, item


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
