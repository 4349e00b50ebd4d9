"""Telling many people the same thing at once: `notify_user`'s rules, in a few statements.

A champion's message to every volunteer reaches thousands of people; one `notify_user` each
would be thousands of round trips. The choices read here are the ones `notify_user` reads one
person at a time (email on unless switched off; a text to a mobile that has not sent STOP,
unless switched off), and the rows written are the ones it writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import g
from sqlalchemy import insert, select

from ..extensions import db
from .kinds import KINDS, waits_for_service_hours
from .models import (
    EmailPreference,
    Notification,
    OutboxMessage,
    TextContact,
    TextMessage,
    TextPreference,
    TextStop,
)
from .services import _portal_link, email_due_at, email_values
from .texts import text_due_at


@dataclass(frozen=True)
class Channels:
    """How one person hears of a kind: by email or not, and the mobile to text (None: no text)."""

    by_email: bool
    mobile: str | None


@dataclass(frozen=True)
class Addressee:
    user_id: int
    name: str
    email: str
    channels: Channels


def channels_for(kind: str, user_ids: Sequence[int]) -> dict[int, Channels]:
    """Each person's channels for `kind`, in four queries whatever the number of people."""
    if not user_ids:
        return {}
    ids = list(user_ids)
    email_off = set(
        db.session.scalars(
            select(EmailPreference.user_id).where(
                EmailPreference.kind == kind,
                EmailPreference.by_email.is_(False),
                EmailPreference.user_id.in_(ids),
            )
        )
    )
    text_off = set(
        db.session.scalars(
            select(TextPreference.user_id).where(
                TextPreference.kind == kind,
                TextPreference.by_text.is_(False),
                TextPreference.user_id.in_(ids),
            )
        )
    )
    mobiles = dict(
        db.session.execute(
            select(TextContact.user_id, TextContact.mobile).where(TextContact.user_id.in_(ids))
        ).all()
    )
    stopped = set(
        db.session.scalars(select(TextStop.number).where(TextStop.number.in_(mobiles.values())))
    )
    always_email = KINDS[kind].always_email
    return {
        user_id: Channels(
            by_email=always_email or user_id not in email_off,
            mobile=mobiles.get(user_id)
            if mobiles.get(user_id) not in stopped and user_id not in text_off
            else None,
        )
        for user_id in ids
    }


def notify_many(
    people: Sequence[Addressee],
    kind: str,
    title: str,
    link: str,
    *,
    dedupe_key: str,
    now: datetime,
    text: str | None = None,
    roles: frozenset[str] = frozenset(),
) -> None:
    """`notify_user` for each of `people` (active accounts), in the caller's transaction: the
    portal notification, the email by each person's channels and, when `text` is given, the
    text. `roles` are the people's roles, for whether their emails wait for service hours."""
    db.session.execute(
        insert(Notification),
        [
            {"user_id": p.user_id, "kind": kind, "title": title[:200], "link": link}
            | {"urgent": False, "dedupe_key": dedupe_key, "created_at": now}
            for p in people
        ],
    )
    found = KINDS[kind]
    due = email_due_at(now) if waits_for_service_hours(kind, set(roles)) else now
    email_link = _portal_link(link)
    context = {"headline": found.email_subject, "urgent": False, "title": title, "body": None}
    emails = [
        email_values(kind, p.email, found.email_template, name=p.name, link=email_link, **context)
        | {"next_attempt_at": due}
        for p in people
        if p.channels.by_email
    ]
    if emails:
        db.session.execute(insert(OutboxMessage), emails)
        g.mail_queued = True
    texts = [_text_row(kind, p, text, dedupe_key, now) for p in people if p.channels.mobile]
    if text and texts:
        db.session.execute(insert(TextMessage), texts)
        g.texts_queued = True


def _text_row(kind: str, person: Addressee, body: str | None, key: str, now: datetime) -> dict:
    return {
        "kind": kind,
        "to_number": person.channels.mobile,
        "body": body,
        "user_id": person.user_id,
        "dedupe_key": f"u{person.user_id}:{key}",
        "at_any_hour": False,
        "created_at": now,
        "attempts": 0,
        "next_attempt_at": text_due_at(now),
        "status": "queued",
    }
