"""The champion's list of volunteers: filters, counts, and the choices the filters offer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased, selectinload

from ..audit import utcnow
from ..auth.models import User
from ..extensions import db
from ..meetings.models import Fellowship
from ._common import _require_champion, today_local
from .models import STATUSES, SafeguardingItem, Volunteer, VolunteerLanguage, volunteer_fellowships
from .safeguarding import DUE_DAYS, _current_item_condition

INACTIVE_DAYS = 90


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
