"""Safety on the day of an escort, the champion's Today board, and outcomes after the meeting.

A volunteer acts only on an accepted escort of their own (any other is NotFound, a 404). A
check-in or check-out is recorded once however often it is pressed; "I need help now" is
recorded every time and alerts every champion urgently. Recording the outcome completes the
request through `change_request_state`, so of two people recording at once exactly one wins.

The escort's time decides what is open (all in Europe/London, see DESIGN.md section 8):

- "I've met them" opens on the escort's day `checkin_opens_minutes` (a setting, 2 hours unless
  an admin changes it) before the meeting-up time, and closes at midnight at the end of that
  day. The escort's day is the London date of the meeting-up time; for a meeting just after
  midnight it runs on to the end of the meeting's own date.
- "We've finished — I'm safe" only after "I've met them"; it never closes.
- "What happened" from the meeting's start time, for the volunteer and the champion alike.
- "I need help now" at any time on an accepted escort.

Every refusal is a `NotOpen` (an InvalidChange) whose message says the rule and when the action
opens. A champion records a check-in or check-out after the fact with the time it happened
(`record_check_for`); the audit row says who recorded it and, by its own time, when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.routing import BuildError

from ..accompaniment.models import OUTCOMES, AccompanimentRequest
from ..audit import audit, utcnow
from ..auth.models import User
from ..clients.models import Client
from ..errors import InvalidChange, NotFound
from ..extensions import db
from ..meetings.models import Meeting
from ..meetings.occurrences import LONDON, at_local
from ..notify.services import notify_user
from ..settings import get_setting
from ..volunteers.models import Volunteer
from .models import CHECK_KINDS, WANTS_AGAIN, EscortCheck, EscortOutcome

NOTE_LIMIT = 500
# Board states, in the words the champion reads.
BOARD_STATES = {
    "not_started": "Not started",
    "met": "Met",
    "finished": "Finished",
    "overdue": "Overdue",
    "help": "Help asked",
}
# How far back the overdue job looks, so old history never raises alerts.
OVERDUE_LOOKBACK = timedelta(days=2)
REMINDER_AHEAD = timedelta(hours=24)


def _path(endpoint: str, fallback: str, **values: object) -> str:
    """A path inside the portal, built with or without a request."""
    try:
        return current_app.url_map.bind("portal").build(endpoint, values)
    except BuildError:
        return fallback


def _when(moment: datetime) -> str:
    local = moment.astimezone(LONDON)
    hour = local.strftime("%-I:%M%p").lower().replace(":00", "")
    return f"{local:%A} {local.day} {local:%B}, {hour}"


def _day(value: datetime | date) -> str:
    """'Tuesday 8 December' (a London date)."""
    day = value.astimezone(LONDON).date() if isinstance(value, datetime) else value
    return f"{day:%A} {day.day} {day:%B}"


def _clock(moment: datetime) -> str:
    """'5:45pm', '7pm' (London wall clock)."""
    return moment.astimezone(LONDON).strftime("%-I:%M%p").lower().replace(":00", "")


def _from(moment: datetime) -> str:
    """'5:45pm on Tuesday 8 December', or 'midnight at the start of Tuesday 8 December'."""
    local = moment.astimezone(LONDON)
    if (local.hour, local.minute) == (0, 0):
        return f"midnight at the start of {_day(local)}"
    return f"{_clock(local)} on {_day(local)}"


def grace() -> timedelta:
    return timedelta(minutes=int(get_setting("checkout_grace_minutes")))


def champions() -> list[User]:
    from ..auth.services import users_with_role

    return users_with_role("champion")


def is_champion(user: User | None) -> bool:
    return bool(user is not None and user.has_role("champion"))


def volunteer_of(user: User) -> Volunteer | None:
    return db.session.scalar(select(Volunteer).where(Volunteer.user_id == user.id))


# --- when each action is open -------------------------------------------------------------------


class NotOpen(InvalidChange):
    """The escort's time does not allow this now; the message says the rule and when it opens."""


