"""FAMA by keyworker and by team: the grouped figures, their downloads, and the admin's team field.

The period is Monday 2 March to Sunday 22 March 2026. The history (worked out by hand below):

- North locality: Ann and Ben (and Eve, who held no session in the period: no row).
  Ann: a1 s1 s2+commitment s3 went; a2 s1 s2+commitment s3 did not go; a3 s1 s2; a4 s1; a5 s1;
  a6 s1 before the period, then s2+commitment s3 went; t s1, then moved to Ben.
  Ben: b1 s1 s2+commitment s3 went; b2 s1; t s2+commitment s3 went.
- South locality: Cat. c1 s1; c2 s1 s2+commitment (its s3 is the day after the period);
  c3 s1 on the period's last day.
- No team: Dan. d1…d5 s1 s2+commitment s3 went; d6 s1 the day before the period.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select, update

from portal.audit import AuditEvent
from portal.auth.models import User
from portal.auth.teams import set_team, team_name, team_names
from portal.cache import app_cache
from portal.extensions import db
from portal.reports.services import REPORT_CACHE, DateRange, fama_by_keyworker, fama_by_team
from portal.reports.tables import table_csv

from ..factories import make_client, make_fama_session, make_meeting, make_user
from ..querycount import count_queries

START, END = date(2026, 3, 2), date(2026, 3, 22)
PERIOD = DateRange(START, END)
QUERY = "start=2026-03-02&end=2026-03-22"
STAGES = ("started", "session_2", "committed", "session_3", "went")


def _team(app, user, team):
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(team=team))
        db.session.commit()


def _keyworker(app, name, team=None):
    user = make_user(roles=("keyworker",), name=name)
    if team:
        _team(app, user, team)
    return user


def _journey(person, meeting, s1=None, s2=None, s3=None, went=True, by=None):
    """Sessions 1, 2 (with a commitment) and 3 on the days of March given (None: not held)."""
    by = {"recorded_by_id": by.id} if by else {}
    if s1:
        make_fama_session(person, 1, date(2026, 3, s1) if isinstance(s1, int) else s1, **by)
    if s2:
        at = datetime.combine(date(2026, 3, s2 + 2), time(19, 30), tzinfo=UTC)
        make_fama_session(
            person, 2, date(2026, 3, s2), commitment_meeting_id=meeting.id, commitment_at=at, **by
        )
    if s3:
        make_fama_session(person, 3, date(2026, 3, s3), attended=went, **by)


@pytest.fixture
def history(app):
    meeting = make_meeting("AA")
    ann = _keyworker(app, "Ann", "North locality")
    ben = _keyworker(app, "Ben", "North locality")
    eve = _keyworker(app, "Eve", "North locality")
    cat = _keyworker(app, "Cat", "South locality")
    dan = _keyworker(app, "Dan")
    a = [make_client(ann) for _ in range(6)]
    _journey(a[0], meeting, 2, 9, 16)
    _journey(a[1], meeting, 2, 9, 16, went=False)
    _journey(a[2], meeting, 3)
    make_fama_session(a[2], 2, date(2026, 3, 10))  # session 2 with no commitment
    _journey(a[3], meeting, 4)
    _journey(a[4], meeting, 5)
    _journey(a[5], meeting, date(2026, 2, 20), 3, 10)
    moved = make_client(ann)
    _journey(moved, meeting, 4)
    _journey(moved, meeting, s2=11, s3=18, by=ben)
    b1, b2 = make_client(ben), make_client(ben)
    _journey(b1, meeting, 2, 9, 16)
    _journey(b2, meeting, 3)
    _journey(make_client(eve), meeting, date(2026, 2, 1))
    c1, c2, c3 = make_client(cat), make_client(cat), make_client(cat)
    _journey(c1, meeting, 6)
    _journey(c2, meeting, 6, 13)
    make_fama_session(c2, 3, date(2026, 3, 23), attended=True)
    _journey(c3, meeting, 22)
    for _ in range(5):
        _journey(make_client(dan), meeting, 2, 9, 16)
    _journey(make_client(dan), meeting, date(2026, 3, 1))
    return {"ann": ann, "ben": ben, "cat": cat, "dan": dan, "eve": eve, "meeting": meeting}


def _stages(row):
    return tuple(row[key] for key in STAGES)


def test_fama_by_keyworker_counts_each_keyworkers_clients(app, history):
    with app.app_context():
        table = fama_by_keyworker(PERIOD)
    assert [(row["name"], row["team"], *_stages(row)) for row in table.rows] == [
        ("Ann", "North locality", 6, 4, 3, 3, 2),
        ("Ben", "North locality", 2, 2, 2, 2, 2),
        ("Cat", "South locality", 3, 1, 1, 0, 0),
        ("Dan", "No team", 5, 5, 5, 5, 5),
    ]  # Eve held no session in the period: no row
    shares = [row["went_share"] for row in table.rows]
    assert shares == [pytest.approx(200 / 3), 100.0, None, 100.0]


def test_fama_by_team_counts_a_client_once_per_team(app, history):
    with app.app_context():
        table = fama_by_team(PERIOD)
    # North: the client who moved from Ann to Ben counts once; a6 started before the period.
    assert [(row["team"], *_stages(row)) for row in table.rows] == [
        ("North locality", 8, 6, 5, 5, 4),
        ("South locality", 3, 1, 1, 0, 0),
        ("No team", 5, 5, 5, 5, 5),
    ]
    assert [row["went_share"] for row in table.rows] == [80.0, None, 100.0]


def test_the_downloads_suppress_small_counts_and_shares_from_them(app, history):
    with app.app_context():
        people = "".join(table_csv(fama_by_keyworker(PERIOD))).splitlines()
        teams = "".join(table_csv(fama_by_team(PERIOD))).splitlines()
    assert people == [
        "Keyworker,Team,Started FAMA (session 1),Had session 2,Made a commitment,"
        'Had session 3,Went to a meeting,"Went, of those who had session 3 (%)"',
        "Ann,North locality,6,<5,<5,<5,<5,suppressed",
        "Ben,North locality,<5,<5,<5,<5,<5,suppressed",
        "Cat,South locality,<5,<5,<5,0,0,",
        "Dan,No team,5,5,5,5,5,100",
    ]
    assert teams[1:] == [
        "North locality,8,6,5,5,<5,suppressed",
        "South locality,<5,<5,<5,0,0,",
        "No team,5,5,5,5,5,100",
    ]


def test_the_reports_page_shows_both_tables_and_their_downloads(app, history, login_as, client):
    login_as("champion")
    html = client.get(f"/reports/?{QUERY}").get_data(as_text=True)
    for key, title in (
        ("fama-by-team", "FAMA by team"),
        ("fama-by-keyworker", "FAMA by keyworker"),
    ):
        assert f'<h2 id="{key}">{title}</h2>' in html
        assert f'id="table-{key}"' in html
        assert f"/reports/{key}.csv?start=2026-03-02&amp;end=2026-03-22" in html
    # in the FAMA section: after the journey, before the volunteers' activity
    assert html.index('id="fama-funnel"') < html.index('id="fama-by-team"')
    assert html.index('id="fama-by-keyworker"') < html.index('id="volunteer-activity"')
    assert '<th scope="row" class="nhsuk-table__header">Ann</th>' in html
    assert '<td class="nhsuk-table__cell">North locality</td>' in html  # a name, not a number
    download = client.get(f"/reports/fama-by-keyworker.csv?{QUERY}")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "Dan,No team,5,5,5,5,5,100" in download.get_data(as_text=True)
    assert "North locality,8,6,5,5,<5,suppressed" in client.get(
        f"/reports/fama-by-team.csv?{QUERY}"
    ).get_data(as_text=True)


@pytest.mark.parametrize("role", ["keyworker", "volunteer"])
def test_keyworker_names_stay_with_champions_and_admins(app, history, login_as, client, role):
    login_as(role)
    assert client.get(f"/reports/?{QUERY}").status_code == 403
    for key in ("fama-by-keyworker", "fama-by-team"):
        assert client.get(f"/reports/{key}.csv?{QUERY}").status_code == 403


def test_an_empty_period_has_no_rows(app, history):
    with app.app_context():
        empty = DateRange(date(2025, 1, 6), date(2025, 1, 12))
        assert fama_by_keyworker(empty).rows == [] and fama_by_team(empty).rows == []


def _statements(app, builder) -> int:
    with app.app_context(), count_queries(app) as statements:
        builder(PERIOD)
    return len(statements)


def test_one_query_per_table_whatever_the_number_of_keyworkers(app, history, login_as, client):
    assert _statements(app, fama_by_keyworker) == 1
    assert _statements(app, fama_by_team) == 1
    login_as("champion")
    with count_queries(app) as small:
        client.get(f"/reports/?{QUERY}&refresh=1")
    for number in range(12):
        keyworker = _keyworker(app, f"Extra {number}", f"Team {number % 3}" if number else None)
        _journey(make_client(keyworker), history["meeting"], 2, 9, 16)
    assert _statements(app, fama_by_keyworker) == 1
    assert _statements(app, fama_by_team) == 1
    with count_queries(app) as large:
        html = client.get(f"/reports/?{QUERY}&refresh=1").get_data(as_text=True)
    assert len(large) == len(small)
    assert "Extra 11" in html and "Team 2" in html


def test_a_long_keyworker_table_is_shown_a_page_at_a_time(app, login_as, client):
    meeting = make_meeting("AA")
    for number in range(55):
        _journey(make_client(_keyworker(app, f"Keyworker {number:02d}")), meeting, 2)
    login_as("admin")
    first = client.get(f"/reports/?{QUERY}").get_data(as_text=True)
    assert "Rows 1 to 50 of 55." in first
    assert "Keyworker 49" in first and "Keyworker 50" not in first
    assert "fama-by-keyworker-page=2#fama-by-keyworker" in first
    second = client.get(f"/reports/?{QUERY}&fama-by-keyworker-page=2").get_data(as_text=True)
    assert "Rows 51 to 55 of 55." in second and "Keyworker 54" in second
    assert "Keyworker 00" not in second
    for hostile in ("0", "-3", "9999999999999999999999", "two", "%00"):
        page = client.get(f"/reports/?{QUERY}&fama-by-keyworker-page={hostile}")
        assert page.status_code == 200
    # the download has every row
    rows = client.get(f"/reports/fama-by-keyworker.csv?{QUERY}").get_data(as_text=True)
    assert len(rows.splitlines()) == 56


def test_a_team_change_shows_at_once_despite_the_kept_figures(app, history, login_as, client):
    login_as("champion")
    client.get(f"/reports/?{QUERY}")
    cache = app_cache(REPORT_CACHE, app=app)
    client.get(f"/reports/?{QUERY}")
    assert cache.hits == 1
    with app.app_context():
        dan, admin = db.session.get(User, history["dan"].id), make_user(roles=("admin",))
        set_team(dan, "South locality", admin)
    html = client.get(f"/reports/?{QUERY}").get_data(as_text=True)
    assert cache.hits == 1  # the accounts' versions are in the key: worked out again
    assert "No team" not in html
    with app.app_context():
        rows = {row["team"]: _stages(row) for row in fama_by_team(PERIOD).rows}
    assert rows["South locality"] == (8, 6, 6, 5, 5)


# The admin's team field ---------------------------------------------------------------------


def _account(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        return user.team, user.version


def test_an_admin_sets_and_clears_a_team(app, login_as, browser):
    login_as("admin")
    target = make_user(roles=("keyworker",))
    page = f"/admin/accounts/{target.id}"
    html = browser.client.get(page).get_data(as_text=True)
    assert "The keyworker&#39;s team, for reports, for example North locality" in html
    assert 'list="team-names"' in html and "No team" in html
    _, version = _account(app, target.id)
    saved = browser.post(f"{page}/team", {"team": "  North   locality ", "version": version}, page)
    assert saved.status_code == 303 and saved.location.endswith(page)
    assert _account(app, target.id) == ("North locality", version + 1)
    html = browser.client.get(page).get_data(as_text=True)
    assert '<option value="North locality"></option>' in html
    assert 'value="North locality"' in html
    cleared = browser.post(f"{page}/team", {"team": "   ", "version": version + 1}, page)
    assert cleared.status_code == 303
    assert _account(app, target.id) == (None, version + 2)
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "account_team_changed")
            .order_by(AuditEvent.id)
        ).all()
    assert [event.object_id for event in events] == [str(target.id)] * 2
    assert '"after": "North locality"' in events[0].detail
    assert '"after": null' in events[1].detail


def test_a_new_spelling_of_a_team_in_use_joins_it(app, login_as, browser):
    admin = login_as("admin")
    first, second = make_user(roles=("keyworker",)), make_user(roles=("keyworker",))
    with app.app_context():
        set_team(db.session.get(User, first.id), "North locality", admin)
        set_team(db.session.get(User, second.id), "north LOCALITY", admin)
        assert team_names() == ["North locality"]
    assert _account(app, second.id)[0] == "North locality"
    assert team_name("  a\t b ") == "a b" and team_name("") is None and team_name(None) is None


@pytest.mark.parametrize(
    ("team", "message"),
    [
        ("x" * 101, "Enter a team name of 100 characters or fewer"),
        ("North\x00locality", "Remove the unusual characters"),
    ],
)
def test_a_bad_team_name_is_refused_by_the_field(app, login_as, browser, team, message):
    login_as("admin")
    target = make_user(roles=("keyworker",))
    page = f"/admin/accounts/{target.id}"
    _, version = _account(app, target.id)
    response = browser.post(f"{page}/team", {"team": team, "version": version}, page)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html and 'href="#team"' in html
    assert _account(app, target.id) == (None, version)
    # the roles form beside it still shows the roles on record
    assert re.search(r'<input checked[^>]*value="keyworker"', html)


def test_a_hundred_characters_is_long_enough(app, login_as, browser):
    login_as("admin")
    target = make_user(roles=("keyworker",))
    page = f"/admin/accounts/{target.id}"
    _, version = _account(app, target.id)
    response = browser.post(f"{page}/team", {"team": "y" * 100, "version": version}, page)
    assert response.status_code == 303
    assert _account(app, target.id)[0] == "y" * 100


def test_a_stale_team_form_gets_a_conflict_and_an_unknown_account_a_404(app, login_as, browser):
    login_as("admin")
    target = make_user(roles=("keyworker",))
    page = f"/admin/accounts/{target.id}"
    _, version = _account(app, target.id)
    browser.post(f"{page}/team", {"team": "North locality", "version": version}, page)
    stale = browser.post(f"{page}/team", {"team": "South locality", "version": version}, page)
    assert stale.status_code == 409
    assert "changed this account while you were looking" in stale.get_data(as_text=True)
    assert _account(app, target.id)[0] == "North locality"
    missing = browser.post("/admin/accounts/999999/team", {"team": "A", "version": 1}, page)
    assert missing.status_code == 404


@pytest.mark.parametrize("role", ["keyworker", "champion"])
def test_only_admins_set_teams(app, login_as, browser, role):
    login_as(role)
    target = make_user(roles=("keyworker",))
    response = browser.post(
        f"/admin/accounts/{target.id}/team", {"team": "North", "version": 1}, page="/"
    )
    assert response.status_code == 403
    assert _account(app, target.id)[0] is None


def test_the_demo_puts_keyworkers_in_teams(app):
    from portal.demo import build_demo, demo_user
    from portal.reports.services import default_range

    with app.app_context():
        build_demo()
        build_demo()  # a second run leaves the teams as they were
        assert demo_user("keyworker").team == "North locality"
        period = default_range()
        teams = {row["team"]: row["started"] for row in fama_by_team(period).rows}
        people = {row["name"] for row in fama_by_keyworker(period).rows}
    assert list(teams) == ["North locality", "South locality", "No team"]
    assert all(teams.values())
    assert {"Kim (keyworker)", "Jo (keyworker, past caseload)"} <= people
