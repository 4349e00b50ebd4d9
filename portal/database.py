"""Connection set-up: SQLite pragmas and write transactions that take the lock up front."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import has_request_context, request
from sqlalchemy import Executable, event, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from .errors import DomainError, NotFound
from .extensions import db
from .private_files import create_private_file

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_force_immediate: ContextVar[bool] = ContextVar("force_immediate", default=False)


def wants_write_lock() -> bool:
    """True when the transaction about to start may write: then SQLite must BEGIN IMMEDIATE."""
    if _force_immediate.get():
        return True
    if has_request_context():
        return request.method not in READ_METHODS
    return True  # CLI commands, workers and jobs write


@contextmanager
def write_transaction() -> Iterator[None]:
    """Make transactions begun inside this block take SQLite's write lock at BEGIN."""
    token = _force_immediate.set(True)
    try:
        yield
    finally:
        _force_immediate.reset(token)


def claim_row(
    model: Any, row_id: int, now: datetime, hold: timedelta, *unfinished: Any, **values: Any
) -> bool:
    """Take one outbox-like row for work until `now + hold`; only one worker wins it.

    `model` has `id` and `claimed_until`; `unfinished` are the conditions that say the work is
    still to do (not sent, not handled), and `values` are set with the claim.
    """
    with write_transaction():
        result = db.session.execute(
            update(model)
            .where(
                model.id == row_id,
                *unfinished,
                or_(model.claimed_until.is_(None), model.claimed_until < now),
            )
            .values(claimed_until=now + hold, **values)
        )
        db.session.commit()
    return result.rowcount == 1


def configure_engine(engine: Engine) -> None:
    """Install the SQLite recipe: pysqlite's own BEGIN handling off, ours on."""
    if engine.dialect.name != "sqlite":
        return
    database_file = sqlite_file(engine)

    @event.listens_for(engine, "do_connect")
    def _create_private(*_args: object) -> None:
        # SQLite would create a missing database file readable by every local account (0644
        # under the usual umask); create it owner-only first. Its -wal and -shm files take the
        # database file's permissions. A folder that does not exist stays an error, as before.
        if database_file is not None and database_file.parent.is_dir():
            create_private_file(database_file)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # autocommit at the driver level, so that our BEGIN below is the only one
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # A deferred transaction that reads and then writes fails at once with "database is
        # locked" when another writer got in between; IMMEDIATE waits for the lock instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if wants_write_lock() else "BEGIN")


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite database on disk; None for an in-memory or shared-memory one."""
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    if engine.url.query.get("mode") == "memory":
        return None
    return Path(name).resolve()


def add_unique(*rows: object, refusal: DomainError) -> None:
    """Add `rows` and flush them; when a unique index says one is there already (someone saved
    it meanwhile), roll back and raise `refusal` instead of a database error (a 500)."""
    db.session.add_all(rows)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise refusal from None


def one_or_missing(statement: Executable, missing: str) -> Any:
    """The one row `statement` selects; none (it does not exist, or is not the user's to see)
    is NotFound(missing)."""
    row = db.session.scalar(statement)
    if row is None:
        raise NotFound(missing)
    return row