@dataclass(frozen=True)
class Action:
    """Whether an action is open now and, when it is not, the rule that says when it opens."""

    open: bool
    rule: str = ""


OPEN = Action(True)
CHECK_IN_FIRST = "Check in first: you can check out once you have met them."


def checkin_opens_minutes() -> int:
    return int(get_setting("checkin_opens_minutes"))


def local_midnight(day: date) -> datetime:
    """The instant a London date begins, in UTC (midnight is never skipped or repeated in
    London: the clocks change at 1am and 2am)."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def escort_days(request: AccompanimentRequest) -> tuple[date, date]:
    """The escort's day in London: the meeting-up date, on to the meeting's own date when the
    meeting starts after midnight."""
    first = request.meeting_point_at.astimezone(LONDON).date()
    last = request.starts_at.astimezone(LONDON).date()
    return first, max(first, last)


def checkin_opens_at(request: AccompanimentRequest) -> datetime:
    """The setting's time before meeting up, but never before the escort's day begins."""
    first, _last = escort_days(request)
    early = request.meeting_point_at - timedelta(minutes=checkin_opens_minutes())
    return max(early, local_midnight(first))


def checkin_closes_at(request: AccompanimentRequest) -> datetime:
    """Midnight at the end of the escort's day (the next date's midnight, not 24 hours on)."""
    _first, last = escort_days(request)
    return local_midnight(last + timedelta(days=1))


def checkin_action(request: AccompanimentRequest, now: datetime) -> Action:
    opens = checkin_opens_at(request)
    if now < opens:
        return Action(False, f"You can check in from {_from(opens)}.")
    closes = checkin_closes_at(request)
    if now >= closes:
        last = closes.astimezone(LONDON).date() - timedelta(days=1)
        return Action(
            False,
            f"Check-in closed at midnight at the end of {_day(last)}. If you met them, "
            "ask the recovery champion to record it.",
        )
    return OPEN


def checkout_action(checks: dict[str, datetime]) -> Action:
    return OPEN if "checkin" in checks else Action(False, CHECK_IN_FIRST)


def outcome_action(request: AccompanimentRequest, now: datetime) -> Action:
    if now < request.starts_at:
        return Action(
            False,
            f"You can record what happened from {_from(request.starts_at)}, "
            "when the meeting starts.",
        )
    return OPEN


# --- the volunteer's escorts -------------------------------------------------------------------


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


def _own_accepted(request_id: int, actor: User) -> tuple[AccompanimentRequest, Volunteer]:
    """An accepted escort of the actor's own; anything else is NotFound."""
    row = db.session.execute(
        select(AccompanimentRequest, Volunteer)
        .join(Volunteer, Volunteer.id == AccompanimentRequest.volunteer_id)
        .where(
            AccompanimentRequest.id == request_id,
            AccompanimentRequest.state == "accepted",
            Volunteer.user_id == actor.id,
        )
    ).first()
    if row is None:
        raise NotFound("No such escort")
    return row[0], row[1]


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
    phone = f" Their phone: {volunteer.phone}." if volunteer.phone else ""
    for champion in champions():
        notify_user(
            champion,
            "help_requested",
            f"{volunteer.preferred_name} needs help now at {request.meeting.name}",
            body=(
                f'They pressed "I need help now" during the escort on '
                f"{_when(request.starts_at)}.{phone} Call them straight away."
            ),
            link=_path("safety.today", "/safety/today"),
            urgent=True,
            dedupe_key=f"help:{check.id}",
        )


# --- a champion records a check after the fact ---------------------------------------------------

RECORDABLE = {"checkin": "Check-in", "checkout": "Check-out"}


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


