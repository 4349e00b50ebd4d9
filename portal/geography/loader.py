"""Loading the ONS Postcode Directory / National Statistics Postcode Lookup, streamed.

The file is read row by row with the csv module (a zip is read from inside the archive, never
unpacked), in batches of plain tuples, so memory stays flat however long the file is. Columns
are found by their published names: ``pcds`` (or ``pcd``/``pcd2``), ``lat``, ``long`` and
``doterm``. Only live postcodes (no date of termination) with a grid reference are kept.

Everything happens in one transaction: the old directory is deleted, the new rows inserted,
districts' centres computed and the load recorded, then one commit. Any error rolls it all
back, so the directory in use before is still there, whole; readers see the old directory until
the commit (SQLite's write-ahead log and PostgreSQL's snapshots both give them that).
"""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError

from ..audit import audit
from ..extensions import db
from .models import DistrictCentre, PostcodeDirectoryLoad, PostcodePoint

BATCH = 20_000
# The published names, in order of preference: pcds is "LS6 3AB"; pcd pads to seven characters.
POSTCODE_COLUMNS = ("pcds", "pcd", "pcd2")
# The UK with the Channel Islands and the Isle of Man, generously boxed.
LAT_RANGE = (49.0, 61.0)
LON_RANGE = (-8.8, 2.0)
# The directory's own marker for "no grid reference" (lat 99.999999, long 0.000000).
NO_LOCATION_LAT = 99.0
POSTCODE_SHAPE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")
MONTHS = {
    "JAN": "January",
    "FEB": "February",
    "MAR": "March",
    "APR": "April",
    "MAY": "May",
    "JUN": "June",
    "JUL": "July",
    "AUG": "August",
    "SEP": "September",
    "OCT": "October",
    "NOV": "November",
    "DEC": "December",
}
_RELEASE = re.compile(r"(?<![A-Z])(" + "|".join(MONTHS) + r")[_ -]?(\d{4})(?!\d)", re.IGNORECASE)


class DirectoryError(Exception):
    """The file is not a postcode directory we can load; nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Columns:
    postcode: int
    lat: int
    lon: int
    doterm: int

    @property
    def widest(self) -> int:
        return max(self.postcode, self.lat, self.lon, self.doterm)


def release_of(name: str) -> str | None:
    """'NSPL_FEB_2024_UK.csv' -> 'February 2024'; None when the name does not say."""
    found = _RELEASE.search(name)
    if found is None:
        return None
    return f"{MONTHS[found.group(1).upper()]} {found.group(2)}"


def find_columns(header: list[str]) -> Columns:
    """Where the published columns are, or a DirectoryError naming what is missing."""
    names = {name.strip().lower(): i for i, name in enumerate(header)}
    postcode = next((names[n] for n in POSTCODE_COLUMNS if n in names), None)
    missing = [
        label
        for label, found in (
            ("pcds (the postcode)", postcode),
            ("lat", names.get("lat")),
            ("long", names.get("long")),
            ("doterm (date of termination)", names.get("doterm")),
        )
        if found is None
    ]
    if missing:
        shown = ", ".join(h.strip()[:30] for h in header[:8]) or "nothing"
        raise DirectoryError(
            "This is not an ONS postcode directory: it has no column "
            + " and no column ".join(missing)
            + f". Its first line reads: {shown}. Load the NSPL or ONSPD CSV, or its zip."
        )
    assert postcode is not None
    return Columns(postcode, names["lat"], names["long"], names["doterm"])


def tidy_postcode(value: str) -> str | None:
    """'ls63ab' or 'LS6  3AB' -> 'LS6 3AB'; None when it is not the shape of a postcode."""
    compact = value.replace(" ", "").upper()
    if not 5 <= len(compact) <= 7:
        return None
    spaced = f"{compact[:-3]} {compact[-3:]}"
    return spaced if POSTCODE_SHAPE.match(spaced) else None


@contextmanager
def open_directory(path: Path) -> Iterator[tuple[IO[bytes], int, str]]:
    """The directory's CSV as bytes, its size and its name: the file, or the CSV in a zip.

    In a zip (the NSPL comes with documents and per-area copies beside it) the largest CSV is
    the whole directory.
    """
    with open(path, "rb") as raw:
        is_zip = raw.read(4) == b"PK\x03\x04" or path.suffix.lower() == ".zip"
    if not is_zip:
        with open(path, "rb") as raw:
            yield raw, path.stat().st_size, path.name
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise DirectoryError(
            f"The zip file is damaged or incomplete ({error}). Download it again."
        ) from None
    with archive:
        members = [m for m in archive.infolist() if m.filename.lower().endswith(".csv")]
        if not members:
            raise DirectoryError("The zip file holds no CSV file: it is not a postcode directory.")
        member = max(members, key=lambda m: m.file_size)
        with archive.open(member) as stream:
            yield stream, member.file_size, f"{path.name}:{member.filename}"


@contextmanager
def _csv_rows(stream: IO[bytes]) -> Iterator[Iterator[list[str]]]:
    """The CSV's rows as lists of strings, read as UTF-8 (a byte-order mark is skipped)."""
    text_stream = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        yield csv.reader(text_stream)
    finally:
        text_stream.detach()  # the file is open_directory's to close


