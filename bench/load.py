"""Load, contention and faults: simulated people against the portal under gunicorn.

Run: .venv/bin/python bench/load.py --db sqlite|postgres|both [--users 100] [--duration 60]
     [--workers 2] [--no-kill-web-worker] [--no-kill-mail-worker]

For each database kind: a scratch database (a SQLite file in a temporary folder, or a PostgreSQL
database created on the loopback cluster) is migrated (`flask --app portal db upgrade`), filled
with the demo (`flask --app portal demo`) and then with a fast seeded service for the simulated
people: accounts for every role (roughly 10 % admins, 15 % champions, 35 % keyworkers, 40 %
volunteers), clients whose session two holds a commitment, volunteers free every afternoon and
evening, open requests, and escorts booked for today. gunicorn serves `wsgi:app` with the
repository's gunicorn.conf.py (WEB_CONCURRENCY workers on a free loopback port), the mail worker
(`flask --app portal worker`) sends to an SMTP sink in this process (aiosmtpd), and each
simulated person signs in through the real form and works for the duration with a think time of
0.2–1 s. Meanwhile one champion offers requests only a small group of volunteers can take to
all of them at once, and the group accepts at the same moment (a barrier).

Faults: mid-load one gunicorn worker is killed with SIGKILL (gunicorn starts another; GETs that
lost their connection are retried, POSTs are checked afterwards) and the mail worker is killed
with SIGKILL just after the sink accepted a message (the worst moment) and restarted; at the
end the mail worker is stopped with SIGTERM and `flask --app portal worker --once` runs (at
least once) until the outbox is empty.

The seeded accounts carry a low-cost argon2 hash (`--full-cost-passwords` for the real cost):
otherwise 100 sign-ins on two shared cores measure argon2, not the portal. Staff accounts have a
second factor with the published bench secret and answer the code step after the password
(bench/second_step.py); each person signs in once, on their own account. The web workers do
not deliver mail after responses (MAIL_SEND_INLINE=false), as in production where the mail
worker sends.

Checks, printed PASS/FAIL: no 5xx; no "database is locked" in any log; no acknowledged action
lost; at most one winner per contended request; the database consistent (no volunteer booked
twice at once, each request's state agreeing with its offers and busy slots, weekly counters
equal to the escorts they count); every outbox row that is due sent and received (mail that is
not urgent waits for service hours, so a run at night leaves it queued), none twice except
possibly the one in flight when the mail worker was killed.

Figures are upper bounds: the machine has two cores shared with other work.
"""

from __future__ import annotations

import argparse
import asyncio  # noqa: F401  (aiosmtpd needs it importable before its controller starts)
import email
import email.policy
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time as clock
import urllib.parse
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.second_step import (  # noqa: E402
    BENCH_SECRET,
    STAFF_ROLES,
    answer_code_step,
    signed_in_at,
)

VENV_BIN = Path(sys.executable).parent
PASSWORD = "load test password not secret"  # noqa: S105  (seeded accounts only)
MIX = (("admin", 10), ("champion", 15), ("keyworker", 35), ("volunteer", 40))
CLIENTS_PER_KEYWORKER = 12
CONTENTION_GROUP = 5  # volunteers who accept the same broadcast at the same moment
POSTGRES_SERVER = "postgresql+psycopg://portal_test:portal_test@127.0.0.1:{port}/{name}"
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
LOCKED = "database is locked"
CHECK_DONE = {  # the thank-you each safety button's redirect shows (portal/safety/views.py)
    "checkin": ("Thank you: you have met them",),
    "checkout": ("Thank you: you are safe", "Already recorded."),
}


# --- people --------------------------------------------------------------------------------------


def role_counts(users: int) -> dict[str, int]:
    """Split `users` across the roles in the 10/15/35/40 mix, each role at least one."""
    counts = {role: max(1, round(users * share / 100)) for role, share in MIX}
    counts["volunteer"] += users - sum(counts.values())
    counts["volunteer"] = max(counts["volunteer"], 3)
    return counts


def email_of(role: str, n: int) -> str:
    return f"load-{role}-{n}@load.example.org"


@dataclass
class Plan:
    """What the seeding made, for the simulated people and the checks."""

    counts: dict[str, int]
    contention_volunteers: list[str] = field(default_factory=list)
    contention_requests: list[int] = field(default_factory=list)


# --- the database --------------------------------------------------------------------------------


