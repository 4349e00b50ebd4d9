"""The volunteer's escorts on the day: check-in, check-out and "I need help now".

A volunteer acts only on an accepted escort of their own (any other is NotFound, a 404). A
check-in or check-out is recorded once however often it is pressed; "I need help now" is
recorded every time and alerts every champion urgently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError

from .. import dates
from ..accompaniment.models import AccompanimentRequest
from ..audit import audit, utcnow
from ..auth.models import User
from ..auth.services import champions
from ..clients.models import Client
from ..errors import InvalidChange, NotFound
from ..extensions import db
from ..jobs import portal_path
from ..meetings.models import Meeting
from ..notify.services import notify_user
from ..settings import get_setting
from ..volunteers.models import Volunteer
from ..web import external_link
from ._common import volunteer_of, volunteer_phone
from .models import CHECK_KINDS, EscortCheck
from .text_words import help_alert
from .times import (
    Action,
    NotOpen,
    checkin_action,
    checkout_action,
    escort_days,
    grace,
    london_today,
    outcome_action,
)


@dataclass(frozen=True)
class Escort:
    """An accepted escort as its volunteer (or a champion) sees it on the day."""

    request: AccompanimentRequest
    meeting: Meeting
    volunteer: Volunteer
    checks: dict[str, datetime]
    help_count: int
    now: datetime

    @property
    def met(self) -> bool:
        return "checkin" in self.checks

    @property
    def finished(self) -> bool:
        return "checkout" in self.checks

    @property
    def started(self) -> bool:
        return self.now >= self.request.starts_at

    @property
    def checkin(self) -> Action:
        return checkin_action(self.request, self.now)

    @property
    def checkout(self) -> Action:
        return checkout_action(self.checks)

    @property
    def outcome(self) -> Action:
        return outcome_action(self.request, self.now)

    @property
    def days(self) -> tuple[date, date]:
        return escort_days(self.request)

    def when_today(self, today: date) -> str:
        """'today', 'coming' or 'past': where the escort falls against a London date."""
        first, last = self.days
        if today < first:
            return "coming"
        if today > last:
            return "past"
        return "today"

    def state(self, now: datetime) -> str:
        return board_state(self.request, self.checks, now)


def board_state(request: AccompanimentRequest, checks: dict[str, datetime], now: datetime) -> str:
    """Not started, met, finished, overdue or help asked (help outranks all until check-out
    after it; a completed request counts as finished)."""
    checkout = checks.get("checkout")
    help_at = checks.get("help")
    if help_at is not None and (checkout is None or checkout < help_at):
        return "help"
    if checkout is not None or request.state == "completed":
        return "finished"
    if request.ends_at + grace() <= now:
        return "overdue"
    if "checkin" in checks:
        return "met"
    return "not_started"


def _checks_for(request_ids: list[int]) -> tuple[dict[int, dict[str, datetime]], dict[int, int]]:
    """The latest check of each kind per request, and how often help was asked (one query)."""
    latest: dict[int, dict[str, datetime]] = {i: {} for i in request_ids}
    helps: dict[int, int] = dict.fromkeys(request_ids, 0)
    if not request_ids:
        return latest, helps
    rows = db.session.execute(
        select(EscortCheck.request_id, EscortCheck.kind, func.max(EscortCheck.at), func.count())
        .where(EscortCheck.request_id.in_(request_ids))
        .group_by(EscortCheck.request_id, EscortCheck.kind)
    ).all()
    for request_id, kind, at, count in rows:
        latest[request_id][kind] = at
        if kind == "help":
            helps[request_id] = count
    return latest, helps


def accepted_escort(
    request_id: int, *where: ColumnElement[bool]
) -> tuple[AccompanimentRequest, Volunteer]:
    """An accepted escort and its volunteer, when every `where` clause holds too; else NotFound."""
    row = db.session.execute(
        select(AccompanimentRequest, Volunteer)
        .join(Volunteer, Volunteer.id == AccompanimentRequest.volunteer_id)
        .where(
            AccompanimentRequest.id == request_id,
            AccompanimentRequest.state == "accepted",
            *where,
        )
    ).first()
    if row is None:
        raise NotFound("No such escort")
    return row[0], row[1]


def _own_accepted(request_id: int, actor: User) -> tuple[AccompanimentRequest, Volunteer]:
    """An accepted escort of the actor's own; anything else is NotFound."""
    return accepted_escort(request_id, Volunteer.user_id == actor.id)