_INSERTS = {
    "qmark": "INSERT INTO postcode_points (postcode, district, latitude, longitude) "
    "VALUES (?, ?, ?, ?)",
    "format": "INSERT INTO postcode_points (postcode, district, latitude, longitude) "
    "VALUES (%s, %s, %s, %s)",
}


def _insert_sql(dialect_paramstyle: str) -> str:
    """The driver's own insert (executemany of plain tuples: the quickest bulk path)."""
    return _INSERTS["qmark" if dialect_paramstyle == "qmark" else "format"]


def load_directory(
    path: str | Path,
    *,
    released: str | None = None,
    batch_size: int = BATCH,
    progress: Callable[[int], None] | None = None,
    commit: bool = True,
) -> PostcodeDirectoryLoad:
    """Replace the postcode directory with the one in `path` (CSV or zip), all or nothing.

    `progress` is told how many more bytes have been read after each batch; with
    `commit=False` (the demo, inside its own transaction) the caller commits. Raises
    DirectoryError, with the previous directory left in place, when the file is not a
    directory: wrong columns, a damaged zip, coordinates outside the UK, a postcode twice.
    """
    path = Path(path)
    started = time.perf_counter()
    try:
        record = _load(path, released, batch_size, progress, started)
        if commit:
            db.session.commit()
    except DirectoryError:
        db.session.rollback()
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        db.session.rollback()
        raise DirectoryError(
            f"The zip file is damaged or incomplete ({error}). Download it again."
        ) from None
    except UnicodeDecodeError:
        db.session.rollback()
        raise DirectoryError(
            "This is not a postcode directory: it is not a CSV text file."
        ) from None
    except csv.Error as error:
        db.session.rollback()
        raise DirectoryError(f"The CSV file cannot be read: {error}.") from None
    except BaseException:
        db.session.rollback()
        raise
    return record


