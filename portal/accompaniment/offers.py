"""Offers: the champion proposes a request to volunteers, and the first acceptance wins.

Every rule two people could break at once is the database's to keep (DESIGN.md section 7):
an acceptance is one write transaction that moves the offer with `UPDATE … WHERE state =
'pending'` (a partial unique index allows one accepted offer per request), moves the request
along its arrow on (state, version), writes the escort's 15-minute busy slots (a unique key per
volunteer and slot refuses an overlap) and raises the volunteer's week counter only while it is
under their cap. Any of those failing rolls the whole acceptance back with a plain message.
On PostgreSQL each transaction that changes a request's offers first locks the request's row,
so two answers to one request queue up instead of reading each other's half-done work.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import lazyload

from ..audit import audit, utcnow
from ..auth.models import User, UserRole
from ..clients.models import Client
from ..clients.services import on_consent_withdrawn
from ..database import write_transaction
from ..errors import Conflict, DomainError, InvalidChange, NotFound
from ..extensions import db
from ..matching import check_eligibility
from ..meetings.models import Meeting
from ..service_hours import AnswerRules, answer_by
from ..volunteers.models import Volunteer
from ..volunteers.services import mark_active, on_volunteer_change
from .facts import (
    escort_slots,
    escort_span,
    escort_week,
    load_requests,
    load_volunteer_facts,
    matching_rules,
)
from .models import (
    WITHDRAW_CODES,
    AccompanimentRequest,
    EscortSlot,
    Offer,
    VolunteerClientConflict,
    VolunteerWeekCount,
)
from .services import change_request_state, on_state_change

log = logging.getLogger(__name__)
TAKEN = "Someone else has already taken this one, thank you."
EXPIRED = "This offer has expired, so it can no longer be accepted. Thank you for looking."
NO_LONGER = "This offer is no longer open. Thank you for looking."
MAX_BROADCAST = 10


def _short_day(moment: datetime) -> str:
    from ..meetings.occurrences import LONDON

    local = moment.astimezone(LONDON)
    return f"{local:%a} {local.day} {local:%b}"


def _path(endpoint: str, **values: object) -> str:
    """A site path for a message link; works in jobs outside a request too."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def is_champion(user: User | None) -> bool:
    return user is not None and user.has_role("champion")


def _require_champion(actor: User) -> None:
    from ..errors import NotAllowed

    if not is_champion(actor):
        raise NotAllowed("Only a recovery champion can do this")


# --- reading -------------------------------------------------------------------------------------


