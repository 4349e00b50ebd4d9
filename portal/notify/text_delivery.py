"""Sending texts through GOV.UK Notify with its official client, and following their receipts.

Every text is a row in `text_messages` first. The worker takes each due row with a conditional
update (as the mail outbox does), so two workers never send one text; each attempt counts. The
`reference` Notify keeps with a text is our row's own, so an attempt after one that may have
reached Notify (a worker that died between Notify's answer and our commit) first asks Notify
whether it already has it, and never sends it twice.

Notify's answers: 400 (a bad number, a template that does not exist) refuses the text for good,
keeping Notify's words; 403 (a wrong key), 429 (too many requests), 5xx and a network that does
not answer leave it queued to try again with back-off. Without NOTIFY_API_KEY, development
prints texts to the console and marks them sent; production holds them.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

from flask import current_app
from notifications_python_client import NotificationsAPIClient
from notifications_python_client.errors import APIError
from requests import RequestException
from sqlalchemy import or_, select, update

from ..audit import utcnow
from ..database import claim_row, write_transaction
from ..dates import LONDON
from ..extensions import db
from ..service_hours import at_london
from .models import FINAL_STATUSES, NOTIFY_STATUSES, TextMessage
from .texts import is_stopped, sent_today_count, text_due_at

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=1)
NO_KEY_RETRY = timedelta(minutes=15)
POLL_EVERY = timedelta(minutes=5)  # how often one text's status is asked for
POLL_FOR = timedelta(days=3)  # after this a text still "sending" is no longer asked about
WAITING_STATUSES = ("created", "sending", "pending")  # accepted by Notify, not final yet
DUE_STATUSES = ("queued", "held")
REFERENCE_PREFIX = "text-"


class NotifyRefused(Exception):
    """Notify said no for good (400): its message says why."""


def notify_client() -> NotificationsAPIClient | None:
    """The official client on the configured key and address; None without a key."""
    config = current_app.config
    key = (config.get("NOTIFY_API_KEY") or "").strip()
    if not key:
        return None
    return NotificationsAPIClient(
        key, base_url=config["NOTIFY_BASE_URL"], timeout=config.get("NOTIFY_TIMEOUT", 10)
    )


def texts_set_up() -> dict[str, object]:
    """What the admin's system page shows: is a key there, and where texts go (no secrets)."""
    config = current_app.config
    return {
        "key_present": bool((config.get("NOTIFY_API_KEY") or "").strip()),
        "template_present": bool(config.get("NOTIFY_SMS_TEMPLATE_ID")),
        "callback_token_present": bool(config.get("NOTIFY_CALLBACK_TOKEN")),
        "notify_host": urlsplit(str(config.get("NOTIFY_BASE_URL") or "")).hostname or "",
        "production": config["PORTAL_ENV"] == "production",
    }


def reference_of(message: TextMessage) -> str:
    """The reference Notify keeps with the text: ours, the same on every attempt. The instant
    it was queued keeps it apart from a text with the same id in another database (a staging
    copy, a database started afresh) sent through the same Notify service."""
    return f"{REFERENCE_PREFIX}{message.id}-{int(message.created_at.timestamp())}"


def id_from_reference(reference: object) -> int | None:
    """Our text's id from a reference we gave ("text-12-1764496800"), else None."""
    text = str(reference or "")
    if not text.startswith(REFERENCE_PREFIX):
        return None
    digits = text.removeprefix(REFERENCE_PREFIX).split("-", 1)[0]
    return int(digits) if digits.isdigit() and len(digits) < 12 else None


def _claim_text(message_id: int, now: datetime) -> bool:
    """Take one text for sending (and count the attempt); only one worker wins it."""
    return claim_row(
        TextMessage,
        message_id,
        now,
        timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"]),
        TextMessage.sent_at.is_(None),
        TextMessage.status.in_(DUE_STATUSES),
        attempts=TextMessage.attempts + 1,
    )


