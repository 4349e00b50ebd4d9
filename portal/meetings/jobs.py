"""Meetings' time-based work for `flask --app portal tick`: meetings nobody has checked lately,
and large Meeting Guide feeds a champion uploaded.

Each job is idempotent: every message carries a dedupe key per month, and a feed import goes on
from the last batch it committed (see import_jobs.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..auth.services import champions
from ..extensions import db
from ..jobs import job, portal_path
from ..notify.services import notify_user
from ..settings import get_setting
from .import_jobs import run_feed_jobs
from .models import Meeting
from .occurrences import LONDON

# Seconds of one tick that feed imports may take before the rest of the tick's work: a job
# running then stops between two batches and goes on at the next tick.
IMPORT_SHARE = 20.0


@job("monthly digest of meetings that need checking")
def stale_meetings_digest(now: datetime) -> int:
    """Once a month: champions hear how many meetings have not been checked for too long."""
    cutoff = now - timedelta(days=int(get_setting("stale_meeting_days")))
    stale = db.session.scalar(
        select(func.count())
        .select_from(Meeting)
        .where(
            Meeting.active.is_(True),
            (Meeting.last_verified_at.is_(None)) | (Meeting.last_verified_at < cutoff),
        )
    )
    if not stale:
        return 0
    month = now.astimezone(LONDON).strftime("%Y-%m")
    return sum(
        notify_user(
            champion,
            "meetings_stale",
            f"{stale} {'meeting needs' if stale == 1 else 'meetings need'} checking",
            body="Phone the group or check its website, then mark the meeting as checked.",
            link=portal_path("meetings.needs_checking", "/meetings/needs-checking"),
            dedupe_key=f"stale-digest:{month}",
        )
        for champion in champions()
    )


@job("large Meeting Guide imports", last=True)
def feed_imports(now: datetime) -> int:
    """Read queued feeds into previews, and apply confirmed ones, a batch at a time."""
    return run_feed_jobs(now, seconds=IMPORT_SHARE)
