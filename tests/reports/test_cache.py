"""The reports are kept for a few minutes: the "as of" line, refresh, and what changes them."""

from __future__ import annotations

from portal.cache import app_cache
from portal.reports.services import REPORT_CACHE

from ..conftest import Browserless
from ..factories import make_client, make_meeting, make_request_history, make_user
from ..querycount import count_queries
from . import scenario

PERIOD = "start=2026-03-02&end=2026-03-22"


def _cache(app):
    return app_cache(REPORT_CACHE, app=app)


def test_the_page_says_when_the_figures_were_worked_out_and_can_refresh(app, login_as, client):
    scenario.build()
    login_as("champion")
    html = client.get(f"/reports/?{PERIOD}").get_data(as_text=True)
    assert 'id="report-as-of"' in html and "Figures as of " in html
    assert 'href="/reports/?start=2026-03-02&amp;end=2026-03-22&amp;refresh=1"' in html
    cache = _cache(app)
    assert (cache.hits, cache.misses) == (0, 1)
    again = client.get(f"/reports/?{PERIOD}").get_data(as_text=True)
    assert (cache.hits, cache.misses) == (1, 1)
    assert "9 requests in all, 3 accompanied and attended" in again
    assert client.get(f"/reports/?{PERIOD}&refresh=1").status_code == 200
    assert (cache.hits, cache.misses) == (1, 2)
    fragment = client.get(f"/reports/?{PERIOD}", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "Figures as of " in body


def test_the_key_holds_the_period_and_is_shared_by_everyone_allowed(app, login_as, client):
    scenario.build()
    login_as("champion")
    client.get(f"/reports/?{PERIOD}")
    client.get("/reports/?start=2026-03-02&end=2026-03-15")
    cache = _cache(app)
    assert (cache.hits, cache.misses) == (0, 2) and len(cache) == 2
    admin = Browserless(app.test_client())  # the same counts for every champion and admin
    assert admin.sign_in(make_user(roles=("admin",)).email).status_code == 303
    assert admin.client.get(f"/reports/?{PERIOD}").status_code == 200
    assert cache.hits == 1


def test_new_requests_work_the_figures_out_again(app, login_as, client):
    scenario.build()
    login_as("champion")
    before = client.get(f"/reports/?{PERIOD}").get_data(as_text=True)
    assert "9 requests in all" in before
    make_request_history(
        make_client(), make_meeting("NA"), scenario.START.replace(day=4), "unfilled", None
    )
    after = client.get(f"/reports/?{PERIOD}").get_data(as_text=True)
    assert _cache(app).hits == 0
    assert "10 requests in all" in after


def test_downloads_use_the_kept_figures_and_still_suppress(app, login_as, client):
    scenario.build()
    login_as("admin")
    client.get(f"/reports/?{PERIOD}")
    cache = _cache(app)
    body = client.get(f"/reports/requests-by-week.csv?{PERIOD}").get_data(as_text=True)
    assert cache.hits == 1
    assert "w/c 2 Mar,<5,<5,0,0,<5,0,<5" in body


def test_a_kept_report_sends_one_query(app, login_as, client):
    scenario.build()
    login_as("champion")
    client.get(f"/reports/?{PERIOD}")
    with count_queries(app) as statements:
        client.get(f"/reports/?{PERIOD}")
    assert _cache(app).hits == 1
    with count_queries(app) as uncached:
        client.get(f"/reports/?{PERIOD}&refresh=1")
    assert len(statements) < len(uncached)
