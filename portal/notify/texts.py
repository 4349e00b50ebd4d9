"""Text messages: numbers, the text outbox, people's mobiles and text choices, reply handlers.

Texts go through GOV.UK Notify (delivery in `text_delivery.py`, received texts in
`text_inbox.py`). Like email, a text is a row first: `queue_text` adds it in the caller's
transaction and the worker sends it after the commit. Texts name no client and never the
service's purpose; a text to a volunteer or a champion says what needs doing, briefly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import phonenumbers
from flask import g
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..audit import utcnow
from ..extensions import db
from .kinds import KINDS, text_choice_kinds
from .models import TextContact, TextMessage, TextPreference, TextStop, set_choices

if TYPE_CHECKING:
    from flask import Flask

MAX_BODY = 918  # six fragments of a text: Notify's own limit is higher, ours keeps costs known
MAX_MOBILE_INPUT = 30
BAD_NUMBER = "Enter a mobile number, like 07700 900 982"
UK_MOBILE = re.compile(r"^7(?:[1-57-9]\d{8}|624\d{6})$")  # the national number, without the 0


class BadNumber(ValueError):
    """A number that cannot get texts; `str(error)` is fit to show by the field."""


def normalise_mobile(raw: str) -> str:
    """A number as typed ("07700 900123", "+44 7700 900123") -> E.164 "+447700900123".

    Raises BadNumber for anything that is not a valid mobile (landlines cannot get texts).
    """
    text = str(raw or "").strip()
    if not text or len(text) > MAX_MOBILE_INPUT or "\x00" in text:
        raise BadNumber(BAD_NUMBER)
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        raise BadNumber(BAD_NUMBER) from None
    if number.country_code == 44:
        # Notify's own rule for a UK mobile: 07 and nine digits, not a personal number (070) or
        # a pager (076, but the Isle of Man's 07624 is a mobile). Ofcom's drama numbers
        # (07700 900000–900999) pass, so examples and tests use numbers nobody holds.
        if not UK_MOBILE.match(str(number.national_number)):
            raise BadNumber(BAD_NUMBER)
    elif not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise BadNumber(BAD_NUMBER)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def shown_mobile(e164: str | None) -> str:
    """A stored number as people write it ("07700 900123" for a UK one)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 44:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# --- the outbox -------------------------------------------------------------------------------


def is_stopped(number: str) -> bool:
    """The number texted STOP (and not START since)."""
    return db.session.scalar(select(TextStop.id).where(TextStop.number == number)) is not None


def queue_text(
    kind: str,
    to_number: str,
    body: str,
    *,
    user_id: int | None = None,
    client_id: int | None = None,
    dedupe_key: str | None = None,
    at_any_hour: bool = False,
    send_by: datetime | None = None,
) -> TextMessage | None:
    """Queue a text in the caller's transaction (sent by the worker after the commit).

    Returns None for a repeat of (to_number, dedupe_key) or a number that sent STOP. Raises
    ValueError for an unknown kind, an empty body or one over 918 characters. Never raises for
    the daily cap: the worker holds texts over it until the next day. A text that is not
    `at_any_hour` waits for service hours. A text still unsent at `send_by` (held by the cap,
    service hours or Notify being down) is not sent: its words would no longer be true.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    if not body or not body.strip():
        raise ValueError("a text needs a body")
    if len(body) > MAX_BODY:
        raise ValueError(f"a text is at most {MAX_BODY} characters; this one is {len(body)}")
    if not to_number.startswith("+") or len(to_number) > 16:
        raise ValueError("to_number must be in E.164 form; use normalise_mobile")
    if is_stopped(to_number):
        return None
    now = utcnow()
    due = now if at_any_hour else text_due_at(now)
    values = {
        "kind": kind,
        "to_number": to_number,
        "body": body,
        "user_id": user_id,
        "client_id": client_id,
        "dedupe_key": dedupe_key,
        "at_any_hour": at_any_hour,
        "created_at": now,
        "attempts": 0,
        "next_attempt_at": due,
        "send_by": send_by,
        "status": "queued",
    }
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(TextMessage).values(**values)
    if dedupe_key:
        statement = statement.on_conflict_do_nothing(index_elements=["to_number", "dedupe_key"])
    new_id = db.session.execute(statement.returning(TextMessage.id)).scalar()
    if new_id is None:
        return None
    g.texts_queued = True
    return db.session.get(TextMessage, new_id)


def text_due_at(now: datetime) -> datetime:
    """When a text that waits for service hours goes: now inside them, else the opening."""
    from .services import email_due_at

    return email_due_at(now)


# --- people's mobiles and choices -------------------------------------------------------------


def mobile_of(user_id: int) -> str | None:
    """The person's mobile in E.164, or None."""
    return db.session.scalar(select(TextContact.mobile).where(TextContact.user_id == user_id))


def users_with_mobile(number: str) -> list[int]:
    """The accounts that gave this mobile."""
    return list(db.session.scalars(select(TextContact.user_id).where(TextContact.mobile == number)))


