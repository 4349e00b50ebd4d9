"""Travel expense claims: the volunteer claims for an escort they did, the champion decides.

A claim belongs to one escort (an accompanied request the volunteer accepted, whose meeting time
has passed) and one volunteer; the database holds one per pair. Money is whole pence, and the
mileage rate is copied onto the claim when it is made, so a later change of rate changes no
claim. Deciding uses the optimistic version check: of two champions deciding at once, the
second is told the claim changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from ..accompaniment.models import AccompanimentRequest, Offer
from ..audit import audit, utcnow
from ..auth.models import User
from ..database import add_unique
from ..errors import Conflict, InvalidChange, NotFound
from ..extensions import db
from ..meetings.models import Meeting
from ..notify.services import notify_user
from ..settings import get_setting
from ..versioning import claim_version
from ..volunteers.models import Volunteer
from ..volunteers.services import own_volunteer
from .models import FARES, MAX_PENCE, ExpenseClaim, pounds
from .tickets import remove_ticket, store_ticket

# Escorts stay claimable this long after the meeting.
CLAIM_WITHIN = timedelta(days=92)
CHANGED = "Someone else decided this claim while you were looking. Reload to see it now."
WITHDRAWN_MEANWHILE = "This claim was decided, or withdrawn, while you were looking."


@dataclass(frozen=True)
class EscortToClaim:
    request_id: int
    meeting: str
    starts_at: datetime


@dataclass(frozen=True)
class ClaimLine:
    """A claim with the words a list shows beside it, read in the list's one query."""

    claim: ExpenseClaim
    volunteer: str
    meeting: str
    starts_at: datetime


def _is_champion(user: User) -> bool:
    return user.has_role("champion")


def _volunteer(actor: User) -> Volunteer:
    volunteer = own_volunteer(actor)
    if volunteer is None:
        raise NotFound("No volunteer record")
    return volunteer


def _claimable(volunteer_id: int, now: datetime):
    """Requests this volunteer accompanied (their accepted offer), meeting time passed."""
    accepted = (
        select(Offer.id)
        .where(
            Offer.request_id == AccompanimentRequest.id,
            Offer.volunteer_id == volunteer_id,
            Offer.state == "accepted",
        )
        .exists()
    )
    return (
        select(AccompanimentRequest.id, Meeting.name, AccompanimentRequest.starts_at)
        .join(Meeting, Meeting.id == AccompanimentRequest.meeting_id)
        .where(
            AccompanimentRequest.volunteer_id == volunteer_id,
            AccompanimentRequest.state.in_(("accepted", "completed")),
            func.coalesce(AccompanimentRequest.outcome, "") != "volunteer_could_not_go",
            AccompanimentRequest.starts_at <= now,
            AccompanimentRequest.starts_at > now - CLAIM_WITHIN,
            accepted,
        )
    )


def escorts_to_claim(actor: User, now: datetime | None = None) -> list[EscortToClaim]:
    """The actor's recent past escorts they have not claimed for, newest first."""
    volunteer = own_volunteer(actor)
    if volunteer is None:  # an account whose volunteer record is not made yet
        return []
    claimed = select(ExpenseClaim.request_id).where(ExpenseClaim.volunteer_id == volunteer.id)
    rows = db.session.execute(
        _claimable(volunteer.id, now or utcnow())
        .where(AccompanimentRequest.id.not_in(claimed))
        .order_by(AccompanimentRequest.starts_at.desc())
        .limit(50)
    )
    return [EscortToClaim(*row) for row in rows]


def escort_to_claim(request_id: int, actor: User, now: datetime | None = None) -> EscortToClaim:
    """One escort the actor may claim for; any other (not theirs, not yet, too old) is 404."""
    volunteer = _volunteer(actor)
    row = db.session.execute(
        _claimable(volunteer.id, now or utcnow()).where(AccompanimentRequest.id == request_id)
    ).first()
    if row is None:
        raise NotFound("No such escort")
    return EscortToClaim(*row)


