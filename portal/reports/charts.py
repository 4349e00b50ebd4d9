"""Charts drawn on the server as SVG: shapes and words worked out here, drawn by a template.

Only SVG presentation attributes (x, y, width, height, fill) are used: the Content-Security-
Policy forbids inline styles and scripts. Each chart carries a title and a description that a
screen reader reads out, and the page puts the same numbers in a table under it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .services import OUTCOMES, Report
from .tables import Table

WIDTH = 720
TEXT = "#212b32"
GRID = "#d8dde0"
SERIES_COLOURS = {
    "attended": "#007f3b",
    "client_did_not_come": "#7c2855",
    "volunteer_could_not_go": "#d5281b",
    "cancelled": "#4c6272",
    "unfilled": "#330072",
    "in_progress": "#005eb8",
}
BLUE = "#005eb8"
GREEN = "#007f3b"
GREY = "#768692"
BAR_ROWS_SHOWN = 12


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"
    size: int = 12
    bold: bool = False


@dataclass
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = GRID


@dataclass
class Swatch:
    x: float
    y: float
    fill: str
    text: str


@dataclass
class Chart:
    id: str
    title: str
    desc: str
    width: int = WIDTH
    height: int = 0
    bars: list[Bar] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    legend: list[Swatch] = field(default_factory=list)


def nice_scale(largest: float, most_ticks: int = 5) -> tuple[float, float]:
    """(top, step): a round top of the axis at or above `largest`, in a few round steps."""
    if largest <= 0:
        return 1.0, 1.0
    magnitude = 10 ** math.floor(math.log10(largest))
    for multiple in (0.1, 0.2, 0.5, 1, 2, 5, 10):
        step = max(1.0, multiple * magnitude)
        if math.ceil(largest / step) <= most_ticks:
            return step * math.ceil(largest / step), step
    return 10 * magnitude, magnitude  # pragma: no cover  (the loop always finds one)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _legend(chart: Chart, series: Sequence[tuple[str, str, str]], top: float) -> float:
    """Lay the legend out in rows across the top; returns the height it took."""
    per_row, x_step = 3, (WIDTH - 16) / 3
    for index, (_key, label, colour) in enumerate(series):
        row, col = divmod(index, per_row)
        chart.legend.append(Swatch(8 + col * x_step, top + row * 22, colour, label))
    rows = math.ceil(len(series) / per_row) if series else 0
    return rows * 22 + (8 if rows else 0)


def columns(
    chart_id: str,
    title: str,
    desc: str,
    categories: list[str],
    series: Sequence[tuple[str, str, str]],
    rows: list[dict[str, Any]],
    *,
    top_value: float | None = None,
    unit: str = "",
) -> Chart:
    """Columns, one per category, stacked by series (key, label, colour)."""
    chart = Chart(chart_id, title, desc)
    legend_height = _legend(chart, series, 8) if len(series) > 1 else 0
    left, right, top, bottom = 52, 12, 16 + legend_height, 48
    plot_height = 200
    chart.height = int(top + plot_height + bottom)
    plot_width = WIDTH - left - right
    totals = [sum(float(row.get(key) or 0) for key, _l, _c in series) for row in rows]
    axis_top, step = (top_value, top_value / 4) if top_value else nice_scale(max(totals or [0]))
    scale = plot_height / axis_top
    ticks = int(round(axis_top / step))
    for tick in range(ticks + 1):
        value = tick * step
        y = top + plot_height - value * scale
        chart.lines.append(Line(left, y, WIDTH - right, y))
        chart.texts.append(Text(left - 6, y + 4, _fmt(value) + unit, "end", 11))
    slot = plot_width / max(1, len(categories))
    bar_width = max(2.0, slot * 0.7)
    every = max(1, math.ceil(len(categories) / max(1, int(plot_width // 60))))
    for index, (category, row) in enumerate(zip(categories, rows, strict=True)):
        x = left + index * slot + (slot - bar_width) / 2
        base = top + plot_height
        for key, label, colour in series:
            value = float(row.get(key) or 0)
            if value <= 0:
                continue
            height = value * scale
            base -= height
            chart.bars.append(
                Bar(x, base, bar_width, height, colour, f"{category}: {label} {_fmt(value)}{unit}")
            )
        if index % every == 0:
            chart.texts.append(
                Text(x + bar_width / 2, top + plot_height + 18, category, "middle", 11)
            )
    chart.lines.append(Line(left, top + plot_height, WIDTH - right, top + plot_height, TEXT))
    return chart


def bars(
    chart_id: str,
    title: str,
    desc: str,
    rows: list[tuple[str, list[tuple[float, str, str]], str]],
    *,
    top_value: float | None = None,
) -> Chart:
    """Horizontal bars: (label, [(value, colour, series label)], words at the bar's end)."""
    series_seen: dict[str, str] = {}
    for _label, parts, _words in rows:
        for _value, colour, name in parts:
            series_seen.setdefault(name, colour)
    chart = Chart(chart_id, title, desc)
    legend = [(name, name, colour) for name, colour in series_seen.items()]
    legend_height = _legend(chart, legend, 8) if len(legend) > 1 else 0
    label_width, words_width, row_height, top = 230, 150, 30, 12 + legend_height
    plot_width = WIDTH - label_width - words_width
    largest = max((sum(v for v, _c, _n in parts) for _l, parts, _w in rows), default=0)
    axis_top = top_value or (nice_scale(largest)[0] if largest else 1)
    for index, (label, parts, words) in enumerate(rows):
        y = top + index * row_height
        chart.texts.append(Text(label_width - 8, y + 15, _short(label), "end", 12))
        x = float(label_width)
        for value, colour, name in parts:
            if value <= 0:
                continue
            width = plot_width * value / axis_top
            chart.bars.append(Bar(x, y + 3, width, 18, colour, f"{label}: {name} {_fmt(value)}"))
            x += width
        chart.texts.append(Text(x + 6, y + 16, words, "start", 12, bold=True))
    chart.lines.append(Line(label_width, top - 4, label_width, top + len(rows) * row_height, TEXT))
    chart.height = int(top + max(1, len(rows)) * row_height + 8)
    return chart


def _count_bars(chart_id: str, table: Table, keys: tuple[str, str, str], desc: str) -> Chart:
    """One blue bar per row of `table`; `keys` name the row's label and count columns and the
    series, and the count is written at the bar's end."""
    label, count, series = keys
    rows = [(row[label], [(row[count], BLUE, series)], _fmt(row[count])) for row in table.rows]
    return bars(chart_id, table.title, desc, rows)


def _short(label: str, limit: int = 32) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _busiest(table: Table, key: str, label_key: str) -> str:
    if not table.rows:
        return ""
    best = max(table.rows, key=lambda row: row.get(key) or 0)
    if not best.get(key):
        return "There were none in this period."
    return f"The most was {best[label_key]}, with {_fmt(best[key])}."


def _percent_words(value: float | None) -> str:
    return "no figure" if value is None else f"{value:.0f}%"


def report_charts(report: Report) -> dict[str, Chart]:
    """A chart for each table that reads well as one."""
    t = report.tables
    charts: dict[str, Chart] = {}
    weeks = t["requests-by-week"]
    labels = [row["week"].removeprefix("w/c ") for row in weeks.rows]
    total = weeks.footer[0]
    charts[weeks.key] = columns(
        "chart-requests-by-week",
        weeks.title,
        f"Columns for {len(weeks.rows)} weeks, each split by outcome. "
        f"{total['requests']} requests in all, {total['attended']} accompanied and attended. "
        + _busiest(weeks, "requests", "week"),
        labels,
        [(key, label, SERIES_COLOURS[key]) for key, label in OUTCOMES],
        weeks.rows,
    )
    matching = t["matching"]
    overall = matching.footer[0]
    median = overall.get("median_hours")
    charts[matching.key] = columns(
        "chart-matching",
        "Share of decided requests a volunteer accepted, by week",
        f"Columns for {len(matching.rows)} weeks showing the percentage matched. Over the "
        f"period {_percent_words(overall['matched_share'])} of decided requests were matched"
        + (f"; the median time to acceptance was {median:.1f} hours." if median else ".")
        + " Weeks with no decided requests have no column.",
        labels,
        [("matched_share", "Matched", BLUE)],
        matching.rows,
        top_value=100,
        unit="%",
    )
    attendance = t["attendance"]
    charts[attendance.key] = bars(
        "chart-attendance",
        "Went to the committed meeting, of those known",
        " ".join(
            f"{row['group']}: {_percent_words(row['attended_share'])} went "
            f"({row['attended']} of {row['known']} known)."
            for row in attendance.rows
        ),
        [
            (
                row["group"],
                [(row["attended_share"] or 0, GREEN if index == 0 else BLUE, "Went")],
                f"{_percent_words(row['attended_share'])} ({row['attended']} of {row['known']})",
            )
            for index, row in enumerate(attendance.rows)
        ],
        top_value=100,
    )
    funnel = t["fama-funnel"]
    charts[funnel.key] = _count_bars(
        "chart-fama-funnel",
        funnel,
        ("stage", "clients", "Clients"),
        " Then ".join(f"{row['stage']}: {row['clients']}." for row in funnel.rows),
    )
    activity = t["volunteer-activity"]
    charts[activity.key] = columns(
        "chart-volunteer-activity",
        "Escorts per month",
        f"Columns for {len(activity.rows)} months. " + _busiest(activity, "escorts", "month"),
        [row["month"] for row in activity.rows],
        [("escorts", "Escorts", BLUE)],
        activity.rows,
    )
    spread = t["load-spread"]
    if spread.rows:
        charts[spread.key] = _count_bars(
            "chart-load-spread",
            spread,
            ("band", "volunteers", "Volunteers"),
            " ".join(f"{row['band']}: {row['volunteers']} volunteers." for row in spread.rows),
        )
    for key in ("by-fellowship", "by-area"):
        table = t[key]
        shown = table.rows[:BAR_ROWS_SHOWN]
        more = len(table.rows) - len(shown)
        charts[key] = bars(
            f"chart-{key}",
            table.title,
            " ".join(
                f"{row['name']}: {row['requests']} requests, {row['attended']} accompanied and "
                "attended."
                for row in shown
            )
            + (f" {more} more in the table." if more > 0 else "")
            or "No requests in this period.",
            [
                (
                    row["name"],
                    [
                        (row["attended"], GREEN, "Accompanied and attended"),
                        (row["requests"] - row["attended"], GREY, "Other outcomes"),
                    ],
                    _fmt(row["requests"]),
                )
                for row in shown
            ],
        )
    return charts
