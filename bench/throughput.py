"""Throughput: the main pages under gunicorn, beside a bare Flask + Jinja floor, in one run.

Run: .venv/bin/python bench/throughput.py --db /tmp/large.sqlite3 [--duration 10] [--connections 8]
(as root it installs wrk first when missing: `apt-get install -y wrk`, Debian wrk 4.1.0)

Two gunicorn servers are started from the repository's gunicorn.conf.py and wsgi.py, each with
2 sync workers on a free loopback port (WEB_CONCURRENCY=2, PORTAL_BIND=127.0.0.1:<port>):
the portal on a COPY of the given database (DATABASE_URL; the copy takes the audit rows the
pages write), and bench/floor_app.py (a bare Flask app rendering a tiny Jinja template). Two
settings differ from production, for both servers alike: the access log is off, and workers
are not recycled (max_requests = 0) so no worker restarts in the middle of a measurement and
the memory figure is of a worker that served the whole run.

Each role's demo account (portal/demo) signs in through the real forms (CSRF token from the
page; staff then answer the code step with the bench secret, bench/second_step.py, which the
copy's staff accounts are given) and its session cookie is passed to wrk with
-H "Cookie: ...". The session stays valid: the idle timeout (30 min) and the absolute lifetime
(12 h) are far longer than the run, and wrk keeps sending the cookie of the sign-in. Every page
is checked to answer 200 first, and any non-2xx answer wrk reports is printed beside the figure.

Then, alternating so that drift is visible, wrk loads the floor, the first page, the floor, the
second page, ... the floor, each with `wrk -t2 -c<connections> -d<duration>s`. Each page's
requests per second is divided by the mean of the two floor runs beside it. Target: >= 0.5.
Last, resident memory (VmRSS from /proc) of each portal worker after the run.
The machine is shared and has 2 cores: wrk itself runs on them too. Compare ratios in one run.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from pages_bench import (  # noqa: E402
    BENCH_PUBLIC_LIMIT,
    PAGES,
    PASSWORDS,
    copy_db,
    enrol_bench_staff,
)

from bench.second_step import answer_code_step, signed_in_at  # noqa: E402

CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
RPS_RE = re.compile(r"Requests/sec:\s+([\d.]+)")
NON_2XX_RE = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
ERRORS_RE = re.compile(r"Socket errors:.*")
LATENCY_RE = re.compile(r"Latency\s+(\S+)")


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is missing: run `apt-get install -y wrk` as root")
    subprocess.run(  # noqa: S603
        ["apt-get", "install", "-y", "wrk"],  # noqa: S607
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return shutil.which("wrk") or sys.exit("wrk did not install")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_config(folder: Path) -> Path:
    """The repository's gunicorn.conf.py with the access log off and no worker recycling."""
    path = folder / "gunicorn_bench.conf.py"
    path.write_text(
        f"exec(open({str(ROOT / 'gunicorn.conf.py')!r}).read())\n"
        "accesslog = None\nmax_requests = 0\nmax_requests_jitter = 0\n"
    )
    return path


