"""The champion's Today board, and a check-in or check-out the champion records after the fact.

A champion records a check the volunteer could not press with the time it happened
(`record_check_for`); the audit row says who recorded it and, by its own time, when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import and_, or_, select

from .. import dates
from ..accompaniment.models import AccompanimentRequest
from ..audit import audit, utcnow
from ..auth.models import User
from ..clients.models import Client
from ..database import add_unique
from ..errors import InvalidChange, NotFound
from ..extensions import db
from ..meetings.models import Meeting
from ..meetings.occurrences import at_local
from ..volunteers.models import Volunteer
from ._common import is_champion
from .escorts import Escort, _checks_for, board_state
from .models import EscortCheck
from .times import OVERDUE_LOOKBACK, local_midnight, london_today

# Board states, in the words the champion reads.
BOARD_STATES = {
    "not_started": "Not started",
    "met": "Met",
    "finished": "Finished",
    "overdue": "Overdue",
    "help": "Help asked",
}
RECORDABLE = {"checkin": "Check-in", "checkout": "Check-out"}


@dataclass(frozen=True)
class BoardRow:
    request_id: int
    meeting: str
    starts_at: datetime
    ends_at: datetime
    meeting_point: str
    volunteer: str
    volunteer_phone: str | None
    phone_only: bool
    request_state: str
    state: str
    checks: dict[str, datetime]
    earlier: bool = False  # an escort of an earlier day still waiting for its outcome

    @property
    def state_label(self) -> str:
        return BOARD_STATES[self.state]

    @property
    def needs_outcome(self) -> bool:
        return self.request_state == "accepted"

    @property
    def needs_check(self) -> bool:
        """A check-in or check-out the champion may still record for the volunteer."""
        return "checkout" not in self.checks

    def outcome_open(self, now: datetime) -> bool:
        return now >= self.starts_at


def today_board(actor: User, now: datetime | None = None) -> list[BoardRow]:
    """Every escort today (London date) with its state, and those of the last days still
    waiting for their outcome: an overdue escort that began before midnight stays in sight
    after it (the overdue alert links here). Two queries, whatever the number."""
    if not is_champion(actor):
        raise NotFound("No such page")
    now = now or utcnow()
    today = london_today(now)
    rows = db.session.execute(
        select(
            AccompanimentRequest,
            Meeting.name,
            Volunteer.preferred_name,
            Volunteer.phone,
            Volunteer.user_id,
        )
        .join(Meeting, Meeting.id == AccompanimentRequest.meeting_id)
        .join(Volunteer, Volunteer.id == AccompanimentRequest.volunteer_id)
        .where(
            or_(
                and_(
                    AccompanimentRequest.meeting_date == today,
                    AccompanimentRequest.state.in_(("accepted", "completed")),
                ),
                and_(
                    AccompanimentRequest.meeting_date < today,
                    AccompanimentRequest.state == "accepted",
                    AccompanimentRequest.ends_at > now - OVERDUE_LOOKBACK,
                ),
            )
        )
        .order_by(AccompanimentRequest.starts_at, AccompanimentRequest.id)
    ).all()
    latest, _helps = _checks_for([row[0].id for row in rows])
    return [
        BoardRow(
            request.id,
            meeting,
            request.starts_at,
            request.ends_at,
            request.meeting_point,
            name,
            phone,
            user_id is None,
            request.state,
            board_state(request, latest[request.id], now),
            latest[request.id],
            request.meeting_date < today,
        )
        for request, meeting, name, phone, user_id in rows
    ]


def get_board_escort(request_id: int, actor: User, now: datetime | None = None) -> Escort:
    """Any accepted or completed escort, for a champion (anyone else: NotFound)."""
    if not is_champion(actor):
        raise NotFound("No such escort")
    now = now or utcnow()
    row = db.session.execute(
        select(AccompanimentRequest, Volunteer)
        .join(Volunteer, Volunteer.id == AccompanimentRequest.volunteer_id)
        .where(
            AccompanimentRequest.id == request_id,
            AccompanimentRequest.state.in_(("accepted", "completed")),
        )
    ).first()
    if row is None:
        raise NotFound("No such escort")
    request, volunteer = row
    latest, helps = _checks_for([request.id])
    return Escort(request, request.meeting, volunteer, latest[request.id], helps[request.id], now)


def record_check_for(
    request_id: int,
    actor: User,
    kind: str | None,
    happened_on: date | None,
    happened_time: time | None,
    *,
    now: datetime | None = None,
) -> EscortCheck:
    """A champion records a check-in or check-out that happened earlier (the volunteer rang,
    or could not press the button), with the time it really happened.

    `happened_on` and `happened_time` are London wall-clock (a time the clocks skip moves on
    with them; one that happens twice is the first). The check's time is that instant and its
    `by_id` the champion; the audit row (timed when it was recorded) holds {"happened_at",
    "recorded_by"}. The time must not be in the future nor before the escort's day; a check-out
    needs the check-in first, and not before it.
    """
    now = now or utcnow()
    escort = get_board_escort(request_id, actor, now)
    request = escort.request
    if kind not in RECORDABLE:
        raise InvalidChange("Choose check-in or check-out", field="kind")
    if happened_on is None:
        raise InvalidChange("Enter the date it happened", field="happened_on")
    if happened_time is None:
        raise InvalidChange("Enter the time it happened", field="happened_time")
    try:
        happened_at = at_local(happened_on, happened_time.replace(second=0, microsecond=0))
        happened_at = happened_at.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidChange("Enter a real date", field="happened_on") from None
    first, _last = escort.days
    if happened_on > london_today(now):
        raise InvalidChange("The date cannot be in the future", field="happened_on")
    if happened_at > now:
        raise InvalidChange(
            f"Enter a time that has already happened: it is {dates.clock(now)} now",
            field="happened_time",
        )
    if happened_at < local_midnight(first):
        raise InvalidChange(
            f"Enter a time on or after {dates.day(first)}, the day of the escort",
            field="happened_on",
        )
    done = escort.checks.get(kind)
    if done is not None:
        raise InvalidChange(
            f"{RECORDABLE[kind]} is already recorded: {dates.when(done)}.", field="kind"
        )
    checkin = escort.checks.get("checkin")
    if kind == "checkout" and checkin is None:
        raise InvalidChange(
            "Record when they met first: a check-out comes after the check-in.", field="kind"
        )
    if kind == "checkout" and happened_at < checkin:
        raise InvalidChange(
            f"Enter a time after the check-in at {dates.when(checkin)}", field="happened_time"
        )
    checkout = escort.checks.get("checkout")
    if kind == "checkin" and checkout is not None and happened_at > checkout:
        raise InvalidChange(
            f"Enter a time before the check-out at {dates.when(checkout)}", field="happened_time"
        )
    check = EscortCheck(
        request_id=request.id,
        volunteer_id=escort.volunteer.id,
        kind=kind,
        at=happened_at,
        by_id=actor.id,
    )
    # the volunteer may have pressed the button meanwhile
    already = InvalidChange(f"{RECORDABLE[kind]} is already recorded.", field="kind")
    add_unique(check, refusal=already)
    client_ref = db.session.scalar(select(Client.reference).where(Client.id == request.client_id))
    audit(
        f"escort_{kind}",
        request,
        actor_id=actor.id,
        detail={
            "check": check.id,
            "happened_at": happened_at.isoformat(),
            "recorded_by": actor.id,
        },
        client_ref=client_ref,
    )
    db.session.commit()
    return check
