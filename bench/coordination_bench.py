"""Benchmark coordination: the champion's request page and the batch proposal, loading included.

Run: .venv/bin/python bench/coordination_bench.py [--volunteers 3000] [--requests 1000] [--runs 30]

A file SQLite database (migrated, in a temporary folder) is filled with a synthetic, seeded
service: 600 meetings, N volunteers with profiles, vetting, availability and some booked escorts,
and M open requests in the next seven days. Then, in one run:
(a) the request page with ranked candidates, through the test client: server time per request
    (median and 95th percentile) beside a bare page of the same app (the floor);
(b) the same ranking step alone (SQL filter, loading, matching) without rendering;
(c) the batch proposal over every open request of the next seven days, loading included,
    exact beside greedy on the same data: time, requests assigned, total score.
Times drift by about 40 % between runs on a shared 2-core machine: compare ratios within a run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from bench.second_step import enrol_staff, sign_in_test_client  # noqa: E402

PASSWORD = "bench password not secret"  # noqa: S105  (a throwaway database)

FELLOWSHIPS = ("AA", "NA", "CA", "SMART", "CMA", "AL-ANON")
FELLOWSHIP_WEIGHTS = (45, 25, 10, 10, 5, 5)
LANGUAGES = ("Polish", "Urdu", "Bengali", "Somali", "Portuguese", "Welsh")
STARTS = (time(10), time(12, 30), time(18), time(18, 30), time(19), time(19, 30), time(20))
KINDS = ("dbs", "training", "references", "lone_working", "code_of_conduct")


def build_app(folder: Path):
    from portal import create_app
    from tests.databases import upgrade

    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    upgrade(url, folder)
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": "bench",
            "SERVER_NAME": "portal.test",
            "MAIL_SEND_INLINE": False,
        }
    )


def seed(n_volunteers: int, n_requests: int, rng: random.Random, now: datetime) -> dict:
    """Fill the database with a synthetic service; returns ids the benchmark needs."""
    from portal.accompaniment.facts import escort_slots
    from portal.accompaniment.models import (
        AccompanimentRequest,
        EscortSlot,
        VolunteerWeekCount,
    )
    from portal.auth.models import User, UserRole
    from portal.auth.passwords import hash_password
    from portal.clients.models import Client
    from portal.extensions import db
    from portal.meetings.models import Fellowship, Meeting
    from portal.meetings.occurrences import LONDON, next_occurrences
    from portal.volunteers.models import (
        AvailabilityWindow,
        SafeguardingItem,
        TimeAway,
        Volunteer,
        VolunteerLanguage,
        VolunteerMeeting,
        volunteer_fellowships,
    )

    password = hash_password(PASSWORD)
    db.session.execute(
        insert(User),
        [
            {"email": "champion@bench.example.org", "name": "Chris", "password_hash": password},
            {"email": "keyworker@bench.example.org", "name": "Kim", "password_hash": password},
        ],
    )
    users = dict(db.session.execute(select(User.email, User.id)).all())
    champion, keyworker = users["champion@bench.example.org"], users["keyworker@bench.example.org"]
    db.session.execute(
        insert(UserRole),
        [{"user_id": champion, "role": "champion"}, {"user_id": keyworker, "role": "keyworker"}],
    )
    fellowships = dict(db.session.execute(select(Fellowship.code, Fellowship.id)).all())
    areas = [f"Area {i + 1}" for i in range(30)]
    meetings = []
    for i in range(600):
        meetings.append(
            {
                "name": f"Meeting {i + 1}",
                "fellowship_id": fellowships[rng.choices(FELLOWSHIPS, FELLOWSHIP_WEIGHTS)[0]],
                "weekday": rng.randrange(7),
                "start_time": rng.choice(STARTS),
                "end_time": time(21, 30),
                "attendance": "in_person",
                "area": rng.choice(areas),
                "type_codes": "O",
                "last_verified_at": now,
            }
        )
    for m in meetings:
        m["end_time"] = time(min(23, m["start_time"].hour + rng.choice((1, 2))), 30)
    db.session.execute(insert(Meeting), meetings)
    meeting_rows = db.session.execute(
        select(
            Meeting.id, Meeting.fellowship_id, Meeting.weekday, Meeting.start_time, Meeting.end_time
        )
    ).all()
    by_fellowship: dict[int, list[int]] = {}
    for row in meeting_rows:
        by_fellowship.setdefault(row.fellowship_id, []).append(row.id)

    today = now.astimezone(LONDON).date()
    volunteers = []
    for i in range(n_volunteers):
        volunteers.append(
            {
                "preferred_name": f"Volunteer {i + 1}",
                "gender": rng.choices(("woman", "man", "non-binary"), (50, 45, 5))[0],
                "home_area": rng.choice(areas),
                "weekly_cap": rng.choice((1, 2, 2, 2, 3)),
                "accompany_rule": "same_gender" if rng.random() < 0.2 else "anyone",
                "phone_only": rng.random() < 0.1,
                "status": rng.choices(
                    ("approved", "applied", "paused", "withdrawn"), (80, 10, 7, 3)
                )[0],
                "recovery_date": date(2010, 1, 1) + timedelta(days=rng.randrange(5000)),
                "recovery_confirmed_at": now if rng.random() < 0.95 else None,
                "travel_modes": "walk",
            }
        )
    db.session.execute(insert(Volunteer), volunteers)
    volunteer_ids = list(db.session.scalars(select(Volunteer.id).order_by(Volunteer.id)))
    links, langs, items, attends, windows, away = [], [], [], [], [], []
    codes = list(fellowships)
    for vid in volunteer_ids:
        known = rng.sample(codes[:4], rng.choice((1, 1, 2, 3)))
        links += [{"volunteer_id": vid, "fellowship_id": fellowships[c]} for c in known]
        spoken = {"English"} | ({rng.choice(LANGUAGES)} if rng.random() < 0.15 else set())
        langs += [{"volunteer_id": vid, "language": s, "folded": s.casefold()} for s in spoken]
        for kind in KINDS:
            expires = today + timedelta(days=rng.randrange(-20, 700))
            items.append(
                {
                    "volunteer_id": vid,
                    "kind": kind,
                    "issued_on": today - timedelta(days=400),
                    "expires_on": None if kind == "references" else expires,
                    "references_received": 2 if kind == "references" else None,
                }
            )
        for code in known:
            pool = by_fellowship.get(fellowships[code], [])
            for mid in rng.sample(pool, min(len(pool), rng.randrange(3))):
                weeks = "every" if rng.random() < 0.7 else str(rng.randrange(1, 6))
                attends.append({"volunteer_id": vid, "meeting_id": mid, "weeks": weeks})
        for _ in range(rng.choice((0, 1, 2, 2, 3, 4))):
            start, end = (
                (time(rng.choice((17, 18))), time(rng.choice((21, 22))))
                if rng.random() < 0.7
                else (time(rng.choice((9, 10))), time(rng.choice((13, 14, 15))))
            )
            windows.append(
                {
                    "volunteer_id": vid,
                    "weekday": rng.randrange(7),
                    "start_time": start,
                    "end_time": end,
                }
            )
        if rng.random() < 0.05:
            first = today + timedelta(days=rng.randrange(7))
            away.append(
                {
                    "volunteer_id": vid,
                    "first_day": first,
                    "last_day": first + timedelta(days=rng.randrange(1, 10)),
                }
            )
    db.session.execute(insert(volunteer_fellowships), links)
    db.session.execute(insert(VolunteerLanguage), langs)
    db.session.execute(insert(SafeguardingItem), items)
    if attends:
        # one row per (volunteer, meeting)
        unique = {(a["volunteer_id"], a["meeting_id"]): a for a in attends}
        db.session.execute(insert(VolunteerMeeting), list(unique.values()))
    db.session.execute(insert(AvailabilityWindow), windows)
    if away:
        db.session.execute(insert(TimeAway), away)

    clients = [
        {
            "reference": f"B-{i:05d}",
            "first_name": f"Client{i}",
            "gender": rng.choice(("woman", "man", "non-binary", "not_said")),
            "keyworker_id": keyworker,
            "status": "active",
            "consent_first_name": rng.random() < 0.7,
        }
        for i in range(n_requests + 50)
    ]
    db.session.execute(insert(Client), clients)
    client_ids = list(db.session.scalars(select(Client.id).order_by(Client.id)))
    requests = []
    for i in range(n_requests + 50):
        # the meeting's next date, with its meeting point at least two hours away, within 7 days
        while True:
            meeting = rng.choice(meeting_rows)
            start, end = next_occurrences(
                meeting.weekday, meeting.start_time, meeting.end_time, now + timedelta(hours=3), 1
            )[0]
            if start <= now + timedelta(days=7):
                break
        day = start.astimezone(LONDON).date()
        requests.append(
            {
                "client_id": client_ids[i],
                "meeting_id": meeting.id,
                "meeting_date": day,
                "starts_at": start,
                "ends_at": end,
                "meeting_point": "Outside the main entrance",
                "minutes_before": rng.choice((15, 20, 30)),
                "peer_gender": rng.choices(("any", "woman", "man"), (60, 25, 15))[0],
                "language": rng.choice(LANGUAGES) if rng.random() < 0.05 else None,
                "fellowship_experience": rng.random() < 0.4,
                "state": "open" if i < n_requests else "accepted",
                "is_current": True,
                "created_by_id": keyworker,
            }
        )
    db.session.execute(insert(AccompanimentRequest), requests)
    request_rows = db.session.scalars(
        select(AccompanimentRequest).order_by(AccompanimentRequest.id)
    ).all()
    # The last 50 are escorts already accepted: busy slots and week counts for some volunteers.
    approved = [
        v for v, row in zip(volunteer_ids, volunteers, strict=True) if row["status"] == "approved"
    ]
    slots, weeks = [], {}
    for request in request_rows[n_requests:]:
        vid = rng.choice(approved)
        request.volunteer_id = vid
        request.accepted_at = now
        start = request.starts_at - timedelta(minutes=request.minutes_before)
        for slot in escort_slots(start, request.ends_at):
            slots.append({"volunteer_id": vid, "slot_start": slot, "request_id": request.id})
        iso = start.astimezone(LONDON).date().isocalendar()
        weeks[(vid, iso.year, iso.week)] = weeks.get((vid, iso.year, iso.week), 0) + 1
    unique_slots = {(s["volunteer_id"], s["slot_start"]): s for s in slots}
    db.session.execute(insert(EscortSlot), list(unique_slots.values()))
    db.session.execute(
        insert(VolunteerWeekCount),
        [
            {"volunteer_id": v, "iso_year": y, "iso_week": w, "n": n}
            for (v, y, w), n in weeks.items()
        ],
    )
    db.session.commit()
    enrol_staff()  # the second factor staff sign in with (bench/second_step.py)
    return {
        "champion": "champion@bench.example.org",
        "requests": [r.id for r in request_rows[:n_requests]],
    }


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--batch-runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20260326)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(Path(folder))
        with app.app_context():
            t0 = clock.perf_counter()
            ids = seed(args.volunteers, args.requests, rng, now)
            print(
                f"seeded {args.volunteers:,} volunteers and {args.requests:,} open requests "
                f"in {clock.perf_counter() - t0:.1f} s"
            )
        run(app, ids, args)
    return 0


def _measure(fn, args_list: list) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of fn(arg) for each arg.

    CPU time of this process (SQLite runs in it) is what the request costs; wall time also
    counts waiting for the other work on this shared machine.
    """
    wall, cpu = [], []
    for arg in args_list:
        t0, c0 = clock.perf_counter(), clock.process_time()
        fn(arg)
        wall.append((clock.perf_counter() - t0) * 1000)
        cpu.append((clock.process_time() - c0) * 1000)
    return wall, cpu


