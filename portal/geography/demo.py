"""The demo's postcode directory: Wrenford, a made-up market town, and three villages.

The postcodes use the area letters QX, which no real UK postcode has. The directory file
(demo_postcodes.csv, beside this module) is written by `write_demo_directory` in the NSPL's
published columns, so the demo loads it exactly as a service loads the real one. Meetings'
venue postcodes, volunteers' and clients' districts all sit in it, so rankings show distances.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from .loader import load_directory
from .models import PostcodeDirectoryLoad

DEMO_FILE = Path(__file__).with_name("demo_postcodes.csv")
DEMO_RELEASE = "Demo region (made up)"
HEADER = (
    "pcd",
    "pcd2",
    "pcds",
    "dointr",
    "doterm",
    "usertype",
    "oseast1m",
    "osnrth1m",
    "osgrdind",
    "ctry",
    "lat",
    "long",
)
# district -> (name, centre latitude, centre longitude); villages lie 7 to 20 km out.
DISTRICTS = {
    "QX1": ("Town centre", 52.8019, -1.2055),
    "QX2": ("Riverside", 52.7968, -1.1981),
    "QX3": ("Northgate", 52.8091, -1.2072),
    "QX4": ("Eastfield", 52.8037, -1.1902),
    "QX5": ("Hollins Park", 52.7931, -1.2164),
    "QX6": ("Kelby", 52.8600, -1.2600),
    "QX7": ("Ashby Parva", 52.9000, -1.1200),
    "QX8": ("Thornby", 52.6400, -1.3200),
}
# The demo meetings' venues (portal/meetings/demo.py), at their own points.
VENUES = {
    "QX1 4AB": (52.8012, -1.2043),
    "QX1 2DL": (52.8025, -1.2069),
    "QX1 1MS": (52.8019, -1.2055),
    "QX2 7RT": (52.7968, -1.1981),
    "QX3 1NG": (52.8091, -1.2072),
    "QX4 3EF": (52.8037, -1.1902),
    "QX5 6HP": (52.7931, -1.2164),
}
PER_DISTRICT = 30


def directory_row(postcode: str, lat: float, lon: float, doterm: str = "") -> list[str]:
    """One row in HEADER's columns, as the NSPL writes it."""
    outward, inward = postcode.split(" ")
    return [
        f"{outward:<4}{inward}",
        f"{outward:<5}{inward}",
        postcode,
        "199801",
        doterm,
        "0",
        "",
        "",
        "1",
        "E92000001",
        f"{lat:.6f}",
        f"{lon:.6f}",
    ]


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    """A directory file of these rows under the published header."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def demo_rows() -> list[list[str]]:
    """The directory's rows, the same every time: venues, then each district's postcodes, and
    a few terminated postcodes (which loading leaves out)."""
    rng = random.Random(15)
    rows = []
    row = directory_row
    for postcode, (lat, lon) in VENUES.items():
        rows.append(row(postcode, lat, lon))
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    for district, (_, lat, lon) in DISTRICTS.items():
        made = 0
        while made < PER_DISTRICT:
            postcode = f"{district} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
            if postcode in VENUES or any(r[2] == postcode for r in rows):
                continue
            rows.append(
                row(postcode, lat + rng.uniform(-0.006, 0.006), lon + rng.uniform(-0.009, 0.009))
            )
            made += 1
        rows.append(row(f"{district} 9ZZ", lat, lon, doterm="202003"))
    return rows


def write_demo_directory(path: Path = DEMO_FILE) -> Path:
    """Write the demo directory in the published columns (run once; the file is in the repo)."""
    return write_rows(path, demo_rows())


def build_demo_geography() -> None:
    """Load the demo region's directory when none is loaded (a real one is left alone)."""
    newest = db.session.scalar(
        select(PostcodeDirectoryLoad).order_by(PostcodeDirectoryLoad.id.desc()).limit(1)
    )
    if newest is None:
        load_directory(DEMO_FILE, released=DEMO_RELEASE, commit=False)
