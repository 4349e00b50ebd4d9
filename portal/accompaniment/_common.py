"""What every offers module shares: who is a champion, reading offers, locks and small steps.

The small steps (ending offers, withdrawing them, telling volunteers and champions) run inside
the caller's transaction; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import lazyload

from ..audit import audit
from ..auth.models import User
from ..auth.services import champions
from ..dates import short_day
from ..errors import NotFound
from ..extensions import db
from ..meetings.models import Meeting
from ..volunteers.models import Volunteer
from .models import WITHDRAW_CODES, AccompanimentRequest, Offer
from .services import change_request_state


def _path(endpoint: str, **values: object) -> str:
    """A site path for a message link; works in jobs outside a request too."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def is_champion(user: User | None) -> bool:
    return user is not None and user.has_role("champion")


def _require_champion(actor: User) -> None:
    from ..errors import NotAllowed

    if not is_champion(actor):
        raise NotAllowed("Only a recovery champion can do this")


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
    return f"{meeting.name} on {short_day(request.starts_at)}"


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


def _tell_volunteer(
    offer_id: int,
    volunteer_id: int,
    request: AccompanimentRequest,
    kind: str,
    title: str,
    *,
    key: str,
    text: str | None = None,
) -> None:
    """Message an offer's volunteer (if they can still sign in), linking to the offer; `{}` in
    `title` becomes the meeting and its day. `text` also goes by text message to a volunteer
    who has texts on for this kind."""
    from ..notify.services import notify_user

    user = _volunteer_user(volunteer_id)
    if user is None:
        return
    link = _path("offers.show", offer_id=offer_id)
    title = title.format(_meeting_words(request))
    notify_user(user, kind, title, link=link, dedupe_key=key, text=text)


def _tell_volunteer_withdrawn(
    offer_id: int,
    volunteer_id: int,
    request: AccompanimentRequest,
    code: str | None,
    reply_code: str | None = None,
) -> None:
    from .offer_texts import offer_closed

    if code == "taken":
        title = "Thank you: someone else is going to {}"
    else:
        title = "The offer for {} is no longer needed"
    key = f"offer-withdrawn:{offer_id}"
    # Only an offer that had a reply code was texted, so only that one's closing is texted.
    text = (
        offer_closed(starts_at=request.starts_at, code=reply_code, why=code) if reply_code else None
    )
    _tell_volunteer(offer_id, volunteer_id, request, "offer_withdrawn", title, key=key, text=text)


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
            select(Offer.id, Offer.volunteer_id, Offer.reply_code).where(Offer.id.in_(offer_ids))
        ).all()
        if offer_ids
        else []
    )
    ended = set(_end_offers([r.id for r in rows], "withdrawn", code=code, reason=reason, now=now))
    for offer_id, volunteer_id, reply_code in rows:
        if offer_id in ended and tell:
            _tell_volunteer_withdrawn(offer_id, volunteer_id, request, code, reply_code)
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
