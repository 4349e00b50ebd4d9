"""Rules for messages from the champion: who gets one, by which channel, sending, replies.

`recipients` is the one answer to "who gets this message, and how": the preview pages through
it and `send_message` sends to it, so the two cannot differ. A preview carries a fingerprint of
that answer; when the list (or the words) changed before the champion pressed send, the send is
refused and the preview is shown again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from ..audit import audit, utcnow
from ..auth.models import User
from ..auth.services import champions
from ..database import one_or_missing
from ..errors import InvalidChange, NotAllowed, NotFound
from ..extensions import db
from ..notify.bulk import Addressee, channels_for, notify_many
from ..notify.services import notify_user
from ..volunteers.listing import VolunteerFilters, search_volunteers
from ..volunteers.models import Volunteer
from .mentions import Mentions, client_mentions
from .models import (
    AUDIENCES,
    MAX_BODY,
    MAX_FILTERS,
    ChampionMessage,
    MessageRecipient,
    MessageReply,
)

# A draft never sent (it may name a client) goes after this long: nothing lists drafts.
DRAFT_KEPT = timedelta(days=7)
KIND = "champion_message"
REPLY_KIND = "message_reply"
INBOX_LINK = "/messages/inbox"
TEXT = "You have a new message in the portal. Sign in to read it."
BLOCKED = (
    "Group messages must not name a client. Take out: {words}. Send a message to one "
    "volunteer if they need to know."
)
CHANGED = (
    "The volunteers who would get this message changed since you looked. Check the list "
    "again, then send."
)


def _require_champion(actor: User) -> None:
    if not actor.has_role("champion"):
        raise NotAllowed("Only a recovery champion can send messages to volunteers")


@dataclass(frozen=True)
class Recipient(Addressee):
    volunteer_id: int = 0

    @property
    def by_email(self) -> bool:
        return self.channels.by_email

    @property
    def by_text(self) -> bool:
        return self.channels.mobile is not None


def _audience_rows(message: ChampionMessage, actor: User) -> Any:
    statement = (
        select(Volunteer.id, Volunteer.preferred_name, User.id, User.email)
        .join(User, User.id == Volunteer.user_id)
        .where(User.active.is_(True))
        .order_by(func.lower(Volunteer.preferred_name), Volunteer.id)
    )
    if message.audience == "one":
        return statement.where(Volunteer.id == message.volunteer_id)
    if message.audience == "all":
        return statement.where(Volunteer.status == "approved")
    listed = search_volunteers(filters_of(message), actor).order_by(None).subquery()
    return statement.where(Volunteer.id.in_(select(listed.c.id)))


def left_out(message: ChampionMessage, actor: User, reached: int) -> int:
    """Volunteers the list shows who cannot get a portal message (no account, or switched off)."""
    if message.audience != "filtered":
        return 0
    listed = search_volunteers(filters_of(message), actor).order_by(None).subquery()
    return (db.session.scalar(select(func.count()).select_from(listed)) or 0) - reached


def recipients(message: ChampionMessage, actor: User) -> list[Recipient]:
    """Who gets `message` and by which channels, in name order: the preview and the send."""
    _require_champion(actor)
    rows = db.session.execute(_audience_rows(message, actor)).all()
    channels = channels_for(KIND, [row[2] for row in rows])
    return [
        Recipient(user_id, name, email, channels[user_id], volunteer_id=volunteer_id)
        for volunteer_id, name, user_id, email in rows
    ]


def fingerprint(message: ChampionMessage, people: list[Recipient]) -> str:
    """Changes when the people, their channels or the words change."""
    seen = [(p.user_id, p.by_email, p.by_text) for p in sorted(people, key=lambda p: p.user_id)]
    text = json.dumps([message.body, seen])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def filters_of(message: ChampionMessage) -> VolunteerFilters:
    return VolunteerFilters(**json.loads(message.filters or "{}"))


def list_args(filters: VolunteerFilters) -> dict[str, str]:
    """The volunteer list's address arguments for `filters` (to link back to the same rows)."""
    args = {
        "q": filters.query,
        "status": filters.status,
        "fellowship": "" if filters.fellowship_id is None else str(filters.fellowship_id),
        "area": filters.area,
        "language": filters.language,
        "checks": "expiring" if filters.expiring else "",
        "activity": "inactive" if filters.inactive else "",
    }
    return {key: value for key, value in args.items() if value}


