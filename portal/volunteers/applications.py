"""Applications to volunteer through the public "Volunteer with us" form, and the champion's
vetting of them.

- Anyone may apply, with the least data: a first name, an email address, a phone number if they
  like, whether they are in recovery, the groups they know and a short message.
- Bots: a filled hidden field is answered as a success and nothing is stored (in the view); the
  limits are counted in the database, so they hold across every app machine: at most
  ADDRESS_LIMIT applications an hour from one address, and one unconfirmed application per email
  address a day (a second one sends nothing, and gets the same answer). Only a keyed hash of
  the sender's address is kept, never the address.
- The email is confirmed by a one-time link made as password-reset links are (a random secret,
  only its hash kept, an expiry, a conditional update that uses it once). Unconfirmed
  applications are deleted after UNCONFIRMED_KEPT by `delete_stale_applications` (jobs.py).
- Champions are told of each confirmed application; they invite the person through the usual
  invitation (`profile.invite_volunteer`), or decline, which empties every personal column.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.orm import selectinload

from ..audit import AuditEvent, audit, audit_row, utcnow
from ..auth.models import User
from ..auth.services import _hash_token as hash_secret
from ..auth.services import champions, normalise_email
from ..errors import Conflict, InvalidChange, NotFound
from ..extensions import db
from ..jobs import portal_path
from ..meetings.models import Fellowship
from ..notify.models import OutboxMessage
from ..notify.services import notify_user, queue_email
from ..settings import get_setting
from ..web import external_url
from ._common import _require_champion
from .listing import active_fellowships
from .models import Volunteer, VolunteerApplication, volunteer_application_fellowships
from .profile import invite_volunteer

ADDRESS_LIMIT = 3  # applications from one address …
ADDRESS_WINDOW = timedelta(hours=1)  # … in this long
EMAIL_WINDOW = timedelta(hours=24)  # one unconfirmed application per email address in this long
LINK_LIFETIME = timedelta(hours=72)
UNCONFIRMED_KEPT = timedelta(days=7)
ADDRESS_HASH_KEPT = timedelta(days=1)  # long enough for the hourly limit, then let go
CONFIRM_MAIL = "volunteer_application"  # the outbox's kind (and template) for the link's email
TOO_MANY = (
    "We have had several applications from your internet connection in the last hour. "
    "Wait an hour, then try again."
)
# What a confirmation link finds.
OPEN, CONFIRMED, EXPIRED, UNKNOWN = "open", "confirmed", "expired", "unknown"
ALREADY_DEALT_WITH = "Someone has already invited or declined this applicant. Go back to the list."


@dataclass(frozen=True)
class Answers:
    """What an applicant tells us on the public form."""

    first_name: str
    email: str
    phone: str | None
    in_recovery: bool
    fellowship_ids: list[int]
    message: str | None


def public_fellowships() -> list[Fellowship]:
    """The groups an applicant may say they know: the active fellowships."""
    return active_fellowships()


def address_key(address: str | None) -> str:
    """A keyed hash (HMAC-SHA256 under the app's SECRET_KEY) of the sender's address: it counts
    their applications, and means nothing to anyone who reads the database without the key."""
    secret = current_app.config["SECRET_KEY"]
    key = secret if isinstance(secret, bytes) else str(secret).encode()
    sender = f"volunteer application from {address or 'unknown'}".encode()
    return hmac.new(key, sender, hashlib.sha256).hexdigest()


def _one_application_at_a_time() -> None:
    """Serialise the limits' check-then-insert across app machines. SQLite does it already (a
    request that writes begins IMMEDIATE); PostgreSQL takes a lock for the transaction."""
    if db.session.get_bind().dialect.name == "postgresql":
        lock = func.pg_advisory_xact_lock(func.hashtext("volunteer applications"))
        db.session.execute(select(lock))


def _audit_without_address(action: str, application: VolunteerApplication) -> None:
    """The applicant's own steps, audited like any change but without the remote address that
    `audit` keeps: for applications only a keyed hash of it is ever stored."""
    row = audit_row(action, application, None, None, None)
    row["ip"] = None
    db.session.execute(insert(AuditEvent).values(**row))


def _count(*conditions: object) -> int:
    statement = select(func.count()).select_from(VolunteerApplication).where(*conditions)
    return db.session.scalar(statement) or 0


def submit_application(answers: Answers, address: str | None) -> bool:
    """Keep an application and email the link that confirms it; False when the email address
    already has an unconfirmed application from the last day (nothing is kept or sent again).
    Too many from one address in the last hour is refused (InvalidChange)."""
    _one_application_at_a_time()
    now = utcnow()
    sender = address_key(address)
    recent = VolunteerApplication.created_at > now - ADDRESS_WINDOW
    if _count(VolunteerApplication.address_hash == sender, recent) >= ADDRESS_LIMIT:
        db.session.rollback()
        raise InvalidChange(TOO_MANY)
    email = normalise_email(answers.email)
    if _count(
        VolunteerApplication.email == email,
        VolunteerApplication.state == "unconfirmed",
        VolunteerApplication.created_at > now - EMAIL_WINDOW,
    ):
        db.session.rollback()
        return False
    token = secrets.token_urlsafe(32)
    application = VolunteerApplication(
        first_name=answers.first_name,
        email=email,
        phone=answers.phone or None,
        in_recovery=answers.in_recovery,
        message=answers.message or None,
        address_hash=sender,
        token_hash=hash_secret(token),
        token_expires_at=now + LINK_LIFETIME,
        created_at=now,
    )
    application.fellowships = _known_fellowships(answers.fellowship_ids)
    db.session.add(application)
    db.session.flush()
    queue_email(
        CONFIRM_MAIL,
        email,
        CONFIRM_MAIL,
        first_name=application.first_name,
        link=external_url("volunteers.apply_confirm", token=token),  # never from the request
        hours=int(LINK_LIFETIME.total_seconds() // 3600),
        service_name=get_setting("service_name"),
    )
    _audit_without_address("volunteer_application_received", application)
    db.session.commit()
    return True


def _known_fellowships(ids: list[int]) -> list[Fellowship]:
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Fellowship).where(Fellowship.id.in_(ids[:50]), Fellowship.active.is_(True))
        )
    )


def _by_link(token: str) -> VolunteerApplication | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        select(VolunteerApplication).where(VolunteerApplication.token_hash == hash_secret(token))
    )


def link_state(token: str) -> str:
    """What a confirmation link finds: OPEN (it may confirm), CONFIRMED (used already), EXPIRED,
    or UNKNOWN (never made, or its application was deleted, invited or declined)."""
    application = _by_link(token)
    if application is None:
        return UNKNOWN
    if application.state == "confirmed":
        return CONFIRMED
    if application.state != "unconfirmed":
        return UNKNOWN
    if application.token_expires_at is None or application.token_expires_at <= utcnow():
        return EXPIRED
    return OPEN


def confirm_application(token: str) -> str:
    """Use a confirmation link once: the application is confirmed and the champions are told.
    Returns what the link finds afterwards (CONFIRMED when it worked, now or before)."""
    now = utcnow()
    confirmed = db.session.execute(
        update(VolunteerApplication)
        .where(
            VolunteerApplication.token_hash == hash_secret(token),
            VolunteerApplication.state == "unconfirmed",
            VolunteerApplication.token_expires_at > now,
        )
        .values(state="confirmed", confirmed_at=now)
        .execution_options(synchronize_session=False)
    )
    if confirmed.rowcount != 1:
        db.session.rollback()
        return link_state(token)
    application = _by_link(token)
    _audit_without_address("volunteer_application_confirmed", application)
    link = portal_path("volunteers.applications", "/volunteers/applications")
    for champion in champions():
        notify_user(
            champion,
            "volunteer_applied",
            "Someone has applied to volunteer",
            body="They have confirmed their email address. Read what they told us, then invite "
            "them to finish their application or decline it.",
            link=link,
            dedupe_key=f"volunteer-applied:{application.id}",
        )
    db.session.commit()
    return CONFIRMED


# --- the champion's vetting list -------------------------------------------------------------


def application_list(actor: User, invited: bool = False) -> Select:
    """Confirmed applications waiting for a decision, oldest first; or, with `invited`, the ones
    invited, newest first. Unconfirmed and declined ones are never listed."""
    _require_champion(actor)
    statement = select(VolunteerApplication).options(selectinload(VolunteerApplication.fellowships))
    if invited:
        return statement.where(VolunteerApplication.state == "invited").order_by(
            VolunteerApplication.decided_at.desc(), VolunteerApplication.id.desc()
        )
    return statement.where(VolunteerApplication.state == "confirmed").order_by(
        VolunteerApplication.confirmed_at, VolunteerApplication.id
    )


def waiting_count(actor: User) -> int:
    """How many confirmed applications wait for the champion's decision."""
    _require_champion(actor)
    return _count(VolunteerApplication.state == "confirmed")


