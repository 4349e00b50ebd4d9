"""Database rows into matching's facts, and the SQL filter that finds candidates first.

Matching (``portal.matching``) decides; these modules only feed it. Two things keep pages fast
with thousands of volunteers: facts are loaded as plain column tuples in a fixed number of
queries (`volunteer_loading`, `request_loading`), and a request's candidates are found in SQL
first (here). The SQL filter encodes every hard rule, never more strictly than matching does (one
rule is deliberately looser), so a volunteer it drops is one matching would exclude too; the few
it keeps are then judged by matching itself. Its statements are built once per shape (which
optional rules apply) from Core tables and bound parameters, then reused: building them afresh
for every page cost more than running them. Tests hold the loader to
``volunteers.services.volunteer_facts`` and the filter to ``check_eligibility``.

The loaders' names are re-exported here, so callers keep importing from `facts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
    Time,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..matching.model import SAFEGUARDING_ITEMS, RequestFacts, Rules, add_months
from .fact_tables import _AW, _CC, _ES, _F, _M, _O, _SG, _TA, _V, _VF, _VL, _VM, _WC
from .request_loading import (
    ESCORT_HORIZON,
    SLOT,
    WEIGHT_NAMES,
    LoadedRequest,
    ceil_slot,
    client_gender,
    escort_slots,
    escort_span,
    escort_week,
    floor_slot,
    load_requests,
    loaded_from,
    matching_rules,
    request_facts,
    requests_statement,
)
from .volunteer_loading import _aware, load_volunteer_facts

__all__ = [
    "ESCORT_HORIZON",
    "SLOT",
    "WEIGHT_NAMES",
    "LoadedRequest",
    "Shape",
    "Sifted",
    "_aware",
    "candidate_ids",
    "candidate_ids_for_many",
    "ceil_slot",
    "client_gender",
    "escort_slots",
    "escort_span",
    "escort_week",
    "filter_params",
    "floor_slot",
    "free_ids",
    "load_requests",
    "load_volunteer_facts",
    "loaded_from",
    "matching_rules",
    "request_facts",
    "requests_statement",
    "rule_conditions",
    "shape_of",
    "sift",
]


@dataclass(frozen=True)
class Shape:
    """Which optional rules apply to a request: it decides the statement's form."""

    gender_wish: bool
    language_wish: bool
    fellowship_wish: bool
    client_gender: bool
    window: bool


