"""Benchmark a large Meeting Guide import: the web request's time and the worker's (issue 20).

Run: .venv/bin/python bench/feed_import.py [--megabytes 9.5] [--postgres postgresql://…/postgres]

A seeded synthetic feed of about N MB (realistic records: name, slug, one weekday, times,
venue, address, region, types, notes, coordinates, last update) is uploaded through the
champion's import form with the Flask test client, on a fresh database migrated into a
temporary folder (SQLite by default; with `--postgres SERVER_URL` a scratch database is created
on that server and dropped at the end). It measures:

- the upload request (form, CSRF, storing the feed as a job) and the confirmation request:
  what a web worker spends; each must answer in about a second whatever the feed's size;
- the worker reading the feed into a preview, then applying it (creating every meeting), as
  `flask --app portal tick` does: `run_feed_jobs()` called until the job ends;
- the same feed again (every meeting unchanged), upload to applied.

Each figure is one run: a large import happens once, and its cost is the point. The machine's
drift between runs (±40 %, see PERFORMANCE.md) applies; a /healthz request timed in the same run
gives the floor.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from bench.second_step import enrol_staff, sign_in_test_client  # noqa: E402
from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402

PASSWORD = "benchmark passphrase for imports"  # noqa: S105  (a throwaway database)
EMAIL = "champion@example.org"
AREAS = ("Town centre", "Riverside", "Northgate", "Eastfield", "Hollins Park", "Westbury")
CODES = ("O", "C", "W", "M", "X", "BE", "D", "SP", "ST", "B", "LGBTQ", "POL", "UK", "Y")


def make_feed(megabytes: float, seed: int = 7) -> tuple[bytes, int]:
    """A feed of about `megabytes` MB of realistic records; (bytes, records)."""
    rng = random.Random(seed)
    target = int(megabytes * 1024 * 1024)
    records: list[str] = []
    size = 2
    while size < target:
        n = len(records)
        hour = rng.choice((7, 10, 12, 18, 19, 20))
        record = {
            "name": f"{rng.choice(('Hope', 'Serenity', 'Step', 'Fellowship'))} Group {n}",
            "slug": f"bench-{n}",
            "day": rng.randrange(7),
            "time": f"{hour:02d}:{rng.choice((0, 30)):02d}",
            "end_time": f"{hour + 1:02d}:30",
            "location": rng.choice(("St Mark's Church Hall", "Quaker Meeting House", "Library")),
            "formatted_address": f"{rng.randint(1, 300)} High Street, Wrenford QX1 4AB, UK",
            "region": rng.choice(AREAS),
            "types": sorted(set(rng.sample(CODES, rng.randint(1, 4)))),
            "notes": "Tea &amp; biscuits after the meeting. Ring the bell at the side door.",
            "latitude": round(52.4 + rng.random() / 10, 5),
            "longitude": round(-1.9 + rng.random() / 10, 5),
            "updated": "2026-10-01 09:00:00",
        }
        text = json.dumps(record)
        records.append(text)
        size += len(text) + 1
    return ("[" + ",".join(records) + "]").encode(), len(records)


def make_app(url: str, folder: Path):
    from flask_migrate import upgrade

    from portal.auth.services import create_user

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder / "instance"),
            "SECRET_KEY": "benchmark-only",
            "SERVER_NAME": "portal.test",
            "MAIL_SEND_INLINE": False,
        }
    )
    with app.app_context():
        upgrade()
        create_user(EMAIL, "Chris", ["champion"], PASSWORD)
        enrol_staff([EMAIL])
    return app


def scratch_database(server: str, drop: str | None = None) -> str:
    """A new empty database on the PostgreSQL `server` (its URL), or drop the one named."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(server.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = drop or f"portal_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        if drop:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


CPU: dict[str, float] = {}  # the last timed call's processor time, for the report


def timed(call):
    started, cpu = time.perf_counter(), time.process_time()
    result = call()
    CPU["last"] = time.process_time() - cpu
    return result, time.perf_counter() - started


