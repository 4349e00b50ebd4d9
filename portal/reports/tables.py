"""Report tables: columns that know what they hold, so the page and the CSV format them alike.

Downloads leave the building, so a count from 1 to 4 is written "<5" there (small-number
suppression: nobody can be singled out), and a figure worked out from a suppressed count (a
percentage, hours, a median) is written "suppressed". On screen the numbers are exact: the
people who can open the page (champions and admins) already see the requests themselves.
Only primary suppression is done: a download does not hide a second cell so that a suppressed
one cannot be worked out from a total.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..csv_export import csv_stream

SUPPRESS_BELOW = 5
SUPPRESSED = "<5"
DERIVED_SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # label (text), count (people or requests), percent (of=(numerator, denominator)),
    # hours (of=(the count it was measured over,)), number (a plain figure, never suppressed)
    kind: str = "count"
    of: tuple[str, ...] = ()


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str | None = None
    footer: list[dict[str, Any]] = field(default_factory=list)

    def shown(self, row: dict[str, Any]) -> list[str]:
        """The row's cells as the page shows them."""
        return [show(column, row) for column in self.columns]

    @property
    def empty(self) -> bool:
        return not self.rows or all(
            not row.get(c.key) for row in self.rows for c in self.columns if c.kind == "count"
        )


def is_small(value: Any) -> bool:
    return isinstance(value, int) and 0 < value < SUPPRESS_BELOW


def percent(numerator: int | None, denominator: int | None) -> float | None:
    if not denominator:
        return None
    return 100.0 * (numerator or 0) / denominator


def show(column: Column, row: dict[str, Any]) -> str:
    """A cell as the page shows it: exact."""
    value = row.get(column.key)
    if value is None:
        return "–" if column.kind != "label" else ""
    if column.kind == "percent":
        return f"{value:.0f}%"
    if column.kind == "hours":
        return f"{value:.1f}"
    if column.kind in ("count", "number") and isinstance(value, int):
        return f"{value:,}"
    return str(value)


def show_suppressed(column: Column, row: dict[str, Any]) -> str:
    """A cell as a download writes it: small counts, and figures derived from them, hidden."""
    value = row.get(column.key)
    if column.kind == "count" and is_small(value):
        return SUPPRESSED
    if column.kind in ("percent", "hours") and any(is_small(row.get(key)) for key in column.of):
        return DERIVED_SUPPRESSED
    if value is None:
        return ""
    if column.kind == "percent":
        return f"{value:.0f}"
    if column.kind == "hours":
        return f"{value:.1f}"
    return value


def table_csv(table: Table) -> Iterator[str]:
    """The table as CSV with small counts suppressed, a row at a time."""
    return csv_stream(
        [_header(column) for column in table.columns],
        (
            [show_suppressed(column, row) for column in table.columns]
            for row in [*table.rows, *table.footer]
        ),
    )


def _header(column: Column) -> str:
    return column.label + (" (%)" if column.kind == "percent" else "")
