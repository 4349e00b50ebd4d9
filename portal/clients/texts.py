"""Texts to a client, only while their consent to be texted holds.

A client has no account: a text to them goes to the phone kept with that consent (E.164), with
the sign-off the service chose (none unless an admin sets one, so by default a text never
names the service). A withdrawn consent, or a plan that changed, cancels their texts not sent
yet. The words of each text are the caller's (safety's client reminders).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete

from ..extensions import db
from ..notify.models import TextMessage
from ..notify.texts import queue_text
from ..settings import get_setting
from .models import Client

# Texts the worker has not handed to Notify yet (portal.notify's outbox states).
NOT_SENT = ("queued", "held")


def texting_number(client: Client) -> str | None:
    """The client's mobile (E.164) while they consent to texts and their case is open."""
    if not client.consent_texts or not client.phone or client.status != "active":
        return None
    return client.phone if client.phone.startswith("+") else None


def signed(words: str) -> str:
    """A client's text with the service's sign-off, when an admin set one."""
    sign_off = " ".join(str(get_setting("client_text_sign_off") or "").split())
    return f"{words} {sign_off}" if sign_off else words


def text_client(
    client: Client, kind: str, words: str, dedupe_key: str, *, send_by: datetime | None = None
) -> bool:
    """Queue a text to a consenting client in the caller's transaction; True when queued (not
    for a repeat of `dedupe_key`, a number that texted STOP, or no consent). Unsent by
    `send_by`, it is dropped: "tomorrow" must not arrive on the day."""
    number = texting_number(client)
    if number is None:
        return False
    queued = queue_text(
        kind, number, signed(words), client_id=client.id, dedupe_key=dedupe_key, send_by=send_by
    )
    return queued is not None


def cancel_queued_texts(client_id: int, dedupe_prefix: str | None = None) -> int:
    """Cancel the client's texts not sent yet (those whose dedupe key starts with
    `dedupe_prefix`, when given); in the caller's transaction. Returns how many."""
    statement = delete(TextMessage).where(
        TextMessage.client_id == client_id,
        TextMessage.status.in_(NOT_SENT),
        TextMessage.sent_at.is_(None),
    )
    if dedupe_prefix:
        statement = statement.where(
            TextMessage.dedupe_key.startswith(dedupe_prefix, autoescape=True)
        )
    return db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
