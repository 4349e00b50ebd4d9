"""Database rows into matching's facts, and the SQL filter that finds candidates first.

Matching (``portal.matching``) decides; this module only feeds it. Two things keep pages fast
with thousands of volunteers: facts are loaded as plain column tuples in a fixed number of
queries, and a request's candidates are found in SQL first. The SQL filter encodes every hard
rule, never more strictly than matching does (one rule is deliberately looser), so a volunteer
it drops is one matching would exclude too; the few it keeps are then judged by matching itself.
Tests hold the loader to ``volunteers.services.volunteer_facts`` and the filter to
``check_eligibility``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    Date,
    Integer,
    String,
    Time,
    and_,
    any_,
    bindparam,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import lazyload

from ..audit import utcnow
from ..clients.models import Client
from ..dbtypes import UTCDateTime
from ..extensions import db
from ..matching.model import (
    LONDON,
    NO_EXPIRY,
    SAFEGUARDING_ITEMS,
    DateRange,
    RequestFacts,
    Rules,
    Slot,
    VolunteerFacts,
    WeeklyWindow,
    add_months,
)
from ..meetings.models import Fellowship, Meeting
from ..volunteers.models import (
    AvailabilityWindow,
    SafeguardingItem,
    TimeAway,
    Volunteer,
    VolunteerLanguage,
    VolunteerMeeting,
    volunteer_fellowships,
)
from .models import (
    AccompanimentRequest,
    EscortSlot,
    Offer,
    VolunteerClientConflict,
    VolunteerWeekCount,
)
from .services import wished_peer_gender

# Core tables: statements built from them are cheap to make and cache well.
_V = Volunteer.__table__
_SG = SafeguardingItem.__table__
_VM = VolunteerMeeting.__table__
_AW = AvailabilityWindow.__table__
_TA = TimeAway.__table__
_ES = EscortSlot.__table__
_WC = VolunteerWeekCount.__table__
_VL = VolunteerLanguage.__table__
_VF = volunteer_fellowships
_F = Fellowship.__table__
_M = Meeting.__table__
_O = Offer.__table__
_CC = VolunteerClientConflict.__table__

SLOT = timedelta(minutes=15)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WEIGHT_NAMES = ("attends_meeting", "knows_fellowship", "distance", "load", "reliability")
# Escorts older than this cannot overlap a request being matched, nor share its ISO week.
ESCORT_HORIZON = timedelta(days=8)


# --- time: the 15-minute grid the busy slots use -------------------------------------------------


def floor_slot(moment: datetime) -> datetime:
    """The start of the 15-minute slot holding `moment` (UTC; London's offsets are whole hours)."""
    moment = moment.astimezone(UTC)
    return moment - (moment - _EPOCH) % SLOT


def ceil_slot(moment: datetime) -> datetime:
    """The first slot boundary at or after `moment`."""
    floor = floor_slot(moment)
    return floor if floor == moment.astimezone(UTC) else floor + SLOT


def escort_slots(start: datetime, end: datetime) -> list[datetime]:
    """Every 15-minute slot an escort from `start` to `end` touches."""
    slots, slot = [], floor_slot(start)
    while slot < end:
        slots.append(slot)
        slot += SLOT
    return slots


def escort_span(request: AccompanimentRequest) -> tuple[datetime, datetime]:
    """The escort's own time: from the meeting-point time to the meeting's end."""
    return request.meeting_point_at, request.ends_at


def escort_week(request: AccompanimentRequest) -> tuple[int, int]:
    """The ISO week the weekly cap counts this escort in (as matching does)."""
    iso = request.meeting_point_at.astimezone(LONDON).date().isocalendar()
    return iso.year, iso.week


# --- rules and requests --------------------------------------------------------------------------


def matching_rules() -> Rules:
    """The service's matching settings: minimum recovery time and the score weights."""
    from ..settings import get_setting

    return Rules(
        min_recovery_months=int(get_setting("min_recovery_months")),
        weights={name: float(get_setting(f"weight_{name}")) for name in WEIGHT_NAMES},
    )


def client_gender(client: Client) -> str | None:
    """The client's gender as the volunteers' 'own gender only' rule reads it."""
    return client.gender if client.gender in ("woman", "man", "non-binary") else None


def request_facts(
    request: AccompanimentRequest, client: Client, meeting: Meeting, fellowship_code: str
) -> RequestFacts:
    """One request as matching sees it: the escort from meeting point to meeting end."""
    return RequestFacts(
        id=request.id,
        client_id=request.client_id,
        meeting_id=request.meeting_id,
        fellowship=fellowship_code,
        area=meeting.area or "",
        start=request.meeting_point_at,
        end=request.ends_at,
        lat=meeting.latitude,
        lon=meeting.longitude,
        peer_gender=wished_peer_gender(request, client),  # type: ignore[arg-type]
        language=request.language or None,
        wants_fellowship_experience=bool(request.fellowship_experience),
        client_gender=client_gender(client),
    )


@dataclass(frozen=True)
class LoadedRequest:
    """A request with what its page and matching need, loaded together."""

    request: AccompanimentRequest
    client: Client
    meeting: Meeting
    fellowship: Fellowship
    facts: RequestFacts


def requests_statement() -> Any:
    """A select of (request, client, meeting, fellowship) rows to narrow with `.where()`."""
    return (
        select(AccompanimentRequest, Client, Meeting, Fellowship)
        .join(Client, Client.id == AccompanimentRequest.client_id)
        .join(Meeting, Meeting.id == AccompanimentRequest.meeting_id)
        .join(Fellowship, Fellowship.id == Meeting.fellowship_id)
        .options(lazyload(AccompanimentRequest.meeting), lazyload(Meeting.fellowship))
    )


def loaded_from(rows: Iterable[Any]) -> list[LoadedRequest]:
    """Rows of `requests_statement()` as LoadedRequest, facts built."""
    return [
        LoadedRequest(
            request,
            client,
            meeting,
            fellowship,
            request_facts(request, client, meeting, fellowship.code),
        )
        for request, client, meeting, fellowship in rows
    ]


def load_requests(*where: Any) -> list[LoadedRequest]:
    """Requests matching `where`, with client, meeting and fellowship (one query)."""
    return loaded_from(db.session.execute(requests_statement().where(*where)).all())


# --- volunteers ----------------------------------------------------------------------------------


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
        ).where(_ids_in(v.id, dialect)),
        "fellowships": select(_VF.c.volunteer_id, _F.c.code)
        .join(_F, _F.c.id == _VF.c.fellowship_id)
        .where(_ids_in(_VF.c.volunteer_id, dialect)),
        "languages": select(_VL.c.volunteer_id, _VL.c.language).where(
            _ids_in(_VL.c.volunteer_id, dialect)
        ),
        "safeguarding": select(
            sg.volunteer_id, sg.kind, sg.expires_on, sg.references_received
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
    expiry: dict[int, dict[str, date]] = defaultdict(dict)
    for volunteer_id, kind, expires_on, received in rows("safeguarding"):
        if kind == "references" and (received or 0) < 2:
            continue
        lasts = expires_on or NO_EXPIRY
        held = expiry[volunteer_id].get(kind)
        if held is None or lasts > held:
            expiry[volunteer_id][kind] = lasts
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
            recovery_date=row[6] if row[7] else None,
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


# --- the SQL filter ------------------------------------------------------------------------------
#
# Statements are built once per shape (which optional rules apply) from Core tables and bound
# parameters, then reused: building them afresh for every page cost more than running them.


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
