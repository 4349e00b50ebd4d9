"""Demo data for the champions' tasks: one volunteer's request for a chat after a demo escort,
and one task a champion added by hand."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..accompaniment.demo import completed_demo_escorts
from ..accompaniment.models import AccompanimentRequest
from ..audit import utcnow
from ..dates import day, london_today
from ..extensions import db
from ..volunteers.models import Volunteer
from .models import Task
from .services import next_working_day

BY_HAND = "Ask about dates for the next peer training day"


def build_demo_tasks() -> None:
    """A debrief for the first completed demo escort, and a task added by hand
    (idempotent: each is added once)."""
    today = london_today(utcnow())
    # (the outcome's own answer is left alone: safety depends on tasks, never the other way)
    request = db.session.scalar(completed_demo_escorts().order_by(AccompanimentRequest.id).limit(1))
    if request is not None:
        known = select(Task.id).where(Task.kind == "debrief", Task.request_id == request.id)
        if db.session.scalar(known) is None:
            db.session.add(
                Task(
                    kind="debrief",
                    title=f"A chat after the escort on {day(request.starts_at)}",
                    volunteer_id=request.volunteer_id,
                    request_id=request.id,
                    due_on=next_working_day(today),
                    state="open",
                )
            )
    if db.session.scalar(select(Task.id).where(Task.title == BY_HAND)) is None:
        volunteer = db.session.scalar(
            select(Volunteer.id).where(Volunteer.status == "approved").order_by(Volunteer.id)
        )
        db.session.add(
            Task(
                kind="other",
                title=BY_HAND,
                volunteer_id=volunteer,
                due_on=today + timedelta(days=5),
                state="open",
            )
        )
    db.session.flush()
