"""The hand-out library: the wording in force for each hand-out (the portal's standard one, or
the service's own), its earlier versions, an admin's save and the way back to the standard, the
versions a session gives, and a hand-out filled in for one client.

An admin's words are plain text, never HTML: blank lines part paragraphs, and lines starting
"- " are list items. They are stored as the same sections and blocks as the standard wording
and always shown escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..audit import audit, utcnow
from ..auth.models import User
from ..errors import Conflict, InvalidChange, NotFound
from ..extensions import db
from ..meetings.models import Fellowship, Meeting
from . import fama
from .handout_text import STANDARD, Block, Section
from .models import Client, FamaSession, Goal, HandoutVersion
from .picker import _client_point, search_meetings

HANDOUT_KEYS = tuple(STANDARD)
PLANNER = "goals"  # the goal planner: a fixed table filled with the client's goals, not edited
# Worksheets with fixed wording the client fills in by hand (the admin does not edit them).
WORKSHEETS = {
    PLANNER: "clients/handout_planner.html",
    "mapping": "clients/handout_mapping.html",  # good and hard things of going, and of not going
}
STANDARD_VERSION = 1
MAX_SECTIONS = 14
HEADING_LIMIT = 120
TEXT_LIMIT = 3000
MEETINGS_LISTED = 8
# PostgreSQL cannot store NUL, and no one types the other control characters.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CHANGED_MEANWHILE = (
    "Someone saved this hand-out while you were editing it. Your words are still below: "
    "check the latest version, then save again."
)


@dataclass
class Handout:
    """One hand-out's wording as it stands in one version."""

    key: str
    title: str
    version: int
    sections: list[Section]
    saved_at: datetime | None = None
    saved_by: str | None = None
    standard: bool = True

    @property
    def label(self) -> str:
        return f"{self.key}. {self.title}"


def check_key(key: str) -> str:
    """The key of a hand-out of the library; anything else is NotFound."""
    if key not in STANDARD:
        raise NotFound("No such hand-out")
    return key


def _standard(key: str, version: int = STANDARD_VERSION, **saved: Any) -> Handout:
    return Handout(key, STANDARD[key]["title"], version, STANDARD[key]["sections"], **saved)


def _from_row(row: HandoutVersion | None, saved_by: str | None) -> Handout | None:
    if row is None:
        return None
    saved = {"saved_at": row.saved_at, "saved_by": saved_by}
    if row.body is None:  # back to the standard wording, as a version of its own
        return _standard(row.key, row.version, **saved)
    title = STANDARD[row.key]["title"]
    return Handout(row.key, title, row.version, row.body["sections"], standard=False, **saved)


def _latest() -> Any:
    """Each stored hand-out's newest version with the name of who saved it."""
    newest = (
        select(HandoutVersion.key, func.max(HandoutVersion.version).label("version"))
        .group_by(HandoutVersion.key)
        .subquery()
    )
    return (
        select(HandoutVersion, User.name)
        .join(
            newest,
            (newest.c.key == HandoutVersion.key) & (newest.c.version == HandoutVersion.version),
        )
        .join(User, User.id == HandoutVersion.saved_by_id)
    )


def library() -> list[Handout]:
    """Every hand-out in the wording now in force, in order (one query)."""
    saved = {row.key: _from_row(row, name) for row, name in db.session.execute(_latest())}
    return [saved.get(key) or _standard(key) for key in HANDOUT_KEYS]


def current_handout(key: str) -> Handout:
    """The wording of hand-out `key` now in force."""
    check_key(key)
    found = db.session.execute(_latest().where(HandoutVersion.key == key)).first()
    return (_from_row(*found) if found else None) or _standard(key)


def handout_version(key: str, number: int) -> Handout:
    """Hand-out `key` as it was in version `number`; NotFound when there was none."""
    check_key(key)
    if number == STANDARD_VERSION:
        return _standard(key)
    found = db.session.execute(
        select(HandoutVersion, User.name)
        .join(User, User.id == HandoutVersion.saved_by_id)
        .where(HandoutVersion.key == key, HandoutVersion.version == number)
    ).first()
    if found is None:
        raise NotFound("No such version")
    return _from_row(*found)