def existing_claim(request_id: int, actor: User) -> ExpenseClaim | None:
    volunteer = _volunteer(actor)
    return db.session.scalar(
        select(ExpenseClaim).where(
            ExpenseClaim.volunteer_id == volunteer.id, ExpenseClaim.request_id == request_id
        )
    )


def mileage_rate() -> int:
    """Pence a mile for driving, as the admin set it."""
    return int(get_setting("mileage_rate_pence"))


def mileage_pence(miles_tenths: int, rate_pence: int) -> int:
    """Miles (in tenths) at the rate, to the nearest penny (a half penny rounds up)."""
    return (miles_tenths * rate_pence + 5) // 10


def make_claim(
    request_id: int,
    actor: User,
    *,
    kind: str,
    amount_pence: int | None = None,
    miles_tenths: int | None = None,
    detail: str | None = None,
    ticket: bytes | None = None,
) -> ExpenseClaim:
    """Claim the travel for one escort: a fare in pence, or miles at today's rate; audited."""
    escort = escort_to_claim(request_id, actor)
    volunteer = _volunteer(actor)
    claim = ExpenseClaim(
        volunteer_id=volunteer.id, request_id=escort.request_id, kind=kind, detail=detail or None
    )
    if kind in FARES:
        if not amount_pence or not 0 < amount_pence <= MAX_PENCE:
            raise InvalidChange("Enter the fare, up to £500", field="amount")
        claim.amount_pence = amount_pence
    elif kind == "miles":
        if not miles_tenths or miles_tenths <= 0:
            raise InvalidChange("Enter how many miles you drove", field="miles")
        claim.miles_tenths = miles_tenths
        claim.rate_pence = mileage_rate()
        claim.amount_pence = mileage_pence(miles_tenths, claim.rate_pence)
        if not 0 < claim.amount_pence <= MAX_PENCE:
            raise InvalidChange("That is more than one claim can be. Check the miles", "miles")
    else:
        raise InvalidChange("Select what you are claiming for", field="kind")
    if ticket:
        claim.ticket_file, claim.ticket_type = store_ticket(ticket)
    try:
        add_unique(claim, refusal=InvalidChange("You have claimed for this escort already."))
        audit("expense_claimed", claim, detail={"kind": kind, "pence": claim.amount_pence})
        db.session.commit()
    except Exception:
        remove_ticket(claim.ticket_file)
        raise
    return claim


def own_claims(actor: User) -> list[ClaimLine]:
    """Every claim of the actor's, newest escort first (one query)."""
    volunteer = own_volunteer(actor)
    if volunteer is None:
        return []
    rows = db.session.execute(
        select(ExpenseClaim, Meeting.name, AccompanimentRequest.starts_at)
        .join(AccompanimentRequest, AccompanimentRequest.id == ExpenseClaim.request_id)
        .join(Meeting, Meeting.id == AccompanimentRequest.meeting_id)
        .where(ExpenseClaim.volunteer_id == volunteer.id)
        .order_by(AccompanimentRequest.starts_at.desc(), ExpenseClaim.id.desc())
    )
    return [ClaimLine(claim, volunteer.preferred_name, name, at) for claim, name, at in rows]


def totals(lines: list[ClaimLine]) -> dict[str, int]:
    """Pence per state, for the volunteer's summary."""
    found = dict.fromkeys(("waiting", "approved", "paid"), 0)
    for line in lines:
        if line.claim.state in found:
            found[line.claim.state] += line.claim.amount_pence
    return found


def own_claim(claim_id: int, actor: User) -> ExpenseClaim:
    """One of the actor's claims; anyone else's is NotFound."""
    volunteer = _volunteer(actor)
    claim = db.session.scalar(
        select(ExpenseClaim).where(
            ExpenseClaim.id == claim_id, ExpenseClaim.volunteer_id == volunteer.id
        )
    )
    if claim is None:
        raise NotFound("No such claim")
    return claim


