"""Password rules (length, not composition; common ones refused) and argon2 hashing."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
MAX_LENGTH = 256
_hasher = PasswordHasher()
# Verifying against this keeps a sign-in for an unknown email as slow as for a known one.
_DUMMY_HASH = _hasher.hash("not a real password, only used to spend time")


@cache
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, email: str | None = None) -> str | None:
    """Say what is wrong with a new password, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Enter a password of at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"Enter a password of {MAX_LENGTH} characters or fewer"
    folded = password.lower()
    squeezed = "".join(folded.split())
    if folded in _common() or squeezed in _common() or len(set(folded)) < 4:
        return "This password is too common. Try a phrase of three or four unrelated words"
    if email and folded in {email.lower(), email.lower().split("@")[0]}:
        return "Your password must not be your email address"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password in near-constant time, whether or not the account has one."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False