def get_offer(offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        raise NotFound("No such offer")
    return offer


def get_offer_for_volunteer(user: User, offer_id: int) -> tuple[Offer, Volunteer]:
    """One of the signed-in volunteer's own offers; anyone else's is NotFound (a 404)."""
    row = db.session.execute(
        select(Offer, Volunteer)
        .join(Volunteer, Volunteer.id == Offer.volunteer_id)
        .where(Offer.id == offer_id, Volunteer.user_id == user.id)
    ).first()
    if row is None:
        raise NotFound("No such offer")
    return row[0], row[1]


def _answerable(offer_id: int, actor: User) -> tuple[Offer, Volunteer]:
    """The offer an answer is for: the volunteer's own, or a phone-only contact's for a champion."""
    row = db.session.execute(
        select(Offer, Volunteer)
        .join(Volunteer, Volunteer.id == Offer.volunteer_id)
        .where(Offer.id == offer_id)
    ).first()
    if row is None:
        raise NotFound("No such offer")
    offer, volunteer = row
    if volunteer.user_id is not None and volunteer.user_id == actor.id:
        return offer, volunteer
    if volunteer.phone_only and is_champion(actor):
        return offer, volunteer
    raise NotFound("No such offer")


def champions() -> list[User]:
    """Active recovery champions, who hear about answers to offers."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "champion", User.active.is_(True))
            .order_by(User.id)
        ).unique()
    )


def answer_rules() -> AnswerRules:
    """The settings an offer's answer-by follows (service hours, hours before the meeting)."""
    from ..service_hours import from_settings
    from ..settings import get_setting

    opens, closes = from_settings()
    return AnswerRules(
        expiry=timedelta(hours=int(get_setting("offer_expiry_hours"))),
        before=timedelta(hours=int(get_setting("offer_answer_before_hours"))),
        urgent_before=timedelta(hours=int(get_setting("urgent_answer_before_hours"))),
        opens=opens,
        closes=closes,
    )


def offer_expiry(request: AccompanimentRequest, now: datetime) -> datetime:
    """When an offer made now closes (the volunteer's "Please answer by"): the usual hours
    moved into service hours, never later than the set hours before the meeting-up time (fewer
    for an urgent request), never within the hour; see `service_hours.answer_by`."""
    meeting_point = request.meeting_point_at
    if meeting_point <= now + timedelta(minutes=5):
        raise InvalidChange("The meeting point time has passed, so no offer can be made.")
    return answer_by(now, meeting_point, answer_rules())


# --- locks and small steps -----------------------------------------------------------------------


def _lock_request(request_id: int) -> AccompanimentRequest:
    """The request, current and (on PostgreSQL) locked for the rest of the transaction."""
    request = db.session.scalar(
        select(AccompanimentRequest)
        .where(AccompanimentRequest.id == request_id)
        .options(lazyload(AccompanimentRequest.meeting))
        .with_for_update(of=AccompanimentRequest)
        .execution_options(populate_existing=True)
    )
    if request is None:
        raise NotFound("No such request")
    return request


def _lock_requests(request_ids: Iterable[int]) -> dict[int, AccompanimentRequest]:
    ids = sorted(set(request_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        select(AccompanimentRequest)
        .where(AccompanimentRequest.id.in_(ids))
        .order_by(AccompanimentRequest.id)
        .options(lazyload(AccompanimentRequest.meeting))
        .with_for_update(of=AccompanimentRequest)
        .execution_options(populate_existing=True)
    ).unique()
    return {row.id: row for row in rows}


def _reload(offer: Offer) -> Offer:
    return db.session.scalar(
        select(Offer).where(Offer.id == offer.id).execution_options(populate_existing=True)
    )


def _pending_left(request_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Offer)
        .where(Offer.request_id == request_id, Offer.state == "pending")
    )


def _reopen_if_no_offers_left(request: AccompanimentRequest, actor: User | None, note: str) -> None:
    """A request whose last pending offer ended is open for volunteers again."""
    if request.state == "offered" and _pending_left(request.id) == 0:
        change_request_state(request, "open", actor, note=note, commit=False)


def _end_offers(
    offer_ids: list[int],
    state: str,
    *,
    code: str | None = None,
    reason: str | None = None,
    now: datetime,
) -> list[int]:
    """Move pending offers to `state`; returns the ids that were still pending."""
    if not offer_ids:
        return []
    values: dict = {"state": state, "ended_at": now, "version": Offer.version + 1}
    if state == "withdrawn":
        values |= {
            "withdraw_code": code,
            "withdraw_reason": (reason or WITHDRAW_CODES.get(code or "", ""))[:300] or None,
        }
    ended = []
    for offer_id in offer_ids:
        result = db.session.execute(
            update(Offer)
            .where(Offer.id == offer_id, Offer.state == "pending")
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            ended.append(offer_id)
    return ended


def _volunteer_user(volunteer_id: int) -> User | None:
    return db.session.scalar(
        select(User)
        .join(Volunteer, Volunteer.user_id == User.id)
        .where(Volunteer.id == volunteer_id, User.active.is_(True))
    )


def _meeting_words(request: AccompanimentRequest) -> str:
    meeting = db.session.get(Meeting, request.meeting_id)
    return f"{meeting.name} on {_short_day(request.starts_at)}"


def _champion_link(request_id: int) -> str:
    return _path("accompaniment.coordinate", request_id=request_id)


def _tell_champions(request: AccompanimentRequest, title: str, *, key: str) -> None:
    from ..notify.services import notify_user

    for user in champions():
        notify_user(
            user,
            "offer_declined",
            title,
            link=_champion_link(request.id),
            dedupe_key=f"{key}:{user.id}",
        )


def _tell_volunteer_withdrawn(
    offer_id: int, volunteer_id: int, request: AccompanimentRequest, code: str | None
) -> None:
    from ..notify.services import notify_user

    user = _volunteer_user(volunteer_id)
    if user is None:
        return
    words = _meeting_words(request)
    if code == "taken":
        title = f"Thank you: someone else is going to {words}"
    else:
        title = f"The offer for {words} is no longer needed"
    notify_user(
        user,
        "offer_withdrawn",
        title,
        link=_path("offers.show", offer_id=offer_id),
        dedupe_key=f"offer-withdrawn:{offer_id}",
    )


def _withdraw(
    request: AccompanimentRequest,
    offer_ids: list[int],
    code: str,
    reason: str | None,
    now: datetime,
    *,
    tell: bool = True,
) -> list[int]:
    """Withdraw these pending offers of one request and tell each volunteer."""
    rows = (
        db.session.execute(
            select(Offer.id, Offer.volunteer_id).where(Offer.id.in_(offer_ids))
        ).all()
        if offer_ids
        else []
    )
    ended = set(_end_offers([r.id for r in rows], "withdrawn", code=code, reason=reason, now=now))
    for offer_id, volunteer_id in rows:
        if offer_id in ended and tell:
            _tell_volunteer_withdrawn(offer_id, volunteer_id, request, code)
    if ended:
        audit(
            "offers_withdrawn",
            request,
            detail={"offers": sorted(ended), "code": code},
        )
    return sorted(ended)


def _pending_ids(request_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(Offer.id).where(Offer.request_id == request_id, Offer.state == "pending")
        )
    )


# --- making offers -------------------------------------------------------------------------------


def make_offers(
    request_id: int,
    volunteer_ids: list[int],
    actor: User,
    *,
    now: datetime | None = None,
    commit: bool = True,
) -> list[Offer]:
    """Offer one request to these volunteers (several at once: the first to accept wins).

    Every volunteer is judged again by matching now; one who no longer fits is refused with the
    rule that excludes them, and nothing is sent.
    """
    _require_champion(actor)
    now = now or utcnow()
    volunteer_ids = list(dict.fromkeys(volunteer_ids))
    if not volunteer_ids:
        raise InvalidChange("Choose at least one volunteer to offer this to.")
    if len(volunteer_ids) > MAX_BROADCAST:
        raise InvalidChange(f"Offer to {MAX_BROADCAST} volunteers or fewer at once.")
    request = _lock_request(request_id)
    checker = OfferChecker([request.id], volunteer_ids, now)
    for volunteer_id in volunteer_ids:
        problem = checker.problem(request.id, volunteer_id)
        if problem:
            db.session.rollback()
            raise InvalidChange(problem)
    offers = _create_offers(request, volunteer_ids, checker.names, actor, now)
    if commit:
        db.session.commit()
    return offers


class OfferChecker:
    """Judges (request, volunteer) pairs before offers go out, with everything loaded at once."""

    def __init__(self, request_ids: list[int], volunteer_ids: list[int], now: datetime) -> None:
        self.now = now
        self.loaded = {
            item.request.id: item
            for item in load_requests(AccompanimentRequest.id.in_(sorted(set(request_ids))))
        }
        self.facts = load_volunteer_facts(list(volunteer_ids), now)
        self.rules = matching_rules()
        self.names = dict(
            db.session.execute(
                select(Volunteer.id, Volunteer.preferred_name).where(
                    Volunteer.id.in_(set(volunteer_ids))
                )
            ).all()
        )
        self.pending = set(
            db.session.execute(
                select(Offer.request_id, Offer.volunteer_id).where(
                    Offer.request_id.in_(set(request_ids)),
                    Offer.volunteer_id.in_(set(volunteer_ids)),
                    Offer.state == "pending",
                )
            ).all()
        )

    def problem(self, request_id: int, volunteer_id: int) -> str | None:
        """Why this volunteer cannot be offered this request now, or None."""
        item = self.loaded.get(request_id)
        if item is None:
            return "That request no longer exists."
        request = item.request
        if request.state not in ("open", "offered"):
            return (
                f"This request is {request.state_label.lower()}, so it cannot be offered to anyone."
            )
        if request.meeting_point_at <= self.now + timedelta(minutes=5):
            return "The meeting point time has passed, so no offer can be made."
        if volunteer_id not in self.facts:
            return "That volunteer is not in the pool."
        name = self.names[volunteer_id]
        if (request_id, volunteer_id) in self.pending:
            return f"{name} already has this offer and has not answered yet."
        reasons = check_eligibility(self.facts[volunteer_id], item.facts, self.rules)
        if reasons:
            return f"{name} cannot take this request: {reasons[0].message}."
        return None


def _create_offers(
    request: AccompanimentRequest,
    volunteer_ids: list[int],
    names: dict[int, str],
    actor: User,
    now: datetime,
) -> list[Offer]:
    """Write the offers (the request locked and the volunteers checked), move the request to
    offered and tell each volunteer."""
    expires_at = offer_expiry(request, now)
    broadcast = uuid.uuid4().hex if len(volunteer_ids) > 1 else None
    offers = [
        Offer(
            request_id=request.id,
            volunteer_id=volunteer_id,
            state="pending",
            expires_at=expires_at,
            broadcast_id=broadcast,
            created_by_id=actor.id,
            created_at=now,
        )
        for volunteer_id in volunteer_ids
    ]
    db.session.add_all(offers)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("Someone offered this request at the same time. Reload it.") from None
    who = names[volunteer_ids[0]] if len(volunteer_ids) == 1 else f"{len(volunteer_ids)} volunteers"
    if request.state == "open":
        note = f"Offered to {who}" + (" at once: the first to accept goes" if broadcast else "")
        change_request_state(request, "offered", actor, note=note, commit=False)
    _tell_volunteers_offered(request, offers)
    client_ref = db.session.scalar(select(Client.reference).where(Client.id == request.client_id))
    audit(
        "offers_made",
        request,
        detail={"volunteers": volunteer_ids, "broadcast": broadcast, "expires_at": expires_at},
        client_ref=client_ref,
    )
    return offers


def _tell_volunteers_offered(request: AccompanimentRequest, offers: list[Offer]) -> None:
    from ..notify.services import notify_user

    words = _meeting_words(request)
    users = dict(
        db.session.execute(
            select(Volunteer.id, User)
            .join(User, User.id == Volunteer.user_id)
            .where(Volunteer.id.in_([o.volunteer_id for o in offers]), User.active.is_(True))
        ).all()
    )
    for offer in offers:
        user = users.get(offer.volunteer_id)
        if user is None:  # a phone-only contact: the champion phones them
            continue
        notify_user(
            user,
            "offer_made",
            f"Can you go with someone to {words}?",
            body="Please answer soon: the offer closes if nobody answers in time.",
            link=_path("offers.show", offer_id=offer.id),
            dedupe_key=f"offer:{offer.id}",
        )


def offer_to_one(request_id: int, volunteer_id: int, actor: User) -> Offer:
    """Offer the request to one volunteer."""
    return make_offers(request_id, [volunteer_id], actor)[0]


def offer_to_top(request_id: int, count: int, actor: User, ranked_ids: list[int]) -> list[Offer]:
    """Offer the request to the best `count` volunteers not yet asked, all at once."""
    if not 2 <= count <= MAX_BROADCAST:
        raise InvalidChange(f"Choose from 2 to {MAX_BROADCAST} volunteers", field="count")
    chosen = ranked_ids[:count]
    if not chosen:
        raise InvalidChange("Nobody eligible is waiting to be asked.")
    return make_offers(request_id, chosen, actor)


# --- answering -----------------------------------------------------------------------------------


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


def accept_offer(offer_id: int, actor: User, *, now: datetime | None = None) -> Offer:
    """Accept an offer: one write transaction in which the first acceptance wins.

    Refusals (someone else took it, an overlapping escort, the weekly limit, expiry) roll the
    whole transaction back and raise InvalidChange with the message to show.
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
        },
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
    offer_id: int, actor: User, reason: str | None = None, *, now: datetime | None = None
) -> Offer:
    """Say no to an offer (with an optional reason); the request is not offered to them again."""
    now = now or utcnow()
    reason = (reason or "").strip() or None
    if reason and len(reason) > 300:
        raise InvalidChange("Write 300 characters or fewer", field="reason")
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
        detail={"offer_id": offer.id, "volunteer_id": volunteer.id, "reason_given": bool(reason)},
    )
    db.session.commit()
    return _reload(offer)


def withdraw_offer(offer_id: int, actor: User, reason: str | None = None) -> Offer:
    """The champion takes back an offer nobody has answered yet."""
    _require_champion(actor)
    now = utcnow()
    reason = (reason or "").strip() or None
    if reason and len(reason) > 300:
        raise InvalidChange("Write 300 characters or fewer", field="reason")
    offer = get_offer(offer_id)
    request = _lock_request(offer.request_id)
    if not _withdraw(request, [offer.id], "champion", reason, now):
        db.session.rollback()
        raise InvalidChange("This offer was already answered or closed. Nothing was changed.")
    _reopen_if_no_offers_left(request, actor, "Offer withdrawn by the champion")
    db.session.commit()
    return _reload(offer)


def release_escort(
    request_id: int, actor: User, reason: str, *, now: datetime | None = None
) -> None:
    """The accepted volunteer can no longer go: free their time and open the request again.

    The volunteer themselves or a champion may do this; a keyworker cancels the request instead.
    """
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidChange("Say why they can no longer go", field="reason")
    if len(reason) > 300:
        raise InvalidChange("Write 300 characters or fewer", field="reason")
    request = _lock_request(request_id)
    if request.state != "accepted" or request.volunteer_id is None:
        db.session.rollback()
        raise InvalidChange("This escort is not booked, so there is nothing to release.")
    volunteer = db.session.get(Volunteer, request.volunteer_id)
    own = volunteer.user_id is not None and volunteer.user_id == actor.id
    if not (own or is_champion(actor)):
        raise NotFound("No such escort")
    _release(request, "released", reason, now, tell_volunteer=not own)
    change_request_state(
        request,
        "open",
        actor,
        note=f"{volunteer.preferred_name} can no longer go: {reason}",
        commit=False,
    )
    if own:
        _tell_champions(
            request,
            f"{volunteer.preferred_name} can no longer go to {_meeting_words(request)}",
            key=f"released:{request.id}:{request.version}",
        )
    audit("escort_released", request, detail={"volunteer_id": volunteer.id, "by_volunteer": own})
    db.session.commit()


def _release(
    request: AccompanimentRequest,
    code: str,
    reason: str | None,
    now: datetime,
    *,
    tell_volunteer: bool,
) -> None:
    """Free an accepted escort: its slots, its week count and its accepted offer."""
    volunteer_id = request.volunteer_id
    accepted = db.session.scalar(
        select(Offer).where(Offer.request_id == request.id, Offer.state == "accepted")
    )
    first = db.session.scalar(
        select(func.min(EscortSlot.slot_start)).where(EscortSlot.request_id == request.id)
    )
    if first is not None and volunteer_id is not None:
        from ..meetings.occurrences import LONDON
        from .facts import _aware

        iso = _aware(first).astimezone(LONDON).date().isocalendar()
        db.session.execute(
            update(VolunteerWeekCount)
            .where(
                VolunteerWeekCount.volunteer_id == volunteer_id,
                VolunteerWeekCount.iso_year == iso.year,
                VolunteerWeekCount.iso_week == iso.week,
                VolunteerWeekCount.n > 0,
            )
            .values(n=VolunteerWeekCount.n - 1)
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        delete(EscortSlot)
        .where(EscortSlot.request_id == request.id)
        .execution_options(synchronize_session=False)
    )
    if accepted is not None:
        db.session.execute(
            update(Offer)
            .where(Offer.id == accepted.id, Offer.state == "accepted")
            .values(
                state="withdrawn",
                withdraw_code=code,
                withdraw_reason=(reason or WITHDRAW_CODES[code])[:300],
                ended_at=now,
                version=Offer.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if tell_volunteer:
            _tell_escort_off(accepted.id, accepted.volunteer_id, request, code)


def _tell_escort_off(
    offer_id: int, volunteer_id: int, request: AccompanimentRequest, code: str
) -> None:
    from ..notify.services import notify_user

    user = _volunteer_user(volunteer_id)
    if user is None:
        return
    words = _meeting_words(request)
    title = {
        "date_changed": f"The escort to {words} moved to another date: you are no longer booked",
        "request_closed": f"The escort to {words} is cancelled",
    }.get(code, f"You are no longer booked for {words}")
    notify_user(
        user,
        "escort_cancelled",
        title,
        link=_path("offers.show", offer_id=offer_id),
        dedupe_key=f"escort-off:{offer_id}",
    )


# --- time and changes elsewhere ------------------------------------------------------------------


def expire_offers(now: datetime | None = None) -> int:
    """Close offers nobody answered in time, and open their requests again (the tick calls this).

    The caller's transaction must be a write transaction (a job: `write_transaction()`); commits.
    """
    now = now or utcnow()
    due = db.session.execute(
        select(Offer.id, Offer.request_id, Offer.volunteer_id).where(
            Offer.state == "pending", Offer.expires_at <= now
        )
    ).all()
    stranded = list(
        db.session.scalars(
            select(AccompanimentRequest.id).where(
                AccompanimentRequest.state == "offered",
                ~select(Offer.id)
                .where(Offer.request_id == AccompanimentRequest.id, Offer.state == "pending")
                .exists(),
            )
        )
    )
    if not due and not stranded:
        db.session.rollback()
        return 0
    requests = _lock_requests([row.request_id for row in due] + stranded)
    names = (
        dict(
            db.session.execute(
                select(Volunteer.id, Volunteer.preferred_name).where(
                    Volunteer.id.in_({row.volunteer_id for row in due})
                )
            ).all()
        )
        if due
        else {}
    )
    expired = set(_end_offers([row.id for row in due], "expired", now=now))
    for row in due:
        if row.id not in expired:
            continue
        request = requests[row.request_id]
        name = names.get(row.volunteer_id, "A volunteer")
        _tell_champions(
            request,
            f"No answer from {name}: the offer for {_meeting_words(request)} has expired",
            key=f"expired:{row.id}",
        )
    for request in requests.values():
        _reopen_if_no_offers_left(request, None, "No answer in time: the offer expired")
    if expired:
        audit("offers_expired", None, detail={"offers": sorted(expired)})
    db.session.commit()
    return len(expired)


def expire_offers_if_due(now: datetime | None = None) -> int:
    """Expire lazily as pages load: one cheap look, and a write transaction only when needed."""
    now = now or utcnow()
    due = db.session.scalar(
        select(Offer.id).where(Offer.state == "pending", Offer.expires_at <= now).limit(1)
    )
    if due is None:
        return 0
    db.session.rollback()  # end the read: the write below must take SQLite's lock at BEGIN
    with write_transaction():
        return expire_offers(now)


def withdraw_offers_that_no_longer_hold(
    now: datetime | None = None,
    *,
    volunteer_ids: Iterable[int] | None = None,
    request_ids: Iterable[int] | None = None,
    commit: bool = True,
) -> int:
    """Withdraw pending offers whose volunteer no longer passes every rule for the request
    (paused, a check that lapses before the meeting, another escort then…); the champion sees
    the rule on the request page. Returns how many were withdrawn."""
    now = now or utcnow()
    # An offer past its closing time is the expiry's to close, not this.
    statement = select(Offer.id, Offer.request_id, Offer.volunteer_id).where(
        Offer.state == "pending", Offer.expires_at > now
    )
    if volunteer_ids is not None:
        ids = list(volunteer_ids)
        if not ids:
            return 0
        statement = statement.where(Offer.volunteer_id.in_(ids))
    if request_ids is not None:
        statement = statement.where(Offer.request_id.in_(list(request_ids)))
    pending = db.session.execute(statement).all()
    if not pending:
        if commit:
            db.session.commit()
        return 0
    loaded = {
        item.request.id: item
        for item in load_requests(AccompanimentRequest.id.in_({row.request_id for row in pending}))
    }
    facts = load_volunteer_facts(list({row.volunteer_id for row in pending}), now)
    rules = matching_rules()
    failing: dict[int, list[tuple[int, int, str]]] = {}
    for offer_id, request_id, volunteer_id in pending:
        volunteer = facts.get(volunteer_id)
        item = loaded.get(request_id)
        if volunteer is None or item is None:
            continue
        reasons = check_eligibility(volunteer, item.facts, rules)
        if reasons:
            failing.setdefault(request_id, []).append((offer_id, volunteer_id, reasons[0].message))
    if not failing:
        if commit:
            db.session.commit()
        return 0
    requests = _lock_requests(failing)
    names = dict(
        db.session.execute(
            select(Volunteer.id, Volunteer.preferred_name).where(
                Volunteer.id.in_({v for rows in failing.values() for _, v, _ in rows})
            )
        ).all()
    )
    count = 0
    for request_id, rows in failing.items():
        request = requests[request_id]
        for offer_id, volunteer_id, message in rows:
            reason = f"{names.get(volunteer_id, 'The volunteer')}: {message}"
            if _withdraw(request, [offer_id], "no_longer_eligible", reason, now):
                count += 1
                _tell_champions(
                    request,
                    f"Offer for {_meeting_words(request)} withdrawn: {reason}",
                    key=f"no-longer:{offer_id}",
                )
        _reopen_if_no_offers_left(request, None, "Offers withdrawn: the volunteers no longer fit")
    if commit:
        db.session.commit()
    return count


@on_state_change
def _after_request_change(
    request: AccompanimentRequest, from_state: str, to_state: str, actor: User | None
) -> None:
    """A request re-dated, cancelled, closed or completed: settle its offers and escort."""
    if to_state in ("accepted", "offered"):
        return
    now = utcnow()
    redated = to_state == "open"
    code = "date_changed" if redated else "request_closed"
    if to_state != "completed":
        pending = _pending_ids(request.id)
        if pending:
            _withdraw(request, pending, code, None, now)
    if from_state == "accepted" and to_state in ("open", "cancelled"):
        own = False
        if actor is not None and request.volunteer_id is not None:
            own = (
                db.session.scalar(
                    select(Volunteer.user_id).where(Volunteer.id == request.volunteer_id)
                )
                == actor.id
            )
        _release(request, code, None, now, tell_volunteer=not own)
    if to_state == "open":
        db.session.execute(
            update(AccompanimentRequest)
            .where(AccompanimentRequest.id == request.id)
            .values(volunteer_id=None, accepted_at=None)
            .execution_options(synchronize_session=False)
        )
        request.volunteer_id = None
        request.accepted_at = None


@on_consent_withdrawn
def _after_consent_withdrawn(client: Client, kind: str, actor: User) -> None:
    """Pending offers showed the first name or phone: withdraw them so the champion re-offers."""
    now = utcnow()
    request_ids = list(
        db.session.scalars(
            select(AccompanimentRequest.id).where(
                AccompanimentRequest.client_id == client.id,
                AccompanimentRequest.state == "offered",
            )
        )
    )
    what = "first name" if kind == "share_first_name" else "phone number"
    for request in _lock_requests(request_ids).values():
        pending = _pending_ids(request.id)
        if not pending:
            continue
        reason = (
            f"The client withdrew consent to share their {what}: offer again, so the volunteer "
            f"sees only what they may"
        )
        _withdraw(request, pending, "consent_withdrawn", reason, now)
        _reopen_if_no_offers_left(request, actor, "Offers withdrawn: a consent was withdrawn")
        _tell_champions(
            request,
            f"Offers for {_meeting_words(request)} withdrawn: a consent was withdrawn",
            key=f"consent:{request.id}:{request.version}",
        )


@on_volunteer_change
def _after_volunteer_change(volunteer_id: int, what: str) -> None:
    """Paused, withdrawn, a check changed or time away: withdraw offers that no longer hold."""
    withdraw_offers_that_no_longer_hold(volunteer_ids=[volunteer_id], commit=False)


# --- conflicts of interest -----------------------------------------------------------------------


def record_conflict(request_id: int, volunteer_id: int, note: str | None, actor: User) -> None:
    """Record that this volunteer must never escort this request's client (champions only)."""
    _require_champion(actor)
    note = (note or "").strip() or None
    if note and len(note) > 300:
        raise InvalidChange("Write 300 characters or fewer", field="note")
    request = db.session.get(AccompanimentRequest, request_id)
    if request is None:
        raise NotFound("No such request")
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise InvalidChange("Choose a volunteer from the list", field="volunteer_id")
    db.session.add(
        VolunteerClientConflict(
            volunteer_id=volunteer.id,
            client_id=request.client_id,
            note=note,
            created_by_id=actor.id,
        )
    )
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise InvalidChange(
            f"A conflict between {volunteer.preferred_name} and this client is already recorded",
            field="volunteer_id",
        ) from None
    client_ref = db.session.scalar(select(Client.reference).where(Client.id == request.client_id))
    audit(
        "conflict_recorded",
        volunteer,
        detail={"request_id": request.id, "note_given": bool(note)},
        client_ref=client_ref,
    )
    withdraw_offers_that_no_longer_hold(volunteer_ids=[volunteer.id], commit=False)
    db.session.commit()


def remove_conflict(request_id: int, conflict_id: int, actor: User) -> None:
    """Remove a conflict recorded by mistake (champions only)."""
    _require_champion(actor)
    request = db.session.get(AccompanimentRequest, request_id)
    conflict = db.session.get(VolunteerClientConflict, conflict_id)
    if request is None or conflict is None or conflict.client_id != request.client_id:
        raise NotFound("No such conflict")
    volunteer = db.session.get(Volunteer, conflict.volunteer_id)
    client_ref = db.session.scalar(select(Client.reference).where(Client.id == request.client_id))
    db.session.delete(conflict)
    audit("conflict_removed", volunteer, detail={"request_id": request.id}, client_ref=client_ref)
    db.session.commit()
