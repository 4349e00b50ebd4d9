"""Twelve weeks of made-up history, so the reports page has something to show.

Sixty fictional clients (references DEMO-R001…) start FAMA over the last twelve weeks, five a
week; most commit to a meeting, many ask for a peer, and the requests end every way a request
can. The same seed gives the same history relative to today: a second run the same week
changes nothing, and a run in a later week replaces the history so it stays in the window.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, select

from ..accompaniment.demo import recount_weeks
from ..accompaniment.facts import escort_slots
from ..accompaniment.models import (
    DEFAULT_MINUTES_BEFORE,
    AccompanimentRequest,
    EscortSlot,
    Offer,
    RequestEvent,
    VolunteerWeekCount,
)
from ..auth.models import User
from ..clients.demo import commitment, fama_session, raise_request
from ..clients.models import Client, FamaSession
from ..extensions import db
from ..meetings.models import Meeting
from ..meetings.occurrences import LONDON, at_local, next_occurrences
from ..volunteers.models import Volunteer

PREFIX = "DEMO-R"
HISTORY_KEYWORKER = "history-keyworker@demo.example.org"
# Every fourth client of the history is this keyworker's, who is in no team, so the reports by
# team show all three kinds of row.
OTHER_HISTORY_KEYWORKER = "history-keyworker-2@demo.example.org"
TEAMS = {"keyworker": "North locality", HISTORY_KEYWORKER: "South locality"}
CLIENTS_PER_WEEK = 5
WEEKS = 12
NAMES = (
    "Alex", "Bea", "Cal", "Dee", "Eli", "Fran", "Gus", "Hana", "Ivo", "Jas", "Kit", "Lou",
    "Mo", "Nia", "Oz", "Pat", "Quin", "Rae", "Sol", "Tam", "Uma", "Val", "Wyn", "Yas", "Zed",
)  # fmt: skip
GENDERS = ("woman", "man", "woman", "man", "non-binary")


def _meetings() -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.active.is_(True), Meeting.attendance != "online")
            .order_by(Meeting.id)
            .limit(14)
        ).unique()
    )


class _Diary:
    """Who is booked when, so the history books no volunteer twice at once or over their cap."""

    def __init__(self) -> None:
        self.people = list(
            db.session.execute(
                select(
                    Volunteer.id, Volunteer.preferred_name, Volunteer.user_id, Volunteer.weekly_cap
                )
                .where(Volunteer.status == "approved")
                .order_by(Volunteer.id)
            )
        )
        self.slots = set(db.session.execute(select(EscortSlot.volunteer_id, EscortSlot.slot_start)))
        self.weeks = {
            (row.volunteer_id, row.iso_year, row.iso_week): row.n
            for row in db.session.scalars(select(VolunteerWeekCount))
        }
        self.touched: set[int] = set()

    def book(self, rng: random.Random, start: datetime, end: datetime):
        """A free volunteer (id, first name, user id) for the escort, booked; None if nobody."""
        slots = escort_slots(start, end)
        iso = start.astimezone(LONDON).date().isocalendar()
        for volunteer_id, name, user_id, cap in rng.sample(self.people, len(self.people)):
            week = (volunteer_id, iso.year, iso.week)
            if self.weeks.get(week, 0) >= cap or any(
                (volunteer_id, slot) in self.slots for slot in slots
            ):
                continue
            self.slots.update((volunteer_id, slot) for slot in slots)
            self.weeks[week] = self.weeks.get(week, 0) + 1
            self.touched.add(volunteer_id)
            return volunteer_id, name, user_id
        return None


def _occurrence(meeting: Meeting, after: datetime) -> tuple[datetime, datetime]:
    return next_occurrences(meeting.weekday, meeting.start_time, meeting.end_time, after, 1)[0]


def _noon(day: date) -> datetime:
    return at_local(day, time(11)).astimezone(UTC)


def _is_current(today: date) -> bool:
    """True when the history was built this week (its first client started 12 weeks ago)."""
    first = db.session.scalar(
        select(FamaSession.held_on)
        .join(Client, Client.id == FamaSession.client_id)
        .where(Client.reference == f"{PREFIX}001", FamaSession.kind == 1)
    )
    monday = today - timedelta(days=today.weekday())
    return first is not None and first >= monday - timedelta(weeks=WEEKS - 1)


def _clear() -> set[int]:
    """Remove the history; returns the volunteers whose week counts must be rebuilt."""
    ids = select(Client.id).where(Client.reference.like(f"{PREFIX}%"))
    requests = select(AccompanimentRequest.id).where(AccompanimentRequest.client_id.in_(ids))
    booked = set(
        db.session.scalars(
            select(EscortSlot.volunteer_id).where(EscortSlot.request_id.in_(requests)).distinct()
        )
    )
    db.session.execute(delete(EscortSlot).where(EscortSlot.request_id.in_(requests)))
    db.session.execute(delete(Offer).where(Offer.request_id.in_(requests)))
    db.session.execute(delete(RequestEvent).where(RequestEvent.request_id.in_(requests)))
    db.session.execute(delete(AccompanimentRequest).where(AccompanimentRequest.client_id.in_(ids)))
    db.session.execute(delete(FamaSession).where(FamaSession.client_id.in_(ids)))
    db.session.execute(delete(Client).where(Client.reference.like(f"{PREFIX}%")))
    return booked


def _history_keyworker(
    email: str = HISTORY_KEYWORKER, name: str = "Robin (keyworker, past caseload)"
) -> User:
    """A keyworker who cannot sign in, holding the history (the demo caseload stays short)."""
    from ..auth.models import UserRole

    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name)
        user.role_rows = [UserRole(role="keyworker")]
        db.session.add(user)
        db.session.flush()
    return user


def _give_teams() -> None:
    """The demo keyworker and the history's keyworkers in their teams (or none), every run."""
    from ..demo import demo_user

    kim = demo_user("keyworker")
    if kim is not None:
        kim.team = TEAMS["keyworker"]
    _history_keyworker().team = TEAMS[HISTORY_KEYWORKER]
    _history_keyworker(OTHER_HISTORY_KEYWORKER, "Jo (keyworker, past caseload)").team = None


