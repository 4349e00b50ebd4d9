"""Report numbers against a history worked out by hand (tests/reports/scenario.py)."""

from __future__ import annotations

from datetime import date

import pytest

from portal.reports.services import (
    DateRange,
    attendance_by_accompaniment,
    build_report,
    by_area,
    by_fellowship,
    default_range,
    fama_funnel,
    volunteer_activity,
    weekly_requests,
)
from portal.reports.tables import table_csv

from . import scenario

PERIOD = DateRange(scenario.START, scenario.END)


@pytest.fixture
def history(app):
    return scenario.build()


def _pick(row: dict, *keys: str) -> tuple:
    return tuple(row[key] for key in keys)


def test_requests_per_week_split_by_outcome(app, history):
    with app.app_context():
        outcomes, _matching = weekly_requests(PERIOD)
    keys = (
        "requests",
        "attended",
        "client_did_not_come",
        "volunteer_could_not_go",
        "cancelled",
        "unfilled",
        "in_progress",
    )
    assert [row["week"] for row in outcomes.rows] == ["w/c 2 Mar", "w/c 9 Mar", "w/c 16 Mar"]
    # week 1: attended, client didn't come, unfilled; week 2: volunteer couldn't go and two
    # cancelled; week 3: two attended and one accepted but not yet held. Outside: not counted.
    assert [_pick(row, *keys) for row in outcomes.rows] == [
        (3, 1, 1, 0, 0, 1, 0),
        (3, 0, 0, 1, 2, 0, 0),
        (3, 2, 0, 0, 0, 0, 1),
    ]
    assert _pick(outcomes.footer[0], *keys) == (9, 3, 1, 1, 2, 1, 1)


def test_share_matched_and_median_hours_to_acceptance(app, history):
    with app.app_context():
        _outcomes, matching = weekly_requests(PERIOD)
    keys = ("matched", "decided", "cancelled_unmatched", "still_looking", "median_hours")
    # waits in hours: week 1 → 10, 20; week 2 → 30, 40; week 3 → 50, 6, 4.
    assert [_pick(row, *keys) for row in matching.rows] == [
        (2, 3, 0, 0, pytest.approx(15.0)),
        (2, 2, 1, 0, pytest.approx(35.0)),
        (3, 3, 0, 0, pytest.approx(6.0)),
    ]
    shares = [row["matched_share"] for row in matching.rows]
    assert shares == [pytest.approx(200 / 3), 100.0, 100.0]
    total = matching.footer[0]
    # 7 of 8 decided matched; the median of 4, 6, 10, 20, 30, 40, 50 is 20.
    assert _pick(total, *keys) == (7, 8, 1, 0, pytest.approx(20.0))
    assert total["matched_share"] == pytest.approx(87.5)


def test_an_even_number_of_waits_takes_the_middle_two(app, history):
    with app.app_context():
        _o, matching = weekly_requests(DateRange(date(2026, 3, 2), date(2026, 3, 15)))
    # 10, 20, 30, 40 → (20 + 30) / 2
    assert matching.footer[0]["median_hours"] == pytest.approx(25.0)


def test_attendance_with_and_without_a_peer(app, history):
    with app.app_context():
        table = attendance_by_accompaniment(PERIOD)
    keys = ("commitments", "attended", "did_not", "unknown")
    with_peer, without = table.rows
    # with: A went, B did not, E not reviewed yet. Without: C and H went, D did not, F's next
    # session was another session two (not known). G-style commitments outside: not counted.
    assert _pick(with_peer, *keys) == (3, 1, 1, 1)
    assert with_peer["attended_share"] == pytest.approx(50.0)
    assert _pick(without, *keys) == (4, 2, 1, 1)
    assert without["attended_share"] == pytest.approx(200 / 3)


def test_the_fama_funnel_narrows_stage_by_stage(app, history):
    with app.app_context():
        table = fama_funnel(PERIOD)
    # started: A B C D F H I; session 2: not I; committed: all six; went: A C H;
    # engaged: A and C (B is recorded engaged but never went, E started before the period).
    assert [row["clients"] for row in table.rows] == [7, 6, 6, 3, 2]
    assert table.rows[-1]["share"] == pytest.approx(200 / 7)


def test_volunteer_activity_escorts_hours_and_load(app, history):
    with app.app_context():
        months, spread = volunteer_activity(PERIOD)
    # escorts: v1 three times (attended, didn't come, attended), v2 once; "couldn't go" is no
    # escort. Each is an hour's meeting plus 15 minutes beforehand.
    assert [_pick(row, "month", "escorts", "volunteers") for row in months.rows] == [
        ("March 2026", 4, 2)
    ]
    assert months.rows[0]["hours"] == pytest.approx(5.0)
    assert {row["band"]: row["volunteers"] for row in spread.rows} == {
        "1 escort": 1,
        "2 to 3 escorts": 1,
        "4 to 6 escorts": 0,
        "7 or more escorts": 0,
    }
    assert spread.note.startswith("2 approved volunteers")


def test_by_fellowship_and_by_area(app, history):
    with app.app_context():
        fellowships, areas = by_fellowship(PERIOD), by_area(PERIOD)
    keys = ("requests", "matched", "attended", "decided")
    assert [_pick(row, *keys) for row in fellowships.rows] == [(7, 5, 2, 6), (2, 2, 1, 2)]
    assert fellowships.rows[0]["name"] == "Alcoholics Anonymous"
    assert [(row["name"], *_pick(row, *keys)) for row in areas.rows] == [
        ("Town centre", 7, 5, 2, 6),
        ("Riverside", 2, 2, 1, 2),
    ]


def test_an_empty_period_reports_zeros(app, history):
    with app.app_context():
        report = build_report(DateRange(date(2025, 1, 6), date(2025, 1, 12)))
    weeks = report.tables["requests-by-week"]
    assert weeks.footer[0]["requests"] == 0
    assert report.tables["matching"].footer[0]["median_hours"] is None
    assert [row["clients"] for row in report.tables["fama-funnel"].rows] == [0, 0, 0, 0, 0]
    assert report.tables["by-fellowship"].rows == []


def test_downloads_suppress_counts_below_five(app, history):
    with app.app_context():
        outcomes, matching = weekly_requests(PERIOD)
    lines = "".join(table_csv(outcomes)).splitlines()
    assert lines[0].startswith("Week commencing,Accompanied and attended")
    # week 1: 1 attended, 1 didn't come, 0, 0, 1 unfilled, 0, 3 requests
    assert lines[1] == "w/c 2 Mar,<5,<5,0,0,<5,0,<5"
    assert lines[-1] == "All weeks,<5,<5,<5,<5,<5,<5,9"
    matched = "".join(table_csv(matching)).splitlines()
    # a percentage or median worked out from a suppressed count is suppressed too
    assert matched[1].endswith(",suppressed,suppressed")
    assert matched[-1] == "All weeks,9,7,<5,<5,0,88,20.0"


def test_default_range_is_the_last_twelve_weeks():
    period = default_range(date(2026, 5, 20))  # a Wednesday
    assert period.start == date(2026, 3, 2) and period.end == date(2026, 5, 20)
    assert len(period.mondays) == 12
