"""Files and folders only the portal's own account may read: the database, backups, keys.

A file is created with its final permissions in the same system call (`os.open` with a mode),
so there is no moment in which another local account could open it. The process umask can only
take permissions away, never add them. SQLite gives its -wal, -shm and -journal side files the
permissions of the database file, so they are owner-only too.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def make_private_dir(path: Path) -> None:
    """Create `path` and any missing parents as owner-only folders (0700).

    Folders that exist already are left as their owner set them.
    """
    missing: list[Path] = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            folder.mkdir(mode=PRIVATE_DIR)


def create_private_file(path: Path) -> bool:
    """Create `path`, empty and owner-only (0600); False when something is there already.

    O_EXCL refuses an existing file or symbolic link, so nothing is opened through a link.
    """
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return False
    os.close(handle)
    return True