def versions_statement(key: str) -> Any:
    """The saved versions of hand-out `key`, newest first, with who saved each (to paginate)."""
    check_key(key)
    return (
        select(HandoutVersion, User.name)
        .join(User, User.id == HandoutVersion.saved_by_id)
        .where(HandoutVersion.key == key)
        .order_by(HandoutVersion.version.desc())
    )


def current_versions(keys: list[str]) -> dict[str, int]:
    """The version now in force of each hand-out in `keys`: what a session gives today."""
    if not keys:
        return {}
    stored = dict(
        db.session.execute(
            select(HandoutVersion.key, func.max(HandoutVersion.version))
            .where(HandoutVersion.key.in_(keys))
            .group_by(HandoutVersion.key)
        ).all()
    )
    return {key: stored.get(key, STANDARD_VERSION) for key in keys}


# --- the admin's plain text ----------------------------------------------------------------


def to_text(blocks: list[Block]) -> str:
    """A section's blocks as the plain text the admin edits."""
    parts = []
    for block in blocks:
        if block["kind"] == "list":
            parts.append("\n".join(f"- {item}" for item in block["items"]))
        else:
            parts.append(block["text"])
    return "\n\n".join(parts)


def parse_text(text: str) -> list[Block]:
    """Paragraphs parted by blank lines; lines starting "- " are list items (a line under an
    item that does not start "- " carries the item on). Nothing in it is markup."""
    blocks: list[Block] = []
    current: Block | None = None
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = " ".join(raw.split())
        if not line:
            current = None
        elif line.startswith("- ") or line == "-":
            item = line[2:].strip()
            if current is None or current["kind"] != "list":
                current = {"kind": "list", "items": []}
                blocks.append(current)
            if item:
                current["items"].append(item)
        elif current is None:
            current = {"kind": "p", "text": line}
            blocks.append(current)
        elif current["kind"] == "list" and current["items"]:
            current["items"][-1] += " " + line
        elif current["kind"] == "list":
            current = {"kind": "p", "text": line}
            blocks.append(current)
        else:
            current["text"] += " " + line
    return [block for block in blocks if block.get("items", True)]


