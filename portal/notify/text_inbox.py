"""Texts people send to the service's number: stored once, then each answered once.

They arrive two ways: the tick fetches them from Notify (newest first, paging back until it
meets one already stored) and Notify may post each to our callback. Either way a text is one
row (Notify's id is unique). Each row is dispatched once: taken with a conditional update, then
STOP / START, else the registered handlers (texts.text_reply_handler), else a short helpful
answer and, for a number the portal knows, the registered listeners (accompaniment tells the
champions).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import current_app
from notifications_python_client.errors import APIError
from requests import RequestException
from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..audit import utcnow
from ..database import claim_row, write_transaction
from ..extensions import db
from .models import ReceivedText
from .text_delivery import notify_client
from .texts import (
    REPLY_HANDLERS,
    UNHANDLED_LISTENERS,
    BadNumber,
    ReceivedReply,
    normalise_mobile,
    queue_text,
    start_number,
    stop_number,
    users_with_mobile,
)

log = logging.getLogger(__name__)
MAX_CONTENT = 1000
MAX_PAGES = 20  # at most this many pages of received texts a tick (250 a page at Notify)
CLAIM = timedelta(minutes=5)

STOPPED = "You will get no more texts from us. Text START to get them again."
STARTED = "You will get texts from us again. Text STOP to stop them."
NOT_UNDERSTOOD = (
    "Sorry, we could not read that. To answer an offer, text YES or NO and its number, "
    "like YES 4821. Text STOP to stop texts."
)
UNKNOWN_NUMBER = (
    "Sorry, we do not recognise this number, so we cannot act on this text. "
    "Please use the portal or contact your coordinator."
)
WENT_WRONG = "Sorry, something went wrong with your text. Please try again later or use the portal."


def inbound_number(raw: object) -> str:
    """Notify's sender ("447700900123", "+44 7700…", "07700…") as E.164 when it is a mobile;
    otherwise the digits and plus sign as sent (short), so it is still stored and matched."""
    text = str(raw or "").replace("\x00", "").strip()[:40]
    candidate = text
    if text.isdigit() and not text.startswith("0"):
        candidate = "+" + text
    try:
        return normalise_mobile(candidate)
    except BadNumber:
        kept = "".join(ch for ch in text if ch.isdigit() or ch == "+")
        return (kept or "unknown")[:20]


def _instant(raw: object, fallback: datetime) -> datetime:
    text = str(raw or "").strip()
    if not text:
        return fallback
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return fallback
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def store_received(
    notify_id: object, from_number: object, content: object, received_at: object
) -> bool:
    """Store one received text unless it is stored already (in the caller's transaction);
    True when it is new. Content is cut to 1,000 characters; NUL characters are dropped."""
    key = str(notify_id or "").strip()[:36]
    if not key:
        return False
    now = utcnow()
    number = inbound_number(from_number)
    values = {
        "notify_id": key,
        "from_number": number,
        "content": str(content or "").replace("\x00", "")[:MAX_CONTENT],
        "received_at": _instant(received_at, now),
        "stored_at": now,
        "user_id": _only_user(number),
    }
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(ReceivedText)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["notify_id"])
        .returning(ReceivedText.id)
    )
    return db.session.execute(statement).scalar() is not None


def _only_user(number: str) -> int | None:
    users = users_with_mobile(number)
    return users[0] if len(users) == 1 else None


def fetch_received_texts(now: datetime | None = None) -> int:
    """Fetch new received texts from Notify; returns how many were new. Notify lists them
    newest first; paging stops at a page holding one already stored."""
    client = notify_client()
    if client is None:
        return 0
    new = 0
    older_than = None
    for _page in range(MAX_PAGES):
        try:
            answer = client.get_received_texts(older_than=older_than) or {}
        except (APIError, RequestException, OSError) as error:
            log.warning("received texts not fetched: %s", error)
            break
        texts = answer.get("received_text_messages") or []
        if not isinstance(texts, list) or not texts:
            break
        met_stored = False
        with write_transaction():
            for item in texts:
                if not isinstance(item, dict):
                    continue
                if store_received(
                    item.get("id"),
                    item.get("user_number"),
                    item.get("content"),
                    item.get("created_at"),
                ):
                    new += 1
                else:
                    met_stored = True
            db.session.commit()
        last = texts[-1].get("id") if isinstance(texts[-1], dict) else None
        if met_stored or not last or not (answer.get("links") or {}).get("next"):
            break
        older_than = last
    return new


# --- dispatch ---------------------------------------------------------------------------------


def _claim_received(received_id: int, now: datetime) -> bool:
    return claim_row(ReceivedText, received_id, now, CLAIM, ReceivedText.handled_at.is_(None))


def _answer(received: ReceivedText, words: str) -> None:
    """Text back at once (any hour), once for this received text, if the sender can get it."""
    if not received.from_number.startswith("+"):
        return
    queue_text(
        "text_reply",
        received.from_number,
        words[:918],
        user_id=received.user_id,
        dedupe_key=f"reply:{received.notify_id}",
        at_any_hour=True,
    )


def _done(received: ReceivedText, outcome: str, now: datetime) -> None:
    received.outcome = outcome
    received.handled_at = now
    received.claimed_until = None


def _command(content: str) -> str:
    return content.strip().upper()


def dispatch_one(received_id: int, now: datetime | None = None) -> str | None:
    """Answer one received text, once; returns its outcome (None when another took it)."""
    now = now or utcnow()
    if not _claim_received(received_id, now):
        return None
    received = db.session.get(ReceivedText, received_id)
    command = _command(received.content)
    with write_transaction():
        if command == "STOP":
            _answer(received, STOPPED)
            if received.from_number.startswith("+"):
                stop_number(received.from_number)
            _done(received, "stop", now)
            db.session.commit()
            return "stop"
        if command == "START":
            start_number(received.from_number)
            _answer(received, STARTED)
            _done(received, "start", now)
            db.session.commit()
            return "start"
    reply = ReceivedReply(
        id=received.id,
        from_number=received.from_number,
        content=received.content,
        user_id=received.user_id,
    )
    outcome, words = "unhandled", None
    for handler in REPLY_HANDLERS:
        try:
            words = handler(reply)
        except Exception:
            db.session.rollback()
            current_app.logger.exception("text reply handler %s failed", handler.__name__)
            outcome, words = "failed", WENT_WRONG
            break
        if words is not None:
            outcome = "handled"
            break
    received = db.session.get(ReceivedText, received_id)  # a handler may have committed
    with write_transaction():
        if outcome == "unhandled":
            if received.user_id is None and not users_with_mobile(received.from_number):
                outcome, words = "unknown_number", UNKNOWN_NUMBER
            else:
                words = NOT_UNDERSTOOD
                for listener in UNHANDLED_LISTENERS:
                    listener(reply)
        _answer(received, words)
        _done(received, outcome, now)
        db.session.commit()
    return outcome


def dispatch_received(now: datetime | None = None, limit: int = 200) -> int:
    """Answer every stored text not answered yet; returns how many were answered."""
    now = now or utcnow()
    waiting = db.session.scalars(
        select(ReceivedText.id)
        .where(
            ReceivedText.handled_at.is_(None),
            or_(ReceivedText.claimed_until.is_(None), ReceivedText.claimed_until < now),
        )
        .order_by(ReceivedText.received_at, ReceivedText.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    return sum(1 for received_id in waiting if dispatch_one(received_id, now) is not None)