def get_escort(request_id: int, actor: User, now: datetime | None = None) -> Escort:
    """The volunteer's own accepted escort, with its checks so far."""
    now = now or utcnow()
    request, volunteer = _own_accepted(request_id, actor)
    latest, helps = _checks_for([request.id])
    return Escort(request, request.meeting, volunteer, latest[request.id], helps[request.id], now)


@dataclass(frozen=True)
class MyEscorts:
    """The volunteer's accepted escorts: today's (with their buttons), the ones coming up, and
    past ones still waiting for what happened."""

    today: list[Escort]
    coming: list[Escort]
    past: list[Escort]

    def __bool__(self) -> bool:
        return bool(self.today or self.coming or self.past)


def my_escorts(actor: User, now: datetime | None = None) -> MyEscorts:
    """Every accepted escort of the volunteer's, by the London date (two queries). An accepted
    escort is one whose outcome is still to record, so past ones stay until it is."""
    now = now or utcnow()
    found = MyEscorts([], [], [])
    volunteer = volunteer_of(actor)
    if volunteer is None:
        return found
    requests = list(
        db.session.scalars(
            select(AccompanimentRequest)
            .where(
                AccompanimentRequest.volunteer_id == volunteer.id,
                AccompanimentRequest.state == "accepted",
            )
            .order_by(AccompanimentRequest.starts_at, AccompanimentRequest.id)
        )
    )
    latest, helps = _checks_for([r.id for r in requests])
    today = london_today(now)
    for r in requests:
        escort = Escort(r, r.meeting, volunteer, latest[r.id], helps[r.id], now)
        getattr(found, escort.when_today(today)).append(escort)
    return found


def record_check(request_id: int, actor: User, kind: str, now: datetime | None = None) -> bool:
    """Record a check-in, check-out or call for help on the actor's own accepted escort.

    Returns True when something new was recorded (a repeated check-in or check-out is not).
    A call for help alerts every champion, urgently, every time it is pressed.
    """
    if kind not in CHECK_KINDS:
        raise InvalidChange("That is not a safety check.")
    now = now or utcnow()
    request, volunteer = _own_accepted(request_id, actor)
    if kind != "help":
        done = set(
            db.session.scalars(
                select(EscortCheck.kind).where(
                    EscortCheck.request_id == request.id,
                    EscortCheck.kind.in_(("checkin", "checkout")),
                )
            )
        )
        if kind in done:  # a second press (even just after the window closed) changes nothing
            db.session.rollback()
            return False
        action = (
            checkin_action(request, now)
            if kind == "checkin"
            else checkout_action(dict.fromkeys(done, now))
        )
        if not action.open:
            db.session.rollback()
            raise NotOpen(action.rule)
    check = EscortCheck(
        request_id=request.id, volunteer_id=volunteer.id, kind=kind, at=now, by_id=actor.id
    )
    db.session.add(check)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # a double tap raced us: it is recorded once
        return False
    client_ref = db.session.scalar(select(Client.reference).where(Client.id == request.client_id))
    audit(
        f"escort_{kind}",
        request,
        actor_id=actor.id,
        detail={"check": check.id},
        client_ref=client_ref,
    )
    if kind == "help":
        _alert_help(request, volunteer, check)
    db.session.commit()
    return True


def _alert_help(request: AccompanimentRequest, volunteer: Volunteer, check: EscortCheck) -> None:
    """Every champion, urgently, in the portal, by email and by text at once, at any hour."""
    phone = f" Their phone: {volunteer.phone}." if volunteer.phone else ""
    link = portal_path("safety.today", "/safety/today")
    meeting = request.meeting
    text = help_alert(
        name=volunteer.preferred_name,
        at=check.at,
        phone=volunteer_phone(volunteer),
        point=request.meeting_point,
        place=meeting.venue if meeting.attendance != "online" else None,
        link=external_link(link),
    )
    for champion in champions():
        notify_user(
            champion,
            "help_requested",
            f"{volunteer.preferred_name} needs help now at {request.meeting.name}",
            body=(
                f'They pressed "I need help now" during the escort on '
                f"{dates.when(request.starts_at)}.{phone} Call them straight away."
            ),
            link=link,
            urgent=True,
            dedupe_key=f"help:{check.id}",
            text=text,
        )


def emergency_numbers() -> dict[str, str]:
    return {
        "emergency": str(get_setting("emergency_number") or "999"),
        "on_call": str(get_setting("on_call_number") or ""),
    }
