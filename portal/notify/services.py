"""Queue email in the caller's transaction; deliver what is due over SMTP."""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import Flask, current_app, g, render_template
from sqlalchemy import or_, select, update
from werkzeug.wrappers import Response

from ..audit import utcnow
from ..database import write_transaction
from ..extensions import db
from .models import OutboxMessage

log = logging.getLogger(__name__)
CLAIM_FOR = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)


def queue_email(kind: str, to_address: str, template: str, **context: object) -> OutboxMessage:
    """Add an email to the outbox; it is sent only if the caller's transaction commits.

    `template` names `templates/email/<template>.txt` (and `.html`); its first line is the subject.
    """
    text = render_template(f"email/{template}.txt", **context)
    subject, _, body = text.partition("\n")
    html = render_template(f"email/{template}.html", subject=subject, **context)
    message = OutboxMessage(
        kind=kind,
        to_address=to_address,
        subject=subject.strip(),
        body_text=body.lstrip("\n"),
        body_html=html,
    )
    db.session.add(message)
    g.mail_queued = True
    return message


def init_notify(app: Flask) -> None:
    """Without a separate worker (development), send queued mail once the response is out."""

    @app.after_request
    def deliver_after_response(response: Response) -> Response:
        if g.get("mail_queued") and app.config["MAIL_SEND_INLINE"]:

            def deliver() -> None:
                with app.app_context():
                    try:
                        deliver_due()
                    except Exception:  # the outbox keeps it; the worker retries later
                        log.exception("inline mail delivery failed")

            response.call_on_close(deliver)
        return response


def _claim(message_id: int, now: datetime) -> bool:
    """Take one message for sending; the conditional update means only one worker wins it."""
    with write_transaction():
        result = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.sent_at.is_(None),
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            )
            .values(claimed_until=now + CLAIM_FOR)
        )
        db.session.commit()
    return result.rowcount == 1


def _build(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    # A stable id lets a receiving server drop a copy resent after a crash mid-send.
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain="portal.invalid")
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
