"""The champion's Monday-morning digest: the week's escorts and what needs doing, as counts.

Each line of the digest is one entry in `LINES` (what it counts, the words, the page it links
to), so another line is one more entry. The rota's line comes first: its
page is where the message links. The message names no client, meeting or volunteer: counts only,
and the email carries only its kind's neutral subject and a link (notify_user).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from ..accompaniment.queue import waiting_counts
from ..auth.models import User
from ..auth.services import champions
from ..dates import LONDON
from ..extensions import db
from ..jobs import portal_path
from ..notify.models import Notification
from ..notify.services import notify_user
from ..tasks.services import open_task_counts
from ..volunteers.services import checks_due
from ..volunteers.supervision import supervision_due_count
from .rota import ROTA_DAYS, booked_count

DIGEST_KIND = "rota_digest"
DIGEST_FROM = time(7, 0)  # London wall-clock time on Monday
MONDAY = 0


@dataclass(frozen=True)
class DigestLine:
    label: str
    count: int
    link: str


@dataclass(frozen=True)
class Line:
    """One line of the digest: its words, how to count it and the page it points to."""

    label: str
    count: Callable[[date, User], int]
    endpoint: str
    fallback: str  # the path when the endpoint cannot be built (jobs run outside a request)
    args: tuple[tuple[str, str], ...] = ()


def _booked_this_week(today: date, _champion: User) -> int:
    return booked_count(today, today + timedelta(days=ROTA_DAYS - 1))


def _waiting_for_a_peer(_today: date, _champion: User) -> int:
    return waiting_counts()["waiting"]


def _checks_due(today: date, champion: User) -> int:
    statement = checks_due(champion, today).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(statement)) or 0


def _supervision_due(today: date, _champion: User) -> int:
    return supervision_due_count(today)


def _open_tasks(today: date, _champion: User) -> int:
    return open_task_counts(today).open


LINES: tuple[Line, ...] = (
    Line("Escorts booked this week", _booked_this_week, "safety.rota", "/safety/rota"),
    Line(
        "Requests still waiting for a peer",
        _waiting_for_a_peer,
        "accompaniment.queue",
        "/requests/queue",
    ),
    Line("Checks due", _checks_due, "volunteers.checks_due", "/volunteers/checks-due"),
    Line(
        "Volunteers due supervision",
        _supervision_due,
        "volunteers.checks_due",
        "/volunteers/checks-due?show=supervision",
        (("show", "supervision"),),
    ),
    Line("Tasks still open", _open_tasks, "tasks.task_list", "/tasks/"),
)


def digest_lines(today: date, champion: User) -> list[DigestLine]:
    """The digest's lines for the week starting `today` (London), as `champion` would see them
    (a later line may count what is theirs alone). The rota's line comes first."""
    return [
        DigestLine(
            line.label,
            line.count(today, champion),
            portal_path(line.endpoint, line.fallback, **dict(line.args)),
        )
        for line in LINES
    ]


def digest_body(lines: list[DigestLine]) -> str:
    return " ".join(f"{line.label}: {line.count}." for line in lines)


def digest_due(now: datetime) -> date | None:
    """The Monday (London) whose digest may go now: from 7am that day until midnight."""
    local = now.astimezone(LONDON)
    if local.weekday() != MONDAY or local.time() < DIGEST_FROM:
        return None
    return local.date()


def digest_key(monday: date) -> str:
    """Once per ISO week: the ISO year, so the week of 28 December 2026 (2026-W53) and that of
    4 January 2027 (2027-W01) each have their own."""
    year, week, _ = monday.isocalendar()
    return f"rota-digest:{year}-W{week:02d}"


def send_week_digest(now: datetime) -> int:
    """On Monday from 7am London time, each active champion once that ISO week: how many
    escorts are booked, requests wait, checks and supervision are due and tasks are open.
    Nothing when every count is nought."""
    monday = digest_due(now)
    if monday is None:
        return 0
    key = digest_key(monday)
    told = set(
        db.session.scalars(
            select(Notification.user_id).where(
                Notification.kind == DIGEST_KIND, Notification.dedupe_key == key
            )
        )
    )
    sent = 0
    for champion in champions():
        if champion.id in told:
            continue
        lines = digest_lines(monday, champion)
        if not any(line.count for line in lines):
            continue
        booked = lines[0].count
        title = f"Your week ahead: {booked} {'escort' if booked == 1 else 'escorts'} booked"
        sent += notify_user(
            champion, DIGEST_KIND, title, digest_body(lines), lines[0].link, dedupe_key=key
        )
    return sent