class NamesClient(InvalidChange):
    """The words name a client: blocked, or a warning the champion has not ticked."""

    def __init__(self, message: str, field: str, mentions: Mentions) -> None:
        super().__init__(message, field)
        self.mentions = mentions


def _check_words(message: ChampionMessage, actor: User) -> None:
    known = {actor.name.split()[0].lower()} if actor.name.strip() else set()
    if message.audience == "one" and message.volunteer_id is not None:
        name = db.session.get(Volunteer, message.volunteer_id).preferred_name
        known |= {word.lower() for word in name.split()}
    found = client_mentions(message.body, known_names=known)
    if message.audience != "one" and found.blocked:
        words = ", ".join(f"“{word}”" for word in found.blocked)
        raise NamesClient(BLOCKED.format(words=words), "body", found)
    if found and not message.names_checked:
        raise NamesClient(
            "Tick the box to say no client can be identified from this message",
            "names_checked",
            found,
        )


def _audience_values(audience: str, volunteer_id: int | None, filters: VolunteerFilters | None):
    if audience not in AUDIENCES:
        raise NotFound("There is no such group of volunteers")
    if audience == "one":
        volunteer = db.session.get(Volunteer, volunteer_id) if volunteer_id else None
        if volunteer is None:
            raise NotFound("There is no such volunteer")
        return {"volunteer_id": volunteer.id, "filters": None}
    if audience == "filtered":
        text = json.dumps(asdict(filters or VolunteerFilters()))
        if len(text) > MAX_FILTERS:
            raise InvalidChange("Those filters are too long. Use fewer words.", "body")
        return {"volunteer_id": None, "filters": text}
    return {"volunteer_id": None, "filters": None}


def save_draft(
    actor: User,
    body: str,
    names_checked: bool,
    *,
    audience: str = "all",
    volunteer_id: int | None = None,
    filters: VolunteerFilters | None = None,
    draft_id: int | None = None,
) -> ChampionMessage:
    """Keep the champion's words as a draft to preview; raises NamesClient for client details."""
    _require_champion(actor)
    body = (body or "").replace("\r\n", "\n").strip()
    if not body or len(body) > MAX_BODY:
        raise InvalidChange(f"Write a message of {MAX_BODY} characters or fewer", "body")
    if draft_id is None:
        message = ChampionMessage(sender_id=actor.id, state="draft")
        message.audience = audience
        for name, value in _audience_values(audience, volunteer_id, filters).items():
            setattr(message, name, value)
    else:
        message = draft(draft_id, actor)
    message.body, message.names_checked = body, bool(names_checked)
    _check_words(message, actor)
    db.session.add(message)
    db.session.commit()
    return message


def draft(message_id: int, actor: User) -> ChampionMessage:
    """The champion's own unsent message; anyone else's, or a sent one, is not found."""
    _require_champion(actor)
    return one_or_missing(
        select(ChampionMessage).where(
            ChampionMessage.id == message_id,
            ChampionMessage.sender_id == actor.id,
            ChampionMessage.state == "draft",
        ),
        "There is no such draft message",
    )


