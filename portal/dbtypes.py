"""Column types and table helpers shared by every domain."""

from __future__ import annotations

from collections.abc import Iterable
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
