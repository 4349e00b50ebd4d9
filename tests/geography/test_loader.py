"""Loading the postcode directory: good files, zips, bad files that change nothing, the CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.geography.loader import DirectoryError, load_directory, release_of, tidy_postcode
from portal.geography.models import DistrictCentre, PostcodeDirectoryLoad, PostcodePoint
from portal.geography.places import directory_status
from portal.meetings.models import Meeting

from .. import factories
from .files import HEADER, POINTS, directory_rows, row, write_csv, write_zip


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (PostcodePoint, DistrictCentre, PostcodeDirectoryLoad)
        )


def test_loads_live_postcodes_and_district_centres(app, tmp_path) -> None:
    path = write_csv(tmp_path / "NSPL_FEB_2024_UK.csv")
    with app.app_context():
        record = load_directory(path)
        assert (record.rows_read, record.postcodes, record.districts) == (8, 6, 4)
        assert record.released == "February 2024"
        assert db.session.get(PostcodePoint, "QX9 9ZZ") is None  # terminated
        assert db.session.get(PostcodePoint, "QX9 8YY") is None  # no grid reference
        point = db.session.get(PostcodePoint, "QX1 4AB")
        assert (point.district, point.latitude, point.longitude) == ("QX1", 52.8012, -1.2043)
        centre = db.session.get(DistrictCentre, "QX6")
        assert centre.postcodes == 2
        assert centre.latitude == pytest.approx((52.8600 + 52.8620) / 2)
        assert centre.longitude == pytest.approx((-1.2600 - 1.2640) / 2)
        assert directory_status().id == record.id


def test_reads_the_directory_inside_its_zip(app, tmp_path) -> None:
    path = write_zip(tmp_path / "NSPL_FEB_2024_UK.zip")
    with app.app_context():
        record = load_directory(path)
        assert record.postcodes == 6
        assert record.source_name == "NSPL_FEB_2024_UK.zip:Data/NSPL_FEB_2024_UK.csv"


def test_loading_again_replaces_the_directory(app, tmp_path) -> None:
    with app.app_context():
        load_directory(write_csv(tmp_path / "a.csv"))
        smaller = [row("QX1 4AB", 52.8, -1.2), row("QX5 6HP", 52.79, -1.21)]
        record = load_directory(write_csv(tmp_path / "b.csv", smaller))
        assert record.postcodes == 2
        assert db.session.get(PostcodePoint, "QX2 7RT") is None
        assert db.session.get(DistrictCentre, "QX6") is None
        assert db.session.get(DistrictCentre, "QX5") is not None
    assert counts(app) == (2, 2, 2)


def test_pcd_padded_postcodes_and_upper_case_headers_are_read(app, tmp_path) -> None:
    header = [name.upper() for name in HEADER if name != "pcds"]
    rows = [[r[0], r[1], *r[3:]] for r in directory_rows()]
    with app.app_context():
        record = load_directory(write_csv(tmp_path / "old.csv", rows, header))
        assert record.postcodes == 6
        assert db.session.get(PostcodePoint, "QX1 4AB") is not None


def _bytes(path, data: bytes):
    path.write_bytes(data)
    return path


BAD_FILES = {
    "wrong_columns": (
        lambda p: write_csv(p, [["QX1 4AB", "1", "2"]], ["postcode", "x", "y"]),
        "no column pcds",
    ),
    "non_uk_coordinates": (
        lambda p: write_csv(p, [*directory_rows(), row("QX7 1AA", 40.7, -74.0)]),
        "outside the UK",
    ),
    "duplicate_postcode": (
        lambda p: write_csv(p, [*directory_rows(), row("QX1 4AB", 52.8, -1.2)]),
        "QX1 4AB is listed twice",
    ),
    "not_a_postcode": (
        lambda p: write_csv(p, [row("QX1 4AB", 52.8, -1.2), ["<script>", "", "<b>", "", ""] * 2]),
        "is not a postcode",
    ),
    "short_row": (
        lambda p: write_csv(p, [row("QX1 4AB", 52.8, -1.2), ["QX1 2DL", "QX1  2DL"]]),
        "the file is cut short",
    ),
    "coordinates_not_numbers": (
        lambda p: write_csv(p, [row("QX1 4AB", "north", "west")]),
        "not a number",
    ),
    "empty": (lambda p: _bytes(p, b""), "The file is empty"),
    "binary": (lambda p: _bytes(p, b"\xff\xfe\x00\x01" * 50), "not a CSV text file"),
    "no_live_postcodes": (
        lambda p: write_csv(p, [row("QX9 9ZZ", 52.7, -1.1, doterm="202001")]),
        "no live postcodes",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_bad_file_is_refused_and_leaves_the_directory_in_place(app, tmp_path, kind) -> None:
    with app.app_context():
        load_directory(write_csv(tmp_path / "good.csv"))
    before = counts(app)
    make, words = BAD_FILES[kind]
    path = make(tmp_path / "bad.csv")
    with app.app_context(), pytest.raises(DirectoryError) as error:
        load_directory(path)
    assert words in error.value.message
    assert counts(app) == before
    with app.app_context():
        assert db.session.get(PostcodePoint, "QX1 4AB").latitude == 52.8012


def test_a_duplicate_in_another_batch_is_refused_too(app, tmp_path) -> None:
    rows = [*directory_rows(), row("QX1 4AB", 52.8, -1.2)]
    with app.app_context(), pytest.raises(DirectoryError, match="listed twice"):
        load_directory(write_csv(tmp_path / "d.csv", rows), batch_size=2)
    assert counts(app) == (0, 0, 0)


def test_a_truncated_zip_is_refused(app, tmp_path) -> None:
    with app.app_context():
        load_directory(write_csv(tmp_path / "good.csv"))
    before = counts(app)
    whole = write_zip(tmp_path / "whole.zip").read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole[: len(whole) // 2])
    with app.app_context(), pytest.raises(DirectoryError, match="damaged or incomplete"):
        load_directory(cut)
    assert counts(app) == before


def test_a_zip_without_a_csv_is_refused(app, tmp_path) -> None:
    import zipfile

    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with app.app_context(), pytest.raises(DirectoryError, match="no CSV"):
        load_directory(path)


def test_loading_places_meetings_without_a_point_and_keeps_champions_points(app, tmp_path) -> None:
    unplaced = factories.make_meeting(postcode="QX2 7RT")
    district_only = factories.make_meeting(postcode="QX6 9QQ")  # not in the directory
    placed = factories.make_meeting(postcode="QX1 4AB", latitude=52.0, longitude=-1.0)
    unknown = factories.make_meeting(postcode="QX8 1AA")
    with app.app_context():
        load_directory(write_csv(tmp_path / "d.csv"))
        got = {m.id: m for m in db.session.scalars(select(Meeting))}
        assert (got[unplaced.id].latitude, got[unplaced.id].longitude) == POINTS["QX2 7RT"]
        assert got[unplaced.id].located_from_directory
        assert got[district_only.id].latitude == pytest.approx(52.861)
        assert (got[placed.id].latitude, got[placed.id].located_from_directory) == (52.0, False)
        assert got[unknown.id].latitude is None
        # a new directory moves the directory's points, never the champion's
        load_directory(write_csv(tmp_path / "e.csv", [row("QX2 7RT", 52.5, -1.5)]))
        db.session.expire_all()
        assert db.session.get(Meeting, unplaced.id).latitude == 52.5
        assert db.session.get(Meeting, district_only.id).latitude is None
        assert db.session.get(Meeting, placed.id).latitude == 52.0


def test_release_and_postcode_tidying() -> None:
    assert release_of("NSPL21_MAY_2025_UK.zip") == "May 2025"
    assert release_of("ONSPD_NOV_2023.csv") == "November 2023"
    assert release_of("postcodes.csv") is None
    assert tidy_postcode("ls63ab") == "LS6 3AB"
    assert tidy_postcode("SW1A  1AA") == "SW1A 1AA"
    assert tidy_postcode("LS6") is None
    assert tidy_postcode("12345") is None


def test_cli_loads_with_a_progress_bar_and_reports(app, runner, tmp_path) -> None:
    path = write_zip(tmp_path / "NSPL_FEB_2024_UK.zip")
    result = runner.invoke(args=["postcodes", "load", str(path)])
    assert result.exit_code == 0, result.output
    assert "Loaded 6 live postcodes in 4 districts from 8 rows" in result.output
    status = runner.invoke(args=["postcodes", "status"])
    assert "February 2024" in status.output and "6 postcodes" in status.output


def test_cli_refuses_a_bad_file_and_says_nothing_changed(app, runner, tmp_path) -> None:
    path = write_csv(tmp_path / "x.csv", [["a"]], ["name"])
    result = runner.invoke(args=["postcodes", "load", str(path)])
    assert result.exit_code == 1
    assert "not an ONS postcode directory" in result.output
    assert "The directory in use is unchanged." in result.output
    missing = runner.invoke(args=["postcodes", "load", str(tmp_path / "nowhere.csv")])
    assert missing.exit_code == 1 and "There is no file" in missing.output
    status = runner.invoke(args=["postcodes", "status"])
    assert "No postcode directory is loaded" in status.output
