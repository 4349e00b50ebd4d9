"""CSV downloads: written a line at a time, with no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Any

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as text (None is empty), quoted so a spreadsheet never reads it as a formula.
    A number stays a number: only text can carry a formula."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def csv_stream(header: Iterable[object], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The header, then each row, as CSV text a line at a time, so a long export never sits in
    memory. Every cell goes through `safe_cell`: any column may hold what someone typed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    try:
        for row in chain([header], rows):
            writer.writerow([safe_cell(cell) for cell in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    finally:
        if hasattr(rows, "close"):  # a generator of rows (`rows_of`) lets its query go now
            rows.close()


def rows_of(run: Callable[[], Any]) -> Iterator[Any]:
    """The rows of a query `run` only once the first row is wanted (the header has gone by
    then), and closed however the download ends: a browser that stops reading must not leave a
    database cursor open."""
    result = run()
    try:
        yield from result
    finally:
        result.close()
