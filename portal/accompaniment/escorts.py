"""What volunteers and keyworkers see of offers and escorts, each only what they need.

A volunteer sees, for an offer or an escort: the meeting, the date and time, the meeting point,
the client's preferred first name only with the client's consent (otherwise "a newcomer"), their
access needs and language; once they accepted, the keyworker's work contact, the note for the
volunteer and the client's phone only with consent. When the escort is over (or the offer
closed), only the meeting and the date remain. A keyworker sees the volunteer's first name and,
if the volunteer agreed, their phone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..audit import utcnow
from ..auth.models import User
from ..clients.models import Client
from ..clients.services import shared_with_volunteer
from ..dates import when_with_year
from ..extensions import db
from ..meetings.models import Fellowship, Meeting
from ..volunteers._common import read_escorts_with
from ..volunteers.models import Volunteer
from .models import OFFER_STATES, STATES, AccompanimentRequest, Offer

NEWCOMER = "a newcomer"
HISTORY_LIMIT = 10


def _grace() -> timedelta:
    from ..settings import get_setting

    return timedelta(minutes=int(get_setting("checkout_grace_minutes")))


@dataclass(frozen=True)
class OfferLine:
    """An offer waiting for the volunteer's answer, for their home page."""

    offer_id: int
    meeting: str
    starts_at: datetime
    expires_at: datetime

    def __str__(self) -> str:
        return f"{self.meeting}, {when_with_year(self.starts_at)}"


@dataclass(frozen=True)
class EscortLine:
    """An escort the volunteer accepted: the meeting and date, and what became of it."""

    offer_id: int | None
    meeting: str
    starts_at: datetime
    meeting_point: str
    meeting_point_at: datetime
    state: str
    outcome: str | None

    @property
    def state_label(self) -> str:
        return STATES.get(self.state, self.state)

    def __str__(self) -> str:
        return f"{when_with_year(self.starts_at)}: {self.meeting} ({self.state_label.lower()})"


