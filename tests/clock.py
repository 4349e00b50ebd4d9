"""The suite's clock: every test runs at a chosen instant, never at the real date.

The run starts at `TEST_NOW` (a Monday morning in London unless `PORTAL_TEST_NOW` names
another instant, e.g. `PORTAL_TEST_NOW=2027-03-28T00:30:00+00:00 scripts/test` to run the
whole suite across the spring clock change). The clock ticks from that instant at the real
pace, so timeouts, throttles and idle sessions still see time pass. A test that needs another
instant moves the `clock` fixture (`clock.move_to(...)`, `clock.shift(...)`); the next test
carries on from the run's clock, which never runs backwards.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

DEFAULT_NOW = "2026-11-30T10:00:00+00:00"


def _parse(value: str) -> datetime:
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise ValueError(f"PORTAL_TEST_NOW needs a UTC offset, e.g. {DEFAULT_NOW}")
    return instant.astimezone(UTC)


TEST_NOW: datetime = _parse(os.environ.get("PORTAL_TEST_NOW") or DEFAULT_NOW)


def follow(instant: str) -> None:
    """Start this process's clock at `instant` (ISO), ticking: for a child of a test."""
    import time_machine

    time_machine.travel(datetime.fromisoformat(instant), tick=True).start()


def for_children() -> dict:
    """`initializer` and `initargs` for a multiprocessing pool whose workers keep the test's
    time, which a spawned process would otherwise not see."""
    return {"initializer": follow, "initargs": (datetime.now(UTC).isoformat(),)}


class following:  # noqa: N801  (reads as a function at the call site)
    """A process target that starts at the test's time, then runs `target`."""

    def __init__(self, target) -> None:
        self.target = target
        self.instant = datetime.now(UTC).isoformat()

    def __call__(self, *args: object, **kwargs: object) -> object:
        follow(self.instant)
        return self.target(*args, **kwargs)


def command(module: str, *args: str) -> list[str]:
    """`python -m module args…` in a process that starts at the test's time."""
    import sys

    return [sys.executable, "-m", "tests.clock", datetime.now(UTC).isoformat(), module, *args]


if __name__ == "__main__":
    import runpy
    import sys

    follow(sys.argv[1])
    sys.argv = [sys.argv[2], *sys.argv[3:]]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
