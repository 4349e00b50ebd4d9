"""Queue email in the caller's transaction; deliver what is due over SMTP."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import cache

from flask import Flask, current_app, g, render_template
from sqlalchemy import Integer, Select, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from werkzeug.wrappers import Response

from ..audit import utcnow
from ..database import claim_row, write_transaction
from ..extensions import db
from ..web import external_link
from .kinds import KINDS, optional_kinds, waits_for_service_hours
from .models import EmailPreference, Notification, OutboxMessage, set_choices

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=1)


def queue_email(kind: str, to_address: str, template: str, **context: object) -> OutboxMessage:
    """Add an email to the outbox; it is sent only if the caller's transaction commits.

    `template` names `templates/email/<template>.txt` (and `.html`); its first line is the subject.
    """
    message = OutboxMessage(**email_values(kind, to_address, template, **context))
    db.session.add(message)
    g.mail_queued = True
    return message


def email_values(kind: str, to_address: str, template: str, **context: object) -> dict:
    """An outbox row's columns for the email `template` draws with `context`."""
    text = render_template(f"email/{template}.txt", **context)
    subject, _, body = text.partition("\n")
    html = render_template(f"email/{template}.html", subject=subject, **context)
    return {
        "kind": kind,
        "to_address": to_address,
        "subject": subject.strip(),
        "body_text": body.lstrip("\n"),
        "body_html": html,
    }


def init_notify(app: Flask) -> None:
    """Without a separate worker (development), send queued mail once the response is out."""
    deliver_after_response(app, "mail_queued", deliver_due, "mail")


def deliver_after_response(
    app: Flask, queued_flag: str, deliver: Callable[[], object], what: str
) -> None:
    """When MAIL_SEND_INLINE is on and the request set g.<queued_flag>, call `deliver` once the
    response is out; the one way mail and texts are sent inline without a worker."""

    @app.after_request
    def deliver_after(response: Response) -> Response:
        if g.get(queued_flag) and app.config["MAIL_SEND_INLINE"]:

            def run() -> None:
                with app.app_context():
                    try:
                        deliver()
                    except Exception:  # the outbox keeps it; the worker retries later
                        log.exception("inline %s delivery failed", what)

            response.call_on_close(run)
        return response


def _claim(message_id: int, now: datetime) -> bool:
    """Take one message for sending; the conditional update means only one worker wins it."""
    hold = timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])
    return claim_row(OutboxMessage, message_id, now, hold, OutboxMessage.sent_at.is_(None))


def message_id(message: OutboxMessage) -> str:
    """The same Message-ID on every attempt, so a receiving server (or person) can drop the copy
    resent when a worker died between the server's acceptance and our commit."""
    domain = current_app.config["MAIL_FROM"].rpartition("@")[2] or "portal.invalid"
    created = int(message.created_at.timestamp())
    return f"<outbox-{message.id}.{created}@{domain}>"


