"""Demo offers and escorts: offers waiting for the demo volunteer, one booked escort, and a
phone-only contact whose answer the champion records. Running it twice leaves the same state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, select

from ..audit import utcnow
from ..auth.models import User
from ..clients.models import Client, Consent
from ..extensions import db
from ..meetings.models import Meeting
from ..meetings.occurrences import LONDON, next_occurrences
from ..volunteers.models import Volunteer
from .facts import escort_slots, escort_week
from .models import AccompanimentRequest, EscortSlot, Offer, RequestEvent, VolunteerWeekCount
from .reply_codes import new_reply_codes


@dataclass(frozen=True)
class DemoRequest:
    reference: str
    first_name: str
    gender: str
    consent_first_name: bool
    access_needs: str | None
    meeting: int  # index into the first active meetings
    weeks_ahead: int
    offered_to: str  # "volunteer" (the demo volunteer's account) or a phone-only contact's name
    note_for_volunteer: str | None = None


DEMO_REQUESTS = (
    DemoRequest(
        "DEMO-0101",
        "Alex",
        "man",
        True,
        "Would like to sit near the door.",
        0,
        1,
        "volunteer",
        "Alex will wait by the noticeboard.",
    ),
    DemoRequest("DEMO-0102", "Sky", "non-binary", False, None, 1, 2, "volunteer"),
    DemoRequest("DEMO-0103", "Robin", "man", True, None, 0, 2, "Dave"),
)
BOOKED_REFERENCE = "DEMO-0004"  # Dan, whose request the client demo made accepted by Sam


def completed_demo_escorts() -> Select:
    """The demo's completed escorts that had a volunteer: other domains' demo rows (checks,
    outcomes, tasks, expenses) hang on them."""
    return (
        select(AccompanimentRequest)
        .join(Client, Client.id == AccompanimentRequest.client_id)
        .where(
            Client.reference.like("DEMO-%"),
            AccompanimentRequest.state == "completed",
            AccompanimentRequest.volunteer_id.is_not(None),
        )
    )


def _volunteer(who: str) -> Volunteer | None:
    from ..demo import demo_user

    if who == "volunteer":
        user = demo_user("volunteer")
        if user is None:
            return None
        return db.session.scalar(select(Volunteer).where(Volunteer.user_id == user.id))
    return db.session.scalar(
        select(Volunteer).where(Volunteer.phone_only.is_(True), Volunteer.preferred_name == who)
    )


def _expiry(request: AccompanimentRequest, now: datetime) -> datetime:
    """The answer-by an offer made now would get (the service's rule, in service hours)."""
    from .offers import offer_expiry

    if request.meeting_point_at <= now + timedelta(hours=1):
        return now + timedelta(hours=1)
    return offer_expiry(request, now)


def _book(
    request: AccompanimentRequest, volunteer: Volunteer, champion: User, now: datetime
) -> None:
    """Make the escort's rows agree with the request: accepted offer, busy slots, week count."""
    offer = db.session.scalar(
        select(Offer).where(Offer.request_id == request.id, Offer.volunteer_id == volunteer.id)
    )
    if offer is None:
        offer = Offer(request_id=request.id, volunteer_id=volunteer.id, created_by_id=champion.id)
        db.session.add(offer)
    offer.state = "accepted"
    offer.expires_at = now + timedelta(hours=24)
    offer.answered_at = offer.answered_at or now
    offer.answered_by_id = volunteer.user_id
    request.volunteer_id = volunteer.id
    request.accepted_at = request.accepted_at or now
    request.peer_first_name = volunteer.preferred_name
    db.session.execute(delete(EscortSlot).where(EscortSlot.request_id == request.id))
    db.session.flush()
    for slot in escort_slots(request.meeting_point_at, request.ends_at):
        db.session.add(
            EscortSlot(volunteer_id=volunteer.id, slot_start=slot, request_id=request.id)
        )


def recount_weeks(volunteer_ids: set[int]) -> None:
    """Week counters rebuilt from the escorts held, so they agree after dates moved on."""
    for volunteer_id in volunteer_ids:
        db.session.execute(
            delete(VolunteerWeekCount).where(VolunteerWeekCount.volunteer_id == volunteer_id)
        )
        counts: dict[tuple[int, int], int] = {}
        for request in db.session.scalars(
            select(AccompanimentRequest).where(
                AccompanimentRequest.volunteer_id == volunteer_id,
                AccompanimentRequest.state.in_(("accepted", "completed")),
                AccompanimentRequest.id.in_(select(EscortSlot.request_id)),
            )
        ):
            week = escort_week(request)
            counts[week] = counts.get(week, 0) + 1
        for (year, week), n in counts.items():
            db.session.add(
                VolunteerWeekCount(volunteer_id=volunteer_id, iso_year=year, iso_week=week, n=n)
            )


def build_demo_accompaniment() -> None:
    """Offers for the demo volunteer, Dan's escort booked with Sam, and an offer for Dave."""
    from ..demo import demo_user

    keyworker, champion = demo_user("keyworker"), demo_user("champion")
    if keyworker is None or champion is None:
        return
    meetings = list(
        db.session.scalars(
            select(Meeting).where(Meeting.active.is_(True)).order_by(Meeting.id).limit(2)
        ).unique()
    )
    if len(meetings) < 2:
        return
    now = utcnow()
    touched: set[int] = set()
    sam = _volunteer("volunteer")
    booked = db.session.scalar(
        select(AccompanimentRequest)
        .join(Client, Client.id == AccompanimentRequest.client_id)
        .where(Client.reference == BOOKED_REFERENCE, AccompanimentRequest.state == "accepted")
    )
    if booked is not None and sam is not None:
        _book(booked, sam, champion, now)
        touched.add(sam.id)
    if sam is not None:  # Morgan's first meeting, last month, was with Sam too
        for done in db.session.scalars(
            select(AccompanimentRequest)
            .join(Client, Client.id == AccompanimentRequest.client_id)
            .where(
                Client.reference.like("DEMO-0%"),  # not the reports' history (DEMO-R…)
                AccompanimentRequest.state == "completed",
                AccompanimentRequest.peer_first_name == sam.preferred_name,
            )
        ):
            _book(done, sam, champion, done.starts_at - timedelta(days=2))
            touched.add(sam.id)
    for demo in DEMO_REQUESTS:
        volunteer = _volunteer(demo.offered_to)
        if volunteer is None:
            continue
        request = _demo_request(demo, meetings[demo.meeting], keyworker, champion, now)
        expires_at = _expiry(request, now)
        offer = db.session.scalar(
            select(Offer).where(Offer.request_id == request.id, Offer.volunteer_id == volunteer.id)
        )
        if offer is None:
            offer = Offer(
                request_id=request.id,
                volunteer_id=volunteer.id,
                created_by_id=champion.id,
                created_at=now,
            )
            db.session.add(offer)
        offer.state = "pending"
        offer.answered_at = offer.answered_by_id = offer.decline_reason = None
        offer.withdraw_code = offer.withdraw_reason = offer.ended_at = None
        offer.expires_at = expires_at
        if offer.reply_code is None:  # kept on a second run: the demo stays the same
            offer.reply_code = new_reply_codes([volunteer.id], now)[volunteer.id]
        request.state = "offered"
        request.volunteer_id = request.accepted_at = request.peer_first_name = None
        db.session.execute(delete(EscortSlot).where(EscortSlot.request_id == request.id))
        touched.add(volunteer.id)
    db.session.flush()
    recount_weeks(touched)
    db.session.flush()


def _demo_request(
    demo: DemoRequest, meeting: Meeting, keyworker: User, champion: User, now: datetime
) -> AccompanimentRequest:
    client = db.session.scalar(select(Client).where(Client.reference == demo.reference))
    if client is None:
        client = Client(
            reference=demo.reference,
            first_name=demo.first_name,
            gender=demo.gender,
            keyworker_id=keyworker.id,
            access_needs=demo.access_needs,
            consent_first_name=demo.consent_first_name,
            last_session_kind=2,
            last_session_on=now.astimezone(LONDON).date() - timedelta(days=2),
        )
        db.session.add(client)
        db.session.flush()
        if demo.consent_first_name:
            db.session.add(
                Consent(
                    client_id=client.id,
                    kind="share_first_name",
                    given=True,
                    recorded_by_id=keyworker.id,
                    wording_version="2026-1",
                )
            )
    request = db.session.scalar(
        select(AccompanimentRequest).where(
            AccompanimentRequest.client_id == client.id, AccompanimentRequest.is_current.is_(True)
        )
    )
    start, end = next_occurrences(
        meeting.weekday,
        meeting.start_time,
        meeting.end_time,
        now + timedelta(weeks=demo.weeks_ahead),
        1,
    )[0]
    if request is None:
        request = AccompanimentRequest(
            client_id=client.id,
            meeting_id=meeting.id,
            meeting_date=start.astimezone(LONDON).date(),
            starts_at=start,
            ends_at=end,
            state="offered",
            is_current=True,
            note_for_volunteer=demo.note_for_volunteer,
            created_by_id=keyworker.id,
        )
        db.session.add(request)
        db.session.flush()
        db.session.add(
            RequestEvent(
                request_id=request.id, actor_id=keyworker.id, to_state="open", note="Request raised"
            )
        )
        db.session.add(
            RequestEvent(
                request_id=request.id,
                actor_id=champion.id,
                from_state="open",
                to_state="offered",
                note="Offered to a volunteer",
            )
        )
    elif request.starts_at <= now + timedelta(days=1):
        request.starts_at, request.ends_at = start, end
        request.meeting_date = start.astimezone(LONDON).date()
    client.commitment_meeting_id, client.commitment_at = request.meeting_id, request.starts_at
    return request
