"""Matching's time-based work for `flask --app portal tick` (expiring offers is safety's job)."""

from __future__ import annotations

from datetime import datetime

from ..notify.jobs import job
from .offers import withdraw_offers_that_no_longer_hold


@job("offers whose volunteer no longer fits")
def withdraw_stale_offers(now: datetime) -> int:
    """A check that lapsed before the meeting, a pause, a new escort: withdraw those offers."""
    return withdraw_offers_that_no_longer_hold(now)
