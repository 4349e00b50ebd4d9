"""A person's record: the tables that hold it, found by walking the schema.

What belongs to a person is found by walking the schema, not from a list kept by hand: every
table with a chain of foreign keys up to `clients` (for a client) or to `volunteers` (for a
volunteer, and to `users` through a `user_id` column for a volunteer's own account) is part of
their record, so a table another domain adds later is exported and anonymised with no change
here. The walk takes the shortest chains only, so a volunteer's export does not wander from a
request they accepted to every other offer made for it.

Foreign keys to `users` named anything but `user_id` (recorded_by_id, created_by_id, actor_id,
keyworker_id…) say which member of staff did something; they are not the staff member's own
record and are not followed. The audit trail has no foreign key to clients: a client's audit
rows are found by their reference and record id, a volunteer's by their account and record id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, Table, or_, select

from ..clients.models import Client
from ..extensions import db
from ..volunteers.models import Volunteer

ROOTS = {"client": "clients", "volunteer": "volunteers"}
MAX_DEPTH = 4
# Foreign keys to users that mean "this is the person's own account record".
ACCOUNT_LINK_COLUMNS = frozenset({"user_id"})
# Tables with a link to a person that the export leaves out on purpose, with the reason.
EXCLUDED: dict[str, str] = {}
TITLES = {
    "clients": "Client record",
    "client_consents": "Consent decisions",
    "client_fellowships": "Fellowships of interest",
    "fama_sessions": "FAMA sessions",
    "client_goals": "Goals",
    "client_journal_entries": "Journal",
    "accompaniment_requests": "Requests for a peer",
    "request_events": "Changes to requests",
    "anonymisations": "Anonymisation",
    "volunteers": "Volunteer record",
    "volunteer_fellowships": "Fellowships known",
    "volunteer_languages": "Languages",
    "safeguarding_items": "Safeguarding checks",
    "volunteer_meetings": "Meetings they go to",
    "availability_windows": "Weekly free times",
    "volunteer_time_away": "Dates away",
    "users": "Portal account",
    "user_roles": "Roles",
    "auth_tokens": "Invitation and password-reset links",
    "notifications": "Messages in the portal",
    "email_preferences": "Email choices",
    "text_messages": "Texts sent",
    "received_texts": "Texts received",
    "text_contacts": "Mobile for texts",
    "text_preferences": "Text choices",
}


def title_of(table: str) -> str:
    return TITLES.get(table, table.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Link:
    """Rows of `table` whose `column` holds a `parent`.`parent_column` value."""

    table: str
    column: str
    parent: str
    parent_column: str


Path = tuple[Link, ...]


def linked_tables(metadata: MetaData, roots: Iterable[str]) -> dict[str, list[Path]]:
    """Every table with a foreign-key chain to one of `roots`, with its shortest chains.

    A chain to `users` counts only through a column named in ACCOUNT_LINK_COLUMNS.
    """
    reached: dict[str, list[Path]] = {root: [()] for root in roots}
    for _depth in range(MAX_DEPTH):
        found: dict[str, list[Path]] = {}
        for table in metadata.sorted_tables:
            if table.name in reached:
                continue
            for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
                parent = fk.column.table.name
                if parent not in reached or parent == table.name:
                    continue
                if parent == "users" and fk.parent.name not in ACCOUNT_LINK_COLUMNS:
                    continue
                link = Link(table.name, fk.parent.name, parent, fk.column.name)
                for path in reached[parent]:
                    found.setdefault(table.name, []).append((link, *path))
        if not found:
            break
        reached.update(found)
    return {name: paths for name, paths in reached.items() if name not in roots}


def roots_of(kind: str, subject: Client | Volunteer) -> dict[str, list[int]]:
    """The root tables of a person's record and their row ids there."""
    if kind == "client":
        return {"clients": [subject.id]}
    roots = {"volunteers": [subject.id]}
    if subject.user_id is not None:
        roots["users"] = [subject.user_id]
    return roots


def plan_for(kind: str, subject: Client | Volunteer) -> dict[str, list[Path]]:
    """The tables that hold this person's record (the roots included, with an empty path)."""
    roots = roots_of(kind, subject)
    plan = {root: [()] for root in roots}
    for table, paths in linked_tables(db.metadata, roots).items():
        if table not in EXCLUDED:
            plan[table] = paths
    return plan


def _table(name: str) -> Table:
    return db.metadata.tables[name]


def _predicate(table: Table, paths: list[Path], roots: dict[str, list[int]]) -> Any:
    """SQL: the rows of `table` reached by any of `paths` from the person's root rows."""
    if paths == [()]:
        return table.c.id.in_(roots[table.name])
    clauses = []
    for path in paths:
        root = _table(path[-1].parent)
        inner: Any = select(root.c[path[-1].parent_column]).where(root.c.id.in_(roots[root.name]))
        # Walk back down the chain: each link's rows whose key is among the ones found above.
        for step in range(len(path) - 1, 0, -1):
            here = _table(path[step].table)
            inner = select(here.c[path[step - 1].parent_column]).where(
                here.c[path[step].column].in_(inner)
            )
        clauses.append(table.c[path[0].column].in_(inner))
    return or_(*clauses)