def _load(
    path: Path,
    released: str | None,
    batch_size: int,
    progress: Callable[[int], None] | None,
    started: float,
) -> PostcodeDirectoryLoad:
    if not path.is_file():
        raise DirectoryError(f"There is no file at {path}.")
    connection = db.session.connection()
    statement = _insert_sql(connection.dialect.paramstyle)
    connection.execute(delete(PostcodePoint))
    connection.execute(delete(DistrictCentre))
    rows_read = kept = 0
    with open_directory(path) as (stream, _size, name), _csv_rows(stream) as rows:
        header = next(rows, None)
        if header is None:
            raise DirectoryError("The file is empty: it is not a postcode directory.")
        columns = find_columns(header)
        widest = columns.widest
        batch: list[tuple[str, str, float, float]] = []
        first_line = 2
        told = 0
        for line, row in enumerate(rows, start=2):
            rows_read += 1
            if len(row) <= widest:
                if not any(cell.strip() for cell in row):
                    continue
                raise DirectoryError(
                    f"Line {line:,} has {len(row)} columns where the header has {len(header)}: "
                    "the file is cut short or is not a postcode directory."
                )
            if row[columns.doterm].strip():
                continue  # terminated: no longer in use
            point = _point(row, columns, line)
            if point is None:
                continue
            batch.append(point)
            if len(batch) >= batch_size:
                _insert(connection, statement, batch, first_line, line)
                kept += len(batch)
                batch = []
                first_line = line + 1
                if progress is not None:
                    position = stream.tell()
                    progress(position - told)
                    told = position
        if batch:
            _insert(connection, statement, batch, first_line, line)
            kept += len(batch)
        if progress is not None:
            progress(max(0, _size - told))
    if kept == 0:
        raise DirectoryError(
            "The file has no live postcodes with a location: it is not a postcode directory."
        )
    connection.execute(
        text(
            "INSERT INTO postcode_districts (district, latitude, longitude, postcodes) "
            "SELECT district, AVG(latitude), AVG(longitude), COUNT(*) "
            "FROM postcode_points GROUP BY district"
        )
    )
    districts = connection.execute(select(func.count()).select_from(DistrictCentre)).scalar()
    record = PostcodeDirectoryLoad(
        source_name=name[:200],
        released=(released or release_of(name) or None),
        rows_read=rows_read,
        postcodes=kept,
        districts=int(districts or 0),
        seconds=round(time.perf_counter() - started, 3),
    )
    db.session.add(record)
    db.session.flush()
    detail = {"postcodes": kept, "districts": record.districts}
    for listener in DIRECTORY_LISTENERS:
        detail |= listener()
    audit("postcode_directory_loaded", record, detail=detail)
    return record


# Other domains keep their rows in step with a new directory (meetings place their venues
# again) without geography knowing them: each runs inside the load's transaction and returns
# figures for the audit trail.
DirectoryListener = Callable[[], dict[str, int]]
DIRECTORY_LISTENERS: list[DirectoryListener] = []


def on_directory_loaded(function: DirectoryListener) -> DirectoryListener:
    """Decorator: call `function()` after each directory loads, before it is committed."""
    if function not in DIRECTORY_LISTENERS:
        DIRECTORY_LISTENERS.append(function)
    return function


def _point(row: list[str], columns: Columns, line: int) -> tuple[str, str, float, float] | None:
    raw = row[columns.postcode]
    postcode = tidy_postcode(raw)
    if postcode is None:
        raise DirectoryError(
            f"Line {line:,}: {raw.strip()[:20]!r} is not a postcode, so this is not a postcode "
            "directory (or its postcode column is damaged)."
        )
    lat_text, lon_text = row[columns.lat].strip(), row[columns.lon].strip()
    if not lat_text or not lon_text:
        return None
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise DirectoryError(
            f"Line {line:,}: postcode {postcode} has a latitude or longitude that is not a "
            f"number ({lat_text[:20]!r}, {lon_text[:20]!r})."
        ) from None
    if lat >= NO_LOCATION_LAT:
        return None  # the directory's "no grid reference"
    if not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
        raise DirectoryError(
            f"Line {line:,}: postcode {postcode} is placed outside the UK (latitude {lat}, "
            f"longitude {lon}). Is the file a UK postcode directory in latitude and longitude?"
        )
    return postcode, postcode.split(" ", 1)[0], lat, lon


def _insert(
    connection: object,
    statement: str,
    batch: list[tuple[str, str, float, float]],
    first: int,
    last: int,
) -> None:
    seen: set[str] = set()
    for postcode, *_ in batch:
        if postcode in seen:
            raise DirectoryError(
                f"Postcode {postcode} is listed twice as live (lines {first:,} to {last:,}): "
                "a directory lists each postcode once."
            )
        seen.add(postcode)
    try:
        connection.exec_driver_sql(statement, batch)  # type: ignore[attr-defined]
    except IntegrityError:
        raise DirectoryError(
            f"A postcode in lines {first:,} to {last:,} is listed twice as live (it also appears "
            "earlier in the file): a directory lists each postcode once."
        ) from None
