"""Keyworkers' visits to open meetings: the log staff keep so they can tell clients, first-hand,
what a group is like (FAMA expects keyworkers to go to open meetings themselves).

Who sees what: keyworkers, champions and admins record their own visits and read each other's
(the meeting page's "Visited by a keyworker" line and the last few notes, with names). Volunteers
see none of it: the notes are working notes between staff that name who went, and a volunteer
needs none of that for an escort (need to know). A bare "visited" line would only invite the
question "who?". The public finder must never show any of it either, so the meeting page draws
it from its own fragment (templates/meetings/_visits.html), never from a shared meeting macro.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import joinedload

from ..audit import audit, utcnow
from ..auth.models import User
from ..database import add_unique, one_or_missing
from ..dates import london_today
from ..errors import InvalidChange, NotAllowed, NotFound
from ..extensions import db
from .models import KeyworkerVisit, Meeting

STAFF = ("keyworker", "champion", "admin")
RECENT_DAYS = 365  # "in the last year": a visit 365 days ago still counts, 366 does not
YEARS_BACK = 5  # the oldest visit worth recording
NOTES_SHOWN = 3  # the last few visits the meeting page lists, with their notes
NOTE_MAX = 500


def may_see_visits(user: Any) -> bool:
    """Staff only: keyworkers, champions and admins (see the module's note on volunteers)."""
    return bool(user and user.is_authenticated and user.has_role(*STAFF))


def today() -> date:
    """Today's date in the UK, from the clock tests can set."""
    return london_today(utcnow())


def earliest_visit_date(on: date) -> date:
    """The oldest date a visit recorded on `on` may have: the same day five years before."""
    try:
        return on.replace(year=on.year - YEARS_BACK)
    except ValueError:  # 29 February, in a year without one
        return on.replace(year=on.year - YEARS_BACK, day=28)


def why_not_visitable(meeting: Meeting) -> str | None:
    """Why visits to `meeting` are not recorded (it stopped, or it is closed), or None."""
    if not meeting.active:
        return "This meeting no longer runs, so visits to it are not recorded."
    if "C" in meeting.codes:
        return (
            "This is a closed meeting: it is only for people who want help with their own "
            "drinking or drug use. Keyworkers go to open meetings."
        )
    return None


def _check_date(visited_on: date | None) -> date:
    if visited_on is None:
        raise InvalidChange("Enter the date you went", field="visited_on")
    now = today()
    if visited_on > now:
        raise InvalidChange("The date cannot be in the future", field="visited_on")
    if visited_on < earliest_visit_date(now):
        raise InvalidChange(f"Enter a date in the last {YEARS_BACK} years", field="visited_on")
    return visited_on


def _check_note(note: str | None) -> str | None:
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise InvalidChange(f"Enter {NOTE_MAX} characters or fewer", field="note")
    return text or None


def record_visit(
    meeting: Meeting, visitor: User, *, visited_on: date | None, note: str | None = None
) -> KeyworkerVisit:
    """Record that `visitor` went to the open meeting on `visited_on`, with a note for others."""
    if not may_see_visits(visitor):
        raise NotAllowed("Only keyworkers, champions and admins record visits")
    refusal = why_not_visitable(meeting)
    if refusal:
        raise InvalidChange(refusal)
    visit = KeyworkerVisit(
        meeting_id=meeting.id,
        visitor_id=visitor.id,
        visited_on=_check_date(visited_on),
        note=_check_note(note),
    )
    add_unique(
        visit,
        refusal=InvalidChange(
            "You have already recorded a visit to this meeting on that date", field="visited_on"
        ),
    )
    audit("keyworker_visit_recorded", visit, actor_id=visitor.id, detail=_about(visit))
    db.session.commit()
    return visit


def _about(visit: KeyworkerVisit) -> dict[str, Any]:
    """What the audit trail keeps of a visit: never the note (free text)."""
    return {"meeting_id": visit.meeting_id, "visited_on": visit.visited_on.isoformat()}


def get_own_visit(visitor: User, visit_id: int) -> KeyworkerVisit:
    """One of the visitor's own visits, with its meeting; anyone else's is not found."""
    return one_or_missing(
        select(KeyworkerVisit)
        .options(joinedload(KeyworkerVisit.meeting))
        .where(KeyworkerVisit.id == visit_id, KeyworkerVisit.visitor_id == visitor.id),
        "No such visit",
    )


def remove_visit(visit: KeyworkerVisit, visitor: User) -> None:
    """Remove one of the visitor's own visits (a mistake, or a note they want gone)."""
    removed = db.session.execute(
        delete(KeyworkerVisit).where(
            KeyworkerVisit.id == visit.id, KeyworkerVisit.visitor_id == visitor.id
        )
    )
    if removed.rowcount != 1:  # removed a moment ago, in another tab
        db.session.rollback()
        raise NotFound("No such visit")
    audit("keyworker_visit_removed", visit, actor_id=visitor.id, detail=_about(visit))
    db.session.commit()


@dataclass(frozen=True)
class SeenVisit:
    """A visit as the meeting page lists it: who went, when, what they said."""

    id: int
    visitor_id: int
    visitor_name: str
    visited_on: date
    note: str | None


@dataclass(frozen=True)
class VisitSummary:
    """What the meeting page tells staff: the latest visit in the last year and how many there
    were, and the last few visits (any age) with names and notes."""

    latest: date | None
    count: int
    recent: list[SeenVisit]


def visit_summary(meeting: Meeting, viewer: Any) -> VisitSummary | None:
    """The meeting's visits for a member of staff (two queries); None for anyone else."""
    if not may_see_visits(viewer):
        return None
    since = today() - timedelta(days=RECENT_DAYS)
    count, latest = db.session.execute(
        select(func.count(), func.max(KeyworkerVisit.visited_on)).where(
            KeyworkerVisit.meeting_id == meeting.id, KeyworkerVisit.visited_on >= since
        )
    ).one()
    rows = db.session.execute(
        select(
            KeyworkerVisit.id,
            KeyworkerVisit.visitor_id,
            User.name,
            KeyworkerVisit.visited_on,
            KeyworkerVisit.note,
        )
        .join(User, User.id == KeyworkerVisit.visitor_id)
        .where(KeyworkerVisit.meeting_id == meeting.id)
        .order_by(KeyworkerVisit.visited_on.desc(), KeyworkerVisit.id.desc())
        .limit(NOTES_SHOWN)
    )
    return VisitSummary(latest, count or 0, [SeenVisit(*row) for row in rows])


def my_visits(visitor: User) -> Select:
    """The visitor's own visits, newest first, each with its meeting (for `paginate`)."""
    return (
        select(KeyworkerVisit)
        .options(joinedload(KeyworkerVisit.meeting))
        .where(KeyworkerVisit.visitor_id == visitor.id)
        .order_by(KeyworkerVisit.visited_on.desc(), KeyworkerVisit.id.desc())
    )