def _env(url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "load-test-secret-key-not-for-production",
            "FLASK_APP": "portal",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("PORTAL_ENV", None)
    env.update(extra)
    return env


def launch(program: str, *args: str) -> list[str]:
    """The command line of one of the environment's programs. The suite replaces it, so that
    the processes it starts keep the test's clock."""
    return [str(VENV_BIN / program), *args]


def flask_cli(url: str, *args: str, timeout: float = 120, **extra: str) -> str:
    """Run `flask --app portal ARGS` against `url`; returns its output, raises on failure."""
    done = subprocess.run(  # noqa: S603  (our own executables, fixed arguments)
        launch("flask", "--app", "portal", *args),
        cwd=ROOT,
        env=_env(url, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def postgres_port() -> int:
    out = subprocess.run(  # noqa: S603
        ["pg_lsclusters", "--no-header"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[3] == "online":
            return int(parts[2])
    raise RuntimeError("no PostgreSQL cluster is online: start it as scripts/test does")


def create_postgres_database() -> str:
    name = f"portal_load_{uuid.uuid4().hex[:10]}"
    subprocess.run(  # noqa: S603
        ["runuser", "-u", "postgres", "--", "createdb", "-O", "portal_test", name],  # noqa: S607
        check=True,
    )
    return POSTGRES_SERVER.format(port=postgres_port(), name=name)


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    subprocess.run(  # noqa: S603
        ["runuser", "-u", "postgres", "--", "dropdb", "--if-exists", "--force", name],  # noqa: S607
        check=False,
        capture_output=True,
    )


def make_app(url: str, folder: Path):
    from portal import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": "load",
            "MAIL_SEND_INLINE": False,
        }
    )


def _next_start(weekday: int, start: time, after: datetime) -> datetime:
    from portal.meetings.occurrences import LONDON

    local = after.astimezone(LONDON)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    moment = datetime.combine(day, start, tzinfo=LONDON)
    if moment <= local:
        moment = datetime.combine(day + timedelta(days=7), start, tzinfo=LONDON)
    return moment.astimezone(UTC)


def cheap_hash(password: str) -> str:
    """An argon2id hash at a low cost. Verifying reads the cost from the hash, so 100 people
    signing in at once measure the portal rather than argon2 on two shared cores; the seeded
    accounts are the only ones hashed this way (--full-cost-passwords turns it off)."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(password)


def seed(
    app,
    counts: dict[str, int],
    rng: random.Random,
    now: datetime,
    *,
    full_cost_passwords: bool = False,
) -> Plan:
    """Bulk-insert the simulated people's service (a few hundred rows; under a second)."""
    from sqlalchemy import insert, select

    from portal.accompaniment.facts import escort_slots
    from portal.accompaniment.models import (
        AccompanimentRequest,
        EscortSlot,
        Offer,
        VolunteerWeekCount,
    )
    from portal.auth.models import User, UserRole, new_session_token
    from portal.auth.passwords import hash_password
    from portal.clients.models import Client, FamaSession
    from portal.extensions import db
    from portal.meetings.models import Fellowship, Meeting
    from portal.meetings.occurrences import LONDON
    from portal.volunteers.models import (
        AvailabilityWindow,
        SafeguardingItem,
        Volunteer,
        VolunteerLanguage,
        volunteer_fellowships,
    )

    plan = Plan(counts=dict(counts))
    group = min(CONTENTION_GROUP, max(2, counts["volunteer"] // 4))
    with app.app_context():
        password = hash_password(PASSWORD) if full_cost_passwords else cheap_hash(PASSWORD)
        people = [(role, n) for role in counts for n in range(counts[role])]
        people.append(("keyworker", "pool"))  # owns the clients of the seeded open requests
        db.session.execute(
            insert(User),
            [
                {
                    "email": email_of(role, n),
                    "name": f"Load {role} {n}",
                    "password_hash": password,
                    "session_token": new_session_token(),
                    "active": True,
                    # staff sign in with a code too (issue 20): one published bench secret
                    "totp_secret": BENCH_SECRET if role in STAFF_ROLES else None,
                    "second_factor_at": now if role in STAFF_ROLES else None,
                }
                for role, n in people
            ],
        )
        ids = dict(
            db.session.execute(
                select(User.email, User.id).where(User.email.like("load-%@load.example.org"))
            ).all()
        )
        db.session.execute(
            insert(UserRole), [{"user_id": ids[email_of(r, n)], "role": r} for r, n in people]
        )
        pool_keyworker = ids[email_of("keyworker", "pool")]
        fellowships = list(db.session.scalars(select(Fellowship.id).order_by(Fellowship.id)))
        # Afternoon and evening meetings every day; "dawn" meetings only the group can take.
        day_meetings = [
            {
                "name": f"Load meeting {w}-{h}",
                "fellowship_id": fellowships[(w + h) % len(fellowships)],
                "weekday": w,
                "start_time": time(h),
                "end_time": time(h + 1, 30),
                "attendance": "in_person",
                "area": "Load Town",
                "type_codes": "O",
                "last_verified_at": now,
            }
            for w in range(7)
            for h in (10, 13, 17, 19)
        ]
        dawn_meetings = [
            {
                "name": f"Dawn meeting {w}-{i}",
                "fellowship_id": fellowships[0],
                "weekday": w,
                "start_time": start,
                "end_time": (datetime.combine(date.today(), start) + timedelta(hours=1)).time(),
                "attendance": "in_person",
                "area": "Load Town",
                "type_codes": "O",
                "last_verified_at": now,
            }
            for w in range(7)
            for i, start in enumerate((time(5), time(6, 15), time(7, 30)))
        ]
        db.session.execute(insert(Meeting), day_meetings + dawn_meetings)
        meetings = db.session.execute(
            select(Meeting.id, Meeting.name, Meeting.weekday, Meeting.start_time, Meeting.end_time)
            .where(Meeting.area == "Load Town")
            .order_by(Meeting.id)
        ).all()
        day_rows = [m for m in meetings if m.name.startswith("Load meeting")]
        dawn_rows = [m for m in meetings if m.name.startswith("Dawn meeting")]

        # Volunteers: approved, every check valid, free 09:00-24:00 (the group: 04:00-09:00).
        volunteer_emails = [email_of("volunteer", n) for n in range(counts["volunteer"])]
        plan.contention_volunteers = volunteer_emails[:group]
        db.session.execute(
            insert(Volunteer),
            [
                {
                    "user_id": ids[address],
                    "preferred_name": f"Vol{n}",
                    "gender": ("woman", "man")[n % 2],
                    "home_area": "Load Town",
                    "weekly_cap": 50,
                    "accompany_rule": "anyone",
                    "status": "approved",
                    "approved_at": now,
                    "recovery_date": date(2015, 1, 1),
                    "recovery_confirmed_at": now,
                    "code_of_conduct_agreed_at": now,
                    "application_completed_at": now,
                    "travel_modes": "walk",
                }
                for n, address in enumerate(volunteer_emails)
            ],
        )
        vids = dict(
            db.session.execute(
                select(User.email, Volunteer.id).join(User, User.id == Volunteer.user_id)
            ).all()
        )
        today = now.astimezone(LONDON).date()
        rows_f, rows_l, rows_s, rows_w = [], [], [], []
        for address in volunteer_emails:
            vid = vids[address]
            rows_f += [{"volunteer_id": vid, "fellowship_id": f} for f in fellowships[:4]]
            rows_l.append({"volunteer_id": vid, "language": "English", "folded": "english"})
            for kind in ("dbs", "training", "references", "lone_working", "code_of_conduct"):
                rows_s.append(
                    {
                        "volunteer_id": vid,
                        "kind": kind,
                        "issued_on": today - timedelta(days=100),
                        "expires_on": None if kind == "references" else today + timedelta(700),
                        "references_received": 2 if kind == "references" else None,
                    }
                )
            dawn = address in plan.contention_volunteers
            start, end = (time(4), time(9)) if dawn else (time(9), time(23, 59))
            rows_w += [
                {"volunteer_id": vid, "weekday": w, "start_time": start, "end_time": end}
                for w in range(7)
            ]
        db.session.execute(insert(volunteer_fellowships), rows_f)
        db.session.execute(insert(VolunteerLanguage), rows_l)
        db.session.execute(insert(SafeguardingItem), rows_s)
        db.session.execute(insert(AvailabilityWindow), rows_w)

        # Keyworkers' clients, each with a session two commitment to a meeting in a few days.
        clients, sessions = [], []
        n_client = 0
        for k in range(counts["keyworker"]):
            for _ in range(CLIENTS_PER_KEYWORKER):
                n_client += 1
                clients.append(
                    {
                        "reference": f"LOAD-{n_client:05d}",
                        "first_name": f"Client{n_client}",
                        "gender": rng.choice(("woman", "man", "not_said")),
                        "keyworker_id": ids[email_of("keyworker", k)],
                        "status": "active",
                        "consent_first_name": rng.random() < 0.7,
                        "last_session_kind": 2,
                        "last_session_on": today - timedelta(days=2),
                    }
                )
        pool_clients = 60 + 42 + 2 * counts["volunteer"]
        for i in range(pool_clients):
            clients.append(
                {
                    "reference": f"LOADP-{i:05d}",
                    "first_name": f"Pool{i}",
                    "gender": "not_said",
                    "keyworker_id": pool_keyworker,
                    "status": "active",
                }
            )
        db.session.execute(insert(Client), clients)
        client_rows = db.session.execute(
            select(Client.id, Client.reference, Client.keyworker_id)
            .where(Client.reference.like("LOAD%"))
            .order_by(Client.id)
        ).all()
        kw_clients = [c for c in client_rows if c.reference.startswith("LOAD-")]
        pool = [c.id for c in client_rows if c.reference.startswith("LOADP-")]
        commitments = {}
        for c in kw_clients:
            meeting = rng.choice(day_rows)
            at = _next_start(meeting.weekday, meeting.start_time, now + timedelta(days=1))
            commitments[c.id] = (meeting.id, at)
            sessions.append(
                {
                    "client_id": c.id,
                    "kind": 2,
                    "held_on": today - timedelta(days=2),
                    "recorded_by_id": c.keyworker_id,
                    "goals": [],
                    "handouts": [],
                    "concerns": [],
                    "encouragement": [],
                    "participation": [],
                    "commitment_meeting_id": meeting.id,
                    "commitment_at": at,
                    "wants_company": True,
                }
            )
        db.session.execute(insert(FamaSession), sessions)
        for cid, (mid, at) in commitments.items():
            db.session.execute(
                Client.__table__.update()
                .where(Client.__table__.c.id == cid)
                .values(commitment_meeting_id=mid, commitment_at=at)
            )

        def request_row(client_id: int, meeting, start: datetime, state: str) -> dict:
            length = datetime.combine(date.today(), meeting.end_time) - datetime.combine(
                date.today(), meeting.start_time
            )
            if length <= timedelta(0):
                length += timedelta(days=1)
            return {
                "client_id": client_id,
                "meeting_id": meeting.id,
                "meeting_date": start.astimezone(LONDON).date(),
                "starts_at": start,
                "ends_at": start + length,
                "meeting_point": "Outside the main entrance",
                "minutes_before": 15,
                "peer_gender": "any",
                "fellowship_experience": False,
                "state": state,
                "is_current": True,
                "created_by_id": pool_keyworker,
                "created_at": now,
                "updated_at": now,
            }

        requests = []
        # Open requests the champions offer: the next one to three days.
        for i in range(60):
            meeting = rng.choice(day_rows)
            start = _next_start(
                meeting.weekday, meeting.start_time, now + timedelta(hours=6 + (i % 48))
            )
            requests.append(request_row(pool[i], meeting, start, "open"))
        # Contended requests: dawn meetings three to nine days away, each a different time.
        contention_clients = pool[60 : 60 + 42]
        for i, meeting in enumerate(dawn_rows * 2):
            start = _next_start(
                meeting.weekday, meeting.start_time, now + timedelta(days=2 + 7 * (i // 21))
            )
            requests.append(request_row(contention_clients[i], meeting, start, "open"))
        db.session.execute(insert(AccompanimentRequest), requests)
        plan.contention_requests = list(
            db.session.scalars(
                select(AccompanimentRequest.id)
                .join(Meeting, Meeting.id == AccompanimentRequest.meeting_id)
                .where(Meeting.name.like("Dawn meeting%"), AccompanimentRequest.state == "open")
                .order_by(AccompanimentRequest.starts_at)
            )
        )

        # Escorts already booked for each ordinary volunteer: one that ended an hour ago (its
        # outcome is due) and one later today, with their offers, busy slots and week counts.
        today_meetings = []
        for offset in (timedelta(hours=-3), timedelta(minutes=50)):
            local = (now + offset).astimezone(LONDON)
            start = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
            today_meetings.append(
                {
                    "name": f"Today meeting {start:%H%M}",
                    "fellowship_id": fellowships[0],
                    "weekday": start.weekday(),
                    "start_time": start.time().replace(tzinfo=None),
                    "end_time": (start + timedelta(hours=1)).time().replace(tzinfo=None),
                    "attendance": "in_person",
                    "area": "Load Town",
                    "type_codes": "O",
                    "last_verified_at": now,
                    "_start": start.astimezone(UTC),
                }
            )
        starts = [m.pop("_start") for m in today_meetings]
        db.session.execute(insert(Meeting), today_meetings)
        today_rows = db.session.execute(
            select(Meeting.id, Meeting.start_time, Meeting.end_time)
            .where(Meeting.name.like("Today meeting%"))
            .order_by(Meeting.id)
        ).all()[-2:]
        booked_clients = iter(pool[102:])
        booked = []
        ordinary = [a for a in volunteer_emails if a not in plan.contention_volunteers]
        for address in ordinary:
            for meeting, start in zip(today_rows, starts, strict=True):
                row = request_row(next(booked_clients), meeting, start, "accepted")
                row |= {"volunteer_id": vids[address], "accepted_at": now}
                booked.append(row)
        if booked:
            db.session.execute(insert(AccompanimentRequest), booked)
            rows = db.session.execute(
                select(
                    AccompanimentRequest.id,
                    AccompanimentRequest.volunteer_id,
                    AccompanimentRequest.starts_at,
                    AccompanimentRequest.ends_at,
                    AccompanimentRequest.minutes_before,
                ).where(
                    AccompanimentRequest.state == "accepted",
                    AccompanimentRequest.client_id.in_(pool[102:]),
                )
            ).all()
            offers, slots, weeks = [], [], Counter()
            for r in rows:
                point = r.starts_at - timedelta(minutes=r.minutes_before)
                offers.append(
                    {
                        "request_id": r.id,
                        "volunteer_id": r.volunteer_id,
                        "state": "accepted",
                        "expires_at": point,
                        "answered_at": now,
                        "created_at": now,
                    }
                )
                slots += [
                    {"volunteer_id": r.volunteer_id, "slot_start": s, "request_id": r.id}
                    for s in escort_slots(point, r.ends_at)
                ]
                iso = point.astimezone(LONDON).date().isocalendar()
                weeks[(r.volunteer_id, iso.year, iso.week)] += 1
            db.session.execute(insert(Offer), offers)
            db.session.execute(insert(EscortSlot), slots)
            for (vid, year, week), n in weeks.items():
                existing = db.session.get(VolunteerWeekCount, (vid, year, week))
                if existing is None:
                    db.session.add(
                        VolunteerWeekCount(volunteer_id=vid, iso_year=year, iso_week=week, n=n)
                    )
                else:
                    existing.n += n
        db.session.commit()
        db.engine.dispose()
    return plan


# --- the consistency of what the load left behind ------------------------------------------------


def check_consistency(app) -> list[str]:
    """Every invariant of requests, offers, busy slots and week counters; returns the problems."""
    from sqlalchemy import select

    from portal.accompaniment.facts import escort_slots
    from portal.accompaniment.models import (
        AccompanimentRequest,
        EscortSlot,
        Offer,
        VolunteerWeekCount,
    )
    from portal.extensions import db
    from portal.meetings.occurrences import LONDON

    problems: list[str] = []
    with app.app_context():
        requests = db.session.scalars(select(AccompanimentRequest)).all()
        offers = defaultdict(list)
        for offer in db.session.scalars(select(Offer)).all():
            offers[offer.request_id].append(offer)
        slots = defaultdict(set)
        slot_owner = {}
        for row in db.session.execute(select(EscortSlot)).scalars():
            start = row.slot_start.astimezone(UTC)
            slots[row.request_id].add((row.volunteer_id, start))
            slot_owner[(row.volunteer_id, start)] = row.request_id
        weeks = {
            (w.volunteer_id, w.iso_year, w.iso_week): w.n
            for w in db.session.scalars(select(VolunteerWeekCount)).all()
        }
        counted: Counter = Counter()
        spans = defaultdict(list)
        for r in requests:
            accepted = [o for o in offers[r.id] if o.state == "accepted"]
            pending = [o for o in offers[r.id] if o.state == "pending"]
            # A booked escort, now or done: its offer, busy slots and week count stay with it.
            booked = r.volunteer_id is not None and r.state in ("accepted", "completed")
            if r.state == "accepted" and r.volunteer_id is None:
                problems.append(f"request {r.id} accepted without a volunteer")
            if booked:
                point = r.starts_at - timedelta(minutes=r.minutes_before or 0)
                if len(accepted) != 1 or accepted[0].volunteer_id != r.volunteer_id:
                    problems.append(
                        f"request {r.id} ({r.state}) has {len(accepted)} accepted offers "
                        f"for volunteer {r.volunteer_id}"
                    )
                want = {(r.volunteer_id, s.astimezone(UTC)) for s in escort_slots(point, r.ends_at)}
                if slots[r.id] != want:
                    problems.append(f"request {r.id} ({r.state}) busy slots disagree")
                if pending:
                    problems.append(f"request {r.id} ({r.state}) still has pending offers")
                iso = point.astimezone(LONDON).date().isocalendar()
                counted[(r.volunteer_id, iso.year, iso.week)] += 1
                spans[r.volunteer_id].append((point, r.ends_at, r.id))
            elif r.state != "completed":
                if accepted:
                    problems.append(f"request {r.id} ({r.state}) has an accepted offer")
                if slots[r.id]:
                    problems.append(f"request {r.id} ({r.state}) still holds busy slots")
            if len(accepted) > 1:
                problems.append(f"request {r.id} has {len(accepted)} accepted offers")
            if r.state in ("completed", "cancelled", "unfilled") and pending:
                problems.append(f"request {r.id} ({r.state}) still has pending offers")
            if r.state == "open" and pending:
                problems.append(f"request {r.id} is open with {len(pending)} pending offers")
            if r.state == "offered" and not pending:
                problems.append(f"request {r.id} is offered with no pending offer")
            if r.state == "open" and r.volunteer_id is not None:
                problems.append(f"request {r.id} is open but names a volunteer")
        for volunteer_id, items in spans.items():
            items.sort()
            for (_s1, e1, r1), (s2, _e2, r2) in zip(items, items[1:], strict=False):
                if s2 < e1:
                    problems.append(
                        f"volunteer {volunteer_id} double-booked: requests {r1} and {r2}"
                    )
        for key in set(weeks) | set(counted):
            if weeks.get(key, 0) != counted.get(key, 0):
                problems.append(
                    f"week counter {key}: {weeks.get(key, 0)} stored, {counted.get(key, 0)} real"
                )
        db.session.rollback()
    return problems


# --- an SMTP sink --------------------------------------------------------------------------------


class MailSink:
    """aiosmtpd on loopback in this process, remembering each message's Message-ID."""

    def __init__(self) -> None:
        self.port = free_port()
        self.ids: list[str] = []
        self.lock = threading.Lock()
        self.controller = None
        self.first_seen: dict[str, datetime] = {}
        self.trap = None  # called once, just after the next message is accepted
        self.trapped: str | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.ids.append(str(message["Message-ID"]))
            self.first_seen.setdefault(str(message["Message-ID"]), datetime.now(UTC))
            trap, self.trap = self.trap, None
        if trap is not None:
            # The worst moment for the sender to die: the server has the message, the outbox
            # does not know yet. Fires a few milliseconds after the 250 goes back.
            self.trapped = str(message["Message-ID"])
            threading.Timer(0.003, trap).start()
        return "250 Message accepted for delivery"

    def set_trap(self, callback) -> None:
        with self.lock:
            self.trap = callback

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- processes -----------------------------------------------------------------------------------


class Gunicorn:
    """The portal under gunicorn with the repository's configuration; mail goes by the worker."""

    def __init__(self, url: str, folder: Path, workers: int, mail_port: int) -> None:
        self.port = free_port()
        self.folder = folder
        self.stdout = folder / "gunicorn.out"
        self.stderr = folder / "gunicorn.err"
        self.config = ROOT / "gunicorn.conf.py"
        self.env = _env(
            url,
            WEB_CONCURRENCY=str(workers),
            PORTAL_BIND=f"127.0.0.1:{self.port}",
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(mail_port),
            MAIL_CLAIM_SECONDS="5",
            # in production the mail worker sends: web workers do not deliver after responses
            MAIL_SEND_INLINE="false",
        )
        self.workers = workers
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        self.handles = [self.stdout.open("w"), self.stderr.open("w")]
        self.process = subprocess.Popen(  # noqa: S603
            launch("gunicorn", "-c", str(self.config), "wsgi:app"),
            cwd=ROOT,
            env=self.env,
            stdout=self.handles[0],
            stderr=self.handles[1],
        )
        deadline = clock.monotonic() + timeout
        while clock.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.stderr.read_text()[-3000:]}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/healthz")
                status = conn.getresponse().status
                if status == 200 and len(self.worker_pids()) == self.workers:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            clock.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /healthz in time")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def kill_worker(self) -> int | None:
        pids = self.worker_pids()
        if not pids:
            return None
        pid = random.choice(pids)
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for handle in getattr(self, "handles", []):
            handle.close()

    def logs(self) -> str:
        return self.stderr.read_text(errors="replace") + self.stdout.read_text(errors="replace")


class MailWorker:
    """`flask --app portal worker`, which may be killed and started again."""

    def __init__(self, url: str, folder: Path, mail_port: int) -> None:
        self.env = _env(
            url, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(mail_port), MAIL_CLAIM_SECONDS="5"
        )
        self.log = folder / "mail-worker.log"
        self.process: subprocess.Popen | None = None
        self.runs = 0

    def start(self) -> None:
        self.runs += 1
        with self.log.open("a") as handle:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(  # noqa: S603
                launch("flask", "--app", "portal", "worker", "--interval", "0.5"),
                cwd=ROOT,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )

    def kill(self, pid: int | None = None) -> int | None:
        """SIGKILL the running worker (only if it is still process `pid`, when given)."""
        if self.process is None or self.process.poll() is not None:
            return None
        if pid is not None and self.process.pid != pid:
            return None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        return self.process.pid

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def drain(self, url: str, engine_app, limit: float = 60) -> int:
        """`worker --once` until nothing is waiting, at least once (a killed worker's claim on
        a message lapses after MAIL_CLAIM_SECONDS, 5 s here)."""
        runs = 0
        deadline = clock.monotonic() + limit
        while clock.monotonic() < deadline:
            if runs and unsent(engine_app) == 0:  # (at least one run: the cron path is proved)
                break
            runs += 1
            out = flask_cli(
                url,
                "worker",
                "--once",
                MAIL_SERVER="127.0.0.1",
                MAIL_PORT=self.env["MAIL_PORT"],
                MAIL_CLAIM_SECONDS="5",
            )
            with self.log.open("a") as handle:
                handle.write(out)
            if unsent(engine_app):
                clock.sleep(1)
        return runs

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def unsent(app) -> int:
    """Outbox rows due now and not sent yet."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.notify.models import OutboxMessage

    with app.app_context():
        n = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.next_attempt_at <= datetime.now(UTC),
            )
        )
        db.session.rollback()
    return n


# --- the HTTP side -------------------------------------------------------------------------------


@dataclass
class Sample:
    role: str
    label: str
    status: int | str
    ms: float


@dataclass
class Action:
    """A change a simulated person asked for, and what they were told."""

    kind: str
    key: tuple
    answer: str  # "ok" (success shown), "refused" (a message said no), "unknown" (no answer)


class Recorder:
    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.actions: list[Action] = []
        self.lock = threading.Lock()
        self.resets = 0
        self.retried = 0

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def act(self, kind: str, key: tuple, answer: str) -> None:
        with self.lock:
            self.actions.append(Action(kind, key, answer))


NUMBER_RE = re.compile(r"/\d+")


class Stopped(Exception):
    """The run's time is up: a simulated person starts nothing new."""


class Browser:
    """One person's browser: a cookie, a CSRF token, one connection per request (sync workers)."""

    def __init__(self, port: int, role: str, recorder: Recorder) -> None:
        self.port = port
        self.role = role
        self.recorder = recorder
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.stop_at: float | None = None

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _store(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            if (
                "expires=thu, 01 jan 1970" in attributes.lower()
                or "max-age=0" in attributes.lower()
            ):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def request(
        self,
        method: str,
        path: str,
        data: dict | None = None,
        *,
        retries: int = 3,
        finish: bool = False,
    ) -> tuple[int | None, str, str]:
        """Returns (status or None when no answer came, body, Location).

        After the run's end only `finish` requests go (reading the answer to a change sent)."""
        if not finish and self.stop_at is not None and clock.monotonic() > self.stop_at:
            raise Stopped
        label = f"{method} {NUMBER_RE.sub('/<id>', path.split('?')[0])}"
        body = urllib.parse.urlencode(data or {}) if method == "POST" else None
        attempts = retries if method == "GET" else 1
        for attempt in range(attempts):
            headers = {"Cookie": self._cookie_header(), "Host": f"127.0.0.1:{self.port}"}
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
            started = clock.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                text = response.read().decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                conn.close()
                self.recorder.add(
                    Sample(self.role, label, "reset", (clock.perf_counter() - started) * 1000)
                )
                with self.recorder.lock:
                    self.recorder.resets += 1
                    if attempt + 1 < attempts:
                        self.recorder.retried += 1
                clock.sleep(0.2)
                continue
            conn.close()
            self.recorder.add(
                Sample(self.role, label, response.status, (clock.perf_counter() - started) * 1000)
            )
            self._store(response)
            match = CSRF_RE.search(text)
            if match:
                self.token = match.group(1)
            return response.status, text, response.headers.get("Location", "")
        return None, "", ""

    def get(self, path: str) -> tuple[int | None, str]:
        status, text, _ = self.request("GET", path)
        return status, text

    def post(self, path: str, data: dict | None = None) -> tuple[int | None, str, str]:
        payload = {"csrf_token": self.token, **(data or {})}
        return self.request("POST", path, payload)

    def follow(self, location: str) -> str:
        """GET where a 303 pointed, for the flashed message (retried if the connection drops)."""
        text = ""
        for _hop in range(3):  # "/" sends each role on to its own home page
            path = urllib.parse.urlsplit(location)
            target = path.path + (f"?{path.query}" if path.query else "")
            status, text, location = self.request("GET", target or "/", finish=True)
            if status not in (301, 302, 303) or not location:
                break
        return text

    def sign_in(self, address: str) -> bool:
        """The password form, then (staff) the code form (bench/second_step.py)."""

        def send(path: str, data: dict) -> tuple[int | None, str]:
            status, _text, location = self.post(path, data)
            return status, location

        for _ in range(3):
            self.get("/sign-in")
            status, _text, location = self.post(
                "/sign-in", {"email": address, "password": PASSWORD, "next": ""}
            )
            if status == 303:
                status, location = answer_code_step(
                    location,
                    address,
                    get=lambda path: self.get(path)[1],
                    post=send,
                )
            if signed_in_at(status, location):
                self.follow(location)
                return True
            clock.sleep(0.5)
        return False


def ids_in(pattern: str, text: str) -> list[int]:
    return sorted({int(m) for m in re.findall(pattern, text)})


# --- the simulated people ------------------------------------------------------------------------


class Person(threading.Thread):
    def __init__(self, run: LoadRun, role: str, address: str, seed_value: int) -> None:
        super().__init__(daemon=True, name=address)
        self.run_ = run
        self.role = role
        self.address = address
        self.rng = random.Random(seed_value)
        self.browser = Browser(run.port, role, run.recorder)
        self.state: dict = {}

    def think(self) -> None:
        clock.sleep(self.rng.uniform(0.2, 1.0))

    def run(self) -> None:
        clock.sleep(self.rng.uniform(0, min(5.0, self.run_.duration / 6)))
        if not self.browser.sign_in(self.address):
            self.run_.failed_sign_ins += 1
            return
        step = getattr(self, f"step_{self.role}")
        self.browser.stop_at = self.run_.deadline
        while clock.monotonic() < self.run_.deadline:
            try:
                step()
            except Stopped:
                return
            except Exception as error:  # noqa: BLE001  (a bug here must not end the run quietly)
                self.run_.errors.append(f"{self.address}: {type(error).__name__}: {error}")
            self.think()

    # admins look at accounts, the audit trail and the reports
    def step_admin(self) -> None:
        b = self.browser
        path = self.rng.choice(
            ("/admin/", "/admin/accounts", "/admin/audit", "/reports/", "/admin/accounts?q=load")
        )
        b.get(path)

    # keyworkers open the caseload and a client, and ask for a peer from session two
    def step_keyworker(self) -> None:
        b = self.browser
        _status, page = b.get("/clients/")
        if "clients" not in self.state:
            self.state["clients"] = self.run_.clients_of(self.address)
            self.state["asked"] = set()
        self.think()
        clients = self.state["clients"]
        if not clients:
            return
        client_id, session_id = self.rng.choice(clients)
        _status, page = b.get(f"/clients/{client_id}")
        if client_id in self.state["asked"] or self.rng.random() < 0.3:
            ids = ids_in(r'href="/requests/(\d+)"', page)
            if ids:
                self.think()
                b.get(f"/requests/{ids[-1]}")
            return
        self.think()
        status, form = b.get(f"/requests/for/{client_id}/new?session={session_id}")
        dates = re.findall(r'<option[^>]*value="(\d{4}-\d\d-\d\d)"[^>]*selected', form) or (
            re.findall(r'<option[^>]*value="(\d{4}-\d\d-\d\d)"', form)
        )
        if status != 200 or not dates:
            return
        self.think()
        status, _text, location = b.post(
            f"/requests/for/{client_id}/new",
            {
                "session": str(session_id),
                "meeting_date": dates[0],
                "meeting_point": "Outside the main entrance",
                "minutes_before": "15",
                "peer_gender": "any",
                "language": "",
                "note_for_champion": "Nervous about going alone.",
                "note_for_volunteer": "",
            },
        )
        self.state["asked"].add(client_id)
        if status is None:
            self.run_.recorder.act("raise", (client_id,), "unknown")
        elif status == 303 and re.search(r"/requests/\d+$", location):
            request_id = int(location.rsplit("/", 1)[1])
            self.run_.recorder.act("raise", (client_id, request_id), "ok")
            b.follow(location)
        else:
            self.run_.recorder.act("raise", (client_id,), "refused")

    # champions work the queue, offer requests and watch the Today board
    def step_champion(self) -> None:
        b = self.browser
        roll = self.rng.random()
        if roll < 0.2:
            b.get("/safety/today")
            return
        if roll < 0.3:
            b.get("/champion")
            return
        _status, queue = b.get("/requests/queue")
        ids = [
            i for i in ids_in(r"/requests/(\d+)/coordinate", queue) if i not in self.run_.contended
        ]
        if not ids:
            return
        request_id = self.rng.choice(ids)
        self.think()
        _status, board = b.get(f"/requests/{request_id}/coordinate")
        volunteers = ids_in(r'name="volunteer_id" value="(\d+)"', board)
        if not volunteers or self.rng.random() < 0.25:
            return
        self.think()
        counts = ids_in(r'<option[^>]*value="(\d+)"', board.split("offer-top", 1)[-1][:3000])
        if counts and self.rng.random() < 0.3:
            count = min(counts)
            status, _text, location = b.post(
                f"/requests/{request_id}/offer-top", {"count": str(count)}
            )
            key: tuple = (request_id, "top")
        else:
            volunteer_id = self.rng.choice(volunteers)
            status, _text, location = b.post(
                f"/requests/{request_id}/offer", {"volunteer_id": str(volunteer_id)}
            )
            key = (request_id, volunteer_id)
        if status is None:
            self.run_.recorder.act("offer", key, "unknown")
            return
        text = b.follow(location) if status == 303 else ""
        answer = "ok" if "The offer is sent" in text else "refused"
        self.run_.recorder.act("offer", key, answer)

    # volunteers answer offers, check in and out, and say what happened
    def step_volunteer(self) -> None:
        b = self.browser
        _status, home = b.get("/volunteer")
        offers = ids_in(r'href="/offers/(\d+)"', home)
        answered = self.state.setdefault("answered", set())
        waiting = [o for o in offers if o not in answered]
        if waiting and self.rng.random() < 0.8:
            offer_id = self.rng.choice(waiting)
            self.think()
            _status, page = b.get(f"/offers/{offer_id}")
            if f"/offers/{offer_id}/accept" not in page:
                answered.add(offer_id)
                return
            self.think()
            self.answer(offer_id)
            answered.add(offer_id)
            return
        self.think()
        _status, escorts = b.get("/safety/escorts")
        ids = ids_in(r'href="/safety/escorts/(\d+)"', escorts)
        if not ids:
            return
        finished = self.state.setdefault("finished", set())
        ids = [i for i in ids if i not in finished]
        if not ids:
            return
        request_id = ids[0]  # one escort at a time, as on the day: met, safe, what happened
        done = self.state.setdefault("checks", defaultdict(list))
        self.think()
        _status, page = b.get(f"/safety/escorts/{request_id}")
        steps = done[request_id]
        if "checkin" not in steps:
            kind, path = "checkin", f"/safety/escorts/{request_id}/met"
        elif "checkout" not in steps:
            kind, path = "checkout", f"/safety/escorts/{request_id}/safe"
        else:
            self.outcome(request_id)
            finished.add(request_id)
            return
        if f'id="{kind}-rule-{request_id}"' in page:
            finished.add(request_id)  # its button is not open yet: a person would come back later
            return
        self.think()
        status, _text, location = b.post(path)
        if status is None:
            self.run_.recorder.act(kind, (request_id,), "unknown")
            return
        # A refusal (not open yet: the page says when it opens) also redirects to the escort,
        # so only the thank-you the person reads counts as an acknowledged check.
        text = b.follow(location) if status == 303 else ""
        if any(done in text for done in CHECK_DONE[kind]):
            steps.append(kind)
            self.run_.recorder.act(kind, (request_id,), "ok")
        else:
            self.run_.recorder.act(kind, (request_id,), "refused")

    def answer(self, offer_id: int) -> None:
        b = self.browser
        if self.rng.random() < 0.75:
            status, _text, location = b.post(f"/offers/{offer_id}/accept")
            kind, success = "accept", "you are booked for this escort"
        else:
            status, _text, location = b.post(
                f"/offers/{offer_id}/decline", {"reason": "Busy that day"}
            )
            kind, success = "decline", "Thank you for letting us know"
        if status is None:
            self.run_.recorder.act(kind, (offer_id,), "unknown")
            return
        text = b.follow(location) if status == 303 else ""
        self.run_.recorder.act(kind, (offer_id,), "ok" if success in text else "refused")

    def outcome(self, request_id: int) -> None:
        b = self.browser
        status, form = b.get(f"/safety/escorts/{request_id}/outcome")
        version = re.search(r'name="version"[^>]*value="(\d+)"', form) or re.search(
            r'value="(\d+)"[^>]*name="version"', form
        )
        if status != 200 or not version:
            return
        self.think()
        status, _text, location = b.post(
            f"/safety/escorts/{request_id}/outcome",
            {
                "came": "attended",
                "together": "yes",
                "again": "yes",
                "note": "Went well.",
                "version": version.group(1),
            },
        )
        if status is None:
            self.run_.recorder.act("outcome", (request_id,), "unknown")
        elif status == 303:
            b.follow(location)
            self.run_.recorder.act("outcome", (request_id,), "ok")
        else:
            self.run_.recorder.act("outcome", (request_id,), "refused")


class Contention(threading.Thread):
    """One champion offers a dawn request to the whole group; they all accept at one moment."""

    def __init__(self, run: LoadRun, champion: str, volunteers: list[str]) -> None:
        super().__init__(daemon=True, name="contention")
        self.run_ = run
        self.champion = champion
        self.volunteers = volunteers
        self.rounds: list[dict] = []

    def run(self) -> None:
        rec = self.run_.recorder
        chief = Browser(self.run_.port, "champion", rec)
        group = [Browser(self.run_.port, "volunteer", rec) for _ in self.volunteers]
        signed: list[bool] = []
        threads = [
            threading.Thread(target=lambda b=b, a=a: signed.append(b.sign_in(a)))
            for b, a in zip([chief, *group], [self.champion, *self.volunteers], strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if not all(signed):
            self.run_.failed_sign_ins += 1
            return
        vids = self.run_.volunteer_ids(self.volunteers)
        by_volunteer = dict(zip(vids, group, strict=True))
        for tried, request_id in enumerate(self.run_.plan.contention_requests):
            if tried and clock.monotonic() > self.run_.deadline - 2:
                break  # (one round at least, however slow the machine)
            try:
                self.round(chief, by_volunteer, request_id)
            except Exception as error:  # noqa: BLE001
                self.run_.errors.append(f"contention: {type(error).__name__}: {error}")
            clock.sleep(random.uniform(1.0, 2.5))

    def round(self, chief: Browser, by_volunteer: dict, request_id: int) -> None:
        rec = self.run_.recorder
        _status, board = chief.get(f"/requests/{request_id}/coordinate")
        counts = ids_in(r'<option[^>]*value="(\d+)"', board.split("offer-top", 1)[-1][:3000])
        if not counts:
            return
        count = (
            max(c for c in counts if c <= len(by_volunteer))
            if min(counts) <= len(by_volunteer)
            else min(counts)
        )
        status, _text, location = chief.post(
            f"/requests/{request_id}/offer-top", {"count": str(count)}
        )
        if status is None:
            rec.act("offer", (request_id, "top"), "unknown")
            return
        # The group hears of the offer at once (by email, in life): the race starts now, and
        # the champion reads the page with the flashed message while it runs.
        pending = self.run_.pending_offers(request_id) if status == 303 else []
        reader = threading.Thread(target=lambda: flashed.append(chief.follow(location)))
        flashed: list[str] = []
        if status == 303:
            reader.start()
        racers = [(oid, by_volunteer[v]) for oid, v in pending if v in by_volunteer]
        if len(racers) < 2:
            if status == 303:
                reader.join()
            sent = any("The offer is sent" in text for text in flashed)
            rec.act("offer", (request_id, "top"), "ok" if sent else "refused")
            return
        barrier = threading.Barrier(len(racers))
        results: dict[int, str] = {}

        def race(offer_id: int, browser: Browser) -> None:
            barrier.wait()
            status, _text, location = browser.post(f"/offers/{offer_id}/accept")
            if status is None:
                results[offer_id] = "unknown"
                return
            page = browser.follow(location) if status == 303 else ""
            results[offer_id] = "ok" if "you are booked for this escort" in page else "refused"

        threads = [threading.Thread(target=race, args=racer) for racer in racers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for offer_id, answer in results.items():
            rec.act("accept", (offer_id,), answer)
        if status == 303:
            reader.join()
        sent = any("The offer is sent" in text for text in flashed)
        rec.act("offer", (request_id, "top"), "ok" if sent else "refused")
        self.rounds.append(
            {
                "request": request_id,
                "racers": len(racers),
                "winners": sum(1 for a in results.values() if a == "ok"),
                "unknown": sum(1 for a in results.values() if a == "unknown"),
            }
        )


# --- one run -------------------------------------------------------------------------------------


@dataclass
class Result:
    kind: str
    users: int
    duration: float
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    report: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(ok for _name, ok, _detail in self.checks)

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append((name, ok, detail))

    def text(self) -> str:
        lines = [*self.report, ""]
        lines += [
            f"{'PASS' if ok else 'FAIL'}  {name}  {detail}" for name, ok, detail in self.checks
        ]
        return "\n".join(lines)


class LoadRun:
    def __init__(
        self,
        url: str,
        folder: Path,
        plan: Plan,
        *,
        duration: float,
        workers: int,
        kill_web: bool,
        kill_mail: bool,
        kind: str,
    ) -> None:
        self.url = url
        self.folder = folder
        self.plan = plan
        self.duration = duration
        self.workers = workers
        self.kill_web = kill_web
        self.kill_mail = kill_mail
        self.kind = kind
        self.recorder = Recorder()
        self.errors: list[str] = []
        self.failed_sign_ins = 0
        self.contended = set(plan.contention_requests)
        self.app = make_app(url, folder)
        self.port = 0
        self.deadline = 0.0
        self._db_lock = threading.Lock()
        self.mail_killed_at: datetime | None = None
        self.mail_stopped_at: datetime | None = None

    # small reads the simulation makes directly (what a person would know from their email)
    def _read(self, statement):
        from portal.extensions import db

        with self._db_lock, self.app.app_context():
            rows = db.session.execute(statement).all()
            db.session.rollback()
        return rows

    def clients_of(self, address: str) -> list[tuple[int, int]]:
        from sqlalchemy import select

        from portal.auth.models import User
        from portal.clients.models import Client, FamaSession

        return [
            (r[0], r[1])
            for r in self._read(
                select(Client.id, FamaSession.id)
                .join(FamaSession, FamaSession.client_id == Client.id)
                .join(User, User.id == Client.keyworker_id)
                .where(User.email == address, FamaSession.kind == 2)
                .order_by(Client.id)
            )
        ]

    def volunteer_ids(self, addresses: list[str]) -> list[int]:
        from sqlalchemy import select

        from portal.auth.models import User
        from portal.volunteers.models import Volunteer

        rows = dict(
            self._read(
                select(User.email, Volunteer.id)
                .join(User, User.id == Volunteer.user_id)
                .where(User.email.in_(addresses))
            )
        )
        return [rows[a] for a in addresses]

    def pending_offers(self, request_id: int) -> list[tuple[int, int]]:
        from sqlalchemy import select

        from portal.accompaniment.models import Offer

        return [
            (r[0], r[1])
            for r in self._read(
                select(Offer.id, Offer.volunteer_id).where(
                    Offer.request_id == request_id, Offer.state == "pending"
                )
            )
        ]

    def go(self) -> Result:
        result = Result(self.kind, sum(self.plan.counts.values()), self.duration)
        sink = MailSink()
        sink.start()
        web = Gunicorn(self.url, self.folder, self.workers, sink.port)
        mail = MailWorker(self.url, self.folder, sink.port)
        events: list[str] = []
        t0 = clock.monotonic()
        try:
            web.start()
            events.append(f"gunicorn answered /healthz in {clock.monotonic() - t0:.1f} s")
            self.port = web.port
            mail.start()
            people = []
            group = set(self.plan.contention_volunteers)
            champion_for_contention = email_of("champion", 0)
            for role, n in ((r, n) for r in self.plan.counts for n in range(self.plan.counts[r])):
                address = email_of(role, n)
                if address in group or address == champion_for_contention:
                    continue
                people.append(Person(self, role, address, hash((role, n)) & 0xFFFF))
            contention = Contention(self, champion_for_contention, self.plan.contention_volunteers)
            started = clock.monotonic()
            self.deadline = started + self.duration
            for person in people:
                person.start()
            contention.start()
            web_kill_at = started + self.duration * 0.4
            mail_kill_at = started + self.duration * 0.5
            killed_web = killed_mail = None
            while clock.monotonic() < self.deadline:
                now = clock.monotonic()
                if self.kill_web and killed_web is None and now >= web_kill_at:
                    killed_web = web.kill_worker()
                    events.append(f"SIGKILL web worker {killed_web} at {now - started:.1f} s")
                if self.kill_mail and killed_mail is None and now >= mail_kill_at:
                    # Kill the mail worker just after the sink accepts a message (or after 5 s
                    # without mail), then start it again a second later.
                    done = threading.Event()
                    pid = mail.process.pid if mail.process else None
                    sink.set_trap(lambda done=done, pid=pid: (mail.kill(pid), done.set()))
                    done.wait(min(5.0, self.duration / 5))
                    sink.set_trap(None)
                    killed_mail = mail.kill() or pid
                    self.mail_killed_at = datetime.now(UTC)
                    when = clock.monotonic() - started
                    how = (
                        f"just after the sink accepted {sink.trapped}"
                        if done.is_set()
                        else "(no mail in flight)"
                    )
                    events.append(f"SIGKILL mail worker {killed_mail} at {when:.1f} s {how}")
                    clock.sleep(1.0)
                    mail.start()
                    events.append(f"mail worker restarted at {clock.monotonic() - started:.1f} s")
                clock.sleep(0.2)
            for person in people:
                person.join(timeout=90)
            contention.join(timeout=90)
            elapsed = clock.monotonic() - started
            events.append(f"every person stopped {elapsed - self.duration:.1f} s after the end")
            workers_after = len(web.worker_pids())
            self.mail_stopped_at = datetime.now(UTC)
            mail.stop()  # SIGTERM, as systemd or a deploy stops it
            drains = mail.drain(self.url, self.app)
            clock.sleep(0.5)
        finally:
            mail.stop()
            web.stop()
            sink.stop()
        self._logs = web.logs()
        self._report(result, elapsed, events, contention, drains)
        self._checks(result, web, mail, sink, contention, killed_web, workers_after)
        with self.app.app_context():
            from portal.extensions import db

            db.engine.dispose()
        return result

    def _report(self, result: Result, elapsed: float, events, contention, drains: int) -> None:
        samples = self.recorder.samples
        answered = [s for s in samples if s.status != "reset"]
        lines = result.report
        lines.append(
            f"== {self.kind}: {result.users} users, {self.duration:.0f} s, "
            f"{self.workers} gunicorn workers =="
        )
        lines.append(
            f"requests {len(samples)} ({len(answered)} answered), "
            f"{len(answered) / elapsed:.1f} answered/s over {elapsed:.1f} s; connection resets "
            f"{self.recorder.resets} (GETs retried {self.recorder.retried})"
        )
        lines.extend(events)
        logs = self._logs
        lines.append(
            f"gunicorn log: {logs.count('WORKER TIMEOUT')} worker timeouts, "
            f"{logs.count('was sent SIGKILL')} workers reported killed, "
            f"{logs.count('Booting worker')} workers booted"
        )
        lines.append(f"mail drained with {drains} run(s) of `worker --once`")
        groups = defaultdict(list)
        for s in samples:
            groups[(s.role, s.label)].append(s)
        lines.append(f"{'role':10} {'endpoint':42} {'n':>5} {'median':>8} {'p95':>8}  statuses")
        for (role, label), items in sorted(groups.items()):
            times = sorted(s.ms for s in items if s.status != "reset") or [0.0]
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            statuses = Counter(str(s.status) for s in items)
            lines.append(
                f"{role:10} {label:42} {len(items):5d} {statistics.median(times):7.0f}ms "
                f"{p95:7.0f}ms  " + " ".join(f"{k}:{v}" for k, v in sorted(statuses.items()))
            )
        answers = Counter((a.kind, a.answer) for a in self.recorder.actions)
        lines.append(
            "actions: " + ", ".join(f"{k} {a} {n}" for (k, a), n in sorted(answers.items()))
        )
        won = sum(r["winners"] for r in contention.rounds)
        lines.append(
            f"contention: {len(contention.rounds)} rounds, "
            f"{sum(r['racers'] for r in contention.rounds)} simultaneous accepts, {won} won"
        )
        if self.errors:
            lines.append(f"simulation errors ({len(self.errors)}): " + "; ".join(self.errors[:5]))

    def _checks(
        self,
        result: Result,
        web: Gunicorn,
        mail: MailWorker,
        sink: MailSink,
        contention: Contention,
        killed_web: int | None,
        workers_after: int,
    ) -> None:
        samples = self.recorder.samples
        five = [s for s in samples if isinstance(s.status, int) and s.status >= 500]
        result.check(
            "zero 5xx responses",
            not five,
            f"{len(five)} of {len(samples)}"
            + (f": {Counter((s.label, s.status) for s in five).most_common(3)}" if five else ""),
        )
        logs = web.logs() + mail.logs()
        locked = logs.count(LOCKED)
        result.check('zero "database is locked"', locked == 0, f"{locked} in the logs")
        tracebacks = logs.count("Traceback (most recent call last)")
        result.check("no tracebacks in the logs", tracebacks == 0, f"{tracebacks}")
        result.check(
            "every person signed in and ran without client errors",
            not self.failed_sign_ins and not self.errors,
            f"{self.failed_sign_ins} failed sign-ins, {len(self.errors)} errors",
        )
        problems = check_consistency(self.app)
        result.check(
            "database consistent (no double-booking, states agree with offers and slots, "
            "week counters right)",
            not problems,
            f"{len(problems)} problems" + (f": {problems[:5]}" if problems else ""),
        )
        lost, unknown = self._lost()
        result.check(
            "no acknowledged action lost",
            not lost,
            f"{len(lost)} lost; {unknown}" + (f": {lost[:5]}" if lost else ""),
        )
        many = [r for r in contention.rounds if r["winners"] > 1]
        result.check(
            "at most one winner per contended request",
            not many and any(r["winners"] == 1 for r in contention.rounds),
            f"{len(contention.rounds)} rounds, "
            f"{sum(1 for r in contention.rounds if r['winners'] == 1)} with exactly one winner",
        )
        if self.kill_web:
            result.check(
                "a web worker was killed and gunicorn replaced it",
                killed_web is not None and workers_after == self.workers,
                f"killed {killed_web}, {workers_after} of {self.workers} workers after",
            )
        self._mail_checks(result, sink, mail)

    def _lost(self) -> tuple[list[Action], str]:
        """Acknowledged changes whose effect is missing; what became of unanswered ones."""
        from sqlalchemy import select

        from portal.accompaniment.models import AccompanimentRequest, Offer
        from portal.extensions import db
        from portal.safety.models import EscortCheck, EscortOutcome

        lost, took, missing = [], 0, 0
        with self.app.app_context():
            offers = dict(db.session.execute(select(Offer.id, Offer.state)).all())
            requests = dict(
                db.session.execute(
                    select(AccompanimentRequest.id, AccompanimentRequest.state)
                ).all()
            )
            by_client = defaultdict(set)
            for rid, cid in db.session.execute(
                select(AccompanimentRequest.id, AccompanimentRequest.client_id)
            ).all():
                by_client[cid].add(rid)
            offered = defaultdict(set)
            for rid, vid in db.session.execute(select(Offer.request_id, Offer.volunteer_id)):
                offered[rid].add(vid)
            checks = set(db.session.execute(select(EscortCheck.request_id, EscortCheck.kind)).all())
            outcomes = set(db.session.scalars(select(EscortOutcome.request_id)).all())
            db.session.rollback()

        def effect(action: Action) -> bool:
            kind, key = action.kind, action.key
            if kind == "accept":
                return offers.get(key[0]) == "accepted"
            if kind == "decline":
                return offers.get(key[0]) == "declined"
            if kind == "raise":
                return bool(by_client.get(key[0])) and (len(key) == 1 or key[1] in requests)
            if kind == "offer":
                return bool(offered.get(key[0])) and (key[1] == "top" or key[1] in offered[key[0]])
            if kind in ("checkin", "checkout"):
                return (key[0], kind) in checks
            if kind == "outcome":
                return key[0] in outcomes and requests.get(key[0]) == "completed"
            return True

        for action in self.recorder.actions:
            if action.answer == "ok" and not effect(action):
                lost.append(action)
            elif action.answer == "unknown":
                if effect(action):
                    took += 1
                else:
                    missing += 1
        return lost, f"unanswered POSTs: {took} took effect, {missing} did not"

    def _mail_checks(self, result: Result, sink: MailSink, mail: MailWorker) -> None:
        from sqlalchemy import select

        from portal.extensions import db
        from portal.notify.models import OutboxMessage

        with self.app.app_context():
            rows = db.session.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.sent_at,
                    OutboxMessage.next_attempt_at,
                    OutboxMessage.attempts,
                )
            ).all()
            db.session.rollback()
        sent_at = {r.id: r.sent_at for r in rows}
        # Mail that is not urgent waits in the outbox for service hours (a run at night holds
        # it): never tried, due later. Anything else unsent is lost or stuck.
        now = datetime.now(UTC)
        held = {
            r.id: r.next_attempt_at
            for r in rows
            if r.sent_at is None and r.attempts == 0 and r.next_attempt_at > now
        }
        unsent_ids = [r.id for r in rows if r.sent_at is None and r.id not in held]
        received = Counter()
        for message_id in sink.ids:
            match = re.match(r"<outbox-(\d+)[.@]", message_id)
            received[int(match.group(1)) if match else message_id] += 1
        undelivered = [r.id for r in rows if r.id not in received and r.id not in held]
        twice = {k: n for k, n in received.items() if n > 1}
        waiting = (
            f", {len(held)} waiting for service hours"
            f" (from {min(held.values()):%Y-%m-%d %H:%M} UTC)"
            if held
            else ""
        )
        result.check(
            "every outbox row due sent",
            not unsent_ids,
            f"{len(rows)} rows, {len(unsent_ids)} unsent{waiting}",
        )
        result.check(
            "every outbox row delivered to the sink",
            not undelivered,
            f"{len(sink.ids)} messages received, {len(undelivered)} rows never arrived",
        )

        # Only a message in flight when the worker died may come twice: the sink had it before
        # the kill, the outbox marked it sent only after (at-least-once, same Message-ID).
        def in_flight_at(moment: datetime | None) -> list[int]:
            """Messages the sink had before `moment` that the outbox marked sent only after."""
            if moment is None:
                return []
            return [
                number
                for message_id, seen in sink.first_seen.items()
                if (match := re.match(r"<outbox-(\d+)[.@]", message_id))
                and (number := int(match.group(1))) in sent_at
                and seen <= moment
                and sent_at[number] is not None
                and sent_at[number] > moment
            ]

        in_flight = in_flight_at(self.mail_killed_at)
        at_stop = in_flight_at(self.mail_stopped_at)
        extra = {k: n for k, n in twice.items() if k not in in_flight or n > 2}
        result.check(
            "no Message-ID received twice (except the one in flight at the kill)",
            not extra and len(in_flight) <= 1,
            f"received twice: {twice or 'none'}; in flight at the SIGKILL: {in_flight or 'none'}"
            + (f" (the trap caught {sink.trapped})" if sink.trapped else "")
            + (f"; in flight at the final SIGTERM: {at_stop}" if at_stop else ""),
        )


def prepare(
    kind: str, folder: Path, users: int, seed_value: int, *, full_cost_passwords: bool = False
) -> tuple[str, Plan]:
    """A fresh database of `kind`, migrated, with the demo and the seeded service."""
    url = f"sqlite:///{folder / 'load.sqlite3'}" if kind == "sqlite" else create_postgres_database()
    flask_cli(url, "db", "upgrade")
    return url, populate(url, folder, users, seed_value, full_cost_passwords=full_cost_passwords)


def populate(
    url: str,
    folder: Path,
    users: int,
    seed_value: int,
    *,
    demo_command: bool = True,
    full_cost_passwords: bool = False,
) -> Plan:
    """The demo and the simulated people's service on a migrated database.

    The demo goes through `flask --app portal demo`, or (for the test, which is short of time)
    the same `build_demo()` called in this process."""
    app = make_app(url, folder)
    if demo_command:
        flask_cli(url, "demo")
    else:
        from portal.demo import build_demo
        from portal.extensions import db

        with app.app_context():
            build_demo()
            db.engine.dispose()
    return seed(
        app,
        role_counts(users),
        random.Random(seed_value),
        datetime.now(UTC),
        full_cost_passwords=full_cost_passwords,
    )


def run_load(
    url: str,
    folder: Path,
    plan: Plan,
    *,
    kind: str,
    duration: float = 60,
    workers: int = 2,
    kill_web: bool = True,
    kill_mail: bool = True,
) -> Result:
    return LoadRun(
        url,
        folder,
        plan,
        duration=duration,
        workers=workers,
        kill_web=kill_web,
        kill_mail=kill_mail,
        kind=kind,
    ).go()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--kill-web-worker", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--kill-mail-worker", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--full-cost-passwords",
        action="store_true",
        help="hash the seeded accounts' password at the production argon2 cost",
    )
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    passed = True
    for kind in kinds:
        t0 = clock.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"load-{kind}-") as name:
            folder = Path(name)
            url = None
            try:
                url, plan = prepare(
                    kind,
                    folder,
                    args.users,
                    args.seed,
                    full_cost_passwords=args.full_cost_passwords,
                )
                print(
                    f"{kind}: database ready in {clock.monotonic() - t0:.1f} s "
                    f"({', '.join(f'{n} {r}s' for r, n in plan.counts.items())})",
                    flush=True,
                )
                result = run_load(
                    url,
                    folder,
                    plan,
                    kind=kind,
                    duration=args.duration,
                    workers=args.workers,
                    kill_web=args.kill_web_worker,
                    kill_mail=args.kill_mail_worker,
                )
            finally:
                if kind == "postgres" and url:
                    drop_postgres_database(url)
        print(result.text())
        print(f"{kind}: whole run {clock.monotonic() - t0:.1f} s\n", flush=True)
        passed &= result.passed
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
