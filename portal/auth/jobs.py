"""Accounts' time-based work for `flask --app portal tick`: forgetting old sign-in failures."""

from __future__ import annotations

from datetime import datetime

from ..jobs import job
from .services import prune_sign_in_failures


@job("sign-in failures older than the throttle window forgotten")
def forget_old_sign_in_failures(now: datetime) -> int:
    return prune_sign_in_failures(now)
