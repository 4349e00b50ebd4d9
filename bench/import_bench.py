"""Benchmark the admin's CSV import of volunteers and keyworkers: 3,000 rows, preview and confirm.

Run: .venv/bin/python bench/import_bench.py [--rows 3000] [--database-url postgresql://...]
     [--tracemalloc]

A scratch database (a SQLite file in a temporary folder, or a new database on the PostgreSQL
server --database-url names, dropped afterwards) is migrated and given one admin. A CSV of
N people is generated (two in three volunteers, the rest keyworkers in five teams, plus a few
bad rows and a handful of people who already have accounts). The admin, signed in through a
Flask test client, uploads it (the preview) and confirms it; each request is timed around the
call, so the figures are the app's own time without a network. Mail is only queued (the
outbox), as in production where the worker sends it. A second upload of the same file shows
the repeat costs nothing and invites nobody.

Memory: the process's peak resident size (ru_maxrss) before and after. With --tracemalloc
the Python allocations' peak is measured for each request too; tracing slows the code, so the
times of that run are not comparable.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from bench.feed_import import scratch_database  # noqa: E402
from bench.second_step import enrol_staff, sign_in_test_client  # noqa: E402
from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402

EMAIL = "ada.admin@example.org"
PASSWORD = "benchmark passphrase for imports"  # noqa: S105  (a throwaway database)
TEAMS = ("North locality", "South locality", "East hub", "West hub", "Criminal justice")


def build(url: str, folder: Path):
    from flask_migrate import upgrade

    from portal.auth.services import create_user

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder / "instance"),
            "SECRET_KEY": "benchmark-only",
            "SERVER_NAME": "portal.test",
            "MAIL_SEND_INLINE": False,  # the worker sends; here the outbox only fills
        }
    )
    with app.app_context():
        upgrade()
        create_user(EMAIL, "Ada", ["admin"], PASSWORD)
        for n in range(5):  # already have accounts: "nothing changes" rows
            create_user(f"person{n:05d}@example.org", f"Person {n}", ["keyworker"], PASSWORD)
        enrol_staff([EMAIL])
    return app


def make_csv(rows: int) -> bytes:
    lines = ["name,email,role,team,phone"]
    for n in range(rows):
        if n % 3 == 2:
            lines.append(f"Person {n},person{n:05d}@example.org,keyworker,{TEAMS[n % 5]},")
        else:
            lines.append(f"Person {n},person{n:05d}@example.org,volunteer,,07700 900{n % 1000:03d}")
    lines[11] = "No Email,,volunteer,,"  # a few bad rows, as a real file has
    lines[21] = "Bad Role,bad.role@example.org,manager,,"
    lines[31] = lines[32]  # the same address twice
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def csrf(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


CPU: dict[str, float] = {}  # the last measured call's processor time (less load-dependent)


def measured(call, trace: bool):
    if trace:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    result = call()
    seconds = time.perf_counter() - started
    CPU["last"] = time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    return result, seconds, peak


def upload(client, payload: bytes):
    data = {"csrf_token": csrf(client, "/admin/imports"), "file": (io.BytesIO(payload), "p.csv")}
    response = client.post("/admin/imports", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.status_code
    return response.headers["Location"]


def confirm(client, location: str):
    data = {"csrf_token": csrf(client, location)}
    response = client.post(location + "/confirm", data=data)
    assert response.status_code == 303, response.status_code
    return response


def run(app, rows: int, trace: bool) -> None:
    from portal.admin.models import AccountImport
    from portal.notify.models import OutboxMessage

    payload = make_csv(rows)
    client = app.test_client()
    sign_in_test_client(client, EMAIL, PASSWORD)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    location, preview_s, preview_peak = measured(lambda: upload(client, payload), trace)
    preview_cpu = CPU["last"]
    _, confirm_s, confirm_peak = measured(lambda: confirm(client, location), trace)
    confirm_cpu = CPU["last"]
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    again, again_s, _ = measured(lambda: upload(client, payload), False)
    with app.app_context():
        batches = db.session.scalars(select(AccountImport).order_by(AccountImport.id)).all()
        first, second = batches[0].counts, batches[1].counts
        mails = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    print(f"file: {rows:,} rows, {len(payload) / 1024:.0f} KB")
    print(f"preview (upload, check, store): {preview_s:6.2f} s ({preview_cpu:.2f} s CPU)")
    print(f"confirm (invite everyone):      {confirm_s:6.2f} s ({confirm_cpu:.2f} s CPU)")
    print(f"  the import: {first}; {mails:,} emails queued")
    print(f"second upload of the same file: {again_s:6.2f} s  {second}")
    print(f"load average while running: {os.getloadavg()[0]:.1f}")
    print(f"peak resident size: {rss_before / 1024:.0f} MB before, {rss_after / 1024:.0f} MB after")
    if trace:
        print(
            f"Python allocations' peak: preview {preview_peak / 1024 / 1024:.1f} MB, "
            f"confirm {confirm_peak / 1024 / 1024:.1f} MB (times above include tracing)"
        )
    assert second["invite"] == 0, "the second upload should invite nobody"
    assert again


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--database-url", help="a PostgreSQL server's URL; default SQLite")
    parser.add_argument("--tracemalloc", action="store_true", help="measure Python allocations")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.database_url:
            url = scratch_database(args.database_url)
            name = url.rsplit("/", 1)[1]
        else:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        print("database:", "PostgreSQL" if args.database_url else "SQLite")
        app = build(url, Path(folder))
        try:
            run(app, args.rows, args.tracemalloc)
        finally:
            if args.database_url:
                with app.app_context():
                    db.engine.dispose()
                scratch_database(args.database_url, drop=name)


if __name__ == "__main__":
    main()
