"""The second factor: six-digit codes from an authenticator app (TOTP, RFC 6238) and one-use
recovery codes for the day the phone is lost.

Admins and champions must have one; keyworkers too while the admin setting says so (on by
default); volunteers may choose one. A code is good once: the last accepted 30-second step is
kept and advanced with a conditional UPDATE, so two requests with the same code (a replay, or a
double submit) cannot both pass. Only hashes of recovery codes are stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
import segno
from sqlalchemy import delete, func, or_, select, update

from ..audit import audit, utcnow
from ..errors import InvalidChange
from ..extensions import db
from ..settings import get_setting
from .models import RecoveryCode, User, new_session_token

STEP_SECONDS = 30
DRIFT_STEPS = 1  # a phone's clock may be a step either side of ours
RECOVERY_CODES = 10
# No look-alikes (0/o, 1/l/i): codes are read off paper and typed on phones.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
WRONG_CODE = "Enter the 6-digit code your authenticator app shows now, or a recovery code"
ALWAYS_REQUIRED = {"admin", "champion"}


def required_for(user: User) -> bool:
    """Whether this person may not sign in without a second factor."""
    if user.roles & ALWAYS_REQUIRED:
        return True
    return "keyworker" in user.roles and bool(get_setting("keyworker_second_factor"))


def may_turn_off(user: User) -> bool:
    return user.has_second_factor and not required_for(user)


def _step(now: datetime | None = None) -> int:
    return int((now or datetime.now(UTC)).timestamp()) // STEP_SECONDS


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


@dataclass(frozen=True)
class SetUp:
    """What a person needs to add the portal to their authenticator app."""

    key: str  # the secret in groups of four, for typing in by hand
    uri: str
    qr_svg: str  # drawn here, never fetched from another site


def start_set_up(user: User) -> SetUp:
    """A new secret waiting for its first code (kept while the person is still setting up)."""
    if not user.totp_new_secret:
        user.totp_new_secret = pyotp.random_base32()
        db.session.commit()
    secret = user.totp_new_secret
    issuer = get_setting("service_name") or "Portal"
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=2, title="QR code for your app")
    key = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return SetUp(key=key, uri=uri, qr_svg=svg)


def _matching_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The 30-second step `code` belongs to, within the drift allowed, else None."""
    digits = _normalise(code)
    if len(digits) != 6 or not digits.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = _step(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # compare every step, so the time taken says nothing about which one matched
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), digits):
            found = step
    return found


def _use_step(user: User, step: int) -> bool:
    """Claim `step` as used, once: a code already used (or an older one) is refused."""
    result = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _issue_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(c)) for c in codes)
    return codes


def _tell(user: User, what: str) -> None:
    from . import services

    services.tell_security_change(user, what)


def finish_set_up(user: User, code: str) -> list[str]:
    """Put the new app in force once `code` proves it holds the secret; give fresh recovery
    codes (shown once). Raises InvalidChange for a wrong code."""
    secret = user.totp_new_secret
    step = _matching_step(secret, code) if secret else None
    if step is None:
        raise InvalidChange(WRONG_CODE, field="code")
    replacing = user.has_second_factor
    user.totp_secret, user.totp_new_secret = secret, None
    user.second_factor_at = utcnow()
    user.totp_last_step = step
    codes = _issue_recovery_codes(user)
    audit("second_factor_replaced" if replacing else "second_factor_set_up", user)
    _tell(user, "A new authenticator app was set up for signing in to your account.")
    db.session.commit()
    return codes


def check_code(user: User, code: str) -> bool:
    """Whether `code` (from the app, or an unused recovery code) lets this person in. A recovery
    code is used up, and the person is told by email."""
    if not user.has_second_factor:
        return False
    step = _matching_step(user.totp_secret or "", code)
    if step is not None:
        accepted = _use_step(user, step)
        db.session.commit()
        return accepted
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_recovery(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        db.session.rollback()
        return False
    audit("recovery_code_used", user, actor_id=user.id)
    _tell(user, "A recovery code was used to sign in to your account.")
    db.session.commit()
    return True


def refused_code(user: User) -> None:
    """A wrong code after the right password: record it, and tell the person once a day, since
    whoever typed it knows their password (commits)."""
    from ..notify.services import notify_user

    audit("second_factor_refused", user, actor_id=user.id)
    notify_user(
        user,
        "security_change",
        "Your password was used with a wrong code",
        "Someone signed in to your account with the right password but a wrong code from "
        "the app. If this was not you, change your password now and tell your service.",
        dedupe_key=f"second-factor-refused:{user.id}:{utcnow():%Y-%m-%d}",
        at_once=True,
    )
    db.session.commit()


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def renew_recovery_codes(user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    if not user.has_second_factor:
        raise InvalidChange("Set up an authenticator app first")
    codes = _issue_recovery_codes(user)
    audit("recovery_codes_renewed", user)
    _tell(user, "New recovery codes were made for your account. The old ones no longer work.")
    db.session.commit()
    return codes


def _clear(user: User) -> None:
    user.totp_secret = user.totp_new_secret = None
    user.second_factor_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def turn_off(user: User) -> None:
    """A person who need not have a second factor stops using one."""
    if not may_turn_off(user):
        raise InvalidChange("Your role needs a second factor: you cannot turn it off")
    _clear(user)
    audit("second_factor_turned_off", user)
    _tell(user, "Signing in to your account no longer asks for a code from an app.")
    db.session.commit()


def reset_for(user: User, actor: User, version: int | None = None) -> None:
    """An admin clears someone's second factor (a lost phone): they are signed out everywhere
    and set up a new app at their next sign-in."""
    from .services import _claim_version

    if user.id == actor.id:
        raise InvalidChange("Ask another admin to reset your own second factor")
    _claim_version(user, version)
    _clear(user)
    user.session_token = new_session_token()
    audit("second_factor_reset", user, detail={"by": "admin"})
    _tell(user, "An admin reset the second factor for your account.")
    db.session.commit()


def enrol_directly(user: User, secret: str | None = None) -> str:
    """Give an account a second factor without the app round trip: for the demo builder and
    the test factories, never for a person (they prove their app with a code)."""
    user.totp_secret = secret or pyotp.random_base32()
    user.second_factor_at = utcnow()
    return user.totp_secret
