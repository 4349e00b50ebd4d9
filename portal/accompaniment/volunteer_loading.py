"""Matching's facts about volunteers, loaded as plain column tuples in a fixed number of queries.

The profile, vetting and availability read exactly as ``volunteers.services.volunteer_facts``
reads them (a test holds the two equal); escorts, declines, conflicts and the record of turning
up come from accompaniment's own tables.
"""

from __future__ import annotations

import gc
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
)

from ..audit import utcnow
from ..dbtypes import UTCDateTime
from ..extensions import db
from ..matching.model import (
    NO_EXPIRY,
    SAFEGUARDING_ITEMS,
    DateRange,
    Slot,
    VolunteerFacts,
    WeeklyWindow,
)
from .fact_tables import _AW, _CC, _DC, _ES, _F, _M, _O, _SG, _TA, _V, _VF, _VL, _VM
from .models import AccompanimentRequest
from .request_loading import ESCORT_HORIZON, SLOT


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


def _week_pattern(weeks: str) -> str | frozenset[int]:
    if weeks == "every":
        return "every"
    numbers = frozenset(int(w) for w in weeks.split(",") if w.isdigit() and 1 <= int(w) <= 5)
    return numbers or "every"


def _ids_in(column: Any, dialect: str) -> Any:
    """`column` is one of the ids bound as a single parameter, so the statement stays cached.

    An IN list of hundreds of parameters is rendered afresh on every call; a JSON array (SQLite)
    or an array (PostgreSQL) is one parameter.
    """
    if dialect == "postgresql":
        return column == any_(bindparam("ids", type_=ARRAY(Integer)))
    return column.in_(
        select(literal_column("value")).select_from(func.json_each(bindparam("ids", type_=String)))
    )


@lru_cache(maxsize=4)
def _loaders(dialect: str) -> dict[str, Any]:
    """The loader's statements for one database dialect, built once."""
    v, sg, vm, aw, ta = _V.c, _SG.c, _VM.c, _AW.c, _TA.c
    es, ar, o, cc = _ES.c, AccompanimentRequest.__table__.c, _O.c, _CC.c
    finished = ar.state == "completed"
    recent = and_(
        ar.starts_at >= bindparam("month_ago", type_=UTCDateTime),
        ar.starts_at <= bindparam("now", type_=UTCDateTime),
        ar.state.in_(("accepted", "completed")),
    )
    did_go = case((ar.outcome != "volunteer_could_not_go", 1), else_=0)
    return {
        "base": select(
            v.id,
            v.status,
            v.gender,
            v.home_area,
            v.weekly_cap,
            v.accompany_rule,
            v.recovery_date,
            v.recovery_confirmed_at,
            # geography: how they travel, and their home district's centre (issue 15)
            v.travel_modes,
            _DC.c.latitude,
            _DC.c.longitude,
        )
        .select_from(_V.outerjoin(_DC, _DC.c.district == v.home_district))
        .where(_ids_in(v.id, dialect)),
        "fellowships": select(_VF.c.volunteer_id, _F.c.code)
        .join(_F, _F.c.id == _VF.c.fellowship_id)
        .where(_ids_in(_VF.c.volunteer_id, dialect)),
        "languages": select(_VL.c.volunteer_id, _VL.c.language).where(
            _ids_in(_VL.c.volunteer_id, dialect)
        ),
        "safeguarding": select(
            sg.volunteer_id, sg.kind, sg.expires_on, sg.references_received, sg.check_kind_id
        ).where(_ids_in(sg.volunteer_id, dialect)),
        # EXISTS rather than a join: joined, SQLite drives from the meetings' index.
        "meetings": select(vm.volunteer_id, vm.meeting_id, vm.weeks).where(
            _ids_in(vm.volunteer_id, dialect),
            exists().where(_M.c.id == vm.meeting_id, _M.c.active.is_(True)),
        ),
        "windows": select(aw.volunteer_id, aw.weekday, aw.start_time, aw.end_time)
        .where(_ids_in(aw.volunteer_id, dialect))
        .order_by(aw.id),
        "away": select(ta.volunteer_id, ta.first_day, ta.last_day)
        .where(_ids_in(ta.volunteer_id, dialect))
        .order_by(ta.id),
        "escorts": select(es.volunteer_id, func.min(es.slot_start), func.max(es.slot_start))
        .where(
            _ids_in(es.volunteer_id, dialect),
            es.slot_start >= bindparam("horizon", type_=UTCDateTime),
        )
        .group_by(es.volunteer_id, es.request_id),
        "record": select(
            ar.volunteer_id,
            func.sum(case((finished, 1), else_=0)),
            func.sum(case((finished, did_go), else_=0)),
            func.sum(case((recent, 1), else_=0)),
        )
        .where(_ids_in(ar.volunteer_id, dialect))
        .group_by(ar.volunteer_id),
        # Declines matter only for requests matching may still place (not long past): without
        # this bound every decline of two years came back on each load (issue 9's benchmark).
        "offers": select(o.volunteer_id, o.request_id, o.state).where(
            _ids_in(o.volunteer_id, dialect),
            # No OR of states at the top: with one, SQLite read every declined offer of the
            # service through the state index (0.5 s at large scale) instead of by volunteer.
            o.state.in_(("declined", "withdrawn")),
            or_(
                o.state == "declined",
                and_(o.withdraw_code == "released", o.answered_at.is_not(None)),
            ),
            or_(
                o.state != "declined",
                # a list made once from the starts_at index, not a lookup per decline
                o.request_id.in_(
                    select(ar.id).where(ar.starts_at >= bindparam("horizon", type_=UTCDateTime))
                ),
            ),
        ),
        "conflicts": select(cc.volunteer_id, cc.client_id).where(_ids_in(cc.volunteer_id, dialect)),
    }