def get_application(application_id: int, actor: User) -> VolunteerApplication:
    """A confirmed application waiting for a decision; any other is not found."""
    if not actor.has_role("champion"):
        raise NotFound("No such application")
    application = db.session.get(VolunteerApplication, application_id)
    if application is None or application.state != "confirmed":
        raise NotFound("No such application")
    return application


def _decide(application: VolunteerApplication, state: str, actor: User, **values: object) -> None:
    """Move a waiting application to `state`; someone who got there first is a Conflict."""
    decided = db.session.execute(
        update(VolunteerApplication)
        .where(VolunteerApplication.id == application.id, VolunteerApplication.state == "confirmed")
        .values(state=state, decided_at=utcnow(), decided_by_id=actor.id, **values)
        .execution_options(synchronize_session=False)
    )
    if decided.rowcount != 1:
        db.session.rollback()
        raise Conflict(ALREADY_DEALT_WITH)


def invite_applicant(
    application: VolunteerApplication, name: str, email: str, actor: User
) -> Volunteer:
    """Invite the applicant exactly as the champion's invitation does (an account without a
    password, a volunteer record in status 'applied', the invitation email) and mark the
    application invited. The email and phone go: the account and profile hold their own."""
    _require_champion(actor)
    application_id = application.id
    _decide(application, "invited", actor)
    audit("volunteer_application_invited", application)
    # invite_volunteer commits the claim and the audit row above with the new account; an
    # address that already has an account is refused before anything is committed.
    try:
        volunteer = invite_volunteer(email, name, actor)
    except InvalidChange:
        db.session.rollback()
        raise
    db.session.execute(
        update(VolunteerApplication)
        .where(VolunteerApplication.id == application_id)
        .values(
            volunteer_id=volunteer.id,
            email=None,
            phone=None,
            address_hash=None,
            token_hash=None,
            token_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return volunteer


def decline_application(application: VolunteerApplication, reason: str | None, actor: User) -> None:
    """Decline an application: every personal detail in it is deleted (with the copy of the
    email that confirmed it); the reason stays inside the service and the audit says only that
    one was declined."""
    _require_champion(actor)
    email, confirmed_at = application.email, application.confirmed_at
    _decide(
        application,
        "declined",
        actor,
        decline_reason=reason or None,
        first_name=None,
        email=None,
        phone=None,
        in_recovery=None,
        message=None,
        address_hash=None,
        token_hash=None,
        token_expires_at=None,
    )
    db.session.execute(
        delete(volunteer_application_fellowships).where(
            volunteer_application_fellowships.c.application_id == application.id
        )
    )
    _forget_mail([email], confirmed_at)
    audit("volunteer_application_declined", application)
    db.session.commit()


def _forget_mail(emails: list[str | None], sent_before: datetime | None) -> int:
    """Delete the outbox's copies of confirmation emails to `emails` made before `sent_before`:
    they hold the applicant's name and address, and nothing else needs them."""
    addresses = [email for email in emails if email]
    if not addresses or sent_before is None:
        return 0
    result = db.session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.kind == CONFIRM_MAIL,
            OutboxMessage.to_address.in_(addresses),
            OutboxMessage.created_at <= sent_before,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def delete_stale_applications(now: datetime) -> int:
    """Delete applications never confirmed within UNCONFIRMED_KEPT (and their emails' copies),
    and let go of the address hashes the hourly limit no longer needs; in the caller's
    transaction. Returns how many applications were deleted."""
    cutoff = now - UNCONFIRMED_KEPT
    stale = (VolunteerApplication.state == "unconfirmed", VolunteerApplication.created_at < cutoff)
    emails = list(db.session.scalars(select(VolunteerApplication.email).where(*stale)))
    deleted = db.session.execute(
        delete(VolunteerApplication).where(*stale).execution_options(synchronize_session=False)
    )
    _forget_mail(emails, cutoff)
    db.session.execute(
        update(VolunteerApplication)
        .where(
            VolunteerApplication.address_hash.is_not(None),
            VolunteerApplication.created_at < now - ADDRESS_HASH_KEPT,
        )
        .values(address_hash=None)
        .execution_options(synchronize_session=False)
    )
    return deleted.rowcount or 0
