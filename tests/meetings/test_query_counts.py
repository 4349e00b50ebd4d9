"""The number of SQL queries a page makes does not grow with the number of meetings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event, insert, select

from portal.extensions import db
from portal.meetings.models import Fellowship, Meeting


def add_meetings(app, count: int, start: int = 0) -> None:
    """Many varied meetings in one statement, as the benchmark does."""
    with app.app_context():
        fellowships = list(db.session.scalars(select(Fellowship.id)))
        now = datetime.now(UTC)
        rows = [
            {
                "name": f"Group {n}",
                "fellowship_id": fellowships[n % len(fellowships)],
                "weekday": n % 7,
                "start_time": time(8 + n % 13, 30),
                "end_time": time(9 + n % 13, 30),
                "attendance": ("in_person", "online", "hybrid")[n % 3],
                "venue": f"Hall {n % 40}",
                "address": f"{n} High Street, Wrenford",
                "postcode": "QX1 4AB",
                "area": ("Town centre", "Riverside", "Northgate", "Eastfield")[n % 4],
                "online_url": None if n % 3 == 0 else f"https://meet.example.org/{n}",
                "type_codes": ("O W", "C M", "O X BE", "C LGBTQ POL")[n % 4],
                "active": n % 10 != 0,
                "last_verified_at": now - timedelta(days=n % 200),
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(start, start + count)
        ]
        db.session.execute(insert(Meeting), rows)
        db.session.commit()


@contextmanager
def counting(app) -> Iterator[list[str]]:
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def queries(app, client, path: str) -> int:
    client.get(path)  # warm: the session's first request loads the account either way
    with counting(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)


PAGES = [
    "/meetings",
    "/meetings?fellowship=AA&time=evening&feature=open&attendance=in_person",
    "/meetings?q=group&area=Riverside&page=2",
    "/meetings/needs-checking",
    "/meetings/print?day=3",
    "/meetings/1",
]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ["keyworker", "champion"])
def test_query_count_is_the_same_for_few_and_many_meetings(app, login_as, client, path, role):
    if "needs-checking" in path and role != "champion":
        pytest.skip("champions only")
    login_as(role)
    add_meetings(app, 8)
    few = queries(app, client, path)
    add_meetings(app, 300, start=8)
    many = queries(app, client, path)
    assert few == many, (path, few, many)
    assert many <= 12, (path, many)


def test_htmx_results_use_the_same_queries_whatever_the_size(app, login_as, client):
    login_as("keyworker")
    add_meetings(app, 8)
    headers = {"HX-Request": "true"}
    client.get("/meetings?day=2", headers=headers)
    with counting(app) as few:
        client.get("/meetings?day=2", headers=headers)
    add_meetings(app, 300, start=8)
    with counting(app) as many:
        client.get("/meetings?day=2", headers=headers)
    assert len(few) == len(many)
