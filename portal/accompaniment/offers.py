"""Offers: the champion proposes a request to volunteers, and the first acceptance wins.

This module makes offers and sets when they close. The rest of an offer's life lives beside
it, and every public name (and the private ones other modules use) is re-exported here, so
callers keep importing from `offers`:

- answers: a volunteer accepts or declines (the first acceptance wins)
- upkeep: withdrawing, releasing, expiring, and the listeners that settle offers when a
  request, a client's consent or a volunteer changes (registered when this module is imported)
- conflicts: a volunteer who must never escort a client
- _common: who is a champion, reading offers, locks and the small steps the others share
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from ..audit import audit, utcnow
from ..auth.models import User
from ..clients.models import Client
from ..database import add_unique
from ..errors import Conflict, InvalidChange
from ..extensions import db
from ..matching import check_eligibility
from ..meetings.models import Meeting
from ..service_hours import AnswerRules, answer_by
from ..volunteers.models import Volunteer
from . import offer_texts
from ._common import (
    _lock_request,
    _lock_requests,
    _meeting_words,
    _path,
    _require_champion,
    champions,
    get_offer,
    get_offer_for_volunteer,
    is_champion,
)
from .answers import EXPIRED, NO_LONGER, TAKEN, accept_offer, decline_offer, record_phone_answer
from .conflicts import record_conflict, remove_conflict
from .facts import load_requests, load_volunteer_facts, matching_rules
from .models import AccompanimentRequest, Offer
from .reply_codes import new_reply_codes
from .services import change_request_state
from .upkeep import (
    expire_offers,
    expire_offers_if_due,
    release_escort,
    withdraw_offer,
    withdraw_offers_that_no_longer_hold,
)

__all__ = [
    "EXPIRED",
    "MAX_BROADCAST",
    "NO_LONGER",
    "TAKEN",
    "OfferChecker",
    "_create_offers",
    "_lock_requests",
    "_require_champion",
    "accept_offer",
    "answer_rules",
    "champions",
    "decline_offer",
    "expire_offers",
    "expire_offers_if_due",
    "get_offer",
    "get_offer_for_volunteer",
    "is_champion",
    "make_offers",
    "offer_expiry",
    "offer_to_one",
    "offer_to_top",
    "record_conflict",
    "record_phone_answer",
    "release_escort",
    "remove_conflict",
    "withdraw_offer",
    "withdraw_offers_that_no_longer_hold",
]

MAX_BROADCAST = 10


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
    codes = new_reply_codes(volunteer_ids, now)
    offers = [
        Offer(
            request_id=request.id,
            volunteer_id=volunteer_id,
            state="pending",
            expires_at=expires_at,
            broadcast_id=broadcast,
            reply_code=codes[volunteer_id],
            created_by_id=actor.id,
            created_at=now,
        )
        for volunteer_id in volunteer_ids
    ]
    add_unique(
        *offers, refusal=Conflict("Someone offered this request at the same time. Reload it.")
    )
    who = names[volunteer_ids[0]] if len(volunteer_ids) == 1 else f"{len(volunteer_ids)} volunteers"
    if request.state == "open":
        note = f"Offered to {who}" + (" at once: the first to accept goes" if broadcast else "")
        change_request_state(request, "offered", actor, note=note, commit=False)
    _tell_volunteers_offered(request, offers, now)
    client_ref = db.session.scalar(select(Client.reference).where(Client.id == request.client_id))
    audit(
        "offers_made",
        request,
        detail={"volunteers": volunteer_ids, "broadcast": broadcast, "expires_at": expires_at},
        client_ref=client_ref,
    )
    return offers


def _tell_volunteers_offered(
    request: AccompanimentRequest, offers: list[Offer], now: datetime
) -> None:
    from ..notify.services import notify_user

    words = _meeting_words(request)
    area = db.session.scalar(select(Meeting.area).where(Meeting.id == request.meeting_id))
    by = offer_texts.answer_by_words(offers[0].expires_at, now)
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
            text=offer_texts.offer_made(
                starts_at=request.starts_at,
                meet_at=request.meeting_point_at,
                area=area,
                code=offer.reply_code,
                answer_by=by,
            ),
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
