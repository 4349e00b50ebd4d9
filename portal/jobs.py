"""Time-based work run by `flask --app portal tick`: each job is safe to run again at any time.

Each domain keeps its jobs in its own `portal/<domain>/jobs.py`, registered with `@job`, and
that module is listed in JOB_MODULES; this module knows no domain. The tick runs the jobs in
the order of JOB_MODULES (within a module, in the order they are written), and jobs marked
`last` after all the others: the outbox goes last, so mail a job queued is sent in the same tick.

Every message a job sends carries a dedupe key naming the event (the request, the week, the
month), and the notifications table refuses a second row with the same key for the same
person. So a tick run twice at once, or again after a gap of a day, sends each message once.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from werkzeug.routing import BuildError

from .audit import utcnow
from .database import write_transaction
from .extensions import db

log = logging.getLogger(__name__)

JOB_MODULES: tuple[str, ...] = (
    "portal.accompaniment.jobs",
    "portal.volunteers.jobs",
    "portal.meetings.jobs",
    "portal.safety.jobs",
    "portal.auth.jobs",
    "portal.admin.jobs",
    "portal.messages.jobs",
    "portal.notify.jobs",
)


@dataclass
class TickReport:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, job: str, n: int) -> None:
        self.counts[job] = self.counts.get(job, 0) + n


Job = Callable[[datetime], int]
JOBS: list[tuple[str, Job]] = []
_RUN_LAST: set[Job] = set()


def job(name: str, *, last: bool = False) -> Callable[[Job], Job]:
    """Register a time-based job; its module must be listed in JOB_MODULES."""

    def register(function: Job) -> Job:
        if function.__module__ not in JOB_MODULES:
            raise RuntimeError(f"{function.__module__} registers a job but is not in JOB_MODULES")
        JOBS.append((name, function))
        if last:
            _RUN_LAST.add(function)
        return function

    return register


def scheduled_jobs() -> list[tuple[str, Job]]:
    """Every job, in the order the tick runs them."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    return sorted(
        JOBS,
        key=lambda entry: (entry[1] in _RUN_LAST, JOB_MODULES.index(entry[1].__module__)),
    )


def run_tick(now: datetime | None = None) -> TickReport:
    """Run every due job once; a failing job is logged and does not stop the others."""
    ordered = scheduled_jobs()
    now = now or utcnow()
    report = TickReport()
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


def portal_path(endpoint: str, fallback: str, **values: object) -> str:
    """A path inside the portal, built without a request (jobs run outside one)."""
    try:
        return current_app.url_map.bind("portal").build(endpoint, values)
    except BuildError:
        return fallback