def withdraw_claim(claim: ExpenseClaim, version: int | None, actor: User) -> None:
    """Take back a claim nobody has decided yet; its ticket photo goes too."""
    removed = db.session.execute(
        delete(ExpenseClaim)
        .where(
            ExpenseClaim.id == claim.id,
            ExpenseClaim.version == (claim.version if version is None else version),
            ExpenseClaim.state == "waiting",
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if removed != 1:
        db.session.rollback()
        raise Conflict(WITHDRAWN_MEANWHILE)
    audit("expense_withdrawn", claim, detail={"pence": claim.amount_pence})
    ticket = claim.ticket_file
    db.session.commit()
    remove_ticket(ticket)


def _claim_rows():
    return (
        select(ExpenseClaim, Volunteer.preferred_name, Meeting.name, AccompanimentRequest.starts_at)
        .join(Volunteer, Volunteer.id == ExpenseClaim.volunteer_id)
        .join(AccompanimentRequest, AccompanimentRequest.id == ExpenseClaim.request_id)
        .join(Meeting, Meeting.id == AccompanimentRequest.meeting_id)
    )


def waiting_claims():
    """The claims waiting for a decision, oldest first, for `paginate(..., scalars=False)`."""
    return (
        _claim_rows()
        .where(ExpenseClaim.state == "waiting")
        .order_by(ExpenseClaim.created_at, ExpenseClaim.id)
    )


def claim_lines(rows) -> list[ClaimLine]:
    return [ClaimLine(*row) for row in rows]


def waiting_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(ExpenseClaim).where(ExpenseClaim.state == "waiting")
    )


def claim_for_champion(claim_id: int, actor: User) -> ClaimLine:
    """A claim as the champion decides it; NotFound for anyone else, or no such claim."""
    if not _is_champion(actor):
        raise NotFound("No such claim")
    row = db.session.execute(_claim_rows().where(ExpenseClaim.id == claim_id)).first()
    if row is None:
        raise NotFound("No such claim")
    return ClaimLine(*row)


def _decide(claim: ExpenseClaim, version: int | None, actor: User, **values) -> None:
    claim_version(
        claim,
        version,
        CHANGED,
        where=[ExpenseClaim.state == "waiting"],
        decided_at=utcnow(),
        decided_by_id=actor.id,
        **values,
    )


def _tell_volunteer(claim: ExpenseClaim, title: str, body: str | None = None) -> None:
    user = db.session.scalar(
        select(User)
        .join(Volunteer, Volunteer.user_id == User.id)
        .where(Volunteer.id == claim.volunteer_id)
    )
    if user is not None:
        notify_user(user, "expense_claim", title, body, link="/expenses/")


def approve_claim(claim: ExpenseClaim, version: int | None, actor: User) -> None:
    """Approve a waiting claim for payment; the volunteer is told."""
    _decide(claim, version, actor, state="approved")
    audit("expense_approved", claim, actor_id=actor.id, detail={"pence": claim.amount_pence})
    _tell_volunteer(claim, f"Your travel claim for {pounds(claim.amount_pence)} was approved")
    db.session.commit()


def decline_claim(claim: ExpenseClaim, version: int | None, reason: str, actor: User) -> None:
    """Decline a waiting claim, saying why; the volunteer is told and sees the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidChange("Enter why the claim is declined", field="reason")
    _decide(claim, version, actor, state="declined", decline_reason=reason[:300])
    audit("expense_declined", claim, actor_id=actor.id)
    _tell_volunteer(
        claim,
        f"Your travel claim for {pounds(claim.amount_pence)} was declined",
        "Open My expenses to see why.",
    )
    db.session.commit()


def ticket_of(claim_id: int, actor: User) -> ExpenseClaim:
    """A claim whose ticket the actor may see: their own, or any for a champion."""
    if _is_champion(actor):
        claim = db.session.get(ExpenseClaim, claim_id)
    else:
        claim = own_claim(claim_id, actor)
    if claim is None or not claim.ticket_file:
        raise NotFound("No such ticket")
    return claim