def _checked(value: object, limit: int, field: str, what: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if _CONTROL.search(text):
        raise InvalidChange(f"{what}: remove the unusual characters", field=field)
    if len(text) > limit:
        raise InvalidChange(f"{what}: enter {limit} characters or fewer", field=field)
    return text


def sections_from(parts: list[tuple[object, object]]) -> list[Section]:
    """The sections an admin wrote, as (heading, text) pairs in order, checked: a heading needs
    words under it, a section with neither is left out, and at least one must have words."""
    if len(parts) > MAX_SECTIONS:
        raise InvalidChange(f"A hand-out can have up to {MAX_SECTIONS} sections")
    sections = []
    for number, (heading, text) in enumerate(parts, start=1):
        what = f"Section {number}"
        heading = _checked(heading, HEADING_LIMIT, f"heading_{number}", f"{what} heading")
        words = _checked(text, TEXT_LIMIT, f"text_{number}", f"{what} words")
        blocks = parse_text(words)
        if heading and not blocks:
            raise InvalidChange(
                f"{what}: enter its words, or clear its heading", field=f"text_{number}"
            )
        if blocks:
            sections.append({"heading": heading, "blocks": blocks})
    if not sections:
        raise InvalidChange(
            "Enter the words of the hand-out, or go back to the standard wording", field="text_1"
        )
    return sections


def _add_version(key: str, actor: User, based_on: int | None, body: dict | None) -> int:
    """Store the next version of hand-out `key`; a page drawn from an older one is a Conflict,
    and so is a save that loses the race for the same number (the unique key decides)."""
    now_in_force = current_versions([key])[key]
    if based_on != now_in_force:
        raise Conflict(CHANGED_MEANWHILE)
    row = HandoutVersion(
        key=key, version=now_in_force + 1, body=body, saved_by_id=actor.id, saved_at=utcnow()
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(CHANGED_MEANWHILE) from None
    detail = {"key": key, "version": row.version, "standard": body is None}
    audit("handout_saved", row, detail=detail, actor_id=actor.id)
    db.session.commit()
    return row.version


def save_handout(
    key: str, actor: User, based_on: int | None, parts: list[tuple[object, object]]
) -> int | None:
    """Save the service's own wording of hand-out `key` as its next version; None when the
    words are the ones in force already (no new version)."""
    check_key(key)
    sections = sections_from(parts)
    if sections == current_handout(key).sections:
        return None
    return _add_version(key, actor, based_on, {"sections": sections})


def restore_standard(key: str, actor: User, based_on: int | None) -> int | None:
    """Go back to the portal's standard wording, as a new version (the service's wordings stay
    in the history); None when the standard wording is in force already."""
    if current_handout(key).standard:
        return None
    return _add_version(key, actor, based_on, None)


# --- a hand-out filled in for one client ----------------------------------------------------


@dataclass
class Filled:
    """What a hand-out shows of one client (nothing, on a blank copy)."""

    client: Client | None = None
    name: str | None = None  # their first name, only with their consent
    sheet: Any = None  # their meeting and any request for a peer (sessions.ClientSheet)
    goals: list[Goal] = field(default_factory=list)
    worries: list[str] = field(default_factory=list)
    preferred_group: str | None = None
    meetings: list[Meeting] = field(default_factory=list)

    @property
    def fellowships(self) -> list[Fellowship]:
        """The fellowships of the meetings listed that have a description, once each."""
        seen: dict[int, Fellowship] = {}
        for meeting in self.meetings:
            if meeting.fellowship.description:
                seen.setdefault(meeting.fellowship.id, meeting.fellowship)
        return list(seen.values())


def _latest_session_two(client: Client) -> FamaSession | None:
    return db.session.scalar(
        select(FamaSession)
        .where(FamaSession.client_id == client.id, FamaSession.kind == 2)
        .order_by(FamaSession.held_on.desc(), FamaSession.id.desc())
        .limit(1)
    )


def _meetings_for(client: Client | None) -> list[Meeting]:
    """A few meetings: of the fellowships the client is interested in (groups for relatives
    left out when they named none), nearest them first when their district is known."""
    if client is None:
        return search_meetings(limit=MEETINGS_LISTED)
    interests = [fellowship.id for fellowship in client.fellowships]
    return search_meetings(
        fellowship_ids=interests,
        exclude_kinds=() if interests else ("family",),
        limit=MEETINGS_LISTED,
        near=_client_point(client),
    )


def fill_for(key: str, client: Client | None) -> Filled:
    """What hand-out `key` fills in: on a blank copy only the meetings of hand-out 6; for a
    client, their first name (with their consent) and what that hand-out uses."""
    if client is None:
        return Filled(meetings=_meetings_for(None) if key == "6" else [])
    # sessions records the versions given from this module, so it is imported when needed
    from .sessions import client_sheet

    filled = Filled(client, client.first_name if client.consent_first_name else None)
    if key == "6":
        filled.meetings = _meetings_for(client)
    commitment = client.commitment_at
    if key in ("3", "8") and commitment is not None and commitment > utcnow():
        filled.sheet = client_sheet(client)  # a meeting gone by leaves lines to write the next
    if key in ("2", PLANNER):
        filled.goals = list(
            db.session.scalars(
                select(Goal).where(Goal.client_id == client.id).order_by(Goal.id).limit(20)
            )
        )
    if key in ("5", "7"):
        session = _latest_session_two(client)
        if session is not None:
            worries = fama.labels(fama.WORRIES, [c for c in session.concerns if c != "other"])
            filled.worries = worries
            filled.preferred_group = fama.GROUP_TYPES.get(session.preferred_group or "")
    return filled