def wants_text(user_id: int, kind: str) -> bool:
    """True when the person has a mobile, has not stopped texts, and has texts on for this kind:
    "always" kinds (safety) whenever they gave a number; "choice" kinds unless switched off."""
    found = KINDS.get(kind)
    if found is None or not found.by_text:
        return False
    mobile = mobile_of(user_id)
    if mobile is None or is_stopped(mobile):
        return False
    if found.by_text == "always":
        return True
    choice = db.session.scalar(
        select(TextPreference.by_text).where(
            TextPreference.user_id == user_id, TextPreference.kind == kind
        )
    )
    return True if choice is None else choice


def text_choices(user_id: int) -> dict[str, bool]:
    """Each kind a person may choose to have by text, and whether they do (on by default)."""
    from .services import saved_choices

    return saved_choices(TextPreference, "by_text", user_id, text_choice_kinds())


def save_text_choices(user_id: int, mobile: str | None, by_text: set[str]) -> None:
    """Record the person's mobile (E.164, or None to forget it) and which kinds come by text;
    in the caller's transaction (the caller audits and commits)."""
    contact = db.session.scalar(select(TextContact).where(TextContact.user_id == user_id))
    if mobile is None:
        if contact is not None:
            db.session.delete(contact)
    elif contact is None:
        db.session.add(TextContact(user_id=user_id, mobile=mobile, updated_at=utcnow()))
    elif contact.mobile != mobile:
        contact.mobile = mobile
        contact.updated_at = utcnow()
    set_choices(TextPreference, "by_text", user_id, text_choice_kinds(), by_text)


def stop_number(number: str) -> bool:
    """Stop texts to a number; True when it was not stopped before."""
    if is_stopped(number):
        return False
    db.session.add(TextStop(number=number, stopped_at=utcnow()))
    db.session.flush()
    return True


def start_number(number: str) -> bool:
    """Texts to a number again; True when it had been stopped."""
    result = db.session.execute(delete(TextStop).where(TextStop.number == number))
    return bool(result.rowcount)


def stopped_since(number: str | None) -> datetime | None:
    if not number:
        return None
    return db.session.scalar(select(TextStop.stopped_at).where(TextStop.number == number))


def sent_today_count(day_start: datetime) -> int:
    """Texts handed to Notify (or printed) since `day_start`."""
    return (
        db.session.scalar(
            select(func.count()).select_from(TextMessage).where(TextMessage.sent_at >= day_start)
        )
        or 0
    )


# --- replies ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedReply:
    id: int  # the received_texts row id
    from_number: str  # E.164 (as Notify gave it when it could not be read as a number)
    content: str  # as received (what is stored is cut to 1,000 characters)
    user_id: int | None  # the account whose mobile this is, if exactly one


ReplyHandler = Callable[[ReceivedReply], "str | None"]
REPLY_HANDLERS: list[ReplyHandler] = []


def text_reply_handler(function: ReplyHandler) -> ReplyHandler:
    """Decorator: register `function(reply) -> str | None`. For each received text that is not
    STOP/START, handlers are called in registration order; the first to return a string has
    handled it, and that string is texted back at once. If none does, the sender gets a short
    helpful answer and the `text_unhandled_listener`s are told."""
    if function not in REPLY_HANDLERS:
        REPLY_HANDLERS.append(function)
    return function


UnhandledListener = Callable[[ReceivedReply], None]
UNHANDLED_LISTENERS: list[UnhandledListener] = []


def text_unhandled_listener(function: UnhandledListener) -> UnhandledListener:
    """Decorator: call `function(reply)` for a text from a known number that no handler took
    (inside the transaction that answers it), so the people who can help hear of it; the
    channel does not know who they are."""
    if function not in UNHANDLED_LISTENERS:
        UNHANDLED_LISTENERS.append(function)
    return function


def init_texts(app: Flask) -> None:
    """Without a separate worker (development), send queued texts once the response is out."""
    from .services import deliver_after_response
    from .text_delivery import deliver_due_texts, texts_set_up

    app.jinja_env.globals["texts_set_up"] = texts_set_up
    deliver_after_response(app, "texts_queued", deliver_due_texts, "text")


def save_message_choices(
    user_id: int, by_email: set[str], mobile_typed: str | None, by_text: set[str]
) -> None:
    """The person's own choices from their messages page: the kinds they get by email, their
    mobile (as typed; blank forgets it) and the kinds they get by text. A number that cannot get
    texts is refused by its field (InvalidChange); nothing is saved then."""
    from ..audit import audit
    from ..errors import InvalidChange
    from .services import save_email_choices

    typed = (mobile_typed or "").strip()
    try:
        mobile = normalise_mobile(typed) if typed else None
    except BadNumber as error:
        raise InvalidChange(str(error), field="mobile") from None
    before = mobile_of(user_id)
    save_text_choices(user_id, mobile, by_text)
    change = "unchanged" if before == mobile else ("removed" if mobile is None else "changed")
    audit("text_preferences_changed", detail={"by_text": sorted(by_text), "mobile": change})
    save_email_choices(user_id, by_email)  # audits the email choices and commits
