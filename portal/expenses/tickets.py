"""Photos of tickets: kept owner-only under instance/expense_tickets, never under static/.

What a file is comes from its first bytes, never from its name or the type the browser claims:
a page named ticket.jpg is refused. Stored files get random names, so a name in the database
can never point outside the folder.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from flask import current_app

from ..errors import InvalidChange
from ..private_files import create_private_file, make_private_dir

MAX_TICKET_BYTES = 5 * 1024 * 1024
# (first bytes, what it is, the stored name's ending)
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"%PDF-", "application/pdf", ".pdf"),
)
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|pdf)$")
TOO_LARGE = "The photo must be smaller than 5 MB. Take it again at a lower size, or leave it out."


def ticket_limit() -> int:
    return int(current_app.config.get("EXPENSE_TICKET_MAX_BYTES", MAX_TICKET_BYTES))


def read_upload(stream) -> bytes | None:
    """The uploaded photo's bytes, read no further than the limit; None when none was sent."""
    limit = ticket_limit()
    data = stream.read(limit + 1)
    if not data:
        return None
    if len(data) > limit:
        raise InvalidChange(TOO_LARGE, field="ticket")
    return data


def kind_of(data: bytes) -> tuple[str, str]:
    """(content type, ending) from the file's first bytes; anything else is refused."""
    for start, content_type, ending in SIGNATURES:
        if data.startswith(start):
            return content_type, ending
    raise InvalidChange("The photo must be a JPEG, PNG or PDF file.", field="ticket")


def folder() -> Path:
    path = Path(current_app.instance_path) / "expense_tickets"
    make_private_dir(path)
    return path


def store_ticket(data: bytes) -> tuple[str, str]:
    """Keep the file owner-only under a new random name: (stored name, content type)."""
    content_type, ending = kind_of(data)
    while True:
        name = secrets.token_hex(16) + ending
        path = folder() / name
        if create_private_file(path):
            break
    path.write_bytes(data)
    return name, content_type


def ticket_path(name: str) -> Path | None:
    """Where a stored ticket is, when the name is one this module made and the file is there."""
    if not STORED_NAME.match(name or ""):
        return None
    path = folder() / name
    return path if path.is_file() else None


def remove_ticket(name: str | None) -> None:
    """Delete a stored ticket; a name this module did not make is left alone."""
    if name and STORED_NAME.match(name):
        (folder() / name).unlink(missing_ok=True)
