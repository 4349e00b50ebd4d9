"""Safety's time-based work for `flask --app portal tick` (listed in portal.jobs.JOB_MODULES).

Each job is idempotent: every message carries a dedupe key per request and person.
"""

from __future__ import annotations

from datetime import datetime

from ..jobs import job
from . import digest, services


@job("reminders 24 hours before an escort")
def escort_reminders(now: datetime) -> int:
    return services.send_reminders(now)


@job("volunteers' reminders two hours before meeting up")
def soon_reminders(now: datetime) -> int:
    return services.send_soon_reminders(now)


@job("clients' text reminders the day before and on the day")
def client_reminders(now: datetime) -> int:
    return services.send_client_reminders(now)


@job("overdue safety check-outs")
def overdue_checkouts(now: datetime) -> int:
    return services.alert_overdue(now)


@job("the champions' Monday-morning digest of the week")
def week_digest(now: datetime) -> int:
    return digest.send_week_digest(now)