def _finish(message: TextMessage, **values: object) -> None:
    with write_transaction():
        for name, value in values.items():
            setattr(message, name, value)
        message.claimed_until = None
        db.session.commit()


def _day_start(now: datetime) -> datetime:
    return at_london(now.astimezone(LONDON).date(), time(0, 0))


def _over_cap(message: TextMessage, now: datetime) -> bool:
    from ..settings import get_setting

    if message.at_any_hour:
        return False  # safety texts are never capped
    return sent_today_count(_day_start(now)) >= int(get_setting("text_daily_cap"))


def _tomorrow(now: datetime) -> datetime:
    day = now.astimezone(LONDON).date() + timedelta(days=1)
    return text_due_at(at_london(day, time(0, 0)))


def _error_words(error: Exception) -> str:
    if isinstance(error, APIError):
        message = error.message
        if isinstance(message, list):  # Notify's {"errors": [{"error": …, "message": …}]}
            message = "; ".join(
                str(item.get("message", item)) if isinstance(item, dict) else str(item)
                for item in message
            )
        return f"{error.status_code} {message}"[:500]
    return f"{type(error).__name__}: {error}"[:500]


def _already_at_notify(client: NotificationsAPIClient, message: TextMessage) -> dict | None:
    """Notify's record of this text, when an earlier attempt reached it."""
    found = client.get_all_notifications(reference=reference_of(message), template_type="sms")
    for notification in (found or {}).get("notifications", []):
        if notification.get("reference") == reference_of(message):
            return notification
    return None


def _send(client: NotificationsAPIClient, message: TextMessage) -> tuple[str, str]:
    """Hand one text to Notify (or find that it has it); returns (Notify's id, status)."""
    if message.attempts > 1:
        earlier = _already_at_notify(client, message)
        if earlier is not None:
            return str(earlier["id"]), _notify_status(earlier.get("status"), "created")
    config = current_app.config
    try:
        answer = client.send_sms_notification(
            phone_number=message.to_number,
            template_id=config["NOTIFY_SMS_TEMPLATE_ID"],
            personalisation={"body": message.body},
            reference=reference_of(message),
            sms_sender_id=config.get("NOTIFY_SMS_SENDER_ID") or None,
        )
    except APIError as error:
        if error.status_code == 400:
            raise NotifyRefused(_error_words(error)) from error
        raise
    return str(answer["id"]), "created"


def _notify_status(status: object, default: str) -> str:
    return status if status in NOTIFY_STATUSES else default


def _print(message: TextMessage) -> None:
    print(
        f"\n--- text (not sent: no NOTIFY_API_KEY) to {message.to_number} ---\n"
        f"{message.body}\n--- end ---\n",
        flush=True,
    )


