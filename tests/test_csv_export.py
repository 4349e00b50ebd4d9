"""The shared CSV writer: a line at a time, and no cell a spreadsheet would run."""

import csv
import io

import pytest

from portal.csv_export import csv_stream, rows_of, safe_cell


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_would_be_a_formula_is_quoted(start):
    assert safe_cell(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"


def test_other_cells_are_written_as_text():
    assert safe_cell("Tuesday group") == "Tuesday group"
    assert safe_cell(12) == "12"
    assert safe_cell(None) == ""
    assert safe_cell("") == ""


def test_the_header_then_each_row_comes_as_its_own_line():
    rows = iter([["a", 1], ["b, c", None]])
    lines = list(csv_stream(("name", "count"), rows))
    assert lines == ["name,count\r\n", "a,1\r\n", '"b, c",\r\n']
    assert list(csv.reader(io.StringIO("".join(lines)))) == [
        ["name", "count"],
        ["a", "1"],
        ["b, c", ""],
    ]


def test_rows_are_read_only_as_the_lines_are_wanted():
    read = []

    def rows():
        for n in range(3):
            read.append(n)
            yield [n]

    lines = csv_stream(["n"], rows())
    assert read == []
    assert next(lines) == "n\r\n"
    assert read == []
    assert next(lines) == "0\r\n"
    assert read == [0]


class _Result:
    """Stands in for a database result: rows, and whether it was closed."""

    def __init__(self, rows: list) -> None:
        self.rows, self.closed = rows, False

    def __iter__(self):
        return iter(self.rows)

    def close(self) -> None:
        self.closed = True


def test_the_query_runs_only_after_the_header_and_is_closed_when_the_reader_stops():
    results: list[_Result] = []

    def run() -> _Result:
        results.append(_Result([["a"], ["b"], ["c"]]))
        return results[-1]

    lines = csv_stream(["letter"], rows_of(run))
    assert next(lines) == "letter\r\n"
    assert results == []  # the header went before any query ran
    assert next(lines) == "a\r\n"
    lines.close()  # the browser stopped reading
    assert results[0].closed


def test_a_download_read_to_the_end_closes_its_result():
    result = _Result([["x"]])
    assert list(csv_stream(["h"], rows_of(lambda: result))) == ["h\r\n", "x\r\n"]
    assert result.closed


def test_every_column_of_every_row_is_neutralised_and_numbers_stay_numbers():
    lines = csv_stream(["=header"], [["@who", "+email", -3, 2.5, "plain"]])
    rows = list(csv.reader(io.StringIO("".join(lines))))
    assert rows == [["'=header"], ["'@who", "'+email", "-3", "2.5", "plain"]]
