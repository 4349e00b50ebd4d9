"""Demo data for messages: the demo champion's note to the approved volunteers, and one reply."""

from __future__ import annotations

from sqlalchemy import select

from ..audit import utcnow
from ..auth.models import User
from ..extensions import db
from ..volunteers.models import Volunteer
from .models import ChampionMessage, MessageRecipient, MessageReply

BODY = (
    "Thank you all for your help this month.\n"
    "Peer support drop-in is on Friday at 5pm in the meeting room. Tea and biscuits."
)


def build_demo_messages() -> None:
    """One sent message to every approved volunteer with an account, and the first one's reply
    (idempotent: added once, with no emails or texts)."""
    champion = db.session.scalar(select(User).where(User.email == "champion@demo.example.org"))
    known = select(ChampionMessage.id).where(ChampionMessage.body == BODY)
    if champion is None or db.session.scalar(known) is not None:
        return
    people = db.session.execute(
        select(Volunteer.id, Volunteer.user_id)
        .join(User, User.id == Volunteer.user_id)
        .where(Volunteer.status == "approved", User.active.is_(True))
        .order_by(Volunteer.id)
    ).all()
    now = utcnow()
    message = ChampionMessage(
        sender_id=champion.id, audience="all", body=BODY, state="sent", sent_at=now
    )
    message.recipient_count = len(people)
    db.session.add(message)
    db.session.flush()
    rows = [
        MessageRecipient(message_id=message.id, user_id=user_id, volunteer_id=volunteer_id)
        for volunteer_id, user_id in people
    ]
    db.session.add_all(rows)
    db.session.flush()
    if rows:
        db.session.add(
            MessageReply(
                recipient_id=rows[0].id,
                message_id=message.id,
                author_id=rows[0].user_id,
                body="Thanks. I will be there, and I can bring milk.",
            )
        )
