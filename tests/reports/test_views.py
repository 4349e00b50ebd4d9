"""The reports page: charts with text alternatives, tables, CSV downloads, who may see it."""

from __future__ import annotations

import re

import pytest

from ..factories import make_client, make_meeting, make_request_history, make_vetted_volunteer
from ..querycount import count_queries
from . import scenario

PERIOD = "start=2026-03-02&end=2026-03-22"
TABLES = (
    "requests-by-week",
    "matching",
    "attendance",
    "fama-funnel",
    "volunteer-activity",
    "load-spread",
    "by-fellowship",
    "by-area",
)


def test_the_page_draws_accessible_charts_over_tables(app, login_as, client):
    scenario.build()
    login_as("champion")
    response = client.get(f"/reports/?{PERIOD}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    charts = re.findall(r"<svg[^>]*>.*?</svg>", html, re.S)
    assert len(charts) == len(TABLES)
    for svg in charts:
        opening = svg[: svg.index(">")]
        assert 'role="img"' in opening
        chart_id = re.search(r'aria-labelledby="([\w-]+)-title \1-desc"', opening).group(1)
        assert f'<title id="{chart_id}-title">' in svg
        desc = re.search(rf'<desc id="{chart_id}-desc">(.*?)</desc>', svg, re.S).group(1)
        assert len(desc) > 20
    for key in TABLES:
        assert f'id="table-{key}"' in html
        assert f"/reports/{key}.csv?start=2026-03-02&amp;end=2026-03-22" in html
    # what the CSP would block: no inline styles or scripts
    assert "style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    # the same numbers as the chart, in the table: 9 requests, 7 matched, median 20 hours
    assert "9 requests in all, 3 accompanied and attended" in html
    assert (
        '<td class="nhsuk-table__cell nhsuk-table__cell--numeric"><strong>20.0</strong></td>'
        in html
    )


def test_the_default_period_is_the_last_twelve_weeks(app, login_as, client):
    login_as("admin")
    html = client.get("/reports/").get_data(as_text=True)
    assert html.count("w/c ") >= 12
    assert 'name="start"' in html and 'type="date"' in html


def test_an_htmx_request_gets_only_the_results(app, login_as, client):
    login_as("champion")
    response = client.get(f"/reports/?{PERIOD}", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="report-results"' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-13-01&end=2026-03-22", "From: enter a real date"),
        ("start=yesterday&end=2026-03-22", "From: enter a real date"),
        ("start=2026-03-22&end=2026-03-01", "must be on or after the start date"),
        ("start=2020-01-01&end=2026-03-01", "two years or less"),
        ("start=1999-12-31&end=2000-01-05", "2000 or later"),
        ("start=2026-03-02&end=2999-01-01", "no more than a year from today"),
        ("start=&end=2026-03-22", "From: enter a date"),
        ("start=2026-03-02%00&end=2026-03-22", "From: enter a real date"),
        ("start=" + "9" * 5000 + "&end=2026-03-22", "From: enter a real date"),
    ],
)
def test_a_bad_period_is_explained_by_the_field(app, login_as, client, query, message):
    login_as("champion")
    response = client.get(f"/reports/?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html and "There is a problem" in html
    assert "Correct the dates above" in html


def test_each_table_downloads_as_csv_with_small_counts_suppressed(app, login_as, client):
    scenario.build()
    login_as("admin")
    for key in TABLES:
        response = client.get(f"/reports/{key}.csv?{PERIOD}")
        assert response.status_code == 200, key
        assert response.mimetype == "text/csv"
        assert (
            f'filename="{key}-2026-03-02-to-2026-03-22.csv"'
            in response.headers["Content-Disposition"]
        )
    body = client.get(f"/reports/requests-by-week.csv?{PERIOD}").get_data(as_text=True)
    assert "w/c 2 Mar,<5,<5,0,0,<5,0,<5" in body
    funnel = client.get(f"/reports/fama-funnel.csv?{PERIOD}").get_data(as_text=True)
    assert "Session 1 held,7,100" in funnel and "Went to a meeting,<5,suppressed" in funnel


def test_downloads_refuse_a_bad_period_or_an_unknown_table(app, login_as, client):
    login_as("champion")
    assert client.get("/reports/attendance.csv?start=nope").status_code == 400
    assert client.get(f"/reports/secrets.csv?{PERIOD}").status_code == 404


@pytest.mark.parametrize("role", ["keyworker", "volunteer"])
def test_reports_are_for_champions_and_admins(app, login_as, client, role):
    login_as(role)
    assert client.get("/reports/").status_code == 403
    assert client.get(f"/reports/matching.csv?{PERIOD}").status_code == 403


def test_the_navigation_links_to_reports(app, login_as, client):
    login_as("champion")
    assert 'href="/reports/"' in client.get("/meetings").get_data(as_text=True)


def _queries(app, client) -> int:
    with count_queries(app) as statements:
        assert client.get(f"/reports/?{PERIOD}").status_code == 200
    return len(statements)


def test_the_page_query_count_does_not_grow_with_the_data(app, login_as, client):
    login_as("champion")
    scenario.build()
    small = _queries(app, client)
    meeting, volunteer = make_meeting("NA", area="Northgate"), make_vetted_volunteer()
    for day in range(2, 23):
        person = make_client()
        for state, outcome in (("completed", "attended"), ("unfilled", None)):
            make_request_history(
                person,
                meeting,
                scenario.START.replace(day=day),
                state,
                outcome,
                accepted_after_hours=3 if state == "completed" else None,
                volunteer=volunteer if state == "completed" else None,
            )
    assert _queries(app, client) == small
