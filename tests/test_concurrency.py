"""Several processes writing at once: no "database is locked", no lost writes.

Separate processes on one database file (or PostgreSQL), as under gunicorn, not threads sharing a
connection. Each request reads (the throttle) and then writes (the failure rows): with a
deferred BEGIN that pattern fails at once on SQLite when another writer got in between.
"""

from __future__ import annotations

import multiprocessing
import re

import pytest
from sqlalchemy import func, select

from portal.auth.models import SignInFailure
from portal.extensions import db

from .clock import for_children

pytestmark = pytest.mark.slow

WORKERS = 4
REQUESTS = 15


def _hammer(config: dict, worker: int) -> list[int]:
    from portal import create_app

    app = create_app(config)
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    statuses = []
    for attempt in range(REQUESTS):
        response = client.post(
            "/sign-in",
            data={
                "csrf_token": token,
                "email": f"w{worker}-{attempt}@example.org",
                "password": "wrong password entirely",
            },
        )
        statuses.append(response.status_code)
    return statuses


def test_concurrent_writers_all_succeed(app, app_config):
    config = {**app_config, "THROTTLE_ADDRESS_FREE": 10_000}
    context = multiprocessing.get_context("spawn")
    with context.Pool(WORKERS, **for_children()) as pool:
        results = pool.starmap(_hammer, [(config, worker) for worker in range(WORKERS)])
    statuses = [status for result in results for status in result]
    assert statuses == [200] * (WORKERS * REQUESTS)
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(SignInFailure))
    assert rows == WORKERS * REQUESTS  # one per failure, naming the email and the address
