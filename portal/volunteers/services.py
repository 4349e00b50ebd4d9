"""Volunteers: recruitment, vetting, safeguarding records, availability and the calendar feed.

Rules live here. Every write checks who is acting, changes, audits and commits; every read
that takes an id is scoped to the person asking, so what they may not see is a NotFound.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from ..audit import AuditEvent, audit, utcnow
from ..auth import services as accounts
from ..auth.models import User
from ..errors import Conflict, InvalidChange, NotAllowed, NotFound
from ..extensions import db
from ..matching.eligibility import Reason
from ..matching.model import (
    LONDON,
    NO_EXPIRY,
    DateRange,
    VolunteerFacts,
    WeeklyWindow,
    add_months,
)
from ..meetings.models import Fellowship, Meeting
from .eligibility import escort_reasons
from .models import (
    ACCOMPANY_RULES,
    DBS_LEVELS,
    GENDERS,
    SAFEGUARDING_KINDS,
    STATUSES,
    TRAVEL_MODES,
    WEEKDAYS,
    AvailabilityWindow,
    SafeguardingItem,
    TimeAway,
    Volunteer,
    VolunteerLanguage,
    VolunteerMeeting,
    volunteer_fellowships,
)

DUE_DAYS = 30
INACTIVE_DAYS = 90
MAX_LANGUAGES = 10
# Months an item stays valid when no expiry is entered; None means it does not lapse.
DEFAULT_VALIDITY_MONTHS: dict[str, int | None] = {
    "dbs": 36,
    "training": 36,
    "references": None,
    "lone_working": 12,
    "code_of_conduct": 12,
}
# Which states each state may be reached from.
TRANSITIONS: dict[str, frozenset[str]] = {
    "approved": frozenset({"applied", "paused", "withdrawn"}),
    "paused": frozenset({"approved"}),
    "withdrawn": frozenset({"applied", "approved", "paused"}),
    "applied": frozenset({"withdrawn"}),
}
NEEDS_REASON = frozenset({"paused", "withdrawn"})
PROFILE_FIELDS = (
    "preferred_name",
    "pronouns",
    "gender",
    "home_area",
    "travel_modes",
    "phone",
    "share_phone",
    "weekly_cap",
    "accompany_rule",
    "recovery_date",
)


def today_local() -> date:
    """Today's date in the UK, the date every expiry is judged on."""
    return utcnow().astimezone(LONDON).date()


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- who may do what -------------------------------------------------------------------


def is_champion(user: User) -> bool:
    """Champions see and manage every volunteer."""
    return user.has_role("champion")


def _require_champion(actor: User) -> None:
    if not is_champion(actor):
        raise NotAllowed("Only a recovery champion can do this")


def _require_editor(volunteer: Volunteer, actor: User) -> None:
    """The volunteer themselves or a champion; anyone else is told nothing exists."""
    own = volunteer.user_id is not None and volunteer.user_id == actor.id
    if not (own or is_champion(actor)):
        raise NotFound("No such volunteer")


def _mark_active(volunteer: Volunteer, actor: User) -> None:
    """A change by the volunteer (or by the champion for a phone-only contact) is activity."""
    if volunteer.phone_only or volunteer.user_id == actor.id:
        volunteer.last_active_at = utcnow()


VolunteerListener = Callable[[int, str], None]
_change_listeners: list[VolunteerListener] = []


def on_volunteer_change(listener: VolunteerListener) -> VolunteerListener:
    """Register `listener(volunteer_id, what)`, called inside the change's transaction when a
    volunteer's status, safeguarding record or time away changes (matching uses it to withdraw
    pending offers that no longer hold)."""
    _change_listeners.append(listener)
    return listener


def _volunteer_changed(volunteer_id: int, what: str) -> None:
    for listener in _change_listeners:
        listener(volunteer_id, what)


def mark_active(volunteer_id: int, at: datetime | None = None) -> None:
    """Record activity (an escort, an answer to an offer) in the caller's transaction."""
    db.session.execute(
        update(Volunteer)
        .where(Volunteer.id == volunteer_id)
        .values(last_active_at=at or utcnow())
        .execution_options(synchronize_session=False)
    )


# --- reading -----------------------------------------------------------------------------


def own_volunteer(user: User) -> Volunteer | None:
    """The volunteer record of the signed-in person, if they have one."""
    return db.session.scalar(
        select(Volunteer)
        .where(Volunteer.user_id == user.id)
        .options(selectinload(Volunteer.fellowships), selectinload(Volunteer.language_rows))
    )


def get_volunteer(volunteer_id: int, actor: User) -> Volunteer:
    """A volunteer the actor may see: champions see all, a volunteer only themselves."""
    volunteer = db.session.scalar(
        select(Volunteer)
        .where(Volunteer.id == volunteer_id)
        .options(
            selectinload(Volunteer.fellowships),
            selectinload(Volunteer.language_rows),
            selectinload(Volunteer.user),
        )
    )
    if volunteer is None:
        raise NotFound("No such volunteer")
    _require_editor(volunteer, actor)
    return volunteer


