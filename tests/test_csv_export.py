"""The shared CSV writer: a line at a time, and no cell a spreadsheet would run."""

import csv
import io

import pytest

from portal.csv_export import csv_stream, safe_cell


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
