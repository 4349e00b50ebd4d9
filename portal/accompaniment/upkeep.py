"""Keeping offers and escorts true as things change: the champion withdraws an offer, an escort
is released, unanswered offers expire, and offers that no longer hold are withdrawn when a
request, a client's consent or a volunteer changes (the listeners below are registered when
this module is imported, which `offers` does).

On PostgreSQL each transaction that changes a request's offers first locks the request's row,
so two changes to one request queue up instead of reading each other's half-done work.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select, update

from ..audit import audit, utcnow
from ..auth.models import User
from ..clients.models import Client
from ..clients.services import on_consent_withdrawn
from ..database import write_transaction
from ..errors import InvalidChange, NotFound
from ..extensions import db
from ..matching import check_eligibility
from ..volunteers.models import Volunteer
from ..volunteers.services import on_volunteer_change
from ._common import (
    _end_offers,
    _lock_request,
    _lock_requests,
    _meeting_words,
    _pending_ids,
    _reload,
    _reopen_if_no_offers_left,
    _require_champion,
    _tell_champions,
    _tell_volunteer,
    _withdraw,
    get_offer,
    is_champion,
)
from .facts import _aware, load_requests, load_volunteer_facts, matching_rules
from .models import WITHDRAW_CODES, AccompanimentRequest, EscortSlot, Offer, VolunteerWeekCount
from .offer_texts import escort_off
from .services import change_request_state, on_state_change


def withdraw_offer(offer_id: int, actor: User, reason: str | None = None) -> Offer:
    """The champion takes back an offer nobody has answered yet."""
    _require_champion(actor)
    now = utcnow()
    reason = (reason or "").strip() or None
    if reason and len(reason) > 300:
        raise InvalidChange("Enter 300 characters or fewer", field="reason")
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
        raise InvalidChange("Enter 300 characters or fewer", field="reason")
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
            # The first busy slot still says the escort's day when the request was re-dated.
            booked_at = _aware(first) if first is not None else request.meeting_point_at
            _tell_escort_off(accepted.id, accepted.volunteer_id, request, code, booked_at)


def _tell_escort_off(
    offer_id: int, volunteer_id: int, request: AccompanimentRequest, code: str, booked_at: datetime
) -> None:
    title = {
        "date_changed": "The escort to {} moved to another date: you are no longer booked",
        "request_closed": "The escort to {} is cancelled",
    }.get(code, "You are no longer booked for {}")
    key = f"escort-off:{offer_id}"
    text = escort_off(starts_at=booked_at, why=code)
    _tell_volunteer(offer_id, volunteer_id, request, "escort_cancelled", title, key=key, text=text)


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