def names_of(user_ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of the people who made changes, in one query."""
    ids = {user_id for user_id in user_ids if user_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def active_fellowships() -> list[Fellowship]:
    return list(
        db.session.scalars(
            select(Fellowship).where(Fellowship.active.is_(True)).order_by(Fellowship.name)
        )
    )


def known_areas() -> list[str]:
    """Home areas volunteers have given, for the champion's filter."""
    return list(
        db.session.scalars(
            select(Volunteer.home_area)
            .where(Volunteer.home_area.is_not(None), Volunteer.home_area != "")
            .distinct()
            .order_by(Volunteer.home_area)
        )
    )


def _current_item_condition(item: Any) -> Any:
    """True for an item no other item of the same volunteer and kind outlasts."""
    other = aliased(SafeguardingItem)
    return ~exists().where(
        other.volunteer_id == item.volunteer_id,
        other.kind == item.kind,
        other.id != item.id,
        or_(
            other.expires_on.is_(None),
            other.expires_on > item.expires_on,
            and_(other.expires_on == item.expires_on, other.id > item.id),
        ),
    )


def _expiring_condition(today: date, days: int = DUE_DAYS) -> Any:
    item = aliased(SafeguardingItem)
    return exists().where(
        item.volunteer_id == Volunteer.id,
        item.expires_on.is_not(None),
        item.expires_on >= today,
        item.expires_on <= today + timedelta(days=days),
        _current_item_condition(item),
    )


def _inactive_condition(now: datetime, days: int = INACTIVE_DAYS) -> Any:
    cutoff = now - timedelta(days=days)
    return and_(
        func.coalesce(Volunteer.last_active_at, Volunteer.created_at) < cutoff,
        ~exists().where(User.id == Volunteer.user_id, User.last_sign_in_at >= cutoff),
    )


@dataclass(frozen=True)
class VolunteerFilters:
    query: str = ""
    status: str = ""
    fellowship_id: int | None = None
    area: str = ""
    language: str = ""
    expiring: bool = False
    inactive: bool = False


def search_volunteers(filters: VolunteerFilters, actor: User) -> Any:
    """A select of volunteers matching the champion's filters, for pagination."""
    _require_champion(actor)
    statement = (
        select(Volunteer)
        .options(selectinload(Volunteer.fellowships), selectinload(Volunteer.language_rows))
        .order_by(func.lower(Volunteer.preferred_name), Volunteer.id)
    )
    if filters.query:
        like = f"%{filters.query.lower()}%"
        statement = statement.where(func.lower(Volunteer.preferred_name).like(like))
    if filters.status in STATUSES:
        statement = statement.where(Volunteer.status == filters.status)
    if filters.fellowship_id is not None:
        statement = statement.where(
            exists().where(
                volunteer_fellowships.c.volunteer_id == Volunteer.id,
                volunteer_fellowships.c.fellowship_id == filters.fellowship_id,
            )
        )
    if filters.area:
        statement = statement.where(Volunteer.home_area == filters.area)
    if filters.language:
        statement = statement.where(
            exists().where(
                VolunteerLanguage.volunteer_id == Volunteer.id,
                VolunteerLanguage.folded == filters.language.casefold(),
            )
        )
    if filters.expiring:
        statement = statement.where(_expiring_condition(today_local()))
    if filters.inactive:
        statement = statement.where(_inactive_condition(utcnow()))
    return statement


@dataclass(frozen=True)
class VolunteerCounts:
    by_status: dict[str, int]
    expiring: int
    inactive: int

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def volunteer_counts(actor: User) -> VolunteerCounts:
    """How many volunteers in each state, with checks expiring soon, and gone quiet."""
    _require_champion(actor)
    rows = db.session.execute(
        select(Volunteer.status, func.count()).group_by(Volunteer.status)
    ).all()
    by_status = {status: 0 for status in STATUSES} | {status: n for status, n in rows}
    expiring = db.session.scalar(
        select(func.count()).select_from(Volunteer).where(_expiring_condition(today_local()))
    )
    inactive = db.session.scalar(
        select(func.count()).select_from(Volunteer).where(_inactive_condition(utcnow()))
    )
    return VolunteerCounts(by_status, expiring or 0, inactive or 0)


def soonest_expiries(volunteer_ids: Iterable[int], today: date | None = None) -> dict[int, date]:
    """For each volunteer, the soonest expiry among current items not yet expired."""
    ids = list(volunteer_ids)
    if not ids:
        return {}
    today = today or today_local()
    item = aliased(SafeguardingItem)
    rows = db.session.execute(
        select(item.volunteer_id, func.min(item.expires_on))
        .where(
            item.volunteer_id.in_(ids),
            item.expires_on.is_not(None),
            item.expires_on >= today,
            _current_item_condition(item),
        )
        .group_by(item.volunteer_id)
    ).all()
    return dict(rows)


def checks_due(actor: User, today: date | None = None, days: int = DUE_DAYS) -> Any:
    """Current items expiring within `days` (and any already lapsed), soonest first.

    A select of (item, volunteer) rows for pagination; withdrawn volunteers are left out.
    """
    _require_champion(actor)
    today = today or today_local()
    item = aliased(SafeguardingItem)
    return (
        select(item, Volunteer)
        .join(Volunteer, Volunteer.id == item.volunteer_id)
        .where(
            Volunteer.status != "withdrawn",
            item.expires_on.is_not(None),
            item.expires_on <= today + timedelta(days=days),
            _current_item_condition(item),
        )
        .order_by(item.expires_on, func.lower(Volunteer.preferred_name), item.id)
    )


@dataclass(frozen=True)
class CheckState:
    """One safeguarding item kind as it stands for a volunteer."""

    kind: str
    label: str
    item: SafeguardingItem | None
    state: str  # valid, expiring, expired, missing, incomplete
    history: list[SafeguardingItem] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return {
            "valid": "Valid",
            "expiring": "Expires soon",
            "expired": "Expired",
            "missing": "Not on record",
            "incomplete": "Incomplete",
        }[self.state]


def _item_state(item: SafeguardingItem | None, today: date) -> str:
    if item is None:
        return "missing"
    if item.kind == "references" and (item.references_received or 0) < 2:
        return "incomplete"
    if item.expires_on is None:
        return "valid"
    if item.expires_on < today:
        return "expired"
    if item.expires_on <= today + timedelta(days=DUE_DAYS):
        return "expiring"
    return "valid"


def _lasts(item: SafeguardingItem) -> tuple[date, int]:
    return (item.expires_on or NO_EXPIRY, item.id)


def safeguarding_record(volunteer: Volunteer, today: date | None = None) -> list[CheckState]:
    """Each kind of check with the item that counts now and the earlier ones."""
    today = today or today_local()
    items = db.session.scalars(
        select(SafeguardingItem)
        .where(SafeguardingItem.volunteer_id == volunteer.id)
        .order_by(SafeguardingItem.issued_on.desc(), SafeguardingItem.id.desc())
    ).all()
    by_kind: dict[str, list[SafeguardingItem]] = defaultdict(list)
    for item in items:
        by_kind[item.kind].append(item)
    record = []
    for kind, label in SAFEGUARDING_KINDS.items():
        rows = by_kind.get(kind, [])
        current = max(rows, key=_lasts) if rows else None
        record.append(
            CheckState(
                kind,
                label,
                current,
                _item_state(current, today),
                [r for r in rows if r is not current],
            )
        )
    return record


def checks_needing_attention(volunteer: Volunteer) -> list[CheckState]:
    """Checks that have lapsed or lapse within 30 days, for the volunteer's home page."""
    return [c for c in safeguarding_record(volunteer) if c.state in ("expiring", "expired")]


def get_item(volunteer: Volunteer, item_id: int, actor: User) -> SafeguardingItem:
    _require_champion(actor)
    item = db.session.get(SafeguardingItem, item_id)
    if item is None or item.volunteer_id != volunteer.id:
        raise NotFound("No such check")
    return item


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    action: str
    actor_name: str | None
    detail: str | None


AUDIT_LABELS = {
    "volunteer_invited": "Invited to use the portal",
    "volunteer_phone_contact_added": "Added as a phone-only contact",
    "volunteer_application_completed": "Completed their application",
    "volunteer_profile_updated": "Details changed",
    "volunteer_status_changed": "Status changed",
    "volunteer_recovery_confirmed": "Recovery date confirmed",
    "volunteer_conflict_notes_changed": "Conflict-of-interest notes changed",
    "safeguarding_item_added": "Check recorded",
    "safeguarding_item_changed": "Check changed",
    "safeguarding_item_removed": "Check removed",
    "volunteer_meeting_added": "Meeting added",
    "volunteer_meeting_removed": "Meeting removed",
    "availability_window_added": "Free time added",
    "availability_window_removed": "Free time removed",
    "time_away_added": "Time away added",
    "time_away_removed": "Time away removed",
    "calendar_link_reset": "Calendar link reset",
    "code_of_conduct_agreed": "Agreed to the code of conduct",
    "demo_volunteer_reset": "Demo data reset",
}


def volunteer_history(volunteer: Volunteer, actor: User, limit: int = 50) -> list[AuditLine]:
    """The latest audited changes to this volunteer, newest first, with who made them."""
    _require_champion(actor)
    rows = db.session.execute(
        select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.object_type == Volunteer.__tablename__,
            AuditEvent.object_id == str(volunteer.id),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()
    details = [_load_detail(event.detail) for event, _ in rows]
    meeting_ids = {d["meeting_id"] for d in details if isinstance(d.get("meeting_id"), int)}
    meeting_names = (
        dict(
            db.session.execute(
                select(Meeting.id, Meeting.name).where(Meeting.id.in_(meeting_ids))
            ).all()
        )
        if meeting_ids
        else {}
    )
    return [
        AuditLine(
            event.at,
            AUDIT_LABELS.get(event.action, event.action),
            name,
            _describe(detail, meeting_names),
        )
        for (event, name), detail in zip(rows, details, strict=True)
    ]


FIELD_LABELS = {
    "preferred_name": "name",
    "pronouns": "pronouns",
    "gender": "gender",
    "home_area": "home area",
    "travel_modes": "travel",
    "phone": "phone",
    "share_phone": "sharing the phone number",
    "weekly_cap": "weekly limit",
    "accompany_rule": "whom they accompany",
    "recovery_date": "recovery date",
    "languages": "languages",
    "fellowships": "fellowships",
    "conflict_notes": "notes",
    "issued_on": "issue date",
    "expires_on": "expiry date",
    "dbs_level": "level",
    "dbs_certificate_number": "certificate number",
    "dbs_update_service": "Update Service",
    "references_received": "references received",
}


def _load_detail(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _iso_day(value: Any) -> str:
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.day} {day:%B} {day.year}"


def _describe(detail: dict[str, Any], meeting_names: dict[int, str]) -> str:
    """A readable line from an audit row's detail (codes and dates only, never free text)."""
    parts = []
    if "kind" in detail:
        parts.append(SAFEGUARDING_KINDS.get(detail["kind"], str(detail["kind"])))
    if "from" in detail and "to" in detail:
        parts.append(
            f"from {STATUSES.get(detail['from'], detail['from']).lower()} "
            f"to {STATUSES.get(detail['to'], detail['to']).lower()}"
        )
    if "meeting_id" in detail:
        parts.append(meeting_names.get(detail["meeting_id"], "a meeting no longer listed"))
    for name in ("issued_on", "expires_on"):
        value = detail.get(name)
        if isinstance(value, list) and len(value) == 2:
            old, new = (_iso_day(v) if v else "none" for v in value)
            parts.append(f"{FIELD_LABELS[name]} {old} to {new}")
        elif value:
            parts.append(f"{FIELD_LABELS[name]} {_iso_day(value)}")
    fields = detail.get("fields")
    if isinstance(fields, list) and fields:
        parts.append("changed " + ", ".join(FIELD_LABELS.get(str(f), str(f)) for f in fields))
    if "first_day" in detail:
        parts.append(f"{_iso_day(detail['first_day'])} to {_iso_day(detail.get('last_day'))}")
    if "weekday" in detail and isinstance(detail["weekday"], int) and 0 <= detail["weekday"] <= 6:
        parts.append(f"{WEEKDAYS[detail['weekday']]} {detail.get('start')} to {detail.get('end')}")
    return "; ".join(parts)


def volunteer_meetings(volunteer: Volunteer) -> list[VolunteerMeeting]:
    return list(
        db.session.scalars(
            select(VolunteerMeeting)
            .join(Meeting, Meeting.id == VolunteerMeeting.meeting_id)
            .where(VolunteerMeeting.volunteer_id == volunteer.id)
            .order_by(Meeting.weekday, Meeting.start_time, Meeting.name)
        ).unique()
    )


def availability_windows(volunteer: Volunteer) -> list[AvailabilityWindow]:
    return list(
        db.session.scalars(
            select(AvailabilityWindow)
            .where(AvailabilityWindow.volunteer_id == volunteer.id)
            .order_by(AvailabilityWindow.weekday, AvailabilityWindow.start_time)
        )
    )


def time_away(volunteer: Volunteer, include_past: bool = False) -> list[TimeAway]:
    statement = select(TimeAway).where(TimeAway.volunteer_id == volunteer.id)
    if not include_past:
        statement = statement.where(TimeAway.last_day >= today_local())
    return list(db.session.scalars(statement.order_by(TimeAway.first_day, TimeAway.id)))


def search_meetings(
    query: str = "", fellowship_id: int | None = None, weekday: int | None = None
) -> Any:
    """Active meetings by name, area, venue or postcode, fellowship and day (0 = Sunday)."""
    statement = (
        select(Meeting)
        .where(Meeting.active.is_(True))
        .order_by(Meeting.weekday, Meeting.start_time, Meeting.name, Meeting.id)
    )
    if query:
        like = f"%{query.lower()}%"
        statement = statement.where(
            or_(
                func.lower(Meeting.name).like(like),
                func.lower(Meeting.area).like(like),
                func.lower(Meeting.venue).like(like),
                func.lower(Meeting.postcode).like(like),
            )
        )
    if fellowship_id is not None:
        statement = statement.where(Meeting.fellowship_id == fellowship_id)
    if weekday is not None:
        statement = statement.where(Meeting.weekday == weekday)
    return statement


def get_active_meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not meeting.active:
        raise NotFound("No such meeting")
    return meeting


# --- facts for matching and the eligibility question ------------------------------------


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
    for item in db.session.scalars(
        select(SafeguardingItem).where(SafeguardingItem.volunteer_id.in_(found))
    ):
        if item.kind == "references" and (item.references_received or 0) < 2:
            continue
        lasts = item.expires_on or NO_EXPIRY
        held = expiry[item.volunteer_id].get(item.kind)
        if held is None or lasts > held:
            expiry[item.volunteer_id][item.kind] = lasts

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

    return {
        v.id: VolunteerFacts(
            id=v.id,
            status=v.status,  # type: ignore[arg-type]
            gender=v.gender or "",
            languages=frozenset(v.languages),
            fellowships=frozenset(f.code for f in v.fellowships),
            home_area=v.home_area or "",
            weekly_cap=v.weekly_cap,
            accompanies=v.accompany_rule,  # type: ignore[arg-type]
            safeguarding={kind: expiry[v.id].get(kind) for kind in SAFEGUARDING_KINDS},
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
    facts = volunteer_facts([volunteer_id]).get(volunteer_id)
    if facts is None:
        raise NotFound("No such volunteer")
    return escort_reasons(facts, day, min_recovery_months())


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
    from ..accompaniment.escorts import escort_summary_for

    return EscortSummary(**escort_summary_for(volunteer.id))


# --- writing: profile -------------------------------------------------------------------


def _clean_languages(languages: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for raw in languages:
        language = " ".join(raw.split())
        if not language:
            continue
        if len(language) > 40:
            raise InvalidChange("Enter each language in 40 characters or fewer", field="languages")
        seen.setdefault(language.casefold(), language)
    if len(seen) > MAX_LANGUAGES:
        raise InvalidChange(f"Enter up to {MAX_LANGUAGES} languages", field="languages")
    return list(seen.values())


def _check_profile(data: dict[str, Any]) -> None:
    if not data.get("preferred_name"):
        raise InvalidChange("Enter a first name", field="preferred_name")
    if data.get("gender") not in (None, "", *GENDERS):
        raise InvalidChange("Select a gender from the list", field="gender")
    if data.get("accompany_rule", "anyone") not in ACCOMPANY_RULES:
        raise InvalidChange("Select whom you will accompany", field="accompany_rule")
    if not set(data.get("travel_modes") or []) <= TRAVEL_MODES.keys():
        raise InvalidChange("Select ways of travelling from the list", field="travel_modes")
    cap = data.get("weekly_cap", 2)
    if not isinstance(cap, int) or cap < 0:
        raise InvalidChange("Enter 0 or more escorts a week", field="weekly_cap")
    recovery = data.get("recovery_date")
    if recovery is not None and recovery > today_local():
        raise InvalidChange("The date your recovery began must be in the past", "recovery_date")
    if data.get("share_phone") and not data.get("phone"):
        raise InvalidChange("Enter a phone number to share it with clients", field="phone")


def _apply_profile(volunteer: Volunteer, data: dict[str, Any]) -> list[str]:
    """Copy the profile answers onto the record; returns the names of fields that changed."""
    changed = []
    values = dict(data)
    values["travel_modes"] = " ".join(
        mode for mode in TRAVEL_MODES if mode in set(data.get("travel_modes") or [])
    )
    values["gender"] = data.get("gender") or None
    values["pronouns"] = data.get("pronouns") or None
    values["home_area"] = data.get("home_area") or None
    values["phone"] = data.get("phone") or None
    values["share_phone"] = bool(data.get("share_phone")) and bool(values["phone"])
    for name in PROFILE_FIELDS:
        if name in values and getattr(volunteer, name) != values[name]:
            setattr(volunteer, name, values[name])
            changed.append(name)
    if "recovery_date" in changed:
        volunteer.recovery_confirmed_at = None
        volunteer.recovery_confirmed_by_id = None
    if "languages" in data:
        languages = _clean_languages(data["languages"])
        if [x.casefold() for x in languages] != [x.casefold() for x in volunteer.languages]:
            volunteer.language_rows = [
                VolunteerLanguage(language=lang, folded=lang.casefold())
                for lang in sorted(languages, key=str.casefold)
            ]
            changed.append("languages")
    if "fellowship_ids" in data:
        wanted = set(data["fellowship_ids"] or [])
        if wanted != {f.id for f in volunteer.fellowships}:
            fellowships = (
                db.session.scalars(
                    select(Fellowship).where(Fellowship.id.in_(wanted), Fellowship.active.is_(True))
                ).all()
                if wanted
                else []
            )
            if len(fellowships) != len(wanted):
                raise InvalidChange("Select fellowships from the list", field="fellowship_ids")
            volunteer.fellowships = list(fellowships)
            changed.append("fellowships")
    return changed


def _claim_version(volunteer: Volunteer, version: int | None, **values: Any) -> None:
    """Advance the version only if nobody saved since `version` was read (else 409)."""
    expected = volunteer.version if version is None else version
    result = db.session.execute(
        update(Volunteer)
        .where(Volunteer.id == volunteer.id, Volunteer.version == expected)
        .values(version=Volunteer.version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("Someone else changed this volunteer while you were looking. Reload it.")
    db.session.refresh(volunteer, ["version", *values])


def needs_code_of_conduct(volunteer: Volunteer | None) -> bool:
    """True unless the volunteer's agreement to the code of conduct lasts beyond 30 days."""
    if volunteer is None or volunteer.id is None:
        return True
    lasting = db.session.scalar(
        select(func.count())
        .select_from(SafeguardingItem)
        .where(
            SafeguardingItem.volunteer_id == volunteer.id,
            SafeguardingItem.kind == "code_of_conduct",
            or_(
                SafeguardingItem.expires_on.is_(None),
                SafeguardingItem.expires_on > today_local() + timedelta(days=DUE_DAYS),
            ),
        )
    )
    return not lasting


def _add_code_of_conduct(volunteer: Volunteer, actor: User) -> SafeguardingItem | None:
    """Record agreement to the code of conduct, valid a year."""
    today = today_local()
    volunteer.code_of_conduct_agreed_at = utcnow()
    item = SafeguardingItem(
        volunteer_id=volunteer.id,
        kind="code_of_conduct",
        issued_on=today,
        expires_on=add_months(today, DEFAULT_VALIDITY_MONTHS["code_of_conduct"] or 12),
        recorded_by_id=actor.id,
    )
    db.session.add(item)
    db.session.flush()
    audit(
        "code_of_conduct_agreed",
        volunteer,
        detail={"item_id": item.id, "expires_on": item.expires_on},
    )
    return item


def complete_application(
    user: User, data: dict[str, Any], agreed: bool, version: int | None = None
) -> Volunteer:
    """The volunteer's own application (or later changes to it); creates the record if needed."""
    if not user.has_role("volunteer"):
        raise NotAllowed("Only volunteers have an application")
    volunteer = own_volunteer(user)
    must_agree = needs_code_of_conduct(volunteer)
    if must_agree and not agreed:
        raise InvalidChange("Agree to the code of conduct to volunteer", field="code_of_conduct")
    _check_profile(data)
    first_time = volunteer is None or volunteer.application_completed_at is None
    if volunteer is None:
        volunteer = Volunteer(user_id=user.id, preferred_name=data["preferred_name"])
        volunteer.language_rows = []
        volunteer.fellowships = []
        db.session.add(volunteer)
        db.session.flush()
    else:
        _claim_version(volunteer, version)
    changed = _apply_profile(volunteer, data)
    if first_time:
        volunteer.application_completed_at = utcnow()
    volunteer.last_active_at = utcnow()
    if must_agree:
        _add_code_of_conduct(volunteer, user)
    audit(
        "volunteer_application_completed" if first_time else "volunteer_profile_updated",
        volunteer,
        actor_id=user.id,
        detail={"fields": changed},
    )
    db.session.commit()
    return volunteer


def invite_volunteer(email: str, name: str, actor: User) -> Volunteer:
    """Email an invitation to use the portal and open their record as 'applied'."""
    _require_champion(actor)
    user = accounts.invite_user(email, name, ["volunteer"], actor)
    volunteer = Volunteer(
        user_id=user.id,
        preferred_name=name.strip(),
        status="applied",
        created_by_id=actor.id,
    )
    db.session.add(volunteer)
    db.session.flush()
    audit("volunteer_invited", volunteer)
    db.session.commit()
    return volunteer


def add_phone_contact(data: dict[str, Any], actor: User) -> Volunteer:
    """Record a group member who takes newcomers but does not use the portal."""
    _require_champion(actor)
    _check_profile(data)
    if not data.get("phone"):
        raise InvalidChange("Enter their phone number", field="phone")
    volunteer = Volunteer(
        preferred_name=data["preferred_name"],
        phone_only=True,
        status="applied",
        created_by_id=actor.id,
        last_active_at=utcnow(),
    )
    volunteer.language_rows = []
    volunteer.fellowships = []
    db.session.add(volunteer)
    db.session.flush()
    _apply_profile(volunteer, data)
    audit("volunteer_phone_contact_added", volunteer)
    db.session.commit()
    return volunteer


def update_profile(
    volunteer: Volunteer, data: dict[str, Any], actor: User, version: int | None
) -> list[str]:
    """A champion's change to a volunteer's details (a phone-only contact's, usually)."""
    _require_champion(actor)
    _check_profile(data)
    if volunteer.phone_only and not data.get("phone"):
        raise InvalidChange("Enter their phone number", field="phone")
    _claim_version(volunteer, version)
    changed = _apply_profile(volunteer, data)
    _mark_active(volunteer, actor)
    audit("volunteer_profile_updated", volunteer, detail={"fields": changed})
    db.session.commit()
    return changed


# --- writing: vetting -------------------------------------------------------------------


def allowed_next(volunteer: Volunteer) -> list[str]:
    """The states a champion may move this volunteer to."""
    return [state for state, sources in TRANSITIONS.items() if volunteer.status in sources]


def change_status(
    volunteer: Volunteer, to: str, reason: str, actor: User, version: int | None
) -> None:
    """Move a volunteer along the vetting workflow, with who, when and why.

    One conditional UPDATE on (state, version): of two changes made at once, one wins and the
    other gets a Conflict.
    """
    _require_champion(actor)
    _set_status(volunteer, to, reason, actor, version)
    db.session.commit()


def _set_status(
    volunteer: Volunteer, to: str, reason: str, actor: User, version: int | None
) -> None:
    if to not in TRANSITIONS:
        raise InvalidChange("Choose a status from the list", field="status")
    sources = TRANSITIONS[to]
    reason = (reason or "").strip()
    if to in NEEDS_REASON and not reason:
        raise InvalidChange("Enter the reason", field="reason")
    if len(reason) > 500:
        raise InvalidChange("Enter a reason of 500 characters or fewer", field="reason")
    if version is not None and version != volunteer.version:
        raise Conflict("Someone else changed this volunteer while you were looking. Reload it.")
    if volunteer.status not in sources:
        raise InvalidChange(
            f"A volunteer who is {volunteer.status_label.lower()} cannot become "
            f"{STATUSES[to].lower()}"
        )
    before = volunteer.status
    expected = volunteer.version if version is None else version
    now = utcnow()
    values: dict[str, Any] = {
        "status": to,
        "status_changed_at": now,
        "status_changed_by_id": actor.id,
        "status_reason": reason or None,
        "version": Volunteer.version + 1,
        "updated_at": now,
    }
    if to == "approved":
        values |= {"approved_at": now, "approved_by_id": actor.id}
    result = db.session.execute(
        update(Volunteer)
        .where(
            Volunteer.id == volunteer.id,
            Volunteer.version == expected,
            Volunteer.status.in_(sources),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("Someone else changed this volunteer while you were looking. Reload it.")
    db.session.refresh(volunteer)
    _mark_active(volunteer, actor)
    audit("volunteer_status_changed", volunteer, detail={"from": before, "to": to})
    _volunteer_changed(volunteer.id, "status")


def can_resume_self(volunteer: Volunteer) -> bool:
    """A volunteer may come back from a pause they chose, not one the champion made."""
    return (
        volunteer.status == "paused"
        and volunteer.user_id is not None
        and volunteer.status_changed_by_id == volunteer.user_id
    )


def pause_self(volunteer: Volunteer, actor: User) -> None:
    """The volunteer takes a break: no offers until they come back."""
    if volunteer.user_id != actor.id:
        raise NotFound("No such volunteer")
    if volunteer.status != "approved":
        raise InvalidChange("Only an approved volunteer can pause")
    _set_status(volunteer, "paused", "Paused by the volunteer", actor, None)
    db.session.commit()


def resume_self(volunteer: Volunteer, actor: User) -> None:
    """The volunteer comes back from a pause they chose themselves."""
    if volunteer.user_id != actor.id:
        raise NotFound("No such volunteer")
    if not can_resume_self(volunteer):
        raise InvalidChange("Talk to your recovery champion to come back")
    _set_status(volunteer, "approved", "", actor, None)
    db.session.commit()


def confirm_recovery(volunteer: Volunteer, actor: User, version: int | None) -> None:
    """The champion confirms the recovery date the volunteer stated."""
    _require_champion(actor)
    if volunteer.recovery_date is None:
        raise InvalidChange("There is no recovery date to confirm yet")
    _claim_version(
        volunteer, version, recovery_confirmed_at=utcnow(), recovery_confirmed_by_id=actor.id
    )
    audit("volunteer_recovery_confirmed", volunteer, detail={"date": volunteer.recovery_date})
    db.session.commit()


def set_conflict_notes(volunteer: Volunteer, notes: str, actor: User, version: int | None) -> None:
    """Champion-only notes on conflicts of interest ("knows client X")."""
    _require_champion(actor)
    notes = (notes or "").strip()
    if len(notes) > 2000:
        raise InvalidChange("Enter notes of 2,000 characters or fewer", field="notes")
    _claim_version(volunteer, version, conflict_notes=notes or None)
    audit("volunteer_conflict_notes_changed", volunteer, detail={"fields": ["conflict_notes"]})
    db.session.commit()


# --- writing: safeguarding --------------------------------------------------------------


ITEM_FIELDS = (
    "issued_on",
    "expires_on",
    "dbs_level",
    "dbs_certificate_number",
    "dbs_update_service",
    "references_received",
)


def _check_item(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Validate an item's answers and fill in the default expiry."""
    if kind not in SAFEGUARDING_KINDS:
        raise NotFound("No such kind of check")
    issued = data.get("issued_on")
    if not isinstance(issued, date):
        raise InvalidChange("Enter the date it was issued", field="issued_on")
    if issued > today_local():
        raise InvalidChange("The issue date cannot be in the future", field="issued_on")
    expires = data.get("expires_on")
    if expires is None and DEFAULT_VALIDITY_MONTHS[kind]:
        expires = add_months(issued, DEFAULT_VALIDITY_MONTHS[kind] or 0)
    if expires is not None and expires <= issued:
        raise InvalidChange("The expiry date must be after the issue date", field="expires_on")
    values: dict[str, Any] = {
        "issued_on": issued,
        "expires_on": expires,
        "dbs_level": None,
        "dbs_certificate_number": None,
        "dbs_update_service": None,
        "references_received": None,
    }
    if kind == "dbs":
        if data.get("dbs_level") not in DBS_LEVELS:
            raise InvalidChange("Select the level of the DBS check", field="dbs_level")
        number = (data.get("dbs_certificate_number") or "").replace(" ", "")
        if not number.isdigit() or len(number) != 12:
            raise InvalidChange(
                "Enter the 12-digit certificate number", field="dbs_certificate_number"
            )
        values |= {
            "dbs_level": data["dbs_level"],
            "dbs_certificate_number": number,
            "dbs_update_service": bool(data.get("dbs_update_service")),
        }
    if kind == "references":
        received = data.get("references_received")
        if received not in (1, 2):
            raise InvalidChange(
                "Select how many references have arrived", field="references_received"
            )
        values["references_received"] = received
    return values


def add_safeguarding_item(
    volunteer: Volunteer, kind: str, data: dict[str, Any], actor: User
) -> SafeguardingItem:
    """Record a check (a new DBS certificate, a training renewal…); earlier ones are kept."""
    _require_champion(actor)
    values = _check_item(kind, data)
    item = SafeguardingItem(volunteer_id=volunteer.id, kind=kind, recorded_by_id=actor.id, **values)
    db.session.add(item)
    db.session.flush()
    audit(
        "safeguarding_item_added",
        volunteer,
        detail={
            "item_id": item.id,
            "kind": kind,
            "issued_on": item.issued_on,
            "expires_on": item.expires_on,
        },
    )
    db.session.commit()
    return item


def update_safeguarding_item(
    item: SafeguardingItem, data: dict[str, Any], actor: User, version: int | None
) -> list[str]:
    """Correct a recorded check; the audit keeps which fields changed, from what dates."""
    _require_champion(actor)
    values = _check_item(item.kind, data)
    before = {name: getattr(item, name) for name in ITEM_FIELDS}
    expected = item.version if version is None else version
    result = db.session.execute(
        update(SafeguardingItem)
        .where(SafeguardingItem.id == item.id, SafeguardingItem.version == expected)
        .values(version=SafeguardingItem.version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("Someone else changed this check while you were looking. Reload it.")
    changed = [name for name in ITEM_FIELDS if before[name] != values[name]]
    detail: dict[str, Any] = {"item_id": item.id, "kind": item.kind, "fields": changed}
    for name in ("issued_on", "expires_on"):
        if name in changed:
            detail[name] = [before[name], values[name]]
    volunteer = db.session.get(Volunteer, item.volunteer_id)
    audit("safeguarding_item_changed", volunteer, detail=detail)
    _volunteer_changed(volunteer.id, "safeguarding")
    db.session.commit()
    db.session.refresh(item)
    return changed


def remove_safeguarding_item(item: SafeguardingItem, actor: User, version: int | None) -> None:
    """Remove a check recorded by mistake; the audit keeps what it was."""
    _require_champion(actor)
    expected = item.version if version is None else version
    detail = {
        "item_id": item.id,
        "kind": item.kind,
        "issued_on": item.issued_on,
        "expires_on": item.expires_on,
    }
    volunteer = db.session.get(Volunteer, item.volunteer_id)
    result = db.session.execute(
        delete(SafeguardingItem)
        .where(SafeguardingItem.id == item.id, SafeguardingItem.version == expected)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("Someone else changed this check while you were looking. Reload it.")
    db.session.expunge(item)
    audit("safeguarding_item_removed", volunteer, detail=detail)
    _volunteer_changed(volunteer.id, "safeguarding")
    db.session.commit()


# --- writing: availability ----------------------------------------------------------------


def _weeks_value(weeks: Iterable[int] | None) -> str:
    chosen = sorted(set(weeks or []))
    if not chosen:
        return "every"
    if not set(chosen) <= {1, 2, 3, 4, 5}:
        raise InvalidChange("Select weeks of the month from the list", field="weeks")
    if len(chosen) == 5:
        return "every"
    return ",".join(str(w) for w in chosen)


def add_meeting(
    volunteer: Volunteer, meeting_id: int, weeks: Iterable[int] | None, actor: User
) -> VolunteerMeeting:
    """Add a meeting the volunteer goes to anyway: every week (no weeks) or some weeks."""
    _require_editor(volunteer, actor)
    meeting = get_active_meeting(meeting_id)
    row = VolunteerMeeting(
        volunteer_id=volunteer.id, meeting_id=meeting.id, weeks=_weeks_value(weeks)
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise InvalidChange(f"{meeting.name} is already in the list", field="meeting_id") from None
    _mark_active(volunteer, actor)
    audit(
        "volunteer_meeting_added",
        volunteer,
        detail={"meeting_id": meeting.id, "weeks": row.weeks},
    )
    db.session.commit()
    return row


def remove_meeting(volunteer: Volunteer, row_id: int, actor: User) -> None:
    _require_editor(volunteer, actor)
    row = db.session.get(VolunteerMeeting, row_id)
    if row is None or row.volunteer_id != volunteer.id:
        raise NotFound("No such meeting in the list")
    meeting_id = row.meeting_id
    db.session.delete(row)
    _mark_active(volunteer, actor)
    audit("volunteer_meeting_removed", volunteer, detail={"meeting_id": meeting_id})
    db.session.commit()


def add_window(
    volunteer: Volunteer, weekday: int, start: time, end: time, actor: User
) -> AvailabilityWindow:
    """A weekly stretch of free time (0 = Monday), local time."""
    _require_editor(volunteer, actor)
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise InvalidChange("Select a day", field="weekday")
    if not isinstance(start, time):
        raise InvalidChange("Enter the time you are free from", field="start_time")
    if not isinstance(end, time):
        raise InvalidChange("Enter the time you are free until", field="end_time")
    if end <= start:
        raise InvalidChange("The end time must be after the start time", field="end_time")
    row = AvailabilityWindow(
        volunteer_id=volunteer.id, weekday=weekday, start_time=start, end_time=end
    )
    db.session.add(row)
    db.session.flush()
    _mark_active(volunteer, actor)
    audit(
        "availability_window_added",
        volunteer,
        detail={"window_id": row.id, "weekday": weekday, "start": start, "end": end},
    )
    db.session.commit()
    return row


def remove_window(volunteer: Volunteer, row_id: int, actor: User) -> None:
    _require_editor(volunteer, actor)
    row = db.session.get(AvailabilityWindow, row_id)
    if row is None or row.volunteer_id != volunteer.id:
        raise NotFound("No such time in the list")
    db.session.delete(row)
    _mark_active(volunteer, actor)
    audit("availability_window_removed", volunteer, detail={"window_id": row_id})
    db.session.commit()


def add_time_away(volunteer: Volunteer, first: date, last: date, actor: User) -> TimeAway:
    """Dates away, both included; a range that has already ended is refused."""
    _require_editor(volunteer, actor)
    if not isinstance(first, date):
        raise InvalidChange("Enter the first day you are away", field="first_day")
    if not isinstance(last, date):
        raise InvalidChange("Enter the last day you are away", field="last_day")
    if last < first:
        raise InvalidChange("The last day must be on or after the first day", field="last_day")
    if last < today_local():
        raise InvalidChange("The last day must be today or later", field="last_day")
    row = TimeAway(volunteer_id=volunteer.id, first_day=first, last_day=last)
    db.session.add(row)
    db.session.flush()
    _mark_active(volunteer, actor)
    audit(
        "time_away_added",
        volunteer,
        detail={"away_id": row.id, "first_day": first, "last_day": last},
    )
    _volunteer_changed(volunteer.id, "away")
    db.session.commit()
    return row


def remove_time_away(volunteer: Volunteer, row_id: int, actor: User) -> None:
    _require_editor(volunteer, actor)
    row = db.session.get(TimeAway, row_id)
    if row is None or row.volunteer_id != volunteer.id:
        raise NotFound("No such dates in the list")
    db.session.delete(row)
    _mark_active(volunteer, actor)
    audit("time_away_removed", volunteer, detail={"away_id": row_id})
    db.session.commit()


# --- the calendar feed --------------------------------------------------------------------


def reset_calendar_link(volunteer: Volunteer, actor: User) -> str:
    """A new secret for the calendar feed; the old address stops working at once.

    Only a hash is stored, so the address can be shown once, now, and never again.
    """
    if volunteer.user_id != actor.id:
        raise NotFound("No such volunteer")
    token = secrets.token_urlsafe(32)
    volunteer.calendar_token_hash = _hash_token(token)
    audit("calendar_link_reset", volunteer)
    db.session.commit()
    return token


def volunteer_for_calendar(token: str) -> Volunteer:
    """The volunteer whose feed this secret opens; NotFound for anything else."""
    if not token or len(token) > 100:
        raise NotFound("No such calendar")
    volunteer = db.session.scalar(
        select(Volunteer)
        .outerjoin(User, User.id == Volunteer.user_id)
        .where(Volunteer.calendar_token_hash == _hash_token(token), User.active.is_(True))
    )
    if volunteer is None:
        raise NotFound("No such calendar")
    return volunteer


@dataclass(frozen=True)
class CalendarEvent:
    """One accepted escort as a calendar entry: nothing about the client."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str = ""
    description: str = ""


def escort_events(volunteer: Volunteer) -> list[CalendarEvent]:
    """The volunteer's accepted escorts for the feed: meeting point, time and place only."""
    from ..accompaniment.escorts import calendar_entries

    return [CalendarEvent(**entry) for entry in calendar_entries(volunteer.id)]


def build_calendar(events: Iterable[CalendarEvent], name: str = "Peer accompaniment") -> bytes:
    """An iCalendar document (RFC 5545) for calendar apps to subscribe to."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Peer accompaniment portal//Escorts//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/London")
    stamp = utcnow()
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.start)
        event.add("dtend", item.end)
        event.add("summary", item.summary)
        if item.location:
            event.add("location", item.location)
        if item.description:
            event.add("description", item.description)
        calendar.add_component(event)
    return calendar.to_ical()


def calendar_feed(token: str) -> bytes:
    """The feed behind a secret address: the volunteer's escorts, or NotFound."""
    volunteer = volunteer_for_calendar(token)
    return build_calendar(escort_events(volunteer))