def record_check_for(  # noqa: PLR0913
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
            f"Enter a time that has already happened: it is {_clock(now)} now",
            field="happened_time",
        )
    if happened_at < local_midnight(first):
        raise InvalidChange(
            f"Enter a time on or after {_day(first)}, the day of the escort",
            field="happened_on",
        )
    done = escort.checks.get(kind)
    if done is not None:
        raise InvalidChange(f"{RECORDABLE[kind]} is already recorded: {_when(done)}.", field="kind")
    checkin = escort.checks.get("checkin")
    if kind == "checkout" and checkin is None:
        raise InvalidChange(
            "Record when they met first: a check-out comes after the check-in.", field="kind"
        )
    if kind == "checkout" and happened_at < checkin:
        raise InvalidChange(
            f"Enter a time after the check-in at {_when(checkin)}", field="happened_time"
        )
    checkout = escort.checks.get("checkout")
    if kind == "checkin" and checkout is not None and happened_at > checkout:
        raise InvalidChange(
            f"Enter a time before the check-out at {_when(checkout)}", field="happened_time"
        )
    check = EscortCheck(
        request_id=request.id,
        volunteer_id=escort.volunteer.id,
        kind=kind,
        at=happened_at,
        by_id=actor.id,
    )
    db.session.add(check)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # the volunteer pressed the button meanwhile
        raise InvalidChange(f"{RECORDABLE[kind]} is already recorded.", field="kind") from None
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


def emergency_numbers() -> dict[str, str]:
    return {
        "emergency": str(get_setting("emergency_number") or "999"),
        "on_call": str(get_setting("on_call_number") or ""),
    }


# --- the champion's Today board ------------------------------------------------------------------


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


def london_today(now: datetime) -> date:
    return now.astimezone(LONDON).date()


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


# --- outcomes ------------------------------------------------------------------------------------


def get_outcome_request(request_id: int, actor: User) -> tuple[AccompanimentRequest, Volunteer]:
    """An accepted escort whose outcome the actor may record: their own, or any for a champion
    (who records it for phone-only contacts)."""
    row = db.session.execute(
        select(AccompanimentRequest, Volunteer)
        .join(Volunteer, Volunteer.id == AccompanimentRequest.volunteer_id)
        .where(
            AccompanimentRequest.id == request_id,
            AccompanimentRequest.state == "accepted",
        )
    ).first()
    if row is None:
        raise NotFound("No such escort")
    request, volunteer = row
    if volunteer.user_id != actor.id and not is_champion(actor):
        raise NotFound("No such escort")
    return request, volunteer


def _yes_no(value: object) -> bool | None:
    if value in ("yes", True):
        return True
    if value in ("no", False):
        return False
    return None


