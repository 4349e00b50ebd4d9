"""Accounts: sign-in with a throttle every worker sees, one-time links, invitations, roles."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, delete, exists, func, insert, literal, or_, select, update
from sqlalchemy.orm import lazyload

from ..audit import audit, utcnow
from ..dates import when_with_year
from ..errors import InvalidChange, NotFound
from ..extensions import db
from ..notify.models import OutboxMessage
from ..notify.services import notify_user, queue_email
from ..settings import get_setting
from ..versioning import claim_version
from ..web import external_url
from .models import ROLES, AuthToken, SignInFailure, User, UserRole, new_session_token
from .passwords import hash_password, password_problem, verify_password

INVITE, RESET = "invite", "reset"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


# --- sign-in -------------------------------------------------------------------------------
#
# The throttle slows whoever keeps failing, never the account itself, so an attacker cannot
# keep the real person out. Each failure is a row (the email typed, known or not, the address,
# the time) that every worker sees. Within THROTTLE_WINDOW:
# - one address failing for one email: THROTTLE_PAIR_FREE failures are free, then that address
#   waits THROTTLE_FIRST_WAIT after its last failure for that email before it may try that
#   email again, the wait doubling with each further failure up to THROTTLE_LONGEST_WAIT;
# - one address failing for any emails: the same, for every email, after THROTTLE_ADDRESS_FREE;
# - an email failing THROTTLE_ACCOUNT_UNDER_ATTACK times from all addresses together (an
#   attack spread over many addresses): each address has one free failure for it, not five.
# An address that has not failed for an email is never held back by that email's failures, so
# the real person, from their own address, gets in with the right password first time. The
# right password forgets its pair's failures; a new password forgets every failure for the
# email (they were against a password that no longer exists). Forgotten rows keep counting
# against their address. The reset link is never throttled.


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    throttled: bool = False


def _address_key(address: str | None) -> str:
    return (address or "unknown")[:64]


def _wait(failures: int, free: int) -> timedelta | None:
    """How long after its last failure someone with `failures` waits before the next try."""
    if failures < free:
        return None
    config = current_app.config
    doubled = config["THROTTLE_FIRST_WAIT"] * 2 ** min(failures - free, 20)
    return min(doubled, config["THROTTLE_LONGEST_WAIT"])


def throttled_until(email: str, address: str | None, now: datetime | None = None):
    """When `address` may next try to sign in as `email`; None when it may try now."""
    config = current_app.config
    now = now or utcnow()
    email, address = normalise_email(email)[:254], _address_key(address)
    pair = and_(SignInFailure.email == email, SignInFailure.address == address)
    from_address = SignInFailure.address == address
    for_email = SignInFailure.email == email

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    def last(condition):
        return func.max(case((condition, SignInFailure.at)))

    pair_count, pair_last, address_count, address_last, email_count = db.session.execute(
        select(
            count(pair), last(pair), count(from_address), last(from_address), count(for_email)
        ).where(SignInFailure.at >= now - config["THROTTLE_WINDOW"], or_(from_address, for_email))
    ).one()
    under_attack = email_count >= config["THROTTLE_ACCOUNT_UNDER_ATTACK"]
    pair_free = 1 if under_attack else config["THROTTLE_PAIR_FREE"]
    ends = []
    for failures, last_at, free in (
        (pair_count, pair_last, pair_free),
        (address_count, address_last, config["THROTTLE_ADDRESS_FREE"]),
    ):
        wait = _wait(failures, free)
        if wait is not None and last_at is not None and now < last_at + wait:
            ends.append(last_at + wait)
    return max(ends, default=None)


def _one_try_at_a_time(address: str) -> None:
    """Serialise the throttle's check-then-count per address, so tries sent at once cannot all
    pass together. SQLite's BEGIN IMMEDIATE does this already; PostgreSQL needs a lock."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"sign-in {address}"))))