def load_volunteer_facts(
    ids: Iterable[int] | Any, now: datetime | None = None, scoring: bool = True
) -> dict[int, VolunteerFacts]:
    """Matching's facts for the volunteers `ids` (a list, or a select of ids), in 11 queries.

    The profile, vetting and availability read exactly as ``volunteers.services.volunteer_facts``
    reads them; escorts, declines, conflicts and the record of turning up come from here.
    With `scoring=False` (eligibility only, as the queue's check) the record of turning up,
    which only scoring reads, is left at zero: one query fewer, and the dearest at large scale
    (it sums every request the volunteers ever had).
    """
    now = now or utcnow()
    if not isinstance(ids, list | tuple | set | frozenset):
        ids = db.session.scalars(ids).all()
    ids = sorted(set(ids))
    if not ids:
        return {}
    dialect = db.session.get_bind().dialect.name
    statements = _loaders(dialect)
    bound = {"ids": ids if dialect == "postgresql" else json.dumps(ids)}

    # Core execution on the session's connection: the same transaction, without the ORM's
    # per-statement work (these are plain column selects).
    connection = db.session.connection()

    def rows(name: str, **extra: Any) -> Any:
        return connection.execute(statements[name], bound | extra).all()

    base = rows("base")
    if not base:
        return {}
    fellowships: dict[int, set[str]] = defaultdict(set)
    for volunteer_id, code in rows("fellowships"):
        fellowships[volunteer_id].add(code)
    languages: dict[int, set[str]] = defaultdict(set)
    for volunteer_id, language in rows("languages"):
        languages[volunteer_id].add(language)
    expiry: dict[int, dict[Any, date]] = defaultdict(dict)
    for volunteer_id, kind, expires_on, received, check_kind_id in rows("safeguarding"):
        if kind == "references" and (received or 0) < 2:
            continue
        lasts = expires_on or NO_EXPIRY
        # The service's own kinds sit under their id beside the built-in kinds' names.
        key = check_kind_id or kind
        held = expiry[volunteer_id].get(key)
        if held is None or lasts > held:
            expiry[volunteer_id][key] = lasts
    meetings: dict[int, dict[int, Any]] = defaultdict(dict)
    for volunteer_id, meeting_id, weeks in rows("meetings"):
        meetings[volunteer_id][meeting_id] = _week_pattern(weeks)
    windows: dict[int, list[WeeklyWindow]] = defaultdict(list)
    for volunteer_id, weekday, start, end in rows("windows"):
        windows[volunteer_id].append(WeeklyWindow(weekday, start, end))
    away: dict[int, list[DateRange]] = defaultdict(list)
    for volunteer_id, first, last in rows("away"):
        away[volunteer_id].append(DateRange(first, last))
    extra = _matching_history(rows, now, scoring)
    return {
        row[0]: VolunteerFacts(
            id=row[0],
            status=row[1],
            gender=row[2] or "",
            languages=frozenset(languages[row[0]]),
            fellowships=frozenset(fellowships[row[0]]),
            home_area=row[3] or "",
            weekly_cap=row[4],
            accompanies=row[5],
            safeguarding={kind: expiry[row[0]].get(kind) for kind in SAFEGUARDING_ITEMS},
            checks={k: d for k, d in expiry[row[0]].items() if isinstance(k, int)},
            recovery_date=row[6] if row[7] else None,
            travel_modes=frozenset((row[8] or "").split()),
            lat=row[9],
            lon=row[10],
            meetings=meetings[row[0]],
            windows=tuple(windows[row[0]]),
            away=tuple(away[row[0]]),
            **extra.get(row[0], {}),
        )
        for row in base
    }


def _matching_history(rows: Any, now: datetime, scoring: bool = True) -> dict[int, dict[str, Any]]:
    """Escorts held, requests declined, conflicts and the record of turning up (4 queries;
    3 without `scoring`)."""
    history: dict[int, dict[str, Any]] = defaultdict(
        lambda: {
            "escorts": [],
            "declined_requests": set(),
            "conflict_clients": set(),
            "escorts_last_30_days": 0,
            "accepted_count": 0,
            "completed_count": 0,
        }
    )
    for volunteer_id, first, last in rows("escorts", horizon=now - ESCORT_HORIZON):
        first, last = _aware(first), _aware(last)
        history[volunteer_id]["escorts"].append(Slot(first, last + SLOT))
    record = rows("record", month_ago=now - timedelta(days=30), now=now) if scoring else ()
    for volunteer_id, completed, went, recent_count in record:
        entry = history[volunteer_id]
        entry["accepted_count"] += int(completed or 0)
        entry["completed_count"] += int(went or 0)
        entry["escorts_last_30_days"] = int(recent_count or 0)
    for volunteer_id, request_id, state in rows("offers", horizon=now - ESCORT_HORIZON):
        if state == "declined":
            history[volunteer_id]["declined_requests"].add(request_id)
        else:  # accepted, then could not go: counts against turning up
            history[volunteer_id]["accepted_count"] += 1
    for volunteer_id, client_id in rows("conflicts"):
        history[volunteer_id]["conflict_clients"].add(client_id)
    return history


def _aware(value: datetime) -> datetime:
    # Aggregates (min/max) bypass the column type on some drivers: a naive value is UTC.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