def send_message(message_id: int, seen: str, actor: User) -> ChampionMessage:
    """Send a previewed draft to exactly the people previewed, in one transaction."""
    message = draft(message_id, actor)
    people = recipients(message, actor)
    if not people:
        raise InvalidChange("Nobody would get this message. Change who it goes to.")
    if fingerprint(message, people) != seen:
        raise InvalidChange(CHANGED, "recipients")
    now = utcnow()
    claimed = db.session.execute(
        update(ChampionMessage)
        .where(ChampionMessage.id == message.id, ChampionMessage.state == "draft")
        .values(state="sent", sent_at=now, recipient_count=len(people))
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise InvalidChange("This message has already been sent.")
    _deliver(message, people, now)
    audit(
        "message_sent",
        message,
        detail={
            "audience": message.audience,
            "recipients": len(people),
            "by_email": sum(p.by_email for p in people),
            "by_text": sum(p.by_text for p in people),
        },
    )
    db.session.commit()
    return message


def _deliver(message: ChampionMessage, people: list[Recipient], now) -> None:
    """Recipient rows, portal notifications, emails and texts as bulk inserts (a few statements
    for thousands of people), with the same words `notify_user` would use for this kind."""
    db.session.execute(
        insert(MessageRecipient),
        [
            {
                "message_id": message.id,
                "user_id": p.user_id,
                "volunteer_id": p.volunteer_id,
                "by_email": p.by_email,
                "by_text": p.by_text,
                "created_at": now,
            }
            for p in people
        ],
    )
    title = "You have a new message from the recovery champion"
    notify_many(
        people, KIND, title, INBOX_LINK, dedupe_key=f"message:{message.id}", now=now, text=TEXT
    )


def _reply_count() -> Any:
    return (
        select(func.count(MessageReply.id))
        .where(MessageReply.message_id == ChampionMessage.id)
        .correlate(ChampionMessage)
        .scalar_subquery()
    )


def sent_messages(actor: User) -> Any:
    """Every sent message, newest first, with its number of replies (for pagination)."""
    _require_champion(actor)
    return (
        select(ChampionMessage, User.name, _reply_count())
        .join(User, User.id == ChampionMessage.sender_id)
        .where(ChampionMessage.state == "sent")
        .order_by(ChampionMessage.sent_at.desc(), ChampionMessage.id.desc())
    )


def sent_message(message_id: int, actor: User) -> tuple[ChampionMessage, str, dict[str, int]]:
    """A sent message, who sent it, and how many it went to by email and by text."""
    _require_champion(actor)
    message = one_or_missing(
        select(ChampionMessage).where(
            ChampionMessage.id == message_id, ChampionMessage.state == "sent"
        ),
        "There is no such message",
    )
    by_email, by_text = db.session.execute(
        select(
            func.count().filter(MessageRecipient.by_email.is_(True)),
            func.count().filter(MessageRecipient.by_text.is_(True)),
        ).where(MessageRecipient.message_id == message.id)
    ).one()
    sender = db.session.get(User, message.sender_id).name
    return message, sender, {"by_email": by_email, "by_text": by_text}


def replies_to(message_id: int) -> Any:
    """The replies to a message, newest first, with the volunteer's name (for pagination)."""
    return (
        select(MessageReply, Volunteer.preferred_name, Volunteer.id)
        .join(MessageRecipient, MessageRecipient.id == MessageReply.recipient_id)
        .outerjoin(Volunteer, Volunteer.id == MessageRecipient.volunteer_id)
        .where(MessageReply.message_id == message_id)
        .order_by(MessageReply.created_at.desc(), MessageReply.id.desc())
    )


def my_messages(actor: User) -> Any:
    """The messages sent to this person, newest first (for pagination)."""
    return (
        select(MessageRecipient, ChampionMessage, User.name)
        .join(ChampionMessage, ChampionMessage.id == MessageRecipient.message_id)
        .join(User, User.id == ChampionMessage.sender_id)
        .where(MessageRecipient.user_id == actor.id)
        .order_by(ChampionMessage.sent_at.desc(), ChampionMessage.id.desc())
    )


def my_replies(recipient_ids: list[int]) -> dict[int, list[MessageReply]]:
    """The replies under each of these messages, oldest first, in one query."""
    found: dict[int, list[MessageReply]] = {rid: [] for rid in recipient_ids}
    if recipient_ids:
        rows = db.session.scalars(
            select(MessageReply)
            .where(MessageReply.recipient_id.in_(recipient_ids))
            .order_by(MessageReply.created_at, MessageReply.id)
        )
        for reply in rows:
            found[reply.recipient_id].append(reply)
    return found


def my_message(recipient_id: int, actor: User) -> tuple[MessageRecipient, ChampionMessage]:
    """One message sent to this person; anyone else's is not found."""
    row = db.session.execute(
        select(MessageRecipient, ChampionMessage)
        .join(ChampionMessage, ChampionMessage.id == MessageRecipient.message_id)
        .where(MessageRecipient.id == recipient_id, MessageRecipient.user_id == actor.id)
    ).first()
    if row is None:
        raise NotFound("There is no such message")
    return row[0], row[1]


def add_reply(recipient_id: int, body: str, actor: User) -> MessageReply:
    """Keep a volunteer's reply and tell every champion, in one transaction."""
    recipient, message = my_message(recipient_id, actor)
    body = (body or "").replace("\r\n", "\n").strip()
    if not body or len(body) > MAX_BODY:
        raise InvalidChange(f"Write a reply of {MAX_BODY} characters or fewer", "body")
    reply = MessageReply(
        recipient_id=recipient.id, message_id=message.id, author_id=actor.id, body=body
    )
    db.session.add(reply)
    db.session.flush()
    name = db.session.scalar(
        select(Volunteer.preferred_name).where(Volunteer.id == recipient.volunteer_id)
    )
    for champion in champions():
        notify_user(
            champion,
            REPLY_KIND,
            f"{name or actor.name} replied to a message",
            link=f"/messages/sent/{message.id}",
        )
    audit("message_replied", reply, detail={"message_id": message.id})
    db.session.commit()
    return reply


@dataclass(frozen=True)
class About:
    audience: str
    words: str  # "Sam", "the volunteers your filters show", "all approved volunteers"
    volunteer_id: int | None = None
    list_args: dict | None = None  # the volunteer list's address arguments, for a link back


def describe(
    actor: User,
    audience: str,
    volunteer_id: int | None = None,
    filters: VolunteerFilters | None = None,
) -> About:
    """Who a message is for, in words; an unknown volunteer or group is not found."""
    _require_champion(actor)
    values = _audience_values(audience, volunteer_id, filters)
    if audience == "one":
        name = db.session.get(Volunteer, values["volunteer_id"]).preferred_name
        return About(audience, name, values["volunteer_id"])
    if audience == "filtered":
        args = list_args(filters or VolunteerFilters())
        return About(audience, "the volunteers your filters show", list_args=args)
    return About(audience, "all approved volunteers")


def audience_of(message: ChampionMessage) -> dict:
    """A draft's audience as `save_draft` and `describe` take it."""
    return {
        "audience": message.audience,
        "volunteer_id": message.volunteer_id,
        "filters": filters_of(message) if message.audience == "filtered" else None,
    }


def preview_facts(message: ChampionMessage, people: list[Recipient], actor: User) -> dict:
    """What the preview page says besides the list itself."""
    return {
        "message": message,
        "about": describe(actor, **audience_of(message)),
        "by_email": sum(p.by_email for p in people),
        "by_text": sum(p.by_text for p in people),
        "left_out": left_out(message, actor, len(people)),
    }


def delete_stale_drafts(now: datetime) -> int:
    """Delete drafts never sent within DRAFT_KEPT, in the caller's transaction."""
    deleted = db.session.execute(
        delete(ChampionMessage)
        .where(ChampionMessage.state == "draft", ChampionMessage.created_at < now - DRAFT_KEPT)
        .execution_options(synchronize_session=False)
    )
    return deleted.rowcount or 0
