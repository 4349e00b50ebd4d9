"""Forgot-password: does a known account answer slower than an unknown one? (issue 20)

Run:
    .venv/bin/python bench/forgot_password_timing.py [--runs 300] [--postgres URL]

The app runs on a fresh migrated SQLite file in a temporary folder (or, with --postgres, on a
new database made on that server and dropped afterwards). One active account exists. Requests
to POST /password/forgot go through the Flask test client, alternating a known address and a
new unknown one each time (so neither side gets a warmer cache), after 20 warm-up requests.
Each is timed by a WSGI middleware around the app, from the call until the body is produced:
the server's time only, what an attacker timing answers would see before network noise. It
prints the median, quartiles and 90th percentile of each, and the difference of the medians.
Times drift between runs on a shared 2-core machine: compare within one run.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pages_bench import Timer  # noqa: E402  (server time per request, one way for every bench)

CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
KNOWN = "known.person@example.org"


def _database(folder: Path, postgres: str | None) -> tuple[str, object]:
    """A migrated database URL, and how to drop it afterwards."""
    from sqlalchemy import create_engine, text

    from tests.databases import _psycopg, upgrade

    if not postgres:
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
        upgrade(url, folder)
        return url, lambda: None
    server = create_engine(_psycopg(postgres), isolation_level="AUTOCOMMIT")
    name = f"bench_forgot_{uuid.uuid4().hex[:8]}"
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = _psycopg(postgres).rsplit("/", 1)[0] + f"/{name}"
    upgrade(url, folder)

    def drop() -> None:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        server.dispose()

    return url, drop


def _summary(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    q1, median, q3 = statistics.quantiles(ms, n=4)
    p90 = statistics.quantiles(ms, n=10)[-1]
    return f"median {median:6.2f} ms   quartiles {q1:6.2f}–{q3:6.2f}   90th {p90:6.2f}"


def run(runs: int, postgres: str | None) -> None:
    from portal import create_app
    from portal.auth.services import create_user
    from portal.extensions import db

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        url, drop = _database(folder, postgres)
        try:
            app = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": url,
                    "INSTANCE_PATH": str(folder),
                    "SECRET_KEY": "bench",
                    "SERVER_NAME": "portal.test",
                    "EXTERNAL_URL": "https://portal.test",
                    "MAIL_SEND_INLINE": False,
                }
            )
            with app.app_context():
                create_user(KNOWN, "Known Person", ["volunteer"], "a long bench passphrase")
            timer = Timer(app)
            client = app.test_client()
            page = client.get("/password/forgot").get_data(as_text=True)
            token = CSRF_RE.search(page).group(1)
            known: list[float] = []
            unknown: list[float] = []
            for i in range(20 + runs):
                for email, times in ((KNOWN, known), (f"nobody.{i}@example.org", unknown)):
                    response = client.post(
                        "/password/forgot", data={"email": email, "csrf_token": token}
                    )
                    assert response.status_code == 200, response.status_code
                    if i >= 20:
                        times.append(timer.times[-1])
            with app.app_context():
                db.engine.dispose()
        finally:
            drop()
    database = "PostgreSQL" if postgres else "SQLite"
    print(f"POST /password/forgot on {database}, {runs} requests each (server time)")
    print(f"  known account:   {_summary(known)}")
    print(f"  unknown account: {_summary(unknown)}")
    difference = (statistics.median(known) - statistics.median(unknown)) * 1000
    print(f"  known − unknown medians: {difference:+.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--postgres", help="a PostgreSQL server URL to make a database on")
    arguments = parser.parse_args()
    run(arguments.runs, arguments.postgres)


if __name__ == "__main__":
    main()