def _line(label: str, wall: list[float], cpu: list[float]) -> str:
    return (
        f"{label}: wall median {statistics.median(wall):.1f} ms, p95 "
        f"{_percentile(wall, 0.95):.1f} ms; CPU median {statistics.median(cpu):.1f} ms, p95 "
        f"{_percentile(cpu, 0.95):.1f} ms"
    )


def run(app, ids: dict, args) -> None:
    from portal.accompaniment import coordination
    from portal.auth.models import User
    from portal.extensions import db

    sample = random.Random(1).sample(ids["requests"], min(args.runs, len(ids["requests"])))
    client = app.test_client()
    with app.app_context():
        champion_id = db.session.scalar(select(User.id).where(User.email == ids["champion"]))
    sign_in_test_client(client, ids["champion"], PASSWORD)

    def page(request_id: int) -> None:
        response = client.get(f"/requests/{request_id}/coordinate")
        assert response.status_code == 200, response.status_code

    def floor(_: object) -> None:
        response = client.get("/meetings")
        assert response.status_code == 200, response.status_code

    def ranking(request_id: int) -> None:
        with app.test_request_context():
            user = db.session.get(User, champion_id)
            coordination.request_board(request_id, user)
            db.session.rollback()

    for request_id in sample[:3]:  # warm up: compiled statements, templates
        page(request_id)
        ranking(request_id)
    floor(None)
    page_wall, page_cpu = _measure(page, sample)
    floor_wall, floor_cpu = _measure(floor, sample)
    rank_wall, rank_cpu = _measure(ranking, sample)
    print(
        _line(
            f"(a) request page with ranked candidates, {args.volunteers:,} volunteers",
            page_wall,
            page_cpu,
        )
    )
    print(_line("    floor, the meetings search page of the same app", floor_wall, floor_cpu))
    print(
        f"    page / floor (wall medians): "
        f"{statistics.median(page_wall) / statistics.median(floor_wall):.1f}"
    )
    print(_line("(b) ranking step alone (SQL filter, loading, matching)", rank_wall, rank_cpu))

    for method in ("exact", "greedy"):
        times, cpu, result = [], [], None
        for _ in range(args.batch_runs):
            with app.test_request_context():
                user = db.session.get(User, champion_id)
                t0, c0 = clock.perf_counter(), clock.process_time()
                result = coordination.propose_pairings(  # refresh: time the solve, not the cache
                    user, days=7, method=method, refresh=True
                )
                times.append(clock.perf_counter() - t0)
                cpu.append(clock.process_time() - c0)
                db.session.rollback()
        print(
            f"(c) batch over {len(result.rows) + len(result.unpaired):,} requests x "
            f"{args.volunteers:,} volunteers, loading included, {method:<6}: wall "
            f"{statistics.median(times):.3f} s (CPU {statistics.median(cpu):.3f} s), assigned "
            f"{len(result.rows):,}, total score {result.total_score:,.2f} ({result.method})"
        )


if __name__ == "__main__":
    raise SystemExit(main())