def _build(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = message_id(message)
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def _transport(email: EmailMessage) -> None:
    config = current_app.config
    server = config.get("MAIL_SERVER")
    if not server:
        if config["PORTAL_ENV"] == "production":
            raise RuntimeError("MAIL_SERVER is not configured")
        # Development without a mail server: show the message where the developer is looking.
        print(f"\n--- email (not sent: no MAIL_SERVER) ---\n{email}\n--- end ---\n", flush=True)
        return
    with smtplib.SMTP(server, int(config["MAIL_PORT"]), timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


def deliver_due(now: datetime | None = None, limit: int = 100) -> tuple[int, int]:
    """Send the messages that are due; return (sent, failed). Failures retry with back-off."""
    now = now or utcnow()
    due_ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    sent = failed = 0
    for message_id in due_ids:
        if not _claim(message_id, now):
            continue
        message = db.session.get(OutboxMessage, message_id)
        try:
            _transport(_build(message))
        except (OSError, smtplib.SMTPException, RuntimeError) as error:
            failed += 1
            backoff = min(MAX_BACKOFF, timedelta(seconds=30 * 2**message.attempts))
            with write_transaction():
                message.attempts += 1
                message.last_error = f"{type(error).__name__}: {error}"[:500]
                message.next_attempt_at = now + backoff
                message.claimed_until = None
                db.session.commit()
            log.warning("mail %s not sent yet: %s", message_id, type(error).__name__)
            continue
        with write_transaction():
            message.attempts += 1
            message.sent_at = utcnow()
            message.last_error = None
            db.session.commit()
        sent += 1
    return sent, failed


# --- in-portal notifications -----------------------------------------------------------------


def _insert_once(values: dict) -> bool:
    """Insert a notification unless one with the same (user, dedupe key) exists; True if new."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Notification).values(**values)
    if values.get("dedupe_key"):
        statement = statement.on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
    # RETURNING says whether a row went in; rowcount is not reliable for ORM inserts everywhere
    return db.session.execute(statement.returning(Notification.id)).first() is not None


def wants_email(user_id: int, kind: str) -> bool:
    """Safety and security kinds always; others unless the person switched them off."""
    if KINDS[kind].always_email:
        return True
    choice = db.session.scalar(
        select(EmailPreference.by_email).where(
            EmailPreference.user_id == user_id, EmailPreference.kind == kind
        )
    )
    return True if choice is None else choice


def notify_user(
    user,  # a User
    kind: str,
    title: str,
    body: str | None = None,
    link: str | None = None,
    urgent: bool = False,
    dedupe_key: str | None = None,
    *,
    at_once: bool = False,
    text: str | None = None,
) -> bool:
    """Tell one person something, in the caller's transaction; returns False for a repeat.

    The portal shows `title` and `body`; the email says only what needs doing and links to the
    portal, so a shared inbox or a phone's lock screen reveals nothing. The portal shows it at
    once; an email to a recovery champion outside service hours waits for the next opening,
    except safety alerts and security links (kinds marked `at_any_hour`) or when `at_once`.
    `text`, when given, also goes by text to a person who wants this kind by text (texts.py).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    created = _insert_once(
        {
            "user_id": user.id,
            "kind": kind,
            "title": title[:200],
            "body": body[:1000] if body else None,
            "link": link,
            "urgent": urgent,
            "dedupe_key": dedupe_key,
            "created_at": utcnow(),
        }
    )
    if created and user.active and wants_email(user.id, kind):
        message = queue_email(
            kind,
            user.email,
            KINDS[kind].email_template,
            headline=KINDS[kind].email_subject,
            name=user.name,
            link=_portal_link(link),
            urgent=urgent,
            title=title,
            body=body,
        )
        if not at_once and waits_for_service_hours(kind, user.roles):
            message.next_attempt_at = email_due_at(utcnow())
    if created and text and user.active:
        _text_too(user, kind, text, dedupe_key, at_once)
    return created


def _text_too(user, kind: str, text: str, dedupe_key: str | None, at_once: bool) -> None:
    from .texts import mobile_of, queue_text, wants_text

    if not wants_text(user.id, kind):
        return
    queue_text(
        kind,
        mobile_of(user.id),
        text,
        user_id=user.id,
        dedupe_key=f"u{user.id}:{dedupe_key}" if dedupe_key else None,
        at_any_hour=KINDS[kind].at_any_hour or at_once,
    )


def email_due_at(now: datetime) -> datetime:
    """When an email that waits for service hours goes: now inside them, else the opening."""
    from ..service_hours import from_settings, next_in_hours

    opens, closes = from_settings()
    return next_in_hours(now, opens, closes)


def _portal_link(link: str | None) -> str:
    """A full address for an email, on PORTAL_EXTERNAL_URL only (never the request's Host)."""
    return external_link(link or "/messages")


@cache
def _unread_statement() -> Select:
    """Built once (the header asks on every page): SQLAlchemy's cache key stays memoized."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.user_id == bindparam("user_id", type_=Integer),
            Notification.read_at.is_(None),
        )
    )


def unread_count(user_id: int) -> int:
    return db.session.scalar(_unread_statement(), {"user_id": user_id}) or 0


def inbox_query(user_id: int):
    return (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(
            Notification.read_at.is_not(None),
            Notification.created_at.desc(),
            Notification.id.desc(),
        )
    )


def mark_read(user_id: int, notification_id: int | None = None) -> int:
    """Mark one of the person's messages read (or all of them); other people's are untouched."""
    statement = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    result = db.session.execute(statement.values(read_at=utcnow()))
    db.session.commit()
    return result.rowcount or 0


def email_choices(user_id: int) -> dict[str, bool]:
    return saved_choices(EmailPreference, "by_email", user_id, optional_kinds())


def saved_choices(model: type, field: str, user_id: int, kinds: Iterable[str]) -> dict[str, bool]:
    """A person's yes or no for each kind, as set_choices records them (`model` is EmailPreference
    or TextPreference, `field` its yes/no column); a kind they never chose is on."""
    saved = dict(
        db.session.execute(
            select(model.kind, getattr(model, field)).where(model.user_id == user_id)
        ).all()
    )
    return {kind: saved.get(kind, True) for kind in kinds}


def save_email_choices(user_id: int, by_email: set[str]) -> None:
    """Record which optional kinds also come by email; safety and security always do."""
    from ..audit import audit

    set_choices(EmailPreference, "by_email", user_id, optional_kinds(), by_email)
    audit("email_preferences_changed", detail={"by_email": sorted(by_email)})
    db.session.commit()
