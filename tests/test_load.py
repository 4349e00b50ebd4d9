"""A short load run under gunicorn with faults: bench/load.py's machinery on the suite's database.

20 simulated people for 10 seconds on a fresh copy of the migrated test database (SQLite, or
PostgreSQL when PORTAL_TEST_POSTGRES_URL is set), one gunicorn worker and the mail worker killed
mid-run, then the same PASS conditions as the benchmark: no 5xx, no "database is locked", no
acknowledged action lost, one winner per contended request, a consistent database, every
outbox row delivered once.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import pytest

from .clock import command
from .databases import postgres_url

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parent.parent / "bench" / "load.py"


def _load_module():
    spec = importlib.util.spec_from_file_location("bench_load", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_load_with_worker_kills_passes_every_check(database_url: str, tmp_path: Path) -> None:
    load = _load_module()
    load.launch = command  # gunicorn and the mail worker run at the test's time, not the real one
    started = time.monotonic()
    plan = load.populate(database_url, tmp_path, 20, 20261127, demo_command=False)
    print(f"demo and seeding {time.monotonic() - started:.1f} s")
    result = load.run_load(
        database_url,
        tmp_path,
        plan,
        kind="postgres" if postgres_url() else "sqlite",
        duration=10,
        workers=2,
        kill_web=True,
        kill_mail=True,
    )
    print(result.text(), f"\nwhole test {time.monotonic() - started:.1f} s")
    failed = [f"{name}: {detail}" for name, ok, detail in result.checks if not ok]
    assert not failed, result.text()
    assert any(name.startswith("a web worker was killed") for name, _ok, _ in result.checks)
