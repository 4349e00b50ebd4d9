"""Count the SQL statements a block of code sends, to keep page query counts fixed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event


@contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    """Yield a list that fills with every statement the app's engine runs inside the block."""
    from portal.extensions import db

    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def queries_per_request(app: Flask, client, path: str) -> int:
    """Statements one GET of `path` sends, after a first GET has warmed the caches."""
    client.get(path)
    with count_queries(app) as statements:
        client.get(path)
    return len(statements)
