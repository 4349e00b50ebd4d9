"""Volunteers as matching sees them, and whether one can escort on a given day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..errors import NotFound
from ..extensions import db
from ..geography.places import district_points
from ..matching.eligibility import Reason
from ..matching.model import NO_EXPIRY, DateRange, VolunteerFacts, WeeklyWindow, add_months
from ..meetings.models import Meeting
from ._common import escort_reader
from .eligibility import escort_reasons
from .models import (
    SAFEGUARDING_KINDS,
    AvailabilityWindow,
    SafeguardingItem,
    TimeAway,
    Volunteer,
    VolunteerMeeting,
)


def _week_pattern(weeks: str) -> str | frozenset[int]:
    if weeks == "every":
        return "every"
    numbers = frozenset(int(w) for w in weeks.split(",") if w.isdigit() and 1 <= int(w) <= 5)
    return numbers or "every"


def volunteer_facts(volunteer_ids: Iterable[int] | None = None) -> dict[int, VolunteerFacts]:
    """Matching's facts for these volunteers (all when None), in a fixed number of queries.

    Safeguarding maps each item to its latest expiry (NO_EXPIRY when it does not lapse, None
    when not held; references count only when both are in). The recovery date counts only
    once a champion has confirmed it. Escorts, declines and conflicts belong to matching.
    """
    statement = select(Volunteer).options(
        selectinload(Volunteer.fellowships), selectinload(Volunteer.language_rows)
    )
    ids = None if volunteer_ids is None else list(volunteer_ids)
    if ids is not None:
        if not ids:
            return {}
        statement = statement.where(Volunteer.id.in_(ids))
    volunteers = db.session.scalars(statement).all()
    found = [v.id for v in volunteers]
    if not found:
        return {}

    expiry: dict[int, dict[str, date | None]] = defaultdict(dict)
    checks: dict[int, dict[int, date]] = defaultdict(dict)
    for volunteer_id, kind, check_kind_id, expires_on, received in db.session.execute(
        select(
            SafeguardingItem.volunteer_id,
            SafeguardingItem.kind,
            SafeguardingItem.check_kind_id,
            SafeguardingItem.expires_on,
            SafeguardingItem.references_received,
        ).where(SafeguardingItem.volunteer_id.in_(found))
    ):
        if kind == "references" and (received or 0) < 2:
            continue
        lasts = expires_on or NO_EXPIRY
        held_by_kind: dict[Any, Any] = (
            checks[volunteer_id] if check_kind_id else expiry[volunteer_id]
        )
        key = check_kind_id or kind
        held = held_by_kind.get(key)
        if held is None or lasts > held:
            held_by_kind[key] = lasts

    meetings: dict[int, dict[int, Any]] = defaultdict(dict)
    for volunteer_id, meeting_id, weeks in db.session.execute(
        select(VolunteerMeeting.volunteer_id, VolunteerMeeting.meeting_id, VolunteerMeeting.weeks)
        .join(Meeting, Meeting.id == VolunteerMeeting.meeting_id)
        .where(VolunteerMeeting.volunteer_id.in_(found), Meeting.active.is_(True))
    ):
        meetings[volunteer_id][meeting_id] = _week_pattern(weeks)

    windows: dict[int, list[WeeklyWindow]] = defaultdict(list)
    for row in db.session.scalars(
        select(AvailabilityWindow).where(AvailabilityWindow.volunteer_id.in_(found))
    ):
        windows[row.volunteer_id].append(WeeklyWindow(row.weekday, row.start_time, row.end_time))

    away: dict[int, list[DateRange]] = defaultdict(list)
    for row in db.session.scalars(select(TimeAway).where(TimeAway.volunteer_id.in_(found))):
        away[row.volunteer_id].append(DateRange(row.first_day, row.last_day))

    centres = district_points(v.home_district for v in volunteers if v.home_district)

    return {
        v.id: VolunteerFacts(
            id=v.id,
            status=v.status,  # type: ignore[arg-type]
            gender=v.gender or "",
            languages=frozenset(v.languages),
            fellowships=frozenset(f.code for f in v.fellowships),
            home_area=v.home_area or "",
            lat=centres.get(v.home_district or "", (None, None))[0],
            lon=centres.get(v.home_district or "", (None, None))[1],
            travel_modes=frozenset(v.travel_mode_list),
            weekly_cap=v.weekly_cap,
            accompanies=v.accompany_rule,  # type: ignore[arg-type]
            safeguarding={kind: expiry[v.id].get(kind) for kind in SAFEGUARDING_KINDS},
            checks=checks[v.id],
            recovery_date=v.recovery_date if v.recovery_confirmed_at else None,
            meetings=meetings[v.id],
            windows=tuple(windows[v.id]),
            away=tuple(away[v.id]),
        )
        for v in volunteers
    }


def min_recovery_months() -> int:
    """The service's minimum time in recovery (an admin setting over the configuration)."""
    from ..settings import get_setting

    return int(get_setting("min_recovery_months"))


def reasons_cannot_escort(volunteer_id: int, day: date) -> list[Reason]:
    """Every reason this volunteer cannot escort on `day` (empty: they can)."""
    from .check_kinds import required_checks

    facts = volunteer_facts([volunteer_id]).get(volunteer_id)
    if facts is None:
        raise NotFound("No such volunteer")
    return escort_reasons(facts, day, min_recovery_months(), required_checks())


def recovery_ready_on(volunteer: Volunteer) -> date | None:
    """The date the volunteer reaches the minimum time in recovery, if they stated a date."""
    if volunteer.recovery_date is None:
        return None
    return add_months(volunteer.recovery_date, min_recovery_months())


@dataclass(frozen=True)
class EscortSummary:
    """What the volunteer's home shows about escorts (filled in once matching lands)."""

    offers: list[Any] = field(default_factory=list)
    upcoming: list[Any] = field(default_factory=list)
    history: list[Any] = field(default_factory=list)
    done: int = 0


def escort_summary(volunteer: Volunteer) -> EscortSummary:
    """Offers waiting, upcoming escorts, past ones and how many were done (fixed queries)."""
    reader = escort_reader("summary")
    return EscortSummary(**reader(volunteer.id)) if reader else EscortSummary()
