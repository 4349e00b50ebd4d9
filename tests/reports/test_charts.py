"""Chart geometry: round axes, bars in proportion, words for a screen reader."""

from __future__ import annotations

import pytest

from portal.reports.charts import bars, columns, nice_scale


@pytest.mark.parametrize(
    ("largest", "expected"),
    [
        (0, (1.0, 1.0)),
        (1, (1.0, 1.0)),
        (3, (3.0, 1.0)),
        (11, (15.0, 5.0)),
        (37, (40.0, 10.0)),
        (480, (500.0, 100.0)),
    ],
)
def test_axes_end_on_round_whole_numbers(largest, expected):
    assert nice_scale(largest) == expected


def test_stacked_columns_are_in_proportion_and_labelled():
    chart = columns(
        "c",
        "Requests",
        "Two weeks.",
        ["1 Mar", "8 Mar"],
        [("a", "Went", "#007f3b"), ("b", "Did not", "#d5281b")],
        [{"a": 2, "b": 2}, {"a": 1, "b": 0}],
    )
    heights = [round(bar.height, 1) for bar in chart.bars]
    assert heights == [100.0, 100.0, 50.0]  # axis top 4 → 200 px tall plot
    assert [bar.title for bar in chart.bars] == [
        "1 Mar: Went 2",
        "1 Mar: Did not 2",
        "8 Mar: Went 1",
    ]
    assert [swatch.text for swatch in chart.legend] == ["Went", "Did not"]
    assert {text.text for text in chart.texts} >= {"1 Mar", "8 Mar", "0", "4"}


def test_bars_with_nothing_to_show_still_draw_an_empty_chart():
    chart = bars("b", "Requests by area", "No requests in this period.", [])
    assert chart.bars == [] and chart.height > 0 and chart.desc
