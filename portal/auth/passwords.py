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
    if _predictable(password.lower()):
        return "This password is too common. Try a phrase of three or four unrelated words"
    folded = password.lower()
    if email and folded in {email.lower(), email.lower().split("@")[0]}:
        return "Your password must not be your email address"
    return None


_RUNS = ("0123456789" * 4, "abcdefghijklmnopqrstuvwxyz" * 2, "qwertyuiopasdfghjklzxcvbnm" * 2)


def _predictable(folded: str) -> bool:
    """A common password, perhaps repeated, spaced out, or with digits and symbols on the end."""
    common = _common()
    squeezed = "".join(folded.split())
    core = squeezed.rstrip("0123456789!?.*#@$-_ ")
    if len(set(squeezed)) < 4 or squeezed in common or (core and core in common):
        return True
    if any(squeezed in run or squeezed[::-1] in run for run in _RUNS):
        return True
    for size in range(1, len(squeezed) // 2 + 1):
        unit = squeezed[:size]
        if len(squeezed) % size == 0 and unit * (len(squeezed) // size) == squeezed:
            return size <= 4 or unit in common
    return False


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password in near-constant time, whether or not the account has one."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False
