"""Accounts: sign-in with a throttle every worker sees, one-time links, invitations, roles."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import delete, func, or_, select

from ..audit import audit, utcnow
from ..errors import InvalidChange, NotFound
from ..extensions import db
from ..notify.services import queue_email
from ..settings import get_setting
from ..versioning import claim_version
from .models import ROLES, AuthToken, SignInFailure, User, UserRole, new_session_token
from .passwords import hash_password, password_problem, verify_password

INVITE, RESET = "invite", "reset"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


# --- sign-in -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    throttled: bool = False


def _failure_keys(email: str, address: str | None) -> tuple[str, str]:
    return f"email:{normalise_email(email)}", f"ip:{address or 'unknown'}"


def _throttled(email: str, address: str | None, now: datetime) -> bool:
    """Slow, then refuse, repeated failures for one account or from one address."""
    config = current_app.config
    window_start = now - config["THROTTLE_WINDOW"]
    account_key, address_key = _failure_keys(email, address)
    rows = db.session.execute(
        select(SignInFailure.key, func.count(), func.max(SignInFailure.at))
        .where(SignInFailure.key.in_([account_key, address_key]), SignInFailure.at >= window_start)
        .group_by(SignInFailure.key)
    ).all()
    counts = {key: (count, last) for key, count, last in rows}
    account_count, account_last = counts.get(account_key, (0, None))
    address_count, _ = counts.get(address_key, (0, None))
    if address_count >= config["THROTTLE_ADDRESS_LIMIT"]:
        return True
    if account_count >= config["THROTTLE_ACCOUNT_LIMIT"]:
        return True
    free = config["THROTTLE_ACCOUNT_FREE_FAILURES"]
    if account_count >= free and account_last is not None:
        # Each failure past the free ones doubles the wait before the next try: 2s, 4s, 8s…
        wait = timedelta(seconds=2 ** (account_count - free + 1))
        return now < account_last + wait
    return False


def sign_in(email: str, password: str, address: str | None) -> SignInResult:
    """Check credentials; failures are counted in the database and answered identically."""
    now = utcnow()
    email = normalise_email(email)
    throttled = _throttled(email, address, now)
    user = None if throttled else find_user_by_email(email)
    password_hash = user.password_hash if user else None
    # End the reading transaction before the deliberately slow hash check, so no write lock
    # is held while it runs (on SQLite a POST's transaction holds it from the start).
    db.session.rollback()
    ok = verify_password(password_hash, password)  # same work whether or not the account exists
    if throttled:
        audit("sign_in_throttled", detail={"address": address})
        db.session.commit()
        return SignInResult(None, throttled=True)
    if not (ok and user is not None and user.active):
        for key in _failure_keys(email, address):
            db.session.add(SignInFailure(key=key, at=now))
        audit("sign_in_failed", user, actor_id=user.id if user else None)
        db.session.commit()
        return SignInResult(None)
    account_key, _ = _failure_keys(email, address)
    db.session.execute(delete(SignInFailure).where(SignInFailure.key == account_key))
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


def _issue_token(user: User, purpose: str, lifetime: timedelta) -> str:
    """Create a fresh link for this purpose; earlier unused links of the same purpose die."""
    now = utcnow()
    db.session.execute(
        delete(AuthToken).where(
            AuthToken.user_id == user.id, AuthToken.purpose == purpose, AuthToken.used_at.is_(None)
        )
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        AuthToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_hash_token(token),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


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


def _external_url(endpoint: str, **values: object) -> str:
    base = current_app.config.get("EXTERNAL_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def _email_link(
    user: User, purpose: str, kind: str, endpoint: str, lifetime: timedelta, **context: object
) -> None:
    """Email `user` a fresh `purpose` link to `endpoint`, with the `kind` email's template."""
    token = _issue_token(user, purpose, lifetime)
    link = _external_url(endpoint, token=token)
    queue_email(kind, user.email, kind, user=user, link=link, **context)


def set_password_with_token(token: str, purpose: str, password: str) -> User:
    """Use a link once to set a password; every other session of the account ends."""
    user = user_for_token(token, purpose)
    if user is None:
        raise InvalidChange("This link has expired or has already been used. Ask for a new one.")
    problem = password_problem(password, user.email)
    if problem:
        raise InvalidChange(problem, field="password")
    now = utcnow()
    db.session.execute(
        AuthToken.__table__.update()
        .where(AuthToken.token_hash == _hash_token(token))
        .values(used_at=now)
    )
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
    audit("password_set" if purpose == INVITE else "password_reset", user, actor_id=user.id)
    db.session.commit()
    return user


def request_password_reset(email: str) -> None:
    """Email a reset link if the account exists and is active; the answer is the same either way."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    lifetime = current_app.config["RESET_LIFETIME"]
    _email_link(
        user,
        RESET,
        "password_reset",
        "auth.reset_password",
        lifetime,
        lifetime_minutes=int(lifetime.total_seconds() // 60),
    )
    audit("password_reset_requested", user, actor_id=user.id)
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Change a password knowing the old one; other sessions end."""
    if not verify_password(user.password_hash, current):
        raise InvalidChange("Your current password is not right", field="current_password")
    problem = password_problem(new, user.email)
    if problem:
        raise InvalidChange(problem, field="password")
    user.password_hash = hash_password(new)
    user.session_token = new_session_token()
    audit("password_changed", user, actor_id=user.id)
    db.session.commit()


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


def users_with_role(role: str) -> list[User]:
    """Every active account holding `role`, e.g. the champions to alert."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.role_rows.any(UserRole.role == role))
            .order_by(User.id)
        )
    )
