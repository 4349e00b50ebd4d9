"""Messages' time-based work for `flask --app portal tick`: drafts never sent are not kept.
Idempotent: the second run finds nothing to delete."""

from __future__ import annotations

from datetime import datetime

from ..jobs import job
from .services import delete_stale_drafts


@job("delete champions' message drafts never sent within 7 days")
def stale_drafts(now: datetime) -> int:
    return delete_stale_drafts(now)
