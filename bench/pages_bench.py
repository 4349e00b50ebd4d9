"""Benchmark the main pages: server time (median, 95th percentile) and SQL queries per request.

Run (demo scale, then large scale, one table):
    .venv/bin/python bench/pages_bench.py --db /tmp/large.sqlite3 [--runs 40]
Demo scale only (quick):
    .venv/bin/python bench/pages_bench.py --demo-only
Without --db the large database is built into a temporary folder with
`portal.demo.large.build_demo_large(scale=--scale)` (slow: minutes).

Each scale runs in its own fresh app on its own database file: the demo database is always built
(migrations, then `build_demo()`) in a temporary folder; a database given with --db is COPIED
there first, so the benchmark's own writes (audit rows for looks at client data) never touch it.
Every main page is fetched signed in as its role's demo account (portal/demo; staff answer the
code step with the bench secret, bench/second_step.py), through the Flask test client, N times
after 3 warm-up requests. The time is taken by a WSGI middleware around the app
(`app.wsgi_app`), from the call until the response body is fully produced: app only, no
test-client or network work. Queries are counted per request by a SQLAlchemy
`before_cursor_execute` listener (BEGIN/PRAGMA/SAVEPOINT not counted, as tests/querycount.py).
At the end it prints resident memory (VmRSS) of this process, which has served every page.
Times drift by about 40 % between runs on a shared 2-core machine: compare within one run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, text  # noqa: E402

from bench.second_step import enrol_staff, sign_in_test_client  # noqa: E402

PASSWORDS = {
    "champion": ("champion@demo.example.org", "demo champion meadow kettle"),
    "keyworker": ("keyworker@demo.example.org", "demo keyworker orchard bicycle"),
    "volunteer": ("volunteer@demo.example.org", "demo volunteer river compass"),
    "admin": ("admin@demo.example.org", "demo admin harbour lantern"),
}


@dataclass(frozen=True)
class Page:
    name: str
    role: str | None  # None: a visitor, not signed in (the public pages)
    path: str  # may hold {request_id} or {client_id}


PAGES = (
    Page("champion queue", "champion", "/requests/queue"),
    Page("request + ranked candidates", "champion", "/requests/{request_id}/coordinate"),
    Page("proposal, next 7 days", "champion", "/requests/proposals"),
    Page("volunteer home", "volunteer", "/volunteer"),
    Page("keyworker caseload", "keyworker", "/clients/"),
    Page("client page", "keyworker", "/clients/{client_id}"),
    Page("meeting search", "keyworker", "/meetings"),
    Page("reports", "champion", "/reports/"),
    # The two pages above that keep their answer (portal/cache.py) are timed after warm-up as
    # cache hits; these time the work itself, as after a change or once the lifetime ends.
    Page("proposal, worked out afresh", "champion", "/requests/proposals?refresh=1"),
    Page("reports, worked out afresh", "champion", "/reports/?refresh=1"),
    # The public pages (issue 18): a visitor with no account. The finder searches like the
    # keyworker's meeting search; the feed is kept for a minute (the figure is of that copy).
    Page("public finder", None, "/find?day=2"),
    Page("public meeting page", None, "/find/{meeting_id}"),
    Page("public feed (kept)", None, "/meetings.json"),
)
# The public pages' limit per address would refuse a benchmark (every request comes from one
# address); both benches lift it, and say so.
BENCH_PUBLIC_LIMIT = "1000000 per minute"


def make_app(url: str, folder: Path):
    from portal import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": "bench",
            "SERVER_NAME": "portal.test",
            "MAIL_SEND_INLINE": False,
            "PUBLIC_RATE_LIMIT": BENCH_PUBLIC_LIMIT,
        }
    )


def build_demo_db(folder: Path) -> Path:
    from tests.databases import upgrade

    path = folder / "demo.sqlite3"
    upgrade(f"sqlite:///{path}", folder)
    app = make_app(f"sqlite:///{path}", folder)
    with app.app_context():
        from portal.demo import build_demo
        from portal.extensions import db

        build_demo()
        db.engine.dispose()
    return path


def build_large_db(folder: Path, scale: float) -> Path:
    from tests.databases import upgrade

    path = folder / "large.sqlite3"
    upgrade(f"sqlite:///{path}", folder)
    app = make_app(f"sqlite:///{path}", folder)
    with app.app_context():
        from portal.demo.large import build_demo_large
        from portal.extensions import db

        build_demo_large(scale=scale, seed=1)
        db.engine.dispose()
    return path


def copy_db(source: Path, folder: Path) -> Path:
    """Copy a built database, migrate it to the head, and create any index the models declare
    that it lacks (one built before an index was added to an already-applied migration)."""
    from sqlalchemy import create_engine

    from tests.databases import upgrade

    target = folder / source.name
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
    upgrade(f"sqlite:///{target}", folder)
    from portal.extensions import db

    engine = create_engine(f"sqlite:///{target}")
    with engine.begin() as connection:
        for table in db.metadata.sorted_tables:
            for index in table.indexes:
                index.create(connection, checkfirst=True)
    engine.dispose()
    return target


def enrol_bench_staff(app) -> None:
    """Give the staff accounts signed in as the bench's second factor (bench/second_step.py),
    on the benchmark's own copy of the database: a database built before issue 20, or with
    other keys, signs in the same way."""
    from portal.extensions import db

    with app.app_context():
        enrol_staff([email for email, _password in PASSWORDS.values()])
        db.engine.dispose()


def page_ids(app) -> dict[str, int]:
    """The live request with most candidates (volunteers at its meeting); the demo keyworker's
    busiest client; table sizes."""
    from portal.extensions import db

    with app.app_context():
        request_id = db.session.execute(
            text(
                "SELECT r.id FROM accompaniment_requests r WHERE state IN ('open', 'offered') "
                "AND starts_at > CURRENT_TIMESTAMP ORDER BY (SELECT count(*) FROM "
                "volunteer_meetings m WHERE m.meeting_id = r.meeting_id) DESC, starts_at LIMIT 1"
            )
        ).scalar()
        client_id = db.session.execute(
            text(
                "SELECT c.id FROM clients c JOIN users u ON u.id = c.keyworker_id "
                "LEFT JOIN accompaniment_requests r ON r.client_id = c.id "
                "WHERE u.email = :email GROUP BY c.id ORDER BY count(r.id) DESC, c.id LIMIT 1"
            ),
            {"email": PASSWORDS["keyworker"][0]},
        ).scalar()
        meeting_id = db.session.execute(
            text("SELECT id FROM meetings WHERE active ORDER BY id LIMIT 1")
        ).scalar()
        counts = {
            table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
            for table in ("meetings", "volunteers", "clients", "accompaniment_requests", "offers")
        }
    return {
        "request_id": request_id,
        "client_id": client_id,
        "meeting_id": meeting_id,
        "counts": counts,
    }


class Timer:
    """WSGI middleware: time from the call until the body is produced; queries per request."""

    def __init__(self, app) -> None:
        from portal.extensions import db

        self.inner = app.wsgi_app
        self.times: list[float] = []
        self.queries: list[int] = []
        self._count = 0
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._record)
        app.wsgi_app = self

    def _record(self, conn, cursor, statement, *args) -> None:  # noqa: ARG002
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE")):
            self._count += 1

    def __call__(self, environ, start_response):
        self._count = 0
        started = time.perf_counter()
        body = self.inner(environ, start_response)
        try:
            chunks = list(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        self.times.append(time.perf_counter() - started)
        self.queries.append(self._count)
        return chunks


def sign_in(client, role: str | None) -> None:
    if role is not None:  # a visitor stays signed out
        sign_in_test_client(client, *PASSWORDS[role])


def bench_scale(label: str, db_path: Path, folder: Path, runs: int) -> list[dict]:
    app = make_app(f"sqlite:///{db_path}", folder)
    enrol_bench_staff(app)
    ids = page_ids(app)
    print(f"\n{label}: {db_path.name}: {ids['counts']}", file=sys.stderr)
    timer = Timer(app)
    clients = {}
    results = []
    for page in PAGES:
        if page.role not in clients:
            clients[page.role] = app.test_client()
            sign_in(clients[page.role], page.role)
        client = clients[page.role]
        path = page.path.format(**ids)
        for _ in range(3):
            status = client.get(path).status_code
            assert status == 200, f"{path} answered {status}"
        timer.times.clear()
        timer.queries.clear()
        for _ in range(runs):
            client.get(path)
        times = sorted(timer.times)
        results.append(
            {
                "page": page.name,
                "path": path,
                "median": statistics.median(times) * 1000,
                "p95": times[max(0, round(0.95 * len(times)) - 1)] * 1000,
                "queries": sorted(set(timer.queries)),
            }
        )
        print(f"  {page.name}: {results[-1]['median']:.1f} ms", file=sys.stderr)
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()
    return results


def vm_rss_mb(pid: str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an existing large database (SQLite file)")
    parser.add_argument("--scale", type=float, default=1.0, help="build_demo_large scale")
    parser.add_argument("--runs", type=int, default=40, help="requests per page")
    parser.add_argument("--demo-only", action="store_true", help="skip the large scale")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pages-bench-") as tmp:
        folder = Path(tmp)
        scales = {"demo": bench_scale("demo", build_demo_db(folder), folder, args.runs)}
        if not args.demo_only:
            large = copy_db(args.db, folder) if args.db else build_large_db(folder, args.scale)
            scales["large"] = bench_scale("large", large, folder, args.runs)

    names = list(scales)
    head = "| page | " + " | ".join(f"{n} median ms | {n} p95 ms | {n} queries" for n in names)
    print(f"\nServer time inside the app over {args.runs} requests per page (after 3 warm-up)\n")
    print(head + " |")
    print("|---|" + "---:|" * (3 * len(names)))
    for i, page in enumerate(PAGES):
        cells = []
        for n in names:
            r = scales[n][i]
            q = "/".join(str(x) for x in r["queries"])
            cells += [f"{r['median']:.1f}", f"{r['p95']:.1f}", q]
        print(f"| {page.name} (`{page.path}`, {page.role}) | " + " | ".join(cells) + " |")
    print(f"\nResident memory (VmRSS) of this benchmark process afterwards: {vm_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
