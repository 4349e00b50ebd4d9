"""Benchmark the meetings search: server time at 5,000 meetings, and queries at 50 vs 5,000.

Run: .venv/bin/python bench/meetings_bench.py [--meetings 5000] [--requests 200]

A temporary SQLite file database is migrated, given N synthetic meetings (seeded, so every run
sees the same data) and one signed-in keyworker. Each page is requested through the Flask test
client; the time is measured around the call, so it is the app's own time (routing, session,
queries, rendering) without a network or a web server. A /healthz request is timed in the same
run as a floor, because machines here drift by ±40 % between runs (see PERFORMANCE.md).
Queries are counted with tests/querycount.py, as the tests count them.
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

from sqlalchemy import insert, select, text  # noqa: E402

from bench.second_step import enrol_staff, sign_in_test_client  # noqa: E402
from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.meetings.models import Fellowship, Meeting  # noqa: E402
from tests.querycount import queries_per_request  # noqa: E402

PASSWORD = "benchmark passphrase for meetings"  # noqa: S105  (a throwaway database)
AREAS = ("Town centre", "Riverside", "Northgate", "Eastfield", "Hollins Park", "Westbury", "Oakley")
VENUES = ("St Mark's Church Hall", "Quaker Meeting House", "Community Centre", "Library", "Hub")
NAMES = ("Hope", "Serenity", "Step", "Group")
CODES = ("O", "C", "W", "M", "X", "BE", "D", "SP", "ST", "B", "LGBTQ", "POL", "UK", "Y")
PAGES = {
    "filtered (fellowship, day, evening, open)": (
        "/meetings?fellowship=AA&day=3&time=evening&feature=open"
    ),
    "free text + area + in person": "/meetings?q=church&area=Riverside&attendance=in_person",
    "unfiltered, page 2": "/meetings?page=2",
}


def build(meetings: int, folder: Path):
    from flask_migrate import upgrade

    from portal.auth.services import create_user

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "INSTANCE_PATH": str(folder / "instance"),
            "SECRET_KEY": "benchmark-only",
            "SERVER_NAME": "portal.test",
        }
    )
    with app.app_context():
        upgrade()
        create_user("kim@example.org", "Kim", ["keyworker"], PASSWORD)
        enrol_staff()  # keyworkers sign in with a code too (bench/second_step.py)
        add_meetings(meetings, 0)
    return app


def add_meetings(count: int, start: int) -> None:
    rng = random.Random(start + 7)
    fellowships = list(db.session.scalars(select(Fellowship.id)))
    weights = [45, 25, 10, 5, 10, 3, 1, 1][: len(fellowships)]
    now = datetime.now(UTC)
    rows = []
    for n in range(start, start + count):
        hour = rng.choice((7, 10, 12, 13, 18, 19, 19, 20, 20))
        minute = rng.choice((0, 30))
        attendance = rng.choices(("in_person", "online", "hybrid"), (70, 20, 10))[0]
        codes = sorted(set(rng.sample(CODES, rng.randint(1, 4))))
        rows.append(
            {
                "name": f"{rng.choice(AREAS)} {rng.choice(NAMES)} {n}",
                "fellowship_id": rng.choices(fellowships, weights)[0],
                "weekday": rng.randrange(7),
                "start_time": time(hour, minute),
                "end_time": time(hour + 1, minute),
                "attendance": attendance,
                "venue": rng.choice(VENUES),
                "address": f"{n % 200} High Street, Wrenford",
                "postcode": f"QX{n % 9 + 1} {n % 10}AB",
                "area": rng.choice(AREAS),
                "online_url": None
                if attendance == "in_person"
                else f"https://meet.example.org/{n}",
                "type_codes": " ".join(codes),
                "directions_walk": "Five minutes from the Market Square.",
                "active": rng.random() > 0.05,
                "last_verified_at": now - timedelta(days=rng.randrange(300)),
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    if rows:
        db.session.execute(insert(Meeting), rows)
    db.session.commit()


def sign_in(app):
    client = app.test_client()
    sign_in_test_client(client, "kim@example.org", PASSWORD)
    return client


def timed(client, path: str, requests: int, headers: dict | None = None) -> list[float]:
    for _ in range(10):
        client.get(path, headers=headers)
    times = []
    for _ in range(requests):
        start = clock.perf_counter()
        response = client.get(path, headers=headers)
        times.append((clock.perf_counter() - start) * 1000)
        assert response.status_code == 200, path
    return times


def query_plan(app, path: str) -> list[str]:
    """SQLite's plan for the page's main query, to see which index it uses."""
    from werkzeug.datastructures import MultiDict

    from portal.meetings.services import MeetingFilters, search_meetings

    query = path.split("?", 1)[1] if "?" in path else ""
    args = MultiDict([tuple(part.split("=", 1)) for part in query.split("&") if "=" in part])
    with app.test_request_context(), db.engine.connect() as connection:
        statement = search_meetings(MeetingFilters.from_args(args)).limit(25)
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        rows = connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    return [row[-1] for row in rows]


def import_timings(app, count: int) -> list[tuple[str, float]]:
    """Preview and apply a feed of `count` meetings, then the same feed again (no changes)."""
    import json

    from portal.meetings import services

    records = [
        {
            "name": f"Imported {n}",
            "slug": n,
            "day": n % 7,
            "time": "19:30",
            "formatted_address": f"{n} High Street, Wrenford QX1 4AB",
            "types": ["O", "D"],
            "notes": "Tea &amp; biscuits after",
        }
        for n in range(count)
    ]
    payload = json.dumps(records).encode()
    found = []
    with app.test_request_context(method="POST"):
        fellowship = services.fellowship_by_code("AA")
        for label in ("first import", "the same feed again"):
            start = clock.perf_counter()
            run = services.preview_import(payload, "Bench intergroup", fellowship, None)
            found.append((f"{label}: upload and preview", clock.perf_counter() - start))
            start = clock.perf_counter()
            services.confirm_import(run, None)
            found.append((f"{label}: confirm", clock.perf_counter() - start))
        db.session.remove()
    return found


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered):6.2f} ms   p95 {p95:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=5000)
    parser.add_argument("--small", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        app = build(options.small, Path(folder))
        client = sign_in(app)
        small_counts = {
            name: queries_per_request(app, client, path) for name, path in PAGES.items()
        }
        with app.app_context():
            add_meetings(options.meetings - options.small, options.small)
        large_counts = {
            name: queries_per_request(app, client, path) for name, path in PAGES.items()
        }

        print(f"Meetings search, {options.meetings} meetings, {options.requests} requests each")
        floor = timed(client, "/healthz", options.requests)
        print(f"  {'floor: /healthz':<45} {summary(floor)}")
        floor_median = statistics.median(floor)
        for name, path in PAGES.items():
            times = timed(client, path, options.requests)
            ratio = statistics.median(times) / floor_median
            print(f"  {name:<45} {summary(times)}   ({ratio:.1f}x the floor)")
        fragment = timed(client, PAGES[next(iter(PAGES))], options.requests, {"HX-Request": "true"})
        print(f"  {'same filtered search as an htmx fragment':<45} {summary(fragment)}")
        detail = timed(client, "/meetings/1", options.requests)
        print(f"  {'a meeting page':<45} {summary(detail)}")

        print(f"\nSQL queries per request: {options.small} meetings vs {options.meetings}")
        for name in PAGES:
            print(f"  {name:<45} {small_counts[name]:>3} vs {large_counts[name]:>3}")
        print(f"\nImporting a {options.meetings}-meeting Meeting Guide feed (one run each)")
        for label, seconds in import_timings(app, options.meetings):
            print(f"  {label:<45} {seconds * 1000:8.0f} ms")
        print("\nQuery plan of the filtered search:")
        for line in query_plan(app, PAGES[next(iter(PAGES))]):
            print(f"  {line}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