def start(app: str, chdir: Path, config: Path, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, **env, "WEB_CONCURRENCY": "2", "PORTAL_BIND": f"127.0.0.1:{port}"}
    process = subprocess.Popen(  # noqa: S603
        [str(ROOT / ".venv/bin/gunicorn"), "-c", str(config), "--chdir", str(chdir), app],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, base
        except OSError:
            if process.poll() is not None:
                sys.exit(f"gunicorn {app} exited: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
    sys.exit(f"gunicorn {app} did not start")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def workers_of(process: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def vm_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ARG002
        return None


def sign_in(base: str, role: str) -> str:
    """Sign in through the forms (password, then for staff the code: bench/second_step.py);
    the Cookie header value carrying the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def get(path: str) -> str:
        return opener.open(f"{base}{path}").read().decode()

    def post(path: str, data: dict) -> tuple[int | None, str]:
        try:
            with opener.open(f"{base}{path}", urllib.parse.urlencode(data).encode()) as answer:
                answer.read()
                return answer.status, ""
        except urllib.error.HTTPError as answer:
            return answer.code, answer.headers.get("Location", "")

    token = CSRF_RE.search(get("/sign-in")).group(1)
    email, password = PASSWORDS[role]
    status, location = post("/sign-in", {"email": email, "password": password, "csrf_token": token})
    if status == 303:
        status, location = answer_code_step(location, email, get=get, post=post)
    assert signed_in_at(status, location), f"sign-in as {role} failed: {status} {location}"
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert "portal_session" in cookie, f"no session for {role}"
    return cookie


def get_status(url: str, cookie: str | None = None) -> int:
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
    try:
        with opener.open(request, timeout=60) as answer:
            answer.read()
            return answer.status
    except urllib.error.HTTPError as answer:
        return answer.code


def run_wrk(wrk: str, url: str, args: argparse.Namespace, cookie: str | None) -> dict:
    command = [wrk, "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "30s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(  # noqa: S603
        [*command, url], capture_output=True, text=True, check=True
    ).stdout
    non_2xx = NON_2XX_RE.search(out)
    errors = ERRORS_RE.search(out)
    return {
        "rps": float(RPS_RE.search(out).group(1)),
        "latency": LATENCY_RE.search(out).group(1),
        "bad": (int(non_2xx.group(1)) if non_2xx else 0),
        "errors": errors.group(0) if errors else "",
    }


def page_ids(db_path: Path, folder: Path) -> dict:
    from pages_bench import make_app
    from pages_bench import page_ids as ids_of

    app = make_app(f"sqlite:///{db_path}", folder)
    enrol_bench_staff(app)  # on the copy: staff answer the code step with the bench secret
    ids = ids_of(app)
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="the large database (SQLite)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--only", nargs="*", help="page names (first word) to load")
    args = parser.parse_args()
    wrk = ensure_wrk()

    with tempfile.TemporaryDirectory(prefix="throughput-") as tmp:
        folder = Path(tmp)
        db_path = copy_db(args.db, folder)
        ids = page_ids(db_path, folder)
        config = bench_config(folder)
        portal_env = {
            "DATABASE_URL": f"sqlite:///{db_path}",
            "SECRET_KEY": "throughput-bench",
            "PORTAL_ENV": "development",
            "PUBLIC_RATE_LIMIT": BENCH_PUBLIC_LIMIT,  # one address sends every request
        }
        portal, base = start("wsgi:app", ROOT, config, portal_env)
        floor, floor_base = start("floor_app:app", ROOT / "bench", config, {})
        try:
            cookies = {role: sign_in(base, role) for role in {p.role for p in PAGES} if role}
            cookies[None] = None  # the public pages: a visitor without a session
            pages = [p for p in PAGES if not args.only or p.name.split()[0] in args.only]
            for page in pages:
                url = base + page.path.format(**ids)
                for _ in range(6):  # warm both workers: templates compiled, caches filled
                    status = get_status(url, cookies[page.role])
                    assert status == 200, f"{page.name}: {url} answered {status}"
            for _ in range(6):
                get_status(floor_base + "/")

            floors = [run_wrk(wrk, floor_base + "/", args, None)]
            print(f"floor: {floors[-1]['rps']:.0f} req/s", file=sys.stderr)
            rows = []
            for page in pages:
                url = base + page.path.format(**ids)
                result = run_wrk(wrk, url, args, cookies[page.role])
                floors.append(run_wrk(wrk, floor_base + "/", args, None))
                beside = (floors[-2]["rps"] + floors[-1]["rps"]) / 2
                rows.append((page, result, beside))
                print(
                    f"{page.name}: {result['rps']:.0f} req/s, floor {floors[-1]['rps']:.0f}",
                    file=sys.stderr,
                )
            rss = {pid: vm_rss_mb(pid) for pid in workers_of(portal)}
            floor_rss = {pid: vm_rss_mb(pid) for pid in workers_of(floor)}
        finally:
            stop(portal)
            stop(floor)

    print(
        f"\nwrk -t2 -c{args.connections} -d{args.duration}s, gunicorn 2 sync workers each, "
        f"database {args.db} (copied): {ids['counts']}\n"
    )
    print("| page | role | req/s | latency (avg) | floor req/s beside | ratio | ≥ 0.5 |")
    print("|---|---|---:|---:|---:|---:|---|")
    for page, result, beside in rows:
        ratio = result["rps"] / beside
        bad = f" ({result['bad']} non-2xx!)" if result["bad"] else ""
        bad += f" ({result['errors']})" if result["errors"] else ""
        print(
            f"| {page.name} | {page.role} | {result['rps']:.0f}{bad} | {result['latency']} | "
            f"{beside:.0f} | {ratio:.2f} | {'yes' if ratio >= 0.5 else 'NO'} |"
        )
    print("\nFloor runs in order: " + ", ".join(f"{f['rps']:.0f}" for f in floors))
    print(
        "\nResident memory (VmRSS) after the run: portal workers "
        + ", ".join(f"{mb:.0f} MB" for mb in rss.values())
        + "; floor workers "
        + ", ".join(f"{mb:.0f} MB" for mb in floor_rss.values())
    )


if __name__ == "__main__":
    main()