def _forget_failures(email: str, address: str | None = None) -> None:
    """Failures for `email` (from `address` only, if given) stop counting for the email; they
    still count against the address they came from."""
    statement = update(SignInFailure).where(SignInFailure.email == normalise_email(email))
    if address is not None:
        statement = statement.where(SignInFailure.address == _address_key(address))
    db.session.execute(statement.values(email=None).execution_options(synchronize_session=False))


def second_step_passed(user: User, address: str | None) -> None:
    """The right code after the right password: this address's failures for the account stop
    counting (in the caller's transaction)."""
    _forget_failures(user.email, address)


def count_sign_in_failure(email: str, address: str | None) -> None:
    """Count a failed step after the password (a wrong second-factor code, say) as a failure
    of `email` from `address`, in the caller's transaction, so the throttle slows it too."""
    db.session.add(SignInFailure(email=normalise_email(email)[:254], address=_address_key(address)))


def sign_in(email: str, password: str, address: str | None) -> SignInResult:
    """Check credentials, answering a known and an unknown email alike. Each try is counted as
    a failure before the slow password check, in the transaction that checked the throttle, so
    tries sent together cannot slip past it; the right password takes its count back."""
    now = utcnow()
    email, address = normalise_email(email)[:254], _address_key(address)
    _one_try_at_a_time(address)
    if throttled_until(email, address, now) is not None:
        audit("sign_in_throttled", detail={"address": address})
        db.session.commit()
        return SignInResult(None, throttled=True)
    attempt = SignInFailure(email=email, address=address, at=now)
    db.session.add(attempt)
    # one query for a known and an unknown email alike (roles load later, when needed)
    user = db.session.scalar(select(User).options(lazyload("*")).where(User.email == email))
    password_hash = user.password_hash if user else None
    db.session.flush()
    attempt_id = attempt.id
    if user is not None:
        db.session.expunge(user)  # kept as read, so no reload tells a known account apart
    # Commit before the deliberately slow hash check, so no write lock is held while it runs
    # (on SQLite a POST's transaction holds it from the start).
    db.session.commit()
    ok = verify_password(password_hash, password)  # same work whether or not the account exists
    if not (ok and user is not None and user.active):
        audit("sign_in_failed", user, actor_id=user.id if user else None)
        db.session.commit()
        return SignInResult(None)
    db.session.add(user)
    db.session.execute(delete(SignInFailure).where(SignInFailure.id == attempt_id))
    if not user.has_second_factor:
        # With a second factor, only the right code forgives earlier failures (wrong codes
        # count as failures too): else each right password would buy fresh code guesses.
        _forget_failures(email, address)
    user.last_sign_in_at = now
    audit("sign_in", user, actor_id=user.id)
    db.session.commit()
    return SignInResult(user)


def sign_out(user: User) -> None:
    """End every session of this user on the server, not only the cookie in this browser."""
    user.session_token = new_session_token()
    audit("sign_out", user, actor_id=user.id)
    db.session.commit()


def prune_sign_in_failures(now: datetime | None = None) -> int:
    """Forget failures older than the throttle window."""
    now = now or utcnow()
    cutoff = now - current_app.config["THROTTLE_WINDOW"]
    result = db.session.execute(delete(SignInFailure).where(SignInFailure.at < cutoff))
    db.session.commit()
    return result.rowcount or 0


# --- one-time links ------------------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _end_unused_links(user_id: int, purpose: str) -> None:
    db.session.execute(
        delete(AuthToken).where(
            AuthToken.user_id == user_id, AuthToken.purpose == purpose, AuthToken.used_at.is_(None)
        )
    )


