"""Time-based work run by `flask --app portal tick`: each job is safe to run again at any time.

Every message a job sends carries a dedupe key naming the event (the request, the week, the
month), and the notifications table refuses a second row with the same key for the same
person. So a tick run twice at once, or again after a gap of a day, sends each message once.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from ..audit import utcnow
from ..database import write_transaction
from ..extensions import db
from .services import notify_user

log = logging.getLogger(__name__)
LONDON = ZoneInfo("Europe/London")
UNFILLED_WARNING = timedelta(hours=48)
EXPIRY_HORIZON = timedelta(days=30)


@dataclass
class TickReport:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, job: str, n: int) -> None:
        self.counts[job] = self.counts.get(job, 0) + n


Job = Callable[[datetime], int]
JOBS: list[tuple[str, Job]] = []


def job(name: str) -> Callable[[Job], Job]:
    """Register a time-based job; other domains add theirs the same way."""

    def register(function: Job) -> Job:
        JOBS.append((name, function))
        return function

    return register


# Domains keep their own time-based jobs in a module of theirs, registered with @job.
DOMAIN_JOB_MODULES: tuple[str, ...] = ("portal.safety.jobs",)


def run_tick(now: datetime | None = None) -> TickReport:
    """Run every due job once; a failing job is logged and does not stop the others."""
    for module in DOMAIN_JOB_MODULES:
        importlib.import_module(module)
    now = now or utcnow()
    report = TickReport()
    # Mail goes last, so an alert a job queued in this tick (a safety alert) is sent in it too.
    ordered = sorted(JOBS, key=lambda entry: entry[0] == SEND_MAIL)
    for name, function in ordered:
        try:
            with write_transaction():
                report.add(name, function(now))
                db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("tick job %s failed", name)
            report.add(f"{name} (failed)", 1)
    return report


def _champions():  # noqa: ANN202
    from ..auth.services import users_with_role

    return users_with_role("champion")


@job("unfilled requests 48 hours before the meeting")
def alert_unfilled(now: datetime) -> int:
    """Tell every champion, urgently, about a request still without a volunteer near its day."""
    from ..accompaniment.models import AccompanimentRequest

    due = db.session.scalars(
        select(AccompanimentRequest).where(
            AccompanimentRequest.state.in_(("open", "offered")),
            AccompanimentRequest.starts_at > now,
            AccompanimentRequest.starts_at <= now + UNFILLED_WARNING,
        )
    ).all()
    sent = 0
    for request in due:
        when = request.starts_at.astimezone(LONDON)
        for champion in _champions():
            sent += notify_user(
                champion,
                "request_unfilled",
                f"Still no volunteer for {request.meeting.name}",
                body=f"The meeting is on {when:%A} {when.day} {when:%B} at {when:%H:%M}.",
                link=_request_link(request.id),
                urgent=True,
                dedupe_key=f"unfilled48:{request.id}",
            )
    return sent


@job("requests whose meeting passed with nobody accepted")
def mark_unfilled(now: datetime) -> int:
    """A request still open or offered when its meeting starts can no longer be filled."""
    from ..accompaniment.models import AccompanimentRequest
    from ..accompaniment.services import change_request_state
    from ..errors import Conflict, InvalidChange

    passed = db.session.scalars(
        select(AccompanimentRequest).where(
            AccompanimentRequest.state.in_(("open", "offered")),
            AccompanimentRequest.starts_at <= now,
        )
    ).all()
    moved = 0
    for request in passed:
        try:
            change_request_state(
                request,
                "unfilled",
                None,
                note="The meeting passed with nobody accepted",
                commit=False,
            )
        except (Conflict, InvalidChange):
            continue  # someone (or another tick) moved it first
        moved += 1
    return moved


@job("weekly digest of safeguarding checks about to expire")
def checks_digest(now: datetime) -> int:
    """Once a week: champions get the count; each volunteer hears about their own checks."""
    from ..volunteers.models import SafeguardingItem, Volunteer

    today = now.astimezone(LONDON).date()
    year, week, _ = today.isocalendar()
    horizon = today + EXPIRY_HORIZON
    rows = db.session.execute(
        select(Volunteer, func.min(SafeguardingItem.expires_on), func.count())
        .join(SafeguardingItem, SafeguardingItem.volunteer_id == Volunteer.id)
        .where(
            Volunteer.status.in_(("applied", "approved", "paused")),
            SafeguardingItem.expires_on.is_not(None),
            SafeguardingItem.expires_on >= today,
            SafeguardingItem.expires_on <= horizon,
        )
        .group_by(Volunteer.id)
    ).all()
    if not rows:
        return 0
    sent = 0
    total = sum(count for _, _, count in rows)
    for champion in _champions():
        sent += notify_user(
            champion,
            "checks_expiring",
            f"{total} safeguarding {'check expires' if total == 1 else 'checks expire'} "
            "in the next 30 days",
            body=f"{len(rows)} {'volunteer is' if len(rows) == 1 else 'volunteers are'} affected.",
            link=_link("volunteers.checks_due", "/volunteers/checks-due"),
            dedupe_key=f"checks-digest:{year}-W{week:02d}",
        )
    for volunteer, soonest, count in rows:
        if volunteer.user is None:
            continue  # phone-only contacts hear from the champion
        sent += notify_user(
            volunteer.user,
            "checks_expiring",
            f"{count} of your checks {'needs' if count == 1 else 'need'} renewing "
            f"by {soonest:%-d %B}",
            body="Talk to the recovery champion so you can keep accompanying people.",
            link=_link("home.volunteer", "/volunteer"),
            dedupe_key=f"checks-own:{year}-W{week:02d}",
        )
    return sent


@job("monthly digest of meetings that need checking")
def stale_meetings_digest(now: datetime) -> int:
    """Once a month: champions hear how many meetings have not been checked for too long."""
    from ..meetings.models import Meeting
    from ..settings import get_setting

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
            link=_link("meetings.needs_checking", "/meetings/needs-checking"),
            dedupe_key=f"stale-digest:{month}",
        )
        for champion in _champions()
    )


SEND_MAIL = "outbox: send email that is due"


@job(SEND_MAIL)
def send_due_mail(now: datetime) -> int:
    from .services import deliver_due

    sent, _failed = deliver_due(now)
    return sent


def _request_link(request_id: int) -> str:
    return _link("home.champion", "/champion")


def _link(endpoint: str, fallback: str, **values: object) -> str:
    """A path inside the portal, built without a request (jobs run outside one)."""
    try:
        return current_app.url_map.bind("portal").build(endpoint, values)
    except BuildError:
        return fallback
