"""Offers answered by text: "YES 4821" accepts and "NO 4821" declines, as the web buttons do.

The channel (portal/notify/texts.py) hands every received text that is not STOP/START to the
handlers registered with `text_reply_handler`; the first to return words has handled it, and
those words are texted back. This handler takes only replies that read as a yes or a no (with
or without a code) and leaves everything else (None) to the channel's own answer.

A code names an offer only among the pending offers of the volunteer whose mobile sent it, so
"YES 4821" from anyone else — or a code that is nobody's — gets the same "we couldn't find"
answer, revealing nothing. An answer goes through the same service as the web page
(`answers.accept_offer` / `decline_offer`, with the volunteer as the actor): the same checks, the
first acceptance wins, the same audit, with `{"via": "text"}` in its detail. A reply without a
code is never guessed at: the sender is asked for the code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ..audit import utcnow
from ..auth.models import User
from ..auth.services import champions
from ..errors import DomainError
from ..extensions import db
from ..jobs import portal_path
from ..meetings.models import Meeting
from ..notify.services import notify_user
from ..notify.texts import ReceivedReply, text_reply_handler, text_unhandled_listener
from ..volunteers.models import Volunteer
from . import offer_texts
from .answers import EXPIRED, TAKEN, accept_offer, decline_offer
from .models import AccompanimentRequest, Offer
from .reply_codes import CODE_LENGTH

DECLINE_REASON = "Replied NO by text"
# Longer than any way of writing "yes please 4821, thank you": longer texts are not answers.
MAX_ANSWER_LENGTH = 60
MAX_CODE_DIGITS = 8
YES_WORDS = frozenset({"yes", "y", "yeah", "yep", "yea"})
NO_WORDS = frozenset({"no", "n", "nope", "nah"})
# Words people add around an answer that change nothing.
FILLER = frozenset(
    {"please", "thanks", "thank", "you", "ta", "sorry", "cheers", "ok", "okay", "x", "xx"}
)
# How long after the meeting a closed offer's code still gets a specific answer.
CLOSED_OFFER_MEMORY = timedelta(days=1)


@dataclass(frozen=True)
class Answer:
    yes: bool
    code: str | None  # the digits as sent (1 to 8 of them), or None when there were none


def parse_reply(content: str | None) -> Answer | None:
    """Read a text as a yes or no to an offer, leniently ("YES 4821", "yes4821", "Y 4821",
    "no, 4821.", "4821 yes please"); None for anything else (the channel answers that).

    Exactly one yes-or-no word, at most one number (digits split only by spaces or dashes are
    one number, as in "48 21"), and only polite filler besides; case, spacing and punctuation
    do not matter. A text with control characters (a NUL byte…) is not an answer.
    """
    if not content or len(content) > MAX_ANSWER_LENGTH:
        return None
    text = unicodedata.normalize("NFKC", content).lower()
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text):
        return None
    numbers = re.findall(r"[0-9]+(?:[\s-]+[0-9]+)*", text)
    words = [w for w in re.findall(r"[^\W\d_]+", text) if w not in FILLER]
    if len(numbers) > 1 or len(words) != 1 or words[0] not in YES_WORDS | NO_WORDS:
        return None
    code = re.sub(r"[^0-9]", "", numbers[0]) if numbers else None
    if code is not None and len(code) > MAX_CODE_DIGITS:
        return None
    return Answer(yes=words[0] in YES_WORDS, code=code)


@text_reply_handler
def answer_offer_by_text(reply: ReceivedReply) -> str | None:
    """The channel's handler: a yes or a no to an offer, answered with the words to text back."""
    answer = parse_reply(reply.content)
    if answer is None:
        return None
    now = utcnow()
    found = _volunteer_of(reply.user_id)
    if found is None:
        return offer_texts.not_found(answer.code) if answer.code else offer_texts.no_open_offer()
    user, volunteer = found
    if answer.code is None:
        return _ask_for_code(volunteer.id, now)
    offer = _offer_with_code(volunteer.id, answer.code, now)
    if offer is None:
        return offer_texts.not_found(answer.code)
    if answer.yes:
        return _accept(offer, user, now)
    return _decline(offer, user, now)