def build_demo_reports(now: datetime | None = None) -> None:
    """Create (or move forward) the reports' demo history; idempotent within a week."""
    now = now or datetime.now(UTC)
    today = now.astimezone(LONDON).date()
    _give_teams()
    meetings = _meetings()
    if not meetings or _is_current(today):
        return
    keyworker = _history_keyworker()
    with db.session.begin_nested():
        released = _clear()
    diary = _Diary()
    other = _history_keyworker(OTHER_HISTORY_KEYWORKER)
    _build(now, today, (keyworker, other), meetings, diary)
    db.session.flush()
    recount_weeks(released | diary.touched)


def _build(now, today, keyworkers, meetings, diary) -> None:  # noqa: C901
    rng = random.Random(8)
    has_volunteer = "volunteer_id" in AccompanimentRequest.__table__.c
    monday = today - timedelta(days=today.weekday())
    first_week = monday - timedelta(weeks=WEEKS - 1)
    number = 0
    for week in range(WEEKS):
        for _ in range(CLIENTS_PER_WEEK):
            number += 1
            by = keyworkers[1 if number % 4 == 0 else 0].id
            s1_day = first_week + timedelta(weeks=week, days=rng.randrange(5))
            if s1_day > today:
                s1_day = today
            client = Client(
                reference=f"{PREFIX}{number:03d}",
                first_name=NAMES[number % len(NAMES)],
                gender=GENDERS[number % len(GENDERS)],
                keyworker_id=by,
                status="active",
                created_at=_noon(s1_day),
            )
            db.session.add(client)
            db.session.flush()
            _session(client, 1, s1_day, by, past_experience="none", journal_given=True)
            s2_day = s1_day + timedelta(days=7)
            if s2_day > today or rng.random() < 0.12:
                continue
            meeting = rng.choice(meetings)
            start, end = _occurrence(meeting, _noon(s2_day) + timedelta(days=1))
            wants = rng.random() < 0.65
            s2 = commitment(
                client, meeting, start, s2_day, by, recorded_at=_noon(s2_day), wants_company=wants
            )
            accompanied = False
            if wants:
                accompanied = _request(rng, s2, start, end, now, by, diary, has_volunteer)
            s3_day = start.astimezone(LONDON).date() + timedelta(days=rng.randrange(2, 7))
            if s3_day > today:
                continue
            went = rng.random() < (0.78 if accompanied else 0.42)
            _session(
                client,
                3,
                s3_day,
                by,
                attended=went,
                attended_meeting_id=meeting.id if went else None,
            )
            if went and rng.random() < 0.55:
                client.fama_outcome, client.fama_outcome_on = "engaged", s3_day
            elif not went and rng.random() < 0.3:
                client.fama_outcome, client.fama_outcome_on = "not_attending", s3_day
            client.last_session_kind, client.last_session_on = 3, s3_day


