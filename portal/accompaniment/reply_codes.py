"""Reply codes: the 4 digits a volunteer texts back to answer an offer ("YES 4821").

A code is unique among one volunteer's pending offers (a partial unique index holds that), so
a code from that person's number names exactly one offer. Codes are drawn with `secrets`, never
in sequence, and skip the codes people type by accident or guess first (0000, 1234, 1212…).
A code the volunteer had on an offer in the last weeks is not given again while another is
free, so a late answer to an old text cannot land on a new offer.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from ..extensions import db
from .models import Offer

CODE_LENGTH = 4
# How long a volunteer's old code stays out of use for them (while other codes are free).
RECENT = timedelta(days=60)
# Draws before settling for any code that is free among the pending offers.
DRAWS = 50


def is_weak(code: str) -> bool:
    """A code too easy to type by accident or to guess: one digit (0000), a run up or down
    (1234, 9876), a pair repeated (1212), two doubles (1122), or a mirror (1221)."""
    digits = [int(c) for c in code]
    steps = {b - a for a, b in zip(digits, digits[1:], strict=False)}
    return (
        len(set(code)) == 1
        or steps in ({1}, {-1})
        or code[:2] == code[2:]
        or (code[0] == code[1] and code[2] == code[3])
        or code == code[::-1]
    )


CODES: tuple[str, ...] = tuple(
    code for code in (f"{n:0{CODE_LENGTH}d}" for n in range(10**CODE_LENGTH)) if not is_weak(code)
)


def draw_code(
    avoid: Collection[str] = frozenset(), keep_clear: Collection[str] = frozenset()
) -> str:
    """A random code not in `keep_clear` (pending: must not repeat), and not in `avoid` (recent:
    best not repeated) while any other code is free."""
    for _ in range(DRAWS):
        code = secrets.choice(CODES)
        if code not in avoid and code not in keep_clear:
            return code
    free = [code for code in CODES if code not in keep_clear]
    return secrets.choice(free)


def _codes_in_use(volunteer_ids: Iterable[int], now: datetime) -> dict[int, tuple[set, set]]:
    """For each volunteer: (codes on pending offers, codes on their recent offers)."""
    ids = sorted(set(volunteer_ids))
    used: dict[int, tuple[set, set]] = {v: (set(), set()) for v in ids}
    if not ids:
        return used
    rows = db.session.execute(
        select(Offer.volunteer_id, Offer.reply_code, Offer.state).where(
            Offer.volunteer_id.in_(ids),
            Offer.reply_code.is_not(None),
            or_(Offer.state == "pending", Offer.created_at >= now - RECENT),
        )
    ).all()
    for volunteer_id, code, state in rows:
        pending, recent = used[volunteer_id]
        (pending if state == "pending" else recent).add(code)
    return used


def new_reply_codes(volunteer_ids: Iterable[int], now: datetime) -> dict[int, str]:
    """A fresh code for each volunteer's new offer (in the caller's transaction)."""
    return {
        volunteer_id: draw_code(avoid=recent, keep_clear=pending)
        for volunteer_id, (pending, recent) in _codes_in_use(volunteer_ids, now).items()
    }