def deliver_due_texts(now: datetime | None = None, limit: int = 100) -> tuple[int, int]:
    """Send the texts that are due; return (sent, not sent this time). Safety texts first."""
    now = now or utcnow()
    due_ids = db.session.scalars(
        select(TextMessage.id)
        .where(
            TextMessage.sent_at.is_(None),
            TextMessage.status.in_(DUE_STATUSES),
            TextMessage.next_attempt_at <= now,
        )
        .order_by(TextMessage.at_any_hour.desc(), TextMessage.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    if not due_ids:
        return 0, 0
    client = notify_client()
    production = current_app.config["PORTAL_ENV"] == "production"
    sent = failed = 0
    for message_id in due_ids:
        if not _claim_text(message_id, now):
            continue
        message = db.session.get(TextMessage, message_id)
        if message.send_by is not None and now >= message.send_by:
            _finish(message, status="too_late", last_error="Not sent: its time had passed")
            failed += 1
            continue
        if message.kind != "text_reply" and is_stopped(message.to_number):
            _finish(message, status="refused", last_error="The number texted STOP")
            failed += 1
            continue
        if _over_cap(message, now):
            _finish(
                message,
                status="held",
                next_attempt_at=_tomorrow(now),
                attempts=message.attempts - 1,
                last_error="Over the daily cap: held until tomorrow",
            )
            failed += 1
            continue
        if client is None:
            if production:
                _finish(
                    message,
                    status="held",
                    next_attempt_at=now + NO_KEY_RETRY,
                    attempts=message.attempts - 1,
                    last_error="Texts are not set up: NOTIFY_API_KEY is missing",
                )
                failed += 1
                continue
            _print(message)
            _finish(message, status="sent", sent_at=utcnow(), status_at=utcnow(), last_error=None)
            sent += 1
            continue
        try:
            notify_id, status = _send(client, message)
        except NotifyRefused as refusal:
            _finish(message, status="refused", last_error=str(refusal)[:500])
            log.warning("text %s refused by Notify: %s", message_id, refusal)
            failed += 1
            continue
        except (APIError, RequestException, OSError, KeyError, TypeError, ValueError) as error:
            backoff = min(MAX_BACKOFF, timedelta(seconds=30 * 2 ** max(0, message.attempts - 1)))
            _finish(
                message,
                status="queued",
                next_attempt_at=now + backoff,
                last_error=_error_words(error),
            )
            log.warning("text %s not sent yet: %s", message_id, _error_words(error))
            failed += 1
            continue
        _finish(
            message,
            status=status,
            notify_id=notify_id,
            sent_at=utcnow(),
            status_at=utcnow(),
            last_error=None,
        )
        sent += 1
    return sent, failed


# --- receipts ---------------------------------------------------------------------------------


def record_status(
    notify_id: str | None, reference: str | None, status: str, now: datetime | None = None
) -> bool:
    """A delivery receipt (callback or poll): set the text's status unless it is final already.
    Found by our reference first, else Notify's id. Returns whether a text changed."""
    if status not in NOTIFY_STATUSES:
        return False
    now = now or utcnow()
    own_id = id_from_reference(reference)
    condition = (
        TextMessage.id == own_id if own_id is not None else TextMessage.notify_id == notify_id
    )
    if own_id is None and not notify_id:
        return False
    values: dict[str, object] = {"status": status, "status_at": now}
    if notify_id:
        values["notify_id"] = str(notify_id)[:36]
    result = db.session.execute(
        update(TextMessage)
        .where(
            condition,
            TextMessage.sent_at.is_not(None),
            TextMessage.status.not_in(FINAL_STATUSES),
            TextMessage.status != status,
        )
        .values(**values)
    )
    return bool(result.rowcount)


def poll_text_statuses(now: datetime | None = None, limit: int = 100) -> int:
    """Ask Notify how texts that are on their way are doing; returns how many changed."""
    now = now or utcnow()
    client = notify_client()
    if client is None:
        return 0
    waiting = db.session.execute(
        select(TextMessage.id, TextMessage.notify_id)
        .where(
            TextMessage.status.in_(WAITING_STATUSES),
            TextMessage.notify_id.is_not(None),
            TextMessage.sent_at >= now - POLL_FOR,
            or_(TextMessage.status_at.is_(None), TextMessage.status_at <= now - POLL_EVERY),
        )
        .order_by(TextMessage.status_at, TextMessage.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    changed = 0
    for message_id, notify_id in waiting:
        try:
            answer = client.get_notification_by_id(notify_id)
        except (APIError, RequestException, OSError) as error:
            log.warning("status of text %s not known: %s", message_id, _error_words(error))
            if isinstance(error, APIError) and error.status_code >= 500:
                break  # Notify is down: ask again next tick
            continue
        status = (answer or {}).get("status")
        with write_transaction():
            if status in NOTIFY_STATUSES and status != "created":
                changed += record_status(notify_id, f"{REFERENCE_PREFIX}{message_id}", status, now)
            db.session.execute(
                update(TextMessage)
                .where(TextMessage.id == message_id, TextMessage.status.in_(WAITING_STATUSES))
                .values(status_at=now)
            )
            db.session.commit()
    return changed
