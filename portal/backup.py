"""Consistent copies of a live SQLite database, through SQLite's own backup API."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .extensions import db


def backup_sqlite(target: Path, pages_per_step: int = 256) -> int:
    """Copy the live database to `target` while others keep writing; returns the page count.

    A file copy of a database in WAL mode can miss committed pages or catch a half-written one;
    the backup API copies a consistent snapshot, retrying steps that meet a writer.
    """
    if db.engine.dialect.name != "sqlite":
        raise RuntimeError(
            "This database is PostgreSQL: back it up with pg_dump (see README, Deploying)."
        )
    target = target.resolve()
    if target.exists():
        raise FileExistsError(f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = db.engine.raw_connection()
    try:
        source: sqlite3.Connection = raw.driver_connection
        destination = sqlite3.connect(target)
        try:
            source.backup(destination, pages=pages_per_step, sleep=0.01)
            pages = destination.execute("PRAGMA page_count").fetchone()[0]
            check = destination.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise RuntimeError(f"the copy failed its integrity check: {check}")
        finally:
            destination.close()
    finally:
        raw.close()
    return pages
