"""Texts' pages: Notify's two callbacks (receipts, received texts) and the champion's list of
texts that failed or are held.

The callbacks are `@public` (Notify has no session) and exempt from the form token (Notify
cannot fetch one): the bearer token Notify sends, NOTIFY_CALLBACK_TOKEN, compared in constant
time, is their check. With no token configured they answer 404: never open.
"""

from __future__ import annotations

import hmac

from flask import abort, current_app, jsonify, request
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from ..audit import viewing_list
from ..database import write_transaction
from ..extensions import csrf, db
from ..web import paginate, public, render, role_required
from . import bp
from .kinds import KINDS
from .models import (
    FAILED_STATUSES,
    RECEIVED_OUTCOMES,
    STATUS_WORDS,
    ReceivedText,
    TextMessage,
)
from .text_delivery import record_status
from .text_inbox import dispatch_one, store_received
from .texts import shown_mobile

MAX_CALLBACK_BYTES = 64 * 1024


def _callback_body() -> dict:
    """Refuse anything but Notify's own call; the JSON body it sent (a dict) or 400."""
    expected = str(current_app.config.get("NOTIFY_CALLBACK_TOKEN") or "")
    if not expected:
        abort(404)
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode("utf-8", "replace"), expected.encode("utf-8")
    ):
        abort(403)
    if (request.content_length or 0) > MAX_CALLBACK_BYTES:
        abort(413)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400)
    return body


@bp.route("/texts/receipts", methods=["POST"])
@public
@csrf.exempt
def text_receipt_callback():
    """Notify's delivery receipt: {id, reference, to, status, created_at, completed_at, …}."""
    body = _callback_body()
    status = body.get("status")
    if not isinstance(status, str):
        abort(400)
    notify_id = body.get("id")
    reference = body.get("reference")
    with write_transaction():
        changed = record_status(
            str(notify_id)[:36] if isinstance(notify_id, str) else None,
            reference if isinstance(reference, str) else None,
            status,
        )
        db.session.commit()
    return jsonify(updated=bool(changed)), 200


@bp.route("/texts/received", methods=["POST"])
@public
@csrf.exempt
def text_received_callback():
    """A text someone sent: {id, source_number, destination_number, message, date_received}.
    Stored once by Notify's id, then answered (once) straight away."""
    body = _callback_body()
    notify_id = body.get("id")
    if not isinstance(notify_id, str) or not notify_id.strip():
        abort(400)
    message = body.get("message")
    with write_transaction():
        new = store_received(
            notify_id,
            body.get("source_number"),
            message if isinstance(message, str) else "",
            body.get("date_received"),
        )
        db.session.commit()
    if new:
        stored = db.session.scalar(
            select(ReceivedText.id).where(ReceivedText.notify_id == notify_id.strip()[:36])
        )
        if stored is not None:
            dispatch_one(stored)
    return jsonify(stored=new), 200


# --- the champion's page -----------------------------------------------------------------------


def _problems_query():
    waiting_again = and_(
        TextMessage.status == "queued",
        TextMessage.attempts > 0,
        TextMessage.last_error.is_not(None),
    )
    return (
        select(TextMessage)
        .options(joinedload(TextMessage.user), joinedload(TextMessage.client))
        .where(
            or_(
                TextMessage.status.in_(sorted(FAILED_STATUSES)),
                TextMessage.status == "held",
                waiting_again,
            )
        )
        .order_by(TextMessage.created_at.desc(), TextMessage.id.desc())
    )


def _unanswered_query():
    return (
        select(ReceivedText)
        .options(joinedload(ReceivedText.user))
        .where(ReceivedText.outcome.in_(["unhandled", "failed"]))
        .order_by(ReceivedText.received_at.desc(), ReceivedText.id.desc())
        .limit(10)
    )


@bp.route("/texts")
@role_required("champion", "admin")
def text_problems():
    page = paginate(_problems_query())
    if any(text.client_id for text in page.items):
        viewing_list("failed_texts", page=page.page)
    unanswered = db.session.scalars(_unanswered_query()).unique().all()
    return render(
        "notify/text_problems.html",
        block="results",
        page=page,
        unanswered=unanswered,
        kinds=KINDS,
        outcomes=RECEIVED_OUTCOMES,
        shown_mobile=shown_mobile,
        status_words=STATUS_WORDS,
    )