def escort_summary_for(volunteer_id: int, now: datetime | None = None) -> dict:
    """Offers waiting, escorts coming up, the latest past ones and how many were done."""
    now = now or utcnow()
    offers = [
        OfferLine(offer_id, name, starts_at, expires_at)
        for offer_id, name, starts_at, expires_at in db.session.execute(
            select(Offer.id, Meeting.name, AccompanimentRequest.starts_at, Offer.expires_at)
            .join(AccompanimentRequest, AccompanimentRequest.id == Offer.request_id)
            .join(Meeting, Meeting.id == AccompanimentRequest.meeting_id)
            .where(
                Offer.volunteer_id == volunteer_id,
                Offer.state == "pending",
                Offer.expires_at > now,
                AccompanimentRequest.state == "offered",
            )
            .order_by(AccompanimentRequest.starts_at, Offer.id)
        )
    ]
    accepted = (
        select(Offer.id)
        .where(
            Offer.request_id == AccompanimentRequest.id,
            Offer.volunteer_id == volunteer_id,
            Offer.answered_at.is_not(None),
            Offer.state.in_(("accepted", "withdrawn")),
        )
        .order_by(Offer.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    columns = (
        accepted,
        Meeting.name,
        AccompanimentRequest.starts_at,
        AccompanimentRequest.meeting_point,
        AccompanimentRequest.minutes_before,
        AccompanimentRequest.state,
        AccompanimentRequest.outcome,
    )

    def lines(statement) -> list[EscortLine]:
        return [
            EscortLine(
                offer_id,
                name,
                starts_at,
                point,
                starts_at - timedelta(minutes=minutes or 0),
                state,
                outcome,
            )
            for offer_id, name, starts_at, point, minutes, state, outcome in db.session.execute(
                statement
            )
        ]

    mine = (
        select(*columns)
        .join(Meeting, Meeting.id == AccompanimentRequest.meeting_id)
        .where(AccompanimentRequest.volunteer_id == volunteer_id)
    )
    upcoming = lines(
        mine.where(
            AccompanimentRequest.state == "accepted", AccompanimentRequest.ends_at > now
        ).order_by(AccompanimentRequest.starts_at)
    )
    history = lines(
        mine.where(
            (AccompanimentRequest.state.in_(("completed", "cancelled")))
            | ((AccompanimentRequest.state == "accepted") & (AccompanimentRequest.ends_at <= now))
        )
        .order_by(AccompanimentRequest.starts_at.desc())
        .limit(HISTORY_LIMIT)
    )
    done = db.session.scalar(
        select(func.count())
        .select_from(AccompanimentRequest)
        .where(
            AccompanimentRequest.volunteer_id == volunteer_id,
            AccompanimentRequest.state == "completed",
            AccompanimentRequest.outcome != "volunteer_could_not_go",
        )
    )
    return {"offers": offers, "upcoming": upcoming, "history": history, "done": done or 0}


def calendar_entries(volunteer_id: int, now: datetime | None = None) -> list[dict]:
    """Accepted escorts for the calendar feed: place and time, nothing about the client."""
    now = now or utcnow()
    rows = db.session.execute(
        select(AccompanimentRequest, Meeting)
        .join(Meeting, Meeting.id == AccompanimentRequest.meeting_id)
        .where(
            AccompanimentRequest.volunteer_id == volunteer_id,
            AccompanimentRequest.state.in_(("accepted", "completed")),
            AccompanimentRequest.starts_at >= now - timedelta(days=30),
        )
        .order_by(AccompanimentRequest.starts_at)
    ).all()
    entries = []
    for request, meeting in rows:
        place = ", ".join(
            part for part in (meeting.venue, meeting.address, meeting.postcode) if part
        )
        entries.append(
            {
                "uid": f"escort-{request.id}@peer-accompaniment",
                "start": request.meeting_point_at,
                "end": request.ends_at,
                "summary": f"Peer escort: {meeting.name}",
                "location": f"{request.meeting_point}, {place}" if place else request.meeting_point,
                "description": (
                    f"Meet at {request.meeting_point}, {request.minutes_before} minutes before "
                    f"the meeting starts. The details are in the portal."
                ),
            }
        )
    return entries


@dataclass(frozen=True)
class OfferPage:
    """What the volunteer's offer page may show, decided in one place."""

    offer: Offer
    request: AccompanimentRequest
    meeting: Meeting
    fellowship: Fellowship
    answerable: bool
    booked: bool
    closed: bool
    status: str
    client_name: str | None = None
    client_phone: str | None = None
    access_needs: str | None = None
    language: str | None = None
    keyworker_name: str | None = None
    keyworker_email: str | None = None
    note_for_volunteer: str | None = None
    client_ref: str | None = None

    @property
    def shows_client_data(self) -> bool:
        return bool(
            (self.client_name and self.client_name != NEWCOMER)
            or self.client_phone
            or self.access_needs
        )


def _status(offer: Offer, request: AccompanimentRequest, now: datetime) -> str:
    if offer.state == "pending" and offer.expires_at <= now:
        return "This offer has expired. Thank you for looking."
    if offer.state == "pending":
        if request.state != "offered":
            return "This request is no longer looking for a volunteer."
        return "The recovery champion asks whether you can go with someone to this meeting."
    if offer.state == "accepted":
        if request.state == "accepted":
            if request.ends_at + _grace() <= now:
                return "This escort is over. Thank you."
            return "You accepted this escort. Thank you."
        if request.state == "completed":
            return "This escort is over. Thank you."
        return f"This escort is {STATES.get(request.state, request.state).lower()}."
    if offer.state == "expired":
        return "This offer has expired. Thank you for looking."
    if offer.state == "declined":
        return "You said no to this offer. Thank you for letting us know."
    if offer.state == "withdrawn" and offer.withdraw_code == "taken":
        return "Someone else has already taken this one, thank you."
    if (
        offer.state == "withdrawn"
        and offer.withdraw_code in ("released", "date_changed", "request_closed")
        and offer.answered_at
    ):
        return "You are no longer booked for this escort."
    if offer.state == "withdrawn":
        return "This offer was withdrawn: it is no longer needed. Thank you."
    return OFFER_STATES.get(offer.state, offer.state)


def offer_page(offer: Offer, now: datetime | None = None) -> OfferPage:
    """What the volunteer sees for one of their offers, by its state and the client's consents."""
    now = now or utcnow()
    request, meeting, fellowship, client, keyworker = db.session.execute(
        select(AccompanimentRequest, Meeting, Fellowship, Client, User)
        .join(Meeting, Meeting.id == AccompanimentRequest.meeting_id)
        .join(Fellowship, Fellowship.id == Meeting.fellowship_id)
        .join(Client, Client.id == AccompanimentRequest.client_id)
        .join(User, User.id == Client.keyworker_id)
        .where(AccompanimentRequest.id == offer.request_id)
    ).one()
    answerable = offer.state == "pending" and offer.expires_at > now and request.state == "offered"
    booked = (
        offer.state == "accepted"
        and request.state == "accepted"
        and request.volunteer_id == offer.volunteer_id
        and now < request.ends_at + _grace()
    )
    base = {
        "offer": offer,
        "request": request,
        "meeting": meeting,
        "fellowship": fellowship,
        "answerable": answerable,
        "booked": booked,
        "closed": not (answerable or booked),
        "status": _status(offer, request, now),
    }
    if not (answerable or booked):
        return OfferPage(**base)
    shared = shared_with_volunteer(client)
    details = {
        "client_name": shared["first_name"] or NEWCOMER,
        "access_needs": client.access_needs,
        "language": request.language,
        "client_ref": client.reference,
    }
    if booked:
        details |= {
            "client_phone": shared["phone"],
            "keyworker_name": keyworker.name,
            "keyworker_email": keyworker.email,
            "note_for_volunteer": request.note_for_volunteer,
        }
    return OfferPage(**base, **details)


@dataclass(frozen=True)
class PeerContact:
    """The volunteer who will meet a keyworker's client: first name, phone if they agreed."""

    name: str
    phone: str | None

    def __str__(self) -> str:
        return f"{self.name} ({self.phone})" if self.phone else self.name


def peer_contacts(request_ids: Iterable[int | None]) -> dict[int, PeerContact]:
    """For accepted or completed requests, who goes with the client (one query)."""
    # Always one query, even for no ids, so a page's query count does not depend on its data.
    ids = sorted({i for i in request_ids if i})
    rows = db.session.execute(
        select(
            AccompanimentRequest.id,
            Volunteer.preferred_name,
            Volunteer.phone,
            Volunteer.share_phone,
        )
        .join(Volunteer, Volunteer.id == AccompanimentRequest.volunteer_id)
        .where(
            AccompanimentRequest.id.in_(ids),
            AccompanimentRequest.state.in_(("accepted", "completed")),
        )
    ).all()
    return {
        request_id: PeerContact(name, phone if share and phone else None)
        for request_id, name, phone, share in rows
    }


read_escorts_with(summary=escort_summary_for, calendar=calendar_entries)
