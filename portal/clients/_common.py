"""What the clients modules share: the client's version check and the short day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import update

from ..errors import Conflict
from ..extensions import db
from ..meetings.occurrences import LONDON
from .models import Client

CONFLICT_MESSAGE = "Someone changed this client's record while you were looking. Reload it."


def _claim_version(client: Client, version: int | None) -> None:
    """Advance the client's version, refusing a save made from a stale page (409)."""
    expected = client.version if version is None else version
    result = db.session.execute(
        update(Client)
        .where(Client.id == client.id, Client.version == expected)
        .values(version=Client.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(CONFLICT_MESSAGE)
    db.session.refresh(client, ["version"])


def short_day(value: datetime | date) -> str:
    """'Tue 3 Dec' in UK time."""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return f"{value:%a} {value.day} {value:%b}"