def _session(client: Client, kind: int, held_on: date, by: int, **values) -> FamaSession:
    return fama_session(client, kind, held_on, by, recorded_at=_noon(held_on), **values)


def _request(rng, session, start, end, now, by, diary, has_volunteer) -> bool:
    """A request raised at session two, taken to the end it reached; True if accompanied."""
    raised = _noon(session.held_on) + timedelta(hours=1)
    roll = rng.random()
    if start > now:
        state, outcome = "open", None  # the matching demo arranges upcoming escorts
    elif roll < 0.55:
        state, outcome = "completed", "attended"
    elif roll < 0.65:
        state, outcome = "completed", "client_did_not_come"
    elif roll < 0.7:
        state, outcome = "completed", "volunteer_could_not_go"
    elif roll < 0.8:
        state, outcome = "cancelled", None
    else:
        state, outcome = "unfilled", None
    accepted = state in ("accepted", "completed")
    values = {}
    peer = None
    if accepted:
        peer = diary.book(rng, start - timedelta(minutes=DEFAULT_MINUTES_BEFORE), end)
        if peer is None:  # nobody was free: the request went unfilled
            state, outcome, accepted = "unfilled", None, False
    if has_volunteer and peer is not None:
        values["volunteer_id"] = peer[0]
    request = raise_request(
        session,
        end,
        state,
        by,
        outcome=outcome,
        cancel_reason="The client changed their plans." if state == "cancelled" else None,
        peer_first_name=peer[1] if peer else None,
        is_current=start > now,
        created_at=raised,
        updated_at=raised,
        **values,
    )
    events = [(raised, None, "open")]
    if accepted:
        offered = raised + timedelta(hours=rng.randrange(1, 12))
        taken = offered + timedelta(hours=rng.randrange(1, 60))
        taken = min(taken, start - timedelta(hours=2))
        taken = max(offered, taken)
        events += [(offered, "open", "offered"), (taken, "offered", "accepted")]
        request.accepted_at = taken
        db.session.add(
            Offer(
                request_id=request.id,
                volunteer_id=peer[0],
                state="accepted",
                expires_at=offered + timedelta(hours=24),
                created_by_id=by,
                answered_by_id=peer[2],
                created_at=offered,
                answered_at=taken,
            )
        )
        for slot in escort_slots(request.meeting_point_at, end):
            db.session.add(EscortSlot(volunteer_id=peer[0], slot_start=slot, request_id=request.id))
        if state == "completed":
            events.append((end + timedelta(minutes=30), "accepted", "completed"))
    elif state == "cancelled":
        events.append((raised + timedelta(days=1), "open", "cancelled"))
    elif state == "unfilled":
        events.append((start, "open", "unfilled"))
    for at, from_state, to_state in events:
        db.session.add(
            RequestEvent(
                request_id=request.id,
                at=at,
                actor_id=by if to_state in ("open", "cancelled") else None,
                from_state=from_state,
                to_state=to_state,
            )
        )
    return state == "completed" and outcome in ("attended", "client_did_not_come")
