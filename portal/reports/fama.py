"""The FAMA journey: how far clients come, going to the committed meeting with a peer, and the
same stages by keyworker and by team."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, select

from ..accompaniment.models import RequestEvent
from ..auth.models import User
from ..clients.models import Client
from ..extensions import db
from .ranges import DateRange
from .sql import AR, FS, _count_if
from .tables import Column, Table, percent


def attendance_by_accompaniment(r: DateRange) -> Table:
    """Session-two commitments in the range: did the client go, with a peer and without?

    A commitment is accompanied when a request raised from that session was accepted by a
    volunteer. Whether the client went is what the next session (a session three) recorded;
    when the next session is not a session three yet, it is not known.
    """
    # A CTE used twice: both databases work it out once.
    cohort_cte = (
        select(FS.client_id)
        .where(
            FS.kind == 2,
            FS.commitment_meeting_id.is_not(None),
            FS.commitment_at >= r.starts_at,
            FS.commitment_at < r.ends_before,
        )
        .distinct()
        .cte("cohort")
    )
    cohort = select(cohort_cte.c.client_id)
    order = (FS.held_on, FS.id)
    sessions = (
        select(
            FS.id,
            FS.kind,
            FS.commitment_meeting_id,
            FS.commitment_at,
            func.lead(FS.kind).over(partition_by=FS.client_id, order_by=order).label("next_kind"),
            func.lead(FS.attended)
            .over(partition_by=FS.client_id, order_by=order)
            .label("next_attended"),
        )
        .where(FS.client_id.in_(cohort))
        .subquery("sequence")
    )
    # A request raised from this session that a volunteer accepted: looked up by session (the
    # index from 0010). As an IN list built over the whole cohort's requests it took 2.3 s of
    # the page at large scale (issue 9), and SQLite built that list twice.
    accepted = (
        select(AR.id)
        .join(RequestEvent, RequestEvent.request_id == AR.id)
        .where(AR.session_id == sessions.c.id, RequestEvent.to_state == "accepted")
        .exists()
    )
    commitments = (
        select(
            case((accepted, 1), else_=0).label("accompanied"),
            sessions.c.next_kind,
            sessions.c.next_attended,
        )
        .where(
            sessions.c.kind == 2,
            sessions.c.commitment_meeting_id.is_not(None),
            sessions.c.commitment_at >= r.starts_at,
            sessions.c.commitment_at < r.ends_before,
        )
        .subquery("commitments")
    )
    reviewed = commitments.c.next_kind == 3
    rows = db.session.execute(
        select(
            commitments.c.accompanied,
            func.count().label("commitments"),
            _count_if(and_(reviewed, commitments.c.next_attended.is_(True))).label("attended"),
            _count_if(and_(reviewed, commitments.c.next_attended.is_(False))).label("did_not"),
            _count_if(~reviewed | commitments.c.next_kind.is_(None)).label("unknown"),
        ).group_by(commitments.c.accompanied)
    ).mappings()
    found = {row["accompanied"]: dict(row) for row in rows}
    table_rows = []
    for flag, label in ((1, "With a peer"), (0, "Without a peer")):
        row = {"commitments": 0, "attended": 0, "did_not": 0, "unknown": 0} | found.get(flag, {})
        row["group"] = label
        row["known"] = row["attended"] + row["did_not"]
        row["attended_share"] = percent(row["attended"], row["known"])
        table_rows.append(row)
    return Table(
        "attendance",
        "Going to the committed meeting, with and without a peer",
        [
            Column("group", "Commitments made in session two", "label"),
            Column("commitments", "Commitments"),
            Column("attended", "Went"),
            Column("did_not", "Did not go"),
            Column("unknown", "Not known yet"),
            Column("attended_share", "Went, of those known", "percent", ("attended", "known")),
        ],
        table_rows,
        note=(
            "Commitments to a meeting made in a session two, for meetings in this period. "
            "With a peer: a volunteer accepted the request raised from that session. Whether "
            "the client went is what the following session three recorded."
        ),
    )


FUNNEL_STAGES: list[tuple[str, str]] = [
    ("session_1", "Session 1 held"),
    ("session_2", "Session 2 held"),
    ("committed", "Committed to a meeting"),
    ("attended", "Went to a meeting"),
    ("engaged", "Engaged with a group"),
]


def fama_funnel(r: DateRange) -> Table:
    """Clients whose first FAMA session was in the range, and how far each has come since.

    Each stage counts only clients who reached every stage before it, so the funnel narrows.
    """
    cohort = select(FS.client_id).where(FS.kind == 1, FS.held_on.between(r.start, r.end))
    per_client = (
        select(
            FS.client_id.label("client_id"),
            func.max(case((FS.kind == 2, 1), else_=0)).label("s2"),
            func.max(case((FS.commitment_meeting_id.is_not(None), 1), else_=0)).label("c"),
            func.max(case((and_(FS.kind == 3, FS.attended.is_(True)), 1), else_=0)).label("a"),
        )
        .where(FS.client_id.in_(cohort))
        .group_by(FS.client_id)
        .subquery("per_client")
    )
    engaged = case((Client.fama_outcome == "engaged", 1), else_=0)
    p = per_client.c
    row = (
        db.session.execute(
            select(
                func.count().label("session_1"),
                func.coalesce(func.sum(p.s2), 0).label("session_2"),
                func.coalesce(func.sum(p.s2 * p.c), 0).label("committed"),
                func.coalesce(func.sum(p.s2 * p.c * p.a), 0).label("attended"),
                func.coalesce(func.sum(p.s2 * p.c * p.a * engaged), 0).label("engaged"),
            ).join(Client, Client.id == p.client_id)
        )
        .mappings()
        .one()
    )
    start = row["session_1"]
    rows = [
        {"stage": label, "clients": int(row[key]), "share": percent(int(row[key]), start)}
        | {"start": start}
        for key, label in FUNNEL_STAGES
    ]
    return Table(
        "fama-funnel",
        "The FAMA journey",
        [
            Column("stage", "Stage", "label"),
            Column("clients", "Clients"),
            Column("share", "Of those who had session 1", "percent", ("clients", "start")),
        ],
        rows,
        note=(
            "Clients whose first FAMA session was held in this period, and how far each has "
            "come since (at any date). Each stage counts only clients who reached the ones "
            "before it."
        ),
    )


# FAMA by keyworker and by team ---------------------------------------------------------------

NO_TEAM = "No team"
STAGE_COLUMNS: list[Column] = [
    Column("started", "Started FAMA (session 1)"),
    Column("session_2", "Had session 2"),
    Column("committed", "Made a commitment"),
    Column("session_3", "Had session 3"),
    Column("went", "Went to a meeting"),
    Column("went_share", "Went, of those who had session 3", "percent", ("went", "session_3")),
]
STAGES = ("started", "session_2", "committed", "session_3", "went")


def _client_stages(r: DateRange, group: Any) -> Any:
    """One row per (group, client): which stages the client reached in sessions held in the
    period by keyworkers of that group. A client seen twice in a group counts once for it."""
    reached = {
        "started": FS.kind == 1,
        "session_2": FS.kind == 2,
        "committed": FS.commitment_meeting_id.is_not(None),
        "session_3": FS.kind == 3,
        "went": and_(FS.kind == 3, FS.attended.is_(True)),
    }
    return (
        select(
            group.label("grp"),
            *(func.max(case((when, 1), else_=0)).label(key) for key, when in reached.items()),
        )
        .join(User, User.id == FS.recorded_by_id)
        .where(FS.held_on.between(r.start, r.end))
        .group_by(group, FS.client_id)
        .subquery("client_stages")
    )


def _stage_sums(per_client: Any) -> list[Any]:
    return [func.coalesce(func.sum(per_client.c[key]), 0).label(key) for key in STAGES]


def _with_share(row: dict[str, Any]) -> dict[str, Any]:
    for key in STAGES:
        row[key] = int(row[key])
    row["went_share"] = percent(row["went"], row["session_3"])
    return row


_STAGE_NOTE = (
    "Counted from the FAMA sessions held in this period: a client counts once for each stage "
    "they reached in those sessions. Went, of those who had session 3: the share whose session "
    "3 recorded that they went to a meeting."
)


def fama_by_keyworker(r: DateRange) -> Table:
    """One row per keyworker who held a FAMA session in the period, in one grouped query."""
    per_client = _client_stages(r, User.id)
    rows = db.session.execute(
        select(User.name, User.team, *_stage_sums(per_client))
        .join(User, User.id == per_client.c.grp)
        .group_by(User.id, User.name, User.team)
    ).mappings()
    table_rows = [_with_share(dict(row)) for row in rows]
    table_rows.sort(key=lambda row: (*_team_order(row["team"]), row["name"].casefold()))
    for row in table_rows:
        row["team"] = row["team"] or NO_TEAM
    return Table(
        "fama-by-keyworker",
        "FAMA by keyworker",
        [Column("name", "Keyworker", "label"), Column("team", "Team", "label"), *STAGE_COLUMNS],
        table_rows,
        note=_STAGE_NOTE + " A client seen by two keyworkers counts for each of them.",
    )


def fama_by_team(r: DateRange) -> Table:
    """The same figures for each keyworkers' team (and those in none), in one grouped query."""
    per_client = _client_stages(r, User.team)
    rows = db.session.execute(
        select(per_client.c.grp.label("team"), *_stage_sums(per_client)).group_by(per_client.c.grp)
    ).mappings()
    table_rows = sorted(
        (_with_share(dict(row)) for row in rows), key=lambda row: _team_order(row["team"])
    )
    for row in table_rows:
        row["team"] = row["team"] or NO_TEAM
    return Table(
        "fama-by-team",
        "FAMA by team",
        [Column("team", "Team", "label"), *STAGE_COLUMNS],
        table_rows,
        note=_STAGE_NOTE
        + " A session counts for the team its keyworker is in today, so moving a keyworker "
        "moves their sessions too. A client seen by keyworkers of two teams counts for each.",
    )


def _team_order(team: str | None) -> tuple[bool, str]:
    """Teams by name, keyworkers in no team last."""
    return team is None, (team or "").casefold()
