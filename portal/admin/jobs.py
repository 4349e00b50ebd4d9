"""The admin's time-based work for `flask --app portal tick`: bulk imports' uploads are not
kept longer than they are needed. Idempotent: the second run finds nothing to delete."""

from __future__ import annotations

from datetime import datetime

from ..jobs import job
from .import_rules import delete_stale_imports


@job("delete bulk imports' uploaded rows 30 days after they were checked")
def stale_imports(now: datetime) -> int:
    return delete_stale_imports(now)