def _new_link(user_id: int, purpose: str, lifetime: timedelta) -> tuple[str, AuthToken]:
    """A fresh secret, and the row keeping its hash (not yet added to the session)."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    row = AuthToken(
        user_id=user_id,
        purpose=purpose,
        token_hash=_hash_token(token),
        created_at=now,
        expires_at=now + lifetime,
    )
    return token, row


def _issue_token(user: User, purpose: str, lifetime: timedelta) -> str:
    """Create a fresh link for this purpose; earlier unused links of the same purpose die."""
    _end_unused_links(user.id, purpose)
    token, row = _new_link(user.id, purpose, lifetime)
    db.session.add(row)
    return token


def end_outstanding_links(user: User) -> int:
    """Every unused reset or invitation link of this account stops working, in the caller's
    transaction: for a password change, however it was made, and a closed account."""
    result = db.session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user.id, AuthToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def user_for_token(token: str, purpose: str) -> User | None:
    """The account a still-valid link belongs to, or None."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(
        select(AuthToken).where(
            AuthToken.token_hash == _hash_token(token),
            AuthToken.purpose == purpose,
            AuthToken.used_at.is_(None),
            AuthToken.expires_at > utcnow(),
        )
    )
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    return user if user is not None and user.active else None


def _link_email(
    person: User, purpose: str, kind: str, endpoint: str, lifetime: timedelta, **context: object
) -> tuple[AuthToken, OutboxMessage]:
    """A fresh `purpose` link to `endpoint` and its `kind` email (added to the outbox); the
    person's earlier unused links of that purpose die. The link's row is the caller's to add."""
    _end_unused_links(person.id, purpose)
    token, row = _new_link(person.id, purpose, lifetime)
    link = external_url(endpoint, token=token)  # never from the request's Host
    message = queue_email(kind, person.email, kind, user=person, link=link, **context)
    return row, message


def _email_link(
    user: User, purpose: str, kind: str, endpoint: str, lifetime: timedelta, **context: object
) -> None:
    """Email `user` a fresh `purpose` link to `endpoint`, with the `kind` email's template."""
    row, _message = _link_email(user, purpose, kind, endpoint, lifetime, **context)
    db.session.add(row)


def _put_password(user: User, password: str, action: str, what: str) -> None:
    """A new password and all that goes with it, in the caller's transaction: every other session
    ends, every outstanding link dies, failures against the old password stop counting for the
    account, and the change is audited and told to the person by email."""
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
    end_outstanding_links(user)
    _forget_failures(user.email)
    audit(action, user, actor_id=user.id)
    tell_security_change(user, what)


