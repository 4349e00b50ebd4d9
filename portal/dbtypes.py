"""Column types and table helpers shared by every domain."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, text
from sqlalchemy.orm import MappedColumn, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """An instant: stored as naive UTC on every database, always returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs a timezone-aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


def parent_key(target: str) -> MappedColumn[Any]:
    """A key to the row this one belongs to ("volunteers.id"): indexed, deleted with its parent."""
    return mapped_column(ForeignKey(target, ondelete="CASCADE"), index=True)


def one_of(column: str, values: Iterable[object]) -> str:
    """SQL for a check constraint: `column` holds one of `values` (a dict gives its keys)."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def unique_where(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows where `where` holds (partial, on SQLite and PostgreSQL)."""
    condition = text(where)
    return Index(name, *columns, unique=True, sqlite_where=condition, postgresql_where=condition)


class label_of:  # lower case: it reads like the `property` it stands for
    """A read-only property giving the words for a coded column's value, from `words` (the code
    itself when it has none), e.g. `state_label = label_of("state", STATES)`."""

    def __init__(self, column: str, words: Mapping[str, str]) -> None:
        self.column = column
        self.words = words

    def __get__(self, row: object, owner: type | None = None) -> Any:
        if row is None:
            return self
        value = getattr(row, self.column)
        return self.words.get(value, value)
