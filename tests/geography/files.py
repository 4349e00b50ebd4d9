"""Small postcode directories written in the NSPL's published columns, for tests."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

HEADER = ["pcd", "pcd2", "pcds", "dointr", "doterm", "usertype", "ctry", "lat", "long"]
# Wrenford, the tests' made-up town (area letters QX), and a village 7 km north-west.
POINTS = {
    "QX1 4AB": (52.8012, -1.2043),
    "QX1 2DL": (52.8025, -1.2069),
    "QX2 7RT": (52.7968, -1.1981),
    "QX3 1NG": (52.8091, -1.2072),
    "QX6 1AA": (52.8600, -1.2600),
    "QX6 2BB": (52.8620, -1.2640),
}


def row(postcode: str, lat: float | str, lon: float | str, doterm: str = "") -> list[str]:
    outward, inward = postcode.split(" ")
    return [
        f"{outward:<4}{inward}",
        f"{outward:<5}{inward}",
        postcode,
        "199801",
        doterm,
        "0",
        "E92000001",
        str(lat),
        str(lon),
    ]


def directory_rows(points: dict | None = None) -> list[list[str]]:
    rows = [row(p, lat, lon) for p, (lat, lon) in (points or POINTS).items()]
    rows.append(row("QX9 9ZZ", 52.70, -1.10, doterm="202001"))  # terminated: left out
    rows.append(row("QX9 8YY", "99.999999", "0.000000"))  # no grid reference: left out
    return rows


def csv_text(rows: list[list[str]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write_csv(path: Path, rows: list[list[str]] | None = None, header=HEADER) -> Path:
    path.write_text(csv_text(directory_rows() if rows is None else rows, header))
    return path


def write_zip(path: Path, rows: list[list[str]] | None = None) -> Path:
    """A zip laid out like the NSPL's: a user guide, the whole directory, and a part of it."""
    text = csv_text(directory_rows() if rows is None else rows)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Documents/LAD names and codes.csv", "LAD21CD,LAD21NM\nE1,Wrenford\n")
        archive.writestr("Data/NSPL_FEB_2024_UK.csv", text)
        archive.writestr("Data/multi_csv/NSPL_FEB_2024_UK_QX.csv", csv_text([]))
    return path