def set_password_with_token(token: str, purpose: str, password: str) -> User:
    """Use a link once to set a password; every other session of the account ends."""
    expired = "This link has expired or has already been used. Ask for a new one."
    user = user_for_token(token, purpose)
    if user is None:
        raise InvalidChange(expired)
    problem = password_problem(password, user.email)
    if problem:
        raise InvalidChange(problem, field="password")
    # Claim the link before anything else: of two uses at once, only one sets a password.
    claimed = db.session.execute(
        update(AuthToken)
        .where(AuthToken.token_hash == _hash_token(token), AuthToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise InvalidChange(expired)
    if purpose == INVITE:
        _put_password(user, password, "password_set", "A password was set for your new account.")
    else:
        _put_password(
            user, password, "password_reset", "Your password was reset with a link sent by email."
        )
    db.session.commit()
    return user


NO_ACCOUNT = 0  # an id no account has: the stand-in for an address that is not an account's


def request_password_reset(email: str) -> None:
    """Email a reset link if the account exists and is active; the answer is the same either way.

    A known and an unknown address take the same steps and send the same statements: one
    look-up, the old links ended, a link made and hashed, the email written, both stored by an
    insert that writes only for an active account, the request audited and committed. So
    neither the answer nor the time it takes says whether the account exists."""
    email = normalise_email(email)[:254]
    user = db.session.scalar(
        select(User).options(lazyload("*")).where(User.email == email, User.active.is_(True))
    )
    person = user or User(id=NO_ACCOUNT, email=email, name="")  # the stand-in is never saved
    lifetime = current_app.config["RESET_LIFETIME"]
    row, message = _link_email(
        person,
        RESET,
        "password_reset",
        "auth.reset_password",
        lifetime,
        lifetime_minutes=int(lifetime.total_seconds() // 60),
    )
    db.session.expunge(message)
    # The same two statements for every address: they write only for an active account.
    _insert_if_active(row, person.id)
    _insert_if_active(message, person.id)
    audit("password_reset_requested", user, actor_id=user.id if user else None)
    db.session.commit()


def _insert_if_active(row: db.Model, account_id: int) -> None:
    """Insert `row` (a new object, not in the session) only if `account_id` is an active
    account's, in one INSERT … SELECT … WHERE EXISTS that is the same statement either way."""
    table = row.__table__
    values = {}
    for column in table.columns:
        value = getattr(row, column.key, None)
        if value is None and column.default is not None and not column.primary_key:
            default = column.default
            value = default.arg(None) if default.is_callable else default.arg
        if value is not None:
            values[column.key] = literal(value, type_=column.type)
    active = exists().where(User.id == account_id, User.active.is_(True))
    db.session.execute(
        insert(table).from_select(list(values), select(*values.values()).where(active))
    )


def change_password(user: User, current: str, new: str) -> None:
    """Change a password knowing the old one; other sessions end."""
    if not verify_password(user.password_hash, current):
        raise InvalidChange("Your current password is not right", field="current_password")
    problem = password_problem(new, user.email)
    if problem:
        raise InvalidChange(problem, field="password")
    _put_password(user, new, "password_changed", "Your password was changed.")
    db.session.commit()


# --- telling people about changes to their account ----------------------------------------

SECURITY_CHANGE = "security_change"


def tell_security_change(user: User, what: str) -> None:
    """Tell the person, in the portal and always by email, that the security of their account
    changed. `what` is a sentence ("Your password was changed."); when it happened and what to
    do if it was not them are added. In the caller's transaction, so the message goes only if
    the change commits. The email carries no link that signs in."""
    service = get_setting("service_name") or "your service"
    body = (
        f"{what} This happened on {when_with_year(utcnow())} (UK time). If it was you, there is "
        f"nothing more to do. If it was not you, contact {service} straight away: they can "
        "stop anyone using your account and help you back in."
    )
    notify_user(user, SECURITY_CHANGE, "A change to how you sign in", body, at_once=True)


# --- accounts (admin) ----------------------------------------------------------------------


def _check_roles(roles: list[str] | set[str]) -> set[str]:
    chosen = set(roles)
    if not chosen:
        raise InvalidChange("Select at least one role", field="roles")
    unknown = chosen - ROLES.keys()
    if unknown:
        raise InvalidChange("Select roles from the list", field="roles")
    return chosen


def _send_invitation(user: User, inviter: User | None) -> None:
    lifetime = current_app.config["INVITATION_LIFETIME"]
    user.invited_at = utcnow()  # before the email, whose words may show it
    _email_link(
        user,
        INVITE,
        "invitation",
        "auth.accept_invitation",
        lifetime,
        service_name=get_setting("service_name"),
        days=lifetime.days,
    )


def send_first_invitations(users: list[User]) -> None:
    """The invitation link and email `invite_user` sends, for accounts created in this
    transaction (a bulk import), without a commit. A new account has no earlier links, so none
    is looked for: that look-up synchronises the whole session, once per person."""
    lifetime = current_app.config["INVITATION_LIFETIME"]
    words = {"service_name": get_setting("service_name"), "days": lifetime.days}
    now = utcnow()
    with db.session.no_autoflush:
        for user in users:
            user.invited_at = now
            token, row = _new_link(user.id, INVITE, lifetime)
            db.session.add(row)
            link = external_url("auth.accept_invitation", token=token)
            queue_email("invitation", user.email, "invitation", user=user, link=link, **words)


def invite_user(email: str, name: str, roles: list[str], inviter: User | None) -> User:
    """Create an account without a password and email a link to set one."""
    email = normalise_email(email)
    chosen = _check_roles(roles)
    if find_user_by_email(email) is not None:
        raise InvalidChange("An account with this email address already exists", field="email")
    user = User(email=email, name=name.strip())
    user.role_rows = [UserRole(role=role) for role in sorted(chosen)]
    db.session.add(user)
    db.session.flush()
    _send_invitation(user, inviter)
    audit("account_invited", user, detail={"roles": sorted(chosen)})
    db.session.commit()
    return user


def resend_invitation(user: User, inviter: User | None) -> None:
    """Send a fresh invitation link; the old one stops working."""
    if user.has_password:
        raise InvalidChange("This person has already set a password")
    if not user.active:
        raise InvalidChange("Reactivate this account before sending an invitation")
    _send_invitation(user, inviter)
    audit("invitation_resent", user)
    db.session.commit()


def create_user(email: str, name: str, roles: list[str], password: str) -> User:
    """Create an account with a password (the first admin on a new deployment)."""
    email = normalise_email(email)
    chosen = _check_roles(roles)
    if find_user_by_email(email) is not None:
        raise InvalidChange("An account with this email address already exists", field="email")
    problem = password_problem(password, email)
    if problem:
        raise InvalidChange(problem, field="password")
    user = User(email=email, name=name.strip(), password_hash=hash_password(password))
    user.role_rows = [UserRole(role=role) for role in sorted(chosen)]
    db.session.add(user)
    db.session.flush()
    audit("account_created", user, detail={"roles": sorted(chosen)})
    db.session.commit()
    return user


def _claim_version(user: User, version: int | None) -> None:
    """Advance the account's version, refusing a save based on a stale copy (409, not overwrite)."""
    claim_version(
        user, version, "Someone else changed this account while you were looking. Reload it."
    )


def set_roles(user: User, roles: list[str], actor: User, version: int | None = None) -> None:
    """Replace an account's roles; an admin cannot remove their own admin role."""
    chosen = _check_roles(roles)
    if user.id == actor.id and "admin" not in chosen:
        raise InvalidChange("You cannot remove your own admin role", field="roles")
    _claim_version(user, version)
    before = sorted(user.roles)
    keep = [row for row in user.role_rows if row.role in chosen]
    user.role_rows = keep + [UserRole(role=r) for r in sorted(chosen - {r.role for r in keep})]
    audit("account_roles_changed", user, detail={"before": before, "after": sorted(chosen)})
    db.session.commit()


def set_active(user: User, active: bool, actor: User, version: int | None = None) -> None:
    """Deactivate (ending every session at once) or reactivate an account."""
    if user.id == actor.id and not active:
        raise InvalidChange("You cannot deactivate your own account")
    if user.active == active:
        return
    _claim_version(user, version)
    user.active = active
    user.session_token = new_session_token()
    if not active:  # a link sent before the account closed must not open it again later
        end_outstanding_links(user)
    audit("account_reactivated" if active else "account_deactivated", user)
    db.session.commit()


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such account")
    return user


def search_users(query: str = "", role: str = "", status: str = ""):
    """A select of accounts matching the admin's search, for pagination."""
    statement = select(User).order_by(User.name, User.id)
    query = query.strip()
    if query:
        like = f"%{query.lower()}%"
        statement = statement.where(or_(func.lower(User.name).like(like), User.email.like(like)))
    if role in ROLES:
        statement = statement.where(User.role_rows.any(UserRole.role == role))
    if status == "active":
        statement = statement.where(User.active.is_(True), User.password_hash.is_not(None))
    elif status == "invited":
        statement = statement.where(User.active.is_(True), User.password_hash.is_(None))
    elif status == "deactivated":
        statement = statement.where(User.active.is_(False))
    return statement


def champions() -> list[User]:
    """Active recovery champions: who hears about requests, answers, texts and escorts."""
    return users_with_role("champion")


def users_with_role(role: str) -> list[User]:
    """Every active account holding `role`, e.g. the champions to alert."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.role_rows.any(UserRole.role == role))
            .order_by(User.id)
        )
    )
