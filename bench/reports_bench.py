"""Benchmark the reports page: server time and queries at demo size and at ~20,000 requests.

Run: .venv/bin/python bench/reports_bench.py [--requests 20000] [--runs 30]

A temporary SQLite file database is migrated and given the demo data (`flask demo`: about 40
requests over the last twelve weeks). The page is requested through the Flask test client as
the demo champion, and the time is measured around each call, so it is the app's own time
(routing, session, queries, charts, rendering) without a network or web server. Then synthetic
history is added (seeded, so every run sees the same): clients, FAMA sessions, requests spread
over the last 52 weeks with their state-change events, and volunteers who went, and the page is
timed again: the default twelve weeks (about a quarter of the requests) and a whole year (all
of them). /healthz is timed in the same run as a floor, because machines here drift by ±40 %
between runs (see shared/PERFORMANCE.md). Queries are counted with tests/querycount.py, as the
tests count them.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select  # noqa: E402

from bench.second_step import enrol_staff, sign_in_test_client  # noqa: E402
from portal import create_app  # noqa: E402
from portal.accompaniment.models import AccompanimentRequest, RequestEvent  # noqa: E402
from portal.auth.models import User  # noqa: E402
from portal.clients.models import Client, FamaSession  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.meetings.models import Meeting  # noqa: E402
from portal.meetings.occurrences import LONDON, at_local  # noqa: E402
from portal.volunteers.models import Volunteer  # noqa: E402
from tests.querycount import queries_per_request  # noqa: E402

CHAMPION = ("champion@demo.example.org", "demo champion meadow kettle")


def build(folder: Path):
    from flask_migrate import upgrade

    from portal.demo import build_demo

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "INSTANCE_PATH": str(folder / "instance"),
            "SECRET_KEY": "benchmark-only",
            "SERVER_NAME": "portal.test",
            "REPORT_CACHE_SECONDS": 0,  # time the work itself, not a kept answer
        }
    )
    with app.app_context():
        upgrade()
        build_demo()
        enrol_staff([CHAMPION[0]])  # the code step with the bench secret (bench/second_step.py)
    return app


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def add_history(requests: int, weeks: int = 52) -> None:
    """Synthetic clients, sessions, requests and events over the last `weeks` weeks."""
    rng = random.Random(20)
    now = datetime.now(UTC)
    today = now.astimezone(LONDON).date()
    keyworker = db.session.scalar(select(User.id).where(User.email == "keyworker@demo.example.org"))
    meetings = db.session.execute(select(Meeting.id, Meeting.start_time)).all()
    first_volunteer = _next_id(Volunteer)
    db.session.execute(
        insert(Volunteer),
        [
            {
                "id": first_volunteer + n,
                "preferred_name": f"Bench volunteer {n}",
                "travel_modes": "walk",
                "share_phone": False,
                "weekly_cap": 2,
                "accompany_rule": "anyone",
                "phone_only": True,
                "status": "approved",
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for n in range(150)
        ],
    )
    volunteers = range(first_volunteer, first_volunteer + 150)
    client_id, session_id, request_id = (
        _next_id(Client),
        _next_id(FamaSession),
        _next_id(AccompanimentRequest),
    )
    clients, sessions, rows, events = [], [], [], []
    lists = {
        name: [] for name in ("goals", "handouts", "concerns", "encouragement", "participation")
    }
    for n in range(requests):
        day = today - timedelta(days=rng.randrange(weeks * 7))
        meeting_id, start_time = rng.choice(meetings)
        starts = at_local(day, start_time)
        s1, s2 = day - timedelta(days=9), day - timedelta(days=2)
        clients.append(
            {
                "id": client_id,
                "reference": f"BENCH-{n:06d}",
                "first_name": "Bench",
                "gender": "not_said",
                "keyworker_id": keyworker,
                "status": "active",
                "literacy_support": False,
                "consent_first_name": False,
                "consent_phone": False,
                "last_session_kind": 2,
                "fama_outcome": "engaged" if rng.random() < 0.25 else None,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        base = {"client_id": client_id, "recorded_by_id": keyworker, "recorded_at": now, **lists}
        sessions.append({"id": session_id, "kind": 1, "held_on": s1, **base})
        sessions.append(
            {
                "id": session_id + 1,
                "kind": 2,
                "held_on": s2,
                "commitment_meeting_id": meeting_id,
                "commitment_at": starts,
                "wants_company": True,
                **base,
            }
        )
        if day < today - timedelta(days=3) and rng.random() < 0.8:
            sessions.append(
                {
                    "id": session_id + 2,
                    "kind": 3,
                    "held_on": day + timedelta(days=3),
                    "attended": rng.random() < 0.6,
                    **base,
                }
            )
        roll = rng.random()
        state, outcome = (
            ("completed", "attended") if roll < 0.5
            else ("completed", "client_did_not_come") if roll < 0.6
            else ("completed", "volunteer_could_not_go") if roll < 0.65
            else ("cancelled", None) if roll < 0.75
            else ("unfilled", None) if roll < 0.9
            else ("open", None)
        )  # fmt: skip
        raised = at_local(s2, time(11))
        accepted = raised + timedelta(hours=rng.randrange(1, 72)) if state == "completed" else None
        rows.append(
            {
                "id": request_id,
                "client_id": client_id,
                "session_id": session_id + 1,
                "meeting_id": meeting_id,
                "meeting_date": day,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=1),
                "meeting_point": "Outside the main entrance",
                "minutes_before": 15,
                "peer_gender": "any",
                "fellowship_experience": False,
                "state": state,
                "outcome": outcome,
                "is_current": False,
                "volunteer_id": rng.choice(volunteers) if accepted else None,
                "accepted_at": accepted,
                "created_by_id": keyworker,
                "created_at": raised,
                "updated_at": raised,
                "version": 1,
            }
        )
        events.append({"request_id": request_id, "at": raised, "to_state": "open"})
        if accepted:
            events.append(
                {
                    "request_id": request_id,
                    "at": accepted,
                    "from_state": "open",
                    "to_state": "accepted",
                }
            )
        if state != "open":
            events.append(
                {
                    "request_id": request_id,
                    "at": starts,
                    "from_state": "accepted" if accepted else "open",
                    "to_state": state,
                }
            )
        client_id, session_id, request_id = client_id + 1, session_id + 3, request_id + 1
    for model, batch in (
        (Client, clients),
        (FamaSession, sessions),
        (AccompanimentRequest, rows),
        (RequestEvent, events),
    ):
        for first in range(0, len(batch), 5000):
            db.session.execute(insert(model), batch[first : first + 5000])
    db.session.commit()


def sign_in(app):
    client = app.test_client()
    sign_in_test_client(client, *CHAMPION)
    return client


def timed(client, path: str, runs: int) -> list[float]:
    for _ in range(3):
        client.get(path)
    times = []
    for _ in range(runs):
        start = clock.perf_counter()
        response = client.get(path)
        times.append((clock.perf_counter() - start) * 1000)
        assert response.status_code == 200, path
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms"


def requests_in(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AccompanimentRequest))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=30)
    options = parser.parse_args()
    today = datetime.now(UTC).astimezone(LONDON).date()
    year = f"/reports/?start={today - timedelta(days=364)}&end={today}"
    pages = {
        "reports, last 12 weeks (default)": "/reports/",
        "reports, the last year": year,
        "one table as CSV (by area, a year)": year.replace("/reports/?", "/reports/by-area.csv?"),
    }
    with tempfile.TemporaryDirectory() as folder:
        app = build(Path(folder))
        client = sign_in(app)
        results = {}
        for size in ("demo", "large"):
            if size == "large":
                start = clock.perf_counter()
                with app.app_context():
                    add_history(options.requests)
                took = clock.perf_counter() - start
                print(f"(added {options.requests} synthetic requests in {took:.1f} s)\n")
            floor = timed(client, "/healthz", options.runs)
            results[size] = {
                name: (timed(client, path, options.runs), queries_per_request(app, client, path))
                for name, path in pages.items()
            }
            print(f"{requests_in(app)} requests in the database ({size}); {options.runs} runs each")
            print(f"  {'floor: /healthz':<40} {summary(floor)}")
            for name, (times, queries) in results[size].items():
                ratio = statistics.median(times) / statistics.median(floor)
                counted = f"{queries:>2} queries"
                print(f"  {name:<40} {summary(times)}   {counted}   ({ratio:.0f}x the floor)")
            print()
        print("Queries per request, demo vs large:")
        for name in pages:
            print(f"  {name:<40} {results['demo'][name][1]:>3} vs {results['large'][name][1]:>3}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
