"""A client's goal planner and journal of the meetings they went to."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..audit import audit, utcnow, viewing
from ..auth.models import User
from ..errors import InvalidChange, NotFound
from ..extensions import db
from ..versioning import claim_version
from .models import Client, Goal, JournalEntry
from .picker import today_in_london


def _text(value: str | None, limit: int, field: str) -> str | None:
    text = (value or "").strip()
    if len(text) > limit:
        raise InvalidChange(f"Enter {limit} characters or fewer", field=field)
    return text or None


def _goal_words(goal: str, progress: str | None, remaining: str | None) -> dict[str, str | None]:
    """A goal's words checked: the goal itself is needed, the rest may be blank."""
    text = _text(goal, 300, "goal")
    if not text:
        raise InvalidChange("Write the goal", field="goal")
    return {
        "goal": text,
        "progress": _text(progress, 1000, "progress"),
        "remaining": _text(remaining, 1000, "remaining"),
    }


def add_goal(
    client: Client,
    actor: User,
    goal: str,
    progress: str | None = None,
    remaining: str | None = None,
) -> Goal:
    """Add a line to the client's goal planner."""
    row = Goal(
        client_id=client.id,
        **_goal_words(goal, progress, remaining),
        recorded_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    audit("goal_added", row, client_ref=client.reference, actor_id=actor.id)
    db.session.commit()
    return row


def get_goal_for(client: Client, goal_id: int) -> Goal:
    goal = db.session.scalar(select(Goal).where(Goal.id == goal_id, Goal.client_id == client.id))
    if goal is None:
        raise NotFound("No such goal")
    viewing("goal_viewed", goal, client_ref=client.reference)
    return goal


def update_goal(
    client: Client,
    goal: Goal,
    actor: User,
    version: int | None,
    *,
    goal_text: str,
    progress: str | None,
    remaining: str | None,
    achieved: bool,
) -> None:
    """Update progress on a goal, refusing a save made from a stale page."""
    claim_version(
        goal,
        version,
        "Someone changed this goal while you were looking. Reload it.",
        **_goal_words(goal_text, progress, remaining),
        achieved=achieved,
        updated_at=utcnow(),
    )
    audit("goal_updated", goal, client_ref=client.reference, actor_id=actor.id)
    db.session.commit()


def add_journal_entry(
    client: Client,
    actor: User,
    *,
    attended_on: date,
    meeting_name: str | None,
    reactions: str | None,
    benefits: str | None,
    drawbacks: str | None,
) -> JournalEntry:
    """Add a meeting the client went to, with what they made of it."""
    if attended_on > today_in_london():
        raise InvalidChange("The date cannot be in the future", field="attended_on")
    entry = JournalEntry(
        client_id=client.id,
        attended_on=attended_on,
        meeting_other=_text(meeting_name, 200, "meeting_name"),
        reactions=_text(reactions, 1000, "reactions"),
        benefits=_text(benefits, 1000, "benefits"),
        drawbacks=_text(drawbacks, 1000, "drawbacks"),
        recorded_by_id=actor.id,
    )
    if not entry.meeting_other:
        raise InvalidChange("Write which meeting it was", field="meeting_name")
    db.session.add(entry)
    db.session.flush()
    audit("journal_entry_added", entry, client_ref=client.reference, actor_id=actor.id)
    db.session.commit()
    return entry