def _volunteer_of(user_id: int | None) -> tuple[User, Volunteer] | None:
    """The active account and volunteer record behind a number, if it is a volunteer's."""
    if user_id is None:
        return None
    row = db.session.execute(
        select(User, Volunteer)
        .join(Volunteer, Volunteer.user_id == User.id)
        .where(User.id == user_id, User.active.is_(True))
    ).first()
    return (row[0], row[1]) if row is not None else None


def _open_offers(volunteer_id: int, now: datetime) -> list[tuple[str, datetime]]:
    """(code, meeting start) of the volunteer's offers still open for an answer, soonest first."""
    return [
        (code, starts_at)
        for code, starts_at in db.session.execute(
            select(Offer.reply_code, AccompanimentRequest.starts_at)
            .join(AccompanimentRequest, AccompanimentRequest.id == Offer.request_id)
            .where(
                Offer.volunteer_id == volunteer_id,
                Offer.state == "pending",
                Offer.expires_at > now,
                Offer.reply_code.is_not(None),
            )
            .order_by(AccompanimentRequest.starts_at, Offer.id)
        ).all()
    ]


def _ask_for_code(volunteer_id: int, now: datetime) -> str:
    open_offers = _open_offers(volunteer_id, now)
    if not open_offers:
        return offer_texts.no_open_offer()
    return offer_texts.include_code(open_offers)


def _offer_with_code(volunteer_id: int, code: str, now: datetime) -> Offer | None:
    """The volunteer's pending offer with this code; else their latest offer with it whose
    meeting has not long passed (so a late YES hears why it is closed); else None."""
    if len(code) != CODE_LENGTH:
        return None
    base = (
        select(Offer)
        .join(AccompanimentRequest, AccompanimentRequest.id == Offer.request_id)
        .where(Offer.volunteer_id == volunteer_id, Offer.reply_code == code)
    )
    pending = db.session.scalar(base.where(Offer.state == "pending"))
    if pending is not None:
        return pending
    return db.session.scalar(
        base.where(AccompanimentRequest.starts_at > now - CLOSED_OFFER_MEMORY)
        .order_by(Offer.created_at.desc(), Offer.id.desc())
        .limit(1)
    )


def _accept(offer: Offer, user: User, now: datetime) -> str:
    code, offer_id, state = offer.reply_code, offer.id, offer.state
    if state == "accepted":  # a second YES (or the same text twice): say so, change nothing
        return offer_texts.already_booked(starts_at=offer.request.starts_at)
    try:
        accept_offer(offer_id, user, now=now, via="text")
    except DomainError as refusal:
        message = str(refusal)
        return offer_texts.refused(
            code, message, taken=message == TAKEN, expired=message == EXPIRED
        )
    return _booked_words(offer_id)


def _booked_words(offer_id: int) -> str:
    request, area = db.session.execute(
        select(AccompanimentRequest, Meeting.area)
        .join(Offer, Offer.request_id == AccompanimentRequest.id)
        .join(Meeting, Meeting.id == AccompanimentRequest.meeting_id)
        .where(Offer.id == offer_id)
    ).one()
    return offer_texts.booked(
        starts_at=request.starts_at,
        meet_at=request.meeting_point_at,
        area=area,
        point=request.meeting_point,
    )


def _decline(offer: Offer, user: User, now: datetime) -> str:
    code, offer_id, state = offer.reply_code, offer.id, offer.state
    if state == "accepted":  # NO after YES: releasing needs a reason, given in the portal
        return offer_texts.no_to_a_booking(starts_at=offer.request.starts_at)
    if state != "pending":
        return offer_texts.already_closed(code, taken=offer.withdraw_code == "taken")
    try:
        decline_offer(offer_id, user, DECLINE_REASON, now=now, via="text")
    except DomainError as refusal:
        return offer_texts.already_closed(code, taken=str(refusal) == TAKEN)
    return offer_texts.declined(code)


@text_unhandled_listener
def tell_champions(reply: ReceivedReply) -> None:
    """A text from a known number that the portal could not read: the champions take a look."""
    sender = db.session.get(User, reply.user_id) if reply.user_id else None
    who = sender.name if sender is not None else "a number the portal knows"
    for champion in champions():
        notify_user(
            champion,
            "text_unhandled",
            "A text message needs a look",
            body=f"From {who}: “{reply.content[:200]}”",
            link=portal_path("notify.text_problems", "/messages/texts"),
            dedupe_key=f"text_unhandled:{reply.id}",
        )
