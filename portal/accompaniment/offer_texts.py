"""The words of every text message about offers and escorts (plain Python, no database).

A text shows on a phone's lock screen, so it never names the client, the fellowship, the
meeting's own name (which often says AA or NA) or anything about drugs or alcohol: only "a
meeting", its day, when and roughly where to meet, and the offer's reply code. Each text aims at
one 160-character message: when the full wording is longer, it leaves out the least needed part
(the meeting point, then the area) rather than run over.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from ..dates import LONDON, clock, short_day

ONE_TEXT = 160
NOTHING_TO_DO = "Thank you - you don't need to do anything."
# Words a keyworker's free text (the meeting point) could hold that a text must not show.
_UNSAFE = re.compile(
    r"drug|alcohol|addict|substance|rehab|detox|methadone|treatment|recovery|\bAA\b|\bNA\b|\bCA\b",
    re.IGNORECASE,
)


def fit(*versions: str) -> str:
    """The first version that fits one text, else the last (the shortest one offered)."""
    for version in versions:
        if len(version) <= ONE_TEXT:
            return version
    return versions[-1]


def safe_place(words: str | None, limit: int = 60) -> str | None:
    """A place as a text may show it: one line, not too long, nothing that says what the
    meeting is for (then it is left out and the portal gives the details)."""
    words = " ".join((words or "").split())
    if not words or len(words) > limit or _UNSAFE.search(words):
        return None
    return words


def day_words(starts_at: datetime) -> str:
    """'Tue 8 Dec'."""
    return short_day(starts_at)


def answer_by_words(expires_at: datetime, now: datetime) -> str:
    """'6pm today', '9am tomorrow' or '9am Mon 7 Dec' (UK time)."""
    day = expires_at.astimezone(LONDON).date()
    today = now.astimezone(LONDON).date()
    if day == today:
        return f"{clock(expires_at)} today"
    if day == today + timedelta(days=1):
        return f"{clock(expires_at)} tomorrow"
    return f"{clock(expires_at)} {short_day(expires_at)}"


def offer_made(
    *, starts_at: datetime, meet_at: datetime, area: str | None, code: str, answer_by: str
) -> str:
    """A new offer: where and when, the code to reply with and the answer-by."""
    day = day_words(starts_at)
    where = safe_place(area, 40)
    ask = f"Reply YES {code} to go, NO {code} if you can't. Answer by {answer_by}."
    question = f"can you go with someone to a meeting on {day}, meet {clock(meet_at)}"
    versions = []
    if where:  # where to meet matters more than the "New request:" in front
        versions += [
            f"New request: {question} in {where}",
            f"{question[0].upper()}{question[1:]} in {where}",
        ]
    versions.append(f"New request: {question}")
    return fit(*(f"{start}? {ask}" for start in versions))


def offer_closed(*, starts_at: datetime, code: str, why: str | None) -> str:
    """An offer the volunteer had not answered is closed: someone else took it, or it is no
    longer needed (the meeting moved or was called off, the champion took it back…)."""
    day = day_words(starts_at)
    if why == "taken":
        return (
            f"Thank you - someone else is going to the meeting on {day}, so offer {code} is "
            f"closed. You don't need to do anything."
        )
    if why == "date_changed":
        return f"Offer {code} is no longer needed: the meeting's date has changed. {NOTHING_TO_DO}"
    return f"The meeting on {day} (offer {code}) is no longer needed. {NOTHING_TO_DO}"


def escort_off(*, starts_at: datetime, why: str | None) -> str:
    """An escort the volunteer was booked for is called off or moved."""
    day = day_words(starts_at)
    if why == "request_closed":
        return f"The meeting on {day} is no longer needed. {NOTHING_TO_DO}"
    if why == "date_changed":
        return (
            f"The meeting on {day} has moved to another date, so you are no longer booked for "
            f"it. {NOTHING_TO_DO}"
        )
    return f"You are no longer booked for the meeting on {day}. {NOTHING_TO_DO}"


def booked(*, starts_at: datetime, meet_at: datetime, area: str | None, point: str | None) -> str:
    """The answer to a YES that booked the escort."""
    day = day_words(starts_at)
    where = safe_place(area, 40)
    place = safe_place(point)
    start = f"Thank you - you're booked: the meeting on {day}"
    end = "Details in the portal."
    versions = []
    if where and place:
        versions.append(f"{start} in {where}, meet at {clock(meet_at)}, {place}. {end}")
    if place:
        versions.append(f"{start}, meet at {clock(meet_at)}, {place}. {end}")
    if where:
        versions.append(f"{start} in {where}, meet at {clock(meet_at)}. {end}")
    versions.append(f"{start}, meet at {clock(meet_at)}. {end}")
    return fit(*versions)


def already_booked(*, starts_at: datetime) -> str:
    return (
        f"You're already booked for the meeting on {day_words(starts_at)}. Details in the portal."
    )


def declined(code: str) -> str:
    return (
        f"Thank you for letting us know. You've said no to offer {code}, so we'll ask someone else."
    )


def no_to_a_booking(*, starts_at: datetime) -> str:
    return (
        f"You're booked for the meeting on {day_words(starts_at)}. If you can no longer go, "
        "please say so in the portal so we can find someone else."
    )


def refused(code: str, message: str, *, taken: bool, expired: bool) -> str:
    """A YES that could not book the escort; nothing has changed."""
    if taken:
        return (
            f"Thank you for saying yes to offer {code}, but someone else has already taken it. "
            "You don't need to do anything."
        )
    if expired:
        return (
            f"Sorry, offer {code} has closed because it wasn't answered in time. "
            "You don't need to do anything."
        )
    return f"Sorry, we couldn't book offer {code}: {message} Nothing has changed."


def already_closed(code: str, *, taken: bool) -> str:
    """A NO to an offer that had already closed."""
    what = "was already taken by someone else" if taken else "had already closed"
    return f"Thank you for letting us know. Offer {code} {what}, so you don't need to do anything."


def not_found(code: str) -> str:
    """A code that is not one of this number's offers (it may be nobody's, or someone else's:
    the words are the same, so they reveal nothing)."""
    return (
        f"We couldn't find an offer with code {code} for this number. Please check the code in "
        "our text, or answer in the portal."
    )


def no_open_offer() -> str:
    return (
        "We couldn't find an open offer for this number, so there is nothing to answer. Thank you."
    )


def include_code(open_offers: list[tuple[str, datetime]]) -> str:
    """A YES or NO without a code: ask for it (never guess which offer is meant)."""
    if len(open_offers) == 1:
        code, starts_at = open_offers[0]
        return (
            f"Please include the code so we know which offer you mean: reply YES {code} to go "
            f"to the meeting on {day_words(starts_at)}, or NO {code} if you can't."
        )
    listed = ", ".join(f"{code} ({day_words(starts_at)})" for code, starts_at in open_offers[:3])
    return fit(
        f"Please reply YES or NO with the code of the offer you mean: {listed}.",
        "Please reply YES or NO with the 4-digit code from the offer's text, like YES 4821.",
    )
