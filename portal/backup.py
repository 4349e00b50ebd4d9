"""Consistent copies of a live SQLite database, through SQLite's own backup API."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .extensions import db
from .private_files import create_private_file, make_private_dir


def backup_sqlite(target: Path, pages_per_step: int = 256) -> int:
    """Copy the live database to `target` while others keep writing; returns the page count.

    A file copy of a database in WAL mode can miss committed pages or catch a half-written one;
    the backup API copies a consistent snapshot, retrying steps that meet a writer.
    """
    if db.engine.dialect.name != "sqlite":
        raise RuntimeError(
            "This database is PostgreSQL: back it up with pg_dump (see README, Deploying)."
        )
    # Made absolute without following links: a link planted at `target` is refused below.
    target = Path(os.path.abspath(target))
    # The copy holds everything the live database does: owner-only (0600, in folders made 0700),
    # created so in one step; an existing file (or link) is refused, never overwritten.
    make_private_dir(target.parent)
    if not create_private_file(target):
        raise FileExistsError(f"{target} already exists; choose a new file name")
    try:
        return _copy(target, pages_per_step)
    except BaseException:
        target.unlink(missing_ok=True)  # no half copy left to be mistaken for a backup
        raise


def _copy(target: Path, pages_per_step: int) -> int:
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
