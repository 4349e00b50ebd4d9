"""Client details in a champion's message: a client's name or reference, found in one query.

The clients table keeps only the name a client likes to be called (`first_name`); a keyworker
sometimes types a full name there. So:

- a client's reference, or a client's stored name of two or more words ("Jo Smith"), found as
  whole words in any case and spacing, BLOCKS a group message and warns on a one-volunteer one;
- a one-word stored name ("Jo") WARNS, and the champion must tick a box to send. To keep that
  warning worth reading it only fires on a word written with a capital letter (names are; "will",
  "may" and "hope" in lower case are words), not on everyday words that start a sentence ("Will
  you…", "Hope you are well"), and not on the sender's own first name or the one volunteer's
  name (greetings and sign-offs). With thousands of clients nearly every common first name
  belongs to someone, so a looser rule would warn on almost every message and be ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select

from ..clients.models import Client
from ..extensions import db

# Letters and digits, with an apostrophe or hyphen inside a word ("O'Neil", "Mary-Jane").
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
# A reference as typed: letters and digits joined by - / . _ ("CM-00012", "LDS/2024/17").
_REFERENCE = re.compile(r"[A-Za-z0-9]+(?:[-/._][A-Za-z0-9]+)*")
_SENTENCE_END = re.compile(r"[.!?:;]\s*$|^\s*$")
LONGEST_NAME = 4  # words in a stored name we look for ("Mary Ann de Souza")
# Everyday words that are also first names; at the start of a sentence they are not names.
EVERYDAY = frozenset(
    [
        "will",
        "may",
        "hope",
        "grace",
        "faith",
        "joy",
        "rose",
        "mark",
        "bill",
        "pat",
        "sunny",
        "dawn",
        "summer",
        "april",
        "june",
        "august",
        "amber",
        "ruby",
        "holly",
        "ivy",
        "chance",
        "sky",
        "star",
        "honey",
        "happy",
        "frank",
        "art",
        "max",
        "jack",
        "guy",
        "don",
        "rich",
    ]
)


@dataclass
class Mentions:
    """What a message names: `blocked` must come out of a group message; `warned` needs a tick."""

    blocked: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.blocked or self.warned)


def _words(text: str) -> list[tuple[str, bool, bool]]:
    """Each word as (word, written with a capital, starts a sentence)."""
    found = []
    for match in _WORD.finditer(text):
        word = match.group()
        if word[-2:] in ("'s", "’s"):
            word = word[:-2]
        starts = bool(_SENTENCE_END.search(text[: match.start()]))
        found.append((word, word[:1].isupper(), starts))
    return found


def _phrases(words: list[str]) -> set[str]:
    """Runs of two to four words, spaces taken out, to compare with stored names likewise."""
    folded = [word.lower() for word in words]
    return {
        "".join(folded[start : start + size])
        for size in range(2, LONGEST_NAME + 1)
        for start in range(len(folded) - size + 1)
    }


def client_mentions(text: str, *, known_names: set[str] = frozenset()) -> Mentions:
    """The client names and references `text` holds, in two queries whatever the clients' number.

    `known_names` (lower case) are names that never warn on their own: the sender's and the one
    volunteer's. The answer repeats only words the champion typed.
    """
    words = _words(text or "")
    if not words:
        return Mentions()
    references = {match.group().upper() for match in _REFERENCE.finditer(text)}
    phrases = _phrases([word for word, _, _ in words])
    capitalised = {
        word.lower()
        for word, capital, starts in words
        if capital and word.lower() not in known_names and not (starts and word.lower() in EVERYDAY)
    }
    stored = func.lower(func.trim(Client.first_name))
    joined = func.replace(stored, " ", "")
    statement = (
        select(stored)
        .distinct()
        .where(
            or_(
                and_(stored.contains(" "), joined.in_(phrases or {""})),
                stored.in_(capitalised or {""}),
            )
        )
    )
    found = Mentions()
    names = set(db.session.scalars(statement))
    if references:
        refs = db.session.scalars(
            select(Client.reference).where(func.upper(Client.reference).in_(references))
        )
        found.blocked.extend(_as_typed(text, _REFERENCE, {ref.upper() for ref in refs}, str.upper))
    full = {name.replace(" ", "") for name in names if " " in name}
    found.blocked.extend(_full_names_as_typed(words, full))
    single = {name for name in names if " " not in name}
    found.warned.extend(
        dict.fromkeys(
            word for word, _, _ in words if word.lower() in single and word.lower() in capitalised
        )
    )
    return found


def _as_typed(text: str, pattern: re.Pattern, wanted: set[str], fold) -> list[str]:
    return list(
        dict.fromkeys(m.group() for m in pattern.finditer(text) if fold(m.group()) in wanted)
    )


def _full_names_as_typed(words: list[tuple[str, bool, bool]], full: set[str]) -> list[str]:
    plain = [word for word, _, _ in words]
    hits = []
    for size in range(2, LONGEST_NAME + 1):
        for start in range(len(plain) - size + 1):
            run = plain[start : start + size]
            if "".join(run).lower() in full:
                hits.append(" ".join(run))
    return list(dict.fromkeys(hits))
