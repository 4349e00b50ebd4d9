"""The recovery champion's queue: open and offered requests, with urgency, whether anyone fits
and the offers waiting, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select

from ..audit import utcnow, viewing_list
from ..auth.models import User
from ..extensions import db
from ..matching import is_eligible
from ..meetings.models import Fellowship, Meeting
from ..web import Page, paginate
from .facts import candidate_ids_for_many
from .models import STATES, AccompanimentRequest, Offer
from .offers import _require_champion, expire_offers_if_due
from .request_labels import URGENT_WITHIN, LabelledRequest
from .request_loading import LoadedRequest, loaded_from, matching_rules, requests_statement
from .volunteer_loading import load_volunteer_facts

QUEUE_STATES = {"live": "Open or offered", "open": "Open", "offered": "Offered"}
QUEUE_CHECK = 3  # candidates per request the queue verifies with matching


@dataclass(frozen=True)
class QueueFilters:
    fellowship_id: int | None = None
    area: str = ""
    state: str = "live"

    @classmethod
    def from_query(cls, fellowship_id: int | None, area: str, state: str) -> QueueFilters:
        """The filters as asked for in the address; an id or state that cannot be is ignored."""
        return cls(
            fellowship_id=fellowship_id if fellowship_id and 0 < fellowship_id < 10**9 else None,
            area=area,
            state=state if state in QUEUE_STATES else "live",
        )


@dataclass(frozen=True)
class QueueRow(LabelledRequest):
    item: LoadedRequest
    urgent: bool
    passed: bool
    fits: bool | None
    pending: int


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


@dataclass
class QueuePage:
    """Everything the champion's queue page shows."""

    page: Page
    rows: list[QueueRow]
    filters: QueueFilters
    fellowships: list[Fellowship]
    areas: list[str]

    def context(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "rows": self.rows,
            "filters": self.filters,
            "fellowships": self.fellowships,
            "areas": self.areas,
            "states": QUEUE_STATES,
            "request_states": STATES,
        }


def queue_page(filters: QueueFilters, actor: User) -> QueuePage:
    """One page of the queue with the options of its filters."""
    page, rows = queue(filters, actor)
    viewing_list(
        "request_queue",
        page=page.page,
        fellowship=filters.fellowship_id,
        area=filters.area,
        state=filters.state,
    )
    return QueuePage(page, rows, filters, *queue_options())


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
