"""Keyworkers' teams: a free-text name an admin gives an account, for FAMA reports by team.

A team is only a name (no table of teams): "North locality" on two accounts is one team. Names
are kept trimmed, a name differing only in capitals from one in use takes that one's spelling,
and an empty name means no team.
"""

from __future__ import annotations

from sqlalchemy import func, select

from ..audit import audit
from ..errors import InvalidChange
from ..extensions import db
from ..versioning import claim_version
from .models import User

TEAM_LENGTH = 100


def team_name(text: str | None) -> str | None:
    """The name as stored: trimmed, with inner runs of space made one; None for no team."""
    name = " ".join((text or "").split())
    return name or None


def set_team(user: User, team: str | None, actor: User, version: int | None = None) -> None:
    """Put the account in `team` (or in no team when it is empty), audited."""
    after = team_name(team)
    if after is not None and len(after) > TEAM_LENGTH:
        raise InvalidChange(f"Enter a team name of {TEAM_LENGTH} characters or fewer", "team")
    if after is not None:  # "north locality" joins the "North locality" already in use
        after = _spelling_in_use(after) or after
    before = user.team
    if after == before:
        return
    # The version moves on, so the reports' cache key sees the change (portal/reports).
    claim_version(
        user,
        version,
        "Someone else changed this account while you were looking. Reload it.",
        team=after,
    )
    audit(
        "account_team_changed", user, actor_id=actor.id, detail={"before": before, "after": after}
    )
    db.session.commit()


def team_names() -> list[str]:
    """Every team name in use, for suggestions on the account form (one query)."""
    return list(
        db.session.scalars(
            select(User.team).where(User.team.is_not(None)).distinct().order_by(User.team)
        )
    )


def _spelling_in_use(name: str) -> str | None:
    return db.session.scalar(
        select(User.team).where(func.lower(User.team) == name.lower()).order_by(User.team).limit(1)
    )
