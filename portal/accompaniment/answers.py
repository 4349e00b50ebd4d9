"""Answers to offers: a volunteer (or a champion for a phone-only contact) accepts or declines.

Every rule two people could break at once is the database's to keep (DESIGN.md section 7):
an acceptance is one write transaction that moves the offer with `UPDATE … WHERE state =
'pending'` (a partial unique index allows one accepted offer per request), moves the request
along its arrow on (state, version), writes the escort's 15-minute busy slots (a unique key per
volunteer and slot refuses an overlap) and raises the volunteer's week counter only while it is
under their cap. Any of those failing rolls the whole acceptance back with a plain message.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..audit import audit, utcnow
from ..auth.models import User
from ..auth.services import champions
from ..clients.models import Client
from ..errors import Conflict, DomainError, InvalidChange
from ..extensions import db
from ..volunteers.models import Volunteer
from ..volunteers.services import mark_active
from ._common import (
    _answerable,
    _champion_link,
    _lock_request,
    _meeting_words,
    _path,
    _pending_ids,
    _reload,
    _reopen_if_no_offers_left,
    _tell_champions,
    _withdraw,
)
from .facts import escort_slots, escort_span, escort_week
from .models import AccompanimentRequest, EscortSlot, Offer, VolunteerWeekCount
from .services import change_request_state
from .upkeep import withdraw_offers_that_no_longer_hold

log = logging.getLogger(__name__)
TAKEN = "Someone else has already taken this one, thank you."
EXPIRED = "This offer has expired, so it can no longer be accepted. Thank you for looking."
NO_LONGER = "This offer is no longer open. Thank you for looking."


def _refusals(volunteer: Volunteer, actor: User) -> tuple[str, str]:
    """The overlap and weekly-limit messages, to the volunteer or about a phone-only contact."""
    if volunteer.user_id == actor.id:
        return (
            "This would overlap another escort you have, so it cannot be accepted.",
            "You have reached your weekly limit of escorts, so this one cannot be accepted.",
        )
    name = volunteer.preferred_name
    return (
        f"This would overlap another escort {name} has, so it cannot be accepted.",
        f"{name} has reached their weekly limit of escorts, so this one cannot be accepted.",
    )


def accept_offer(
    offer_id: int, actor: User, *, now: datetime | None = None, via: str | None = None
) -> Offer:
    """Accept an offer: one write transaction in which the first acceptance wins.

    Refusals (someone else took it, an overlapping escort, the weekly limit, expiry) roll the
    whole transaction back and raise InvalidChange with the message to show. `via` ("text")
    says in the audit how the answer came when it was not the web page.
    """
    now = now or utcnow()
    offer, volunteer = _answerable(offer_id, actor)
    overlap_message, cap_message = _refusals(volunteer, actor)
    request = _lock_request(offer.request_id)
    offer = _reload(offer)

    def refuse(message: str) -> InvalidChange:
        db.session.rollback()
        return InvalidChange(message)

    if offer.state != "pending":
        if offer.state == "withdrawn" and offer.withdraw_code == "taken":
            raise refuse(TAKEN)
        if offer.state == "accepted":
            raise refuse("This offer is already accepted.")
        raise refuse(EXPIRED if offer.state == "expired" else NO_LONGER)
    if offer.expires_at <= now:
        raise refuse(EXPIRED)
    if request.state != "offered":
        raise refuse(TAKEN if request.state == "accepted" else NO_LONGER)

    # 1. The offer: exactly one pending offer of the request can become accepted.
    try:
        won = db.session.execute(
            update(Offer)
            .where(Offer.id == offer.id, Offer.state == "pending", Offer.expires_at > now)
            .values(
                state="accepted",
                answered_at=now,
                answered_by_id=actor.id,
                version=Offer.version + 1,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
    except IntegrityError:
        raise refuse(TAKEN) from None
    if won != 1:
        raise refuse(TAKEN)
    # 2. The request: along its arrow, conditional on the state and version just read.
    try:
        change_request_state(
            request,
            "accepted",
            actor,
            note=f"Accepted by {volunteer.preferred_name}"
            + (" (answer recorded by the champion)" if volunteer.user_id != actor.id else ""),
            peer_first_name=volunteer.preferred_name,
            commit=False,
        )
    except (Conflict, InvalidChange):
        raise refuse(TAKEN) from None
    db.session.execute(
        update(AccompanimentRequest)
        .where(AccompanimentRequest.id == request.id)
        .values(volunteer_id=volunteer.id, accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    # 3. Busy slots: an overlap with another escort of this volunteer fails the unique key.
    start, end = escort_span(request)
    try:
        db.session.execute(
            insert(EscortSlot),
            [
                {"volunteer_id": volunteer.id, "slot_start": slot, "request_id": request.id}
                for slot in escort_slots(start, end)
            ],
        )
    except IntegrityError:
        raise refuse(overlap_message) from None
    # 4. The week counter: raised only while under the cap the volunteer has now.
    if not _count_in_week(volunteer.id, escort_week(request)):
        raise refuse(cap_message)
    # 5. Everyone else who was asked: thank you, someone else is going.
    others = [i for i in _pending_ids(request.id) if i != offer.id]
    _withdraw(request, others, "taken", None, now)
    mark_active(volunteer.id, now)
    client = db.session.get(Client, request.client_id)
    _tell_accepted(request, client, volunteer)
    audit(
        "offer_accepted",
        request,
        detail={
            "offer_id": offer.id,
            "volunteer_id": volunteer.id,
            "on_behalf": volunteer.user_id != actor.id,
        }
        | ({"via": via} if via else {}),
        client_ref=client.reference,
    )
    db.session.commit()
    # Offers this volunteer can no longer take (overlap, weekly limit) are withdrawn now, in a
    # transaction of their own so the acceptance never waits on another request's offers.
    try:
        withdraw_offers_that_no_longer_hold(now, volunteer_ids=[volunteer.id])
    except (DomainError, SQLAlchemyError):  # the acceptance stands; the tick retries this
        db.session.rollback()
        log.warning("could not withdraw offers after acceptance %s", offer.id, exc_info=True)
    return _reload(offer)


def _count_in_week(volunteer_id: int, week: tuple[int, int]) -> bool:
    """Raise the volunteer's count for the week unless it has reached their cap."""
    year, number = week
    dialect = db.session.get_bind().dialect.name
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert_fn(VolunteerWeekCount)
        .values(volunteer_id=volunteer_id, iso_year=year, iso_week=number, n=0)
        .on_conflict_do_nothing()
    )
    cap = select(Volunteer.weekly_cap).where(Volunteer.id == volunteer_id).scalar_subquery()
    result = db.session.execute(
        update(VolunteerWeekCount)
        .where(
            VolunteerWeekCount.volunteer_id == volunteer_id,
            VolunteerWeekCount.iso_year == year,
            VolunteerWeekCount.iso_week == number,
            VolunteerWeekCount.n < cap,
        )
        .values(n=VolunteerWeekCount.n + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _tell_accepted(request: AccompanimentRequest, client: Client, volunteer: Volunteer) -> None:
    from ..notify.services import notify_user

    words = _meeting_words(request)
    keyworker = db.session.get(User, client.keyworker_id)
    if keyworker is not None and keyworker.active:
        notify_user(
            keyworker,
            "offer_accepted",
            f"{volunteer.preferred_name} will go with {client.first_name} to {words}",
            link=_path("accompaniment.show", request_id=request.id),
            dedupe_key=f"accepted:{request.id}:{request.version}",
        )
    for user in champions():
        notify_user(
            user,
            "offer_accepted",
            f"{volunteer.preferred_name} accepted the request for {words}",
            link=_champion_link(request.id),
            dedupe_key=f"accepted:{request.id}:{request.version}:{user.id}",
        )


def decline_offer(
    offer_id: int,
    actor: User,
    reason: str | None = None,
    *,
    now: datetime | None = None,
    via: str | None = None,
) -> Offer:
    """Say no to an offer (with an optional reason); the request is not offered to them again.
    `via` ("text") says in the audit how the answer came when it was not the web page."""
    now = now or utcnow()
    reason = (reason or "").strip() or None
    if reason and len(reason) > 300:
        raise InvalidChange("Enter 300 characters or fewer", field="reason")
    offer, volunteer = _answerable(offer_id, actor)
    request = _lock_request(offer.request_id)
    offer = _reload(offer)
    if offer.state != "pending":
        db.session.rollback()
        raise InvalidChange(TAKEN if offer.withdraw_code == "taken" else NO_LONGER)
    result = db.session.execute(
        update(Offer)
        .where(Offer.id == offer.id, Offer.state == "pending")
        .values(
            state="declined",
            decline_reason=reason,
            answered_at=now,
            answered_by_id=actor.id,
            version=Offer.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise InvalidChange(NO_LONGER)
    _reopen_if_no_offers_left(request, actor, f"{volunteer.preferred_name} said no")
    mark_active(volunteer.id, now)
    _tell_champions(
        request,
        f"{volunteer.preferred_name} said no to {_meeting_words(request)}",
        key=f"declined:{offer.id}",
    )
    audit(
        "offer_declined",
        request,
        detail={"offer_id": offer.id, "volunteer_id": volunteer.id, "reason_given": bool(reason)}
        | ({"via": via} if via else {}),
    )
    db.session.commit()
    return _reload(offer)


def record_phone_answer(offer_id: int, actor: User, answer: str, reason: str | None) -> Offer:
    """The champion saves what a phone-only volunteer said: "accept", else a no with a reason."""
    if answer == "accept":
        return accept_offer(offer_id, actor)
    return decline_offer(offer_id, actor, reason)