def _time_of(seconds: int) -> time:
    return time(seconds // 3600, seconds % 3600 // 60, seconds % 60)


def shape_of(facts: RequestFacts) -> Shape:
    span = facts.window_span
    return Shape(
        gender_wish=facts.peer_gender != "any",
        language_wish=facts.folded_language is not None,
        fellowship_wish=facts.wants_fellowship_experience,
        client_gender=facts.client_gender is not None,
        window=span is not None and span[1] < 86400,
    )


def filter_params(facts: RequestFacts, rules: Rules, suffix: str = "") -> dict[str, Any]:
    """The values one request binds into its statement."""
    day = facts.meeting_date
    try:
        cutoff = add_months(day, -rules.min_recovery_months) + timedelta(days=3)
    except (ValueError, OverflowError):
        cutoff = date.min
    year, week_number = facts.week
    span = facts.window_span or (0, 0)
    values = {
        "request_id": facts.id,
        "client_id": facts.client_id,
        "meeting_id": facts.meeting_id,
        "week_like": f"%,{facts.week_of_month},%",
        "weekday": facts.local_weekday,
        "window_start": _time_of(span[0]),
        "window_end": _time_of(min(span[1], 86399)),
        "day": day,
        "cutoff": cutoff,
        "first_day": facts.local_dates[0],
        "last_day": facts.local_dates[-1],
        "slot_after": facts.start - SLOT,
        "slot_before": facts.end,
        "iso_year": year,
        "iso_week": week_number,
        "gender": facts.peer_gender,
        "client_gender": facts.client_gender or "",
        "language": facts.folded_language or "",
        "fellowship": facts.fellowship,
    }
    return {f"{name}{suffix}": value for name, value in values.items()}


def _bind(name: str, suffix: str, type_: Any = None) -> Any:
    return bindparam(f"{name}{suffix}", type_=type_)


@lru_cache(maxsize=1024)
def _free_select(shape: Shape, suffix: str = "") -> Any:
    attends = select(_VM.c.volunteer_id).where(
        _VM.c.meeting_id == _bind("meeting_id", suffix, Integer),
        or_(
            _VM.c.weeks == "every",
            (literal(",") + _VM.c.weeks + literal(",")).like(_bind("week_like", suffix, String)),
        ),
        exists().where(_M.c.id == _VM.c.meeting_id, _M.c.active.is_(True)),
    )
    if not shape.window:
        return attends
    covered = select(_AW.c.volunteer_id).where(
        _AW.c.weekday == _bind("weekday", suffix, Integer),
        _AW.c.start_time <= _bind("window_start", suffix, Time),
        _AW.c.end_time >= _bind("window_end", suffix, Time),
    )
    return attends.union(covered)


@lru_cache(maxsize=1024)
def _conditions(shape: Shape, suffix: str = "") -> tuple[tuple[str, Any], ...]:
    """Each hard rule as an SQL condition on a volunteer, named by matching's summary codes.

    Never stricter than matching: the recovery rule allows three days of slack for calendar
    months that clamp (31 August + 6 months is 28 February), so matching decides those.
    Cheap tests on the volunteer's own row come first: SQLite stops at the first that fails.
    """
    v = _V.c
    own_rule = v.accompany_rule != "same_gender"
    if shape.client_gender:
        own_rule = or_(own_rule, v.gender == _bind("client_gender", suffix, String))
    conditions: list[tuple[str, Any]] = [
        ("not_free", v.id.in_(_free_select(shape, suffix))),
        ("not_approved", v.status == "approved"),
        ("accompany_rule", own_rule),
    ]
    if shape.gender_wish:
        conditions.append(("gender_wish", v.gender == _bind("gender", suffix, String)))
    conditions += [
        (
            "recovery",
            and_(
                v.recovery_confirmed_at.is_not(None),
                v.recovery_date.is_not(None),
                v.recovery_date <= _bind("cutoff", suffix, Date),
            ),
        ),
        (
            "away",
            ~exists().where(
                _TA.c.volunteer_id == v.id,
                _TA.c.first_day <= _bind("last_day", suffix, Date),
                _TA.c.last_day >= _bind("first_day", suffix, Date),
            ),
        ),
        (
            "overlapping_escort",
            ~exists().where(
                _ES.c.volunteer_id == v.id,
                _ES.c.slot_start > _bind("slot_after", suffix, UTCDateTime),
                _ES.c.slot_start < _bind("slot_before", suffix, UTCDateTime),
            ),
        ),
        (
            "weekly_cap",
            v.weekly_cap
            > func.coalesce(
                select(_WC.c.n)
                .where(
                    _WC.c.volunteer_id == v.id,
                    _WC.c.iso_year == _bind("iso_year", suffix, Integer),
                    _WC.c.iso_week == _bind("iso_week", suffix, Integer),
                )
                .scalar_subquery(),
                0,
            ),
        ),
    ]
    if shape.language_wish:
        conditions.append(
            (
                "language_wish",
                exists().where(
                    _VL.c.volunteer_id == v.id, _VL.c.folded == _bind("language", suffix, String)
                ),
            )
        )
    if shape.fellowship_wish:
        conditions.append(
            (
                "fellowship_wish",
                exists().where(
                    _VF.c.volunteer_id == v.id,
                    _VF.c.fellowship_id.in_(
                        select(_F.c.id).where(_F.c.code == _bind("fellowship", suffix, String))
                    ),
                ),
            )
        )
    conditions += [
        (
            "declined_before",
            ~exists().where(
                _O.c.volunteer_id == v.id,
                _O.c.request_id == _bind("request_id", suffix, Integer),
                _O.c.state == "declined",
            ),
        ),
        (
            "conflict_of_interest",
            ~exists().where(
                _CC.c.volunteer_id == v.id, _CC.c.client_id == _bind("client_id", suffix, Integer)
            ),
        ),
    ]
    valid_items = (
        select(func.count(func.distinct(_SG.c.kind)))
        .where(
            _SG.c.volunteer_id == v.id,
            _SG.c.kind.in_(SAFEGUARDING_ITEMS),
            or_(_SG.c.expires_on.is_(None), _SG.c.expires_on >= _bind("day", suffix, Date)),
            or_(_SG.c.kind != "references", _SG.c.references_received >= 2),
        )
        .scalar_subquery()
    )
    conditions.append(("safeguarding", valid_items == len(SAFEGUARDING_ITEMS)))
    return tuple(conditions)


def rule_conditions(facts: RequestFacts) -> tuple[tuple[str, Any], ...]:
    """The request's rules as SQL conditions (bind them with `filter_params`)."""
    return _conditions(shape_of(facts))


@lru_cache(maxsize=64)
def _candidate_select(shape: Shape, suffix: str = "") -> Any:
    return select(_V.c.id).where(*(c for _, c in _conditions(shape, suffix)))


def candidate_ids(facts: RequestFacts, rules: Rules) -> list[int]:
    """Ids of the volunteers who pass the SQL filter for one request (one query)."""
    statement = _candidate_select(shape_of(facts)).order_by(_V.c.id)
    return list(db.session.scalars(statement, filter_params(facts, rules)))


@lru_cache(maxsize=1024)
def _limited_part(shape: Shape, suffix: str, limit: int) -> Any:
    return (
        select(_bind("request_id", suffix, Integer).label("request_id"), _V.c.id)
        .where(*(c for _, c in _conditions(shape, suffix)))
        .order_by(_V.c.id)
        .limit(limit)
        .subquery()
        .select()
    )


@lru_cache(maxsize=256)
def _many_select(shapes: tuple[Shape, ...], limit: int) -> Any:
    """One UNION ALL part per request, built once per sequence of shapes.

    Reusing the same statement object lets SQLAlchemy memoize its cache key and hit the
    compiled cache; generating the key of a fresh 25-part UNION cost ~40 ms a page.
    """
    parts = [_limited_part(shape, f"_{i}", limit) for i, shape in enumerate(shapes)]
    return parts[0] if len(parts) == 1 else union_all(*parts)


def candidate_ids_for_many(
    requests: list[RequestFacts], rules: Rules, limit: int = 3
) -> dict[int, list[int]]:
    """The SQL filter for several requests in one query; at most `limit` ids each."""
    if not requests:
        return {}
    params: dict[str, Any] = {}
    for i, facts in enumerate(requests):
        params |= filter_params(facts, rules, f"_{i}")
    statement = _many_select(tuple(shape_of(facts) for facts in requests), limit)
    found: dict[int, list[int]] = {facts.id: [] for facts in requests}
    for request_id, volunteer_id in db.session.execute(statement, params):
        found[int(request_id)].append(volunteer_id)
    return found


@dataclass(frozen=True)
class Sifted:
    """One request's pool after the SQL filter: who may fit, and who is free but excluded."""

    candidates: list[int]
    excluded: list[tuple[int, str, str]]  # (id, name, status), approved first, then by name
    free: int
    profiles: dict[int, tuple[str, bool, str]]  # id -> (name, phone only, status)


@lru_cache(maxsize=64)
def _sift_select(shape: Shape) -> Any:
    conditions = [c for code, c in _conditions(shape) if code != "not_free"]
    passes = case((and_(*conditions), 1), else_=0)
    return (
        select(_V.c.id, _V.c.preferred_name, _V.c.status, passes, _V.c.phone_only)
        .where(_V.c.id.in_(_free_select(shape)))
        .order_by(_V.c.id)
    )


def sift(facts: RequestFacts, rules: Rules) -> Sifted:
    """Split the volunteers free at the request's time by the other rules (one query)."""
    rows = (
        db.session.connection()
        .execute(_sift_select(shape_of(facts)), filter_params(facts, rules))
        .all()
    )
    candidates = [row[0] for row in rows if row[3]]
    excluded = sorted(
        ((row[0], row[1], row[2]) for row in rows if not row[3]),
        key=lambda row: (row[2] != "approved", row[1].lower(), row[0]),
    )
    profiles = {row[0]: (row[1], row[4], row[2]) for row in rows}
    return Sifted(candidates, excluded, len(rows), profiles)


@lru_cache(maxsize=64)
def _free_ids_select(shape: Shape) -> Any:
    return select(_V.c.id).where(_V.c.id.in_(_free_select(shape)))


def free_ids(facts: RequestFacts, rules: Rules) -> list[int]:
    """Volunteers free then: they go to that meeting that week, or a weekly window covers the
    whole escort (exactly matching's rule)."""
    return list(db.session.scalars(_free_ids_select(shape_of(facts)), filter_params(facts, rules)))
