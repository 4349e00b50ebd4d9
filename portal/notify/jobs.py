"""Notify's time-based work for `flask --app portal tick`: sending the email that is due.

The registry lives in `portal.jobs`; `job`, `JOBS`, `run_tick` and `TickReport` are re-exported
here for code that still imports them from this module.
"""

from __future__ import annotations

from datetime import datetime

from ..jobs import JOBS, TickReport, job, run_tick
from .services import deliver_due

__all__ = ["JOBS", "SEND_MAIL", "TickReport", "job", "run_tick", "send_due_mail"]

SEND_MAIL = "outbox: send email that is due"


@job(SEND_MAIL, last=True)
def send_due_mail(now: datetime) -> int:
    sent, _failed = deliver_due(now)
    return sent