def record_outcome(  # noqa: PLR0913
    request_id: int,
    actor: User,
    *,
    came: str | None,
    together: str | None = None,
    again: str | None = None,
    note: str | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> AccompanimentRequest:
    """Complete the escort with what happened, and tell the client's keyworker."""
    from ..accompaniment.services import change_request_state

    now = now or utcnow()
    request, _volunteer = get_outcome_request(request_id, actor)
    action = outcome_action(request, now)
    if not action.open:
        raise NotOpen(action.rule)
    if came not in OUTCOMES:
        raise InvalidChange("Say whether the client came", field="came")
    if together not in (None, "", "yes", "no"):
        raise InvalidChange("Select yes or no", field="together")
    if again not in (None, "", *WANTS_AGAIN):
        raise InvalidChange("Select one of the options", field="again")
    if came == "attended" and not together:
        raise InvalidChange("Say whether you went in together", field="together")
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise InvalidChange(f"Write {NOTE_LIMIT} characters or fewer", field="note")
    change_request_state(
        request,
        "completed",
        actor,
        note="Outcome recorded after the meeting",
        version=version,
        outcome=came,
        commit=False,
    )
    db.session.add(
        EscortOutcome(
            request_id=request.id,
            went_in_together=_yes_no(together) if came == "attended" else None,
            wants_again=again or None,
            note=note or None,
            recorded_by_id=actor.id,
            recorded_at=now,
        )
    )
    client = db.session.get(Client, request.client_id)
    audit(
        "escort_outcome_recorded",
        request,
        detail={"outcome": came, "together": together or None, "again": again or None},
        client_ref=client.reference if client else None,
    )
    keyworker = db.session.get(User, client.keyworker_id) if client else None
    if keyworker is not None:
        notify_user(
            keyworker,
            "outcome_recorded",
            f"Outcome for {client.first_name or client.reference}: {OUTCOMES[came].lower()}",
            body=f"{request.meeting.name}, {_when(request.starts_at)}. "
            "It is ready to use in session three.",
            link=_path("accompaniment.show", f"/requests/{request.id}", request_id=request.id),
            dedupe_key=f"outcome:{request.id}",
        )
    db.session.commit()
    return request


def outcome_of(request_id: int) -> EscortOutcome | None:
    return db.session.get(EscortOutcome, request_id)


# --- time-based work (see jobs.py) ---------------------------------------------------------------


def send_reminders(now: datetime) -> int:
    """24 hours before an escort: the volunteer and the keyworker, once each per request."""
    rows = db.session.execute(
        select(AccompanimentRequest, Volunteer, Client)
        .join(Volunteer, Volunteer.id == AccompanimentRequest.volunteer_id)
        .join(Client, Client.id == AccompanimentRequest.client_id)
        .where(
            AccompanimentRequest.state == "accepted",
            AccompanimentRequest.starts_at > now,
            AccompanimentRequest.starts_at <= now + REMINDER_AHEAD,
        )
    ).all()
    sent = 0
    for request, volunteer, client in rows:
        when = _when(request.meeting_point_at)
        if volunteer.user is not None:
            sent += notify_user(
                volunteer.user,
                "escort_reminder",
                f"Reminder: {request.meeting.name}, meet at {request.meeting_point} {when}",
                body='On the day, press "I\'ve met them" when you meet, and '
                '"I\'m safe" when you finish.',
                link=_path("safety.escort", f"/safety/escorts/{request.id}", request_id=request.id),
                dedupe_key=f"reminder:{request.id}",
            )
        keyworker = db.session.get(User, client.keyworker_id)
        if keyworker is not None:
            peer = request.peer_first_name or volunteer.preferred_name
            sent += notify_user(
                keyworker,
                "escort_reminder",
                f"Reminder: {peer} meets {client.first_name or client.reference} "
                f"for {request.meeting.name} {when}",
                link=_path("accompaniment.show", f"/requests/{request.id}", request_id=request.id),
                dedupe_key=f"reminder:{request.id}",
            )
    return sent


def alert_overdue(now: datetime) -> int:
    """No check-out by the meeting's end plus the grace period: every champion, urgently, once."""
    cutoff = now - grace()
    rows = db.session.execute(
        select(AccompanimentRequest, Volunteer)
        .join(Volunteer, Volunteer.id == AccompanimentRequest.volunteer_id)
        .where(
            AccompanimentRequest.state == "accepted",
            AccompanimentRequest.ends_at <= cutoff,
            AccompanimentRequest.ends_at > now - OVERDUE_LOOKBACK,
            ~select(EscortCheck.id)
            .where(
                EscortCheck.request_id == AccompanimentRequest.id,
                EscortCheck.kind == "checkout",
            )
            .exists(),
        )
    ).all()
    if not rows:
        return 0
    sent = 0
    people = champions()
    for request, volunteer in rows:
        phone = f" Their phone: {volunteer.phone}." if volunteer.phone else ""
        for champion in people:
            sent += notify_user(
                champion,
                "checkout_overdue",
                f"{volunteer.preferred_name} has not checked out from {request.meeting.name}",
                body=f"The meeting ended at {_when(request.ends_at)}.{phone} "
                "Call them to check they are safe.",
                link=_path("safety.today", "/safety/today"),
                urgent=True,
                dedupe_key=f"overdue:{request.id}",
            )
    return sent
