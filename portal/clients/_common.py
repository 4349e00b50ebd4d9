"""What the clients modules share: the client's version check (and `short_day`, from dates)."""

from __future__ import annotations

from ..dates import short_day as short_day
from ..versioning import claim_version
from .models import Client

CONFLICT_MESSAGE = "Someone changed this client's record while you were looking. Reload it."


def _claim_version(client: Client, version: int | None) -> None:
    """Advance the client's version, refusing a save made from a stale page (409)."""
    claim_version(client, version, CONFLICT_MESSAGE)
