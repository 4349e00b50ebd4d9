"""Notify's time-based work for `flask --app portal tick`: sending the email and texts that are
due, following texts' receipts and answering texts people sent.

The registry lives in `portal.jobs`; `job`, `JOBS`, `run_tick` and `TickReport` are re-exported
here for code that still imports them from this module.
"""

from __future__ import annotations

from datetime import datetime

from ..audit import utcnow
from ..jobs import JOBS, TickReport, job, run_tick
from .services import deliver_due
from .text_delivery import deliver_due_texts, poll_text_statuses
from .text_inbox import dispatch_received, fetch_received_texts

__all__ = [
    "JOBS",
    "SEND_MAIL",
    "SEND_TEXTS",
    "TickReport",
    "job",
    "run_tick",
    "send_due_mail",
    "send_due_texts",
]

RECEIVE_TEXTS = "texts: fetch and answer texts people sent"
TEXT_RECEIPTS = "texts: ask Notify how texts on their way are doing"
SEND_MAIL = "outbox: send email that is due"
SEND_TEXTS = "outbox: send texts that are due"


@job(RECEIVE_TEXTS)
def receive_texts(now: datetime) -> int:
    fetch_received_texts(now)
    return dispatch_received(now)


@job(TEXT_RECEIPTS)
def follow_text_receipts(now: datetime) -> int:
    return poll_text_statuses(now)


@job(SEND_MAIL, last=True)
def send_due_mail(now: datetime) -> int:
    sent, _failed = deliver_due(now)
    return sent


@job(SEND_TEXTS, last=True)
def send_due_texts(now: datetime) -> int:
    # Answers queued by this tick's jobs are stamped a moment after its `now`: send them too.
    sent, _failed = deliver_due_texts(max(now, utcnow()))
    return sent