def token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def upload(client, payload: bytes) -> tuple[str, float]:
    from portal.meetings.models import Fellowship

    with client.application.app_context():
        aa = db.session.scalar(select(Fellowship.id).where(Fellowship.code == "AA"))
    data = {
        "csrf_token": token(client, "/meetings/import"),
        "feed": (io.BytesIO(payload), "feed.json"),
        "source": "Bench intergroup",
        "fellowship_id": str(aa),
    }
    response, seconds = timed(
        lambda: client.post("/meetings/import", data=data, content_type="multipart/form-data")
    )
    assert response.status_code == 303, response.status_code
    return response.headers["Location"], seconds


def confirm(client, page: str) -> float:
    data = {"csrf_token": token(client, page)}
    response, seconds = timed(lambda: client.post(f"{page}/confirm", data=data))
    assert response.status_code == 303, response.status_code
    return seconds


def work(app) -> float:
    """Run the tick's import work until no job is left; the seconds it took."""
    from portal.meetings.import_jobs import run_feed_jobs

    def run() -> None:
        with app.app_context():
            while run_feed_jobs():
                pass
            db.session.remove()

    return timed(run)[1]


def status_of(app, page: str) -> str:
    from portal.meetings.models import MeetingImport

    with app.app_context():
        return db.session.get(MeetingImport, page.rsplit("/", 1)[1]).status


def meetings(app) -> int:
    from portal.meetings.models import Meeting

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Meeting))


def one_round(app, client, payload: bytes, label: str) -> dict[str, tuple[float, float]]:
    """Each step's (wall, processor) seconds."""
    found: dict[str, tuple[float, float]] = {}
    page, seconds = upload(client, payload)
    found["upload request"] = (seconds, CPU["last"])
    assert status_of(app, page) == "reading", status_of(app, page)
    poll, seconds = timed(lambda: client.get(page, headers={"HX-Request": "true"}))
    found["progress poll (htmx fragment)"] = (seconds, CPU["last"])
    assert poll.status_code == 200 and b"<html" not in poll.data
    found["worker: read into a preview"] = (work(app), CPU["last"])
    assert status_of(app, page) == "preview", status_of(app, page)
    preview_page, seconds = timed(lambda: client.get(page))
    found["preview page"] = (seconds, CPU["last"])
    assert preview_page.status_code == 200
    found["confirm request"] = (confirm(client, page), CPU["last"])
    assert status_of(app, page) == "applying", status_of(app, page)
    found["worker: apply"] = (work(app), CPU["last"])
    assert status_of(app, page) == "applied", status_of(app, page)
    return {"label": label, **found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=9.5)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server's URL")
    options = parser.parse_args()

    payload, records = make_feed(options.megabytes)
    with tempfile.TemporaryDirectory() as folder:
        if options.postgres:
            url = scratch_database(options.postgres)
        else:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        app = make_app(url, Path(folder))
        try:
            client = app.test_client()
            sign_in_test_client(client, EMAIL, PASSWORD)
            floor = min(timed(lambda: client.get("/healthz"))[1] for _ in range(20))
            backend = url.split(":")[0].split("+")[0]
            print(
                f"Meeting Guide import of {len(payload) / 1024 / 1024:.1f} MB "
                f"({records:,} records) on {backend}"
            )
            print(f"  floor: /healthz {floor * 1000:.1f} ms")
            rounds = [one_round(app, client, payload, "first import (every meeting new)")]
            print(f"  meetings in the directory: {meetings(app):,}")
            rounds.append(one_round(app, client, payload, "the same feed again (all unchanged)"))
            print(f"  {'':<36} {'wall':>9}    {'processor':>9}")
            for found in rounds:
                print(f"  {found.pop('label')}")
                for name, (wall, cpu) in found.items():
                    print(f"    {name:<32} {wall * 1000:9.0f} ms {cpu * 1000:9.0f} ms")
        finally:
            with app.app_context():
                db.engine.dispose()
            if options.postgres:
                scratch_database(options.postgres, drop=url.rsplit("/", 1)[1])


if __name__ == "__main__":
    main()
