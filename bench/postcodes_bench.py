"""Benchmark the postcode directory: loading a full-size file, and answering distance queries.

Run: .venv/bin/python bench/postcodes_bench.py [--rows N] [--zip] [--database-url URL]

1. Writes a made-up directory of N rows (default 2,700,000, the size of the real NSPL) in the
   published columns (pcd, pcd2, pcds, dointr, doterm, ..., lat, long, and filler code columns
   so each row is about as wide as the real file's); about a third of postcodes are terminated,
   as in the real directory.
2. Loads it into a new SQLite database (or, with --database-url, an EMPTY database such as a
   PostgreSQL one made for the purpose: the bench creates the portal's tables there and drops
   them at the end) with `load_directory` (the CLI's own function): rows per second, and the
   process's peak memory (ru_maxrss) before and after loading.
3. Answers distance queries: a postcode or district to a point (`find_place`), and one page of
   the meeting search sorted by distance over 5,000 meetings.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import time as clock_time
from pathlib import Path

from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
AREAS = ["AB", "B", "BD", "CF", "EH", "G", "HU", "L", "LS", "M", "NE", "NG", "S", "SW", "WF"]
FILLER = 30  # code columns beside the ones we read (oa21, lsoa21, ccg, ...)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_directory(path: Path, rows: int, seed: int = 15) -> list[str]:
    """Write `rows` rows; returns a sample of live postcodes for the queries."""
    rng = random.Random(seed)
    header = ["pcd", "pcd2", "pcds", "dointr", "doterm", "usertype", "oseast1m", "osnrth1m"]
    header += [f"code{i}" for i in range(FILLER)] + ["lat", "long", "imd"]
    sample: list[str] = []
    centres = {a: (rng.uniform(50.5, 57.5), rng.uniform(-4.5, 1.2)) for a in AREAS}
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for area in AREAS:
            lat0, lon0 = centres[area]
            for district in range(1, 100):
                outward = f"{area}{district}"
                for sector in range(10):
                    for unit in range(len(LETTERS) ** 2):
                        if n >= rows:
                            return sample
                        inward = f"{sector}{LETTERS[unit // 20]}{LETTERS[unit % 20]}"
                        postcode = f"{outward} {inward}"
                        live = rng.random() < 0.66
                        lat = lat0 + district * 0.01 + rng.uniform(-0.02, 0.02)
                        lon = lon0 + sector * 0.005 + rng.uniform(-0.03, 0.03)
                        writer.writerow(
                            [
                                f"{outward:<4}{inward}",
                                f"{outward:<5}{inward}",
                                postcode,
                                "198001",
                                "" if live else "201912",
                                "0",
                                "429000",
                                "434000",
                                *(f"E0{i:07d}" for i in range(FILLER)),
                                f"{lat:.6f}",
                                f"{lon:.6f}",
                                "12345",
                            ]
                        )
                        if live and len(sample) < 2000 and rng.random() < 0.01:
                            sample.append(postcode)
                        n += 1
    return sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_700_000)
    parser.add_argument("--zip", action="store_true", help="load it from a zip, as published")
    parser.add_argument("--database-url", help="an empty database to use instead of SQLite")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="postcodes-bench-"))
    source = work / "NSPL_FEB_2024_UK.csv"
    t0 = time.perf_counter()
    sample = write_directory(source, args.rows)
    size_mb = source.stat().st_size / 1e6
    print(f"wrote {args.rows:,} rows ({size_mb:,.0f} MB) in {time.perf_counter() - t0:.1f} s")
    if args.zip:
        packed = work / "NSPL_FEB_2024_UK.zip"
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(source, "Data/NSPL_FEB_2024_UK.csv")
        source.unlink()
        source = packed

    from portal import create_app
    from portal.extensions import db

    url = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        print(f"database: {db.engine.dialect.name}")
        db.create_all()
        try:
            run_queries(app, source, sample)
        finally:
            db.session.rollback()
            if args.database_url:
                db.drop_all()
    return 0


def run_queries(app: Flask, source: Path, sample: list[str]) -> None:
    """Load the directory, then time the look-ups and one meeting search (in the app context)."""
    from portal.extensions import db
    from portal.geography.loader import load_directory
    from portal.geography.places import find_place

    before = peak_mb()
    t0 = time.perf_counter()
    record = load_directory(source)
    seconds = time.perf_counter() - t0
    after = peak_mb()
    print(
        f"loaded {record.rows_read:,} rows -> {record.postcodes:,} live postcodes, "
        f"{record.districts:,} districts in {seconds:.1f} s: "
        f"{record.rows_read / seconds:,.0f} rows/s"
    )
    print(f"peak memory (ru_maxrss): {before:,.0f} MB before loading, {after:,.0f} MB after")

    rng = random.Random(1)
    times = []
    for postcode in rng.sample(sample, min(1000, len(sample))):
        t = time.perf_counter()
        find_place(postcode)
        times.append(time.perf_counter() - t)
    print(f"find_place(full postcode): median {statistics.median(times) * 1e6:,.0f} µs")
    times = []
    for postcode in rng.sample(sample, min(1000, len(sample))):
        t = time.perf_counter()
        find_place(postcode.split(" ")[0])
        times.append(time.perf_counter() - t)
    print(f"find_place(district): median {statistics.median(times) * 1e6:,.0f} µs")

    from portal.meetings.directory import MeetingFilters, search_page
    from portal.meetings.models import Fellowship, Meeting

    fellowship = Fellowship(code="AA", name="Alcoholics Anonymous", kind="twelve_step")
    db.session.add(fellowship)
    db.session.flush()
    for i in range(5000):
        postcode = sample[i % len(sample)]
        place = find_place(postcode)
        db.session.add(
            Meeting(
                name=f"Meeting {i}",
                fellowship_id=fellowship.id,
                weekday=i % 7,
                start_time=clock_time(19),
                end_time=clock_time(20),
                postcode=postcode,
                latitude=place.latitude + rng.uniform(-0.01, 0.01),
                longitude=place.longitude,
            )
        )
    db.session.commit()
    times = []
    for postcode in sample[:50]:
        with app.test_request_context("/meetings"):
            t = time.perf_counter()
            place = find_place(postcode)
            page = search_page(MeetingFilters(near=postcode), per_page=25, place=place)
            times.append(time.perf_counter() - t)
    assert page.items and page.distances
    print(
        "meeting search nearest first (5,000 meetings, a page of 25 with distances): "
        f"median {statistics.median(times) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    raise SystemExit(main())
