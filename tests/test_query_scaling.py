"""Every main page sends the same number of SQL queries whatever the amount of data.

The demo service is built, each main page is fetched as its role and its statements counted;
then much more of everything each page lists is added (clients, requests in every state, offers,
candidate volunteers, past requests for the reports, meetings) and the counts must be EQUAL, so
an N+1 query can never come back unnoticed. Timings are in bench/pages_bench.py, not here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from flask import Flask
from sqlalchemy import func, select, text

from portal.cache import clear_caches
from portal.demo import DEMO_ACCOUNTS, build_demo
from portal.extensions import db

from .conftest import Browserless
from .factories import (
    make_attendance,
    make_conflict,
    make_fama_session,
    make_meeting,
    make_offer,
    make_request,
    make_request_history,
    make_user,
    make_vetted_volunteer,
    make_window,
)
from .querycount import count_queries

# (name, role, path): the main pages of issue 9, with {request_id} / {client_id} filled in.
MAIN_PAGES = (
    ("champion queue", "champion", "/requests/queue"),
    ("request with ranked candidates", "champion", "/requests/{request_id}/coordinate"),
    ("proposal for the next 7 days", "champion", "/requests/proposals"),
    ("champion home", "champion", "/champion"),
    ("volunteer home", "volunteer", "/volunteer"),
    ("keyworker caseload", "keyworker", "/clients/"),
    ("client page", "keyworker", "/clients/{client_id}"),
    ("meeting search", "keyworker", "/meetings"),
    ("reports", "champion", "/reports/"),
)


def _account(role: str):
    return next(a for a in DEMO_ACCOUNTS if role in a.roles)


def _signed_in_clients(app: Flask) -> dict:
    clients = {}
    for role in ("champion", "keyworker", "volunteer"):
        account = _account(role)
        browser = Browserless(app.test_client())
        assert browser.sign_in(account.email, account.password).status_code == 303
        clients[role] = browser.client
    return clients


def _one(app: Flask, sql: str, **params: object):
    with app.app_context():
        return db.session.execute(text(sql), params).one()


def _live_request_with_most_candidates(app: Flask):
    """An open or offered request still to come (by the app's clock, not the database's)."""
    from portal.accompaniment.models import AccompanimentRequest as R
    from portal.audit import utcnow
    from portal.volunteers.models import VolunteerMeeting as VM

    candidates = (
        select(func.count()).where(VM.meeting_id == R.meeting_id).correlate(R).scalar_subquery()
    )
    with app.app_context():
        return db.session.execute(
            select(R.id, R.client_id, R.meeting_id)
            .where(R.state.in_(("open", "offered")), R.starts_at > utcnow())
            .order_by(candidates.desc(), R.starts_at)
            .limit(1)
        ).one()


def _scene(app: Flask) -> SimpleNamespace:
    """The demo rows the pages and the extra data hang off."""
    kw = _one(app, "SELECT id FROM users WHERE email = :e", e=_account("keyworker").email).id
    volunteer = _one(
        app,
        "SELECT v.id FROM volunteers v JOIN users u ON u.id = v.user_id WHERE u.email = :e",
        e=_account("volunteer").email,
    )
    request = _live_request_with_most_candidates(app)
    client = _one(
        app,
        "SELECT c.id FROM clients c LEFT JOIN accompaniment_requests r ON r.client_id = c.id "
        "WHERE c.keyworker_id = :kw GROUP BY c.id ORDER BY count(r.id) DESC, c.id LIMIT 1",
        kw=kw,
    )
    meeting = _one(
        app,
        "SELECT id, weekday, start_time, end_time FROM meetings WHERE id = :m",
        m=request.meeting_id,
    )
    return SimpleNamespace(
        keyworker=SimpleNamespace(id=kw),
        volunteer=SimpleNamespace(id=volunteer.id),
        request=SimpleNamespace(id=request.id),
        request_client=SimpleNamespace(id=request.client_id, keyworker_id=kw),
        client=SimpleNamespace(id=client.id, keyworker_id=kw),
        meeting=SimpleNamespace(
            id=meeting.id,
            weekday=meeting.weekday,
            start_time=datetime.strptime(meeting.start_time[:5], "%H:%M").time()
            if isinstance(meeting.start_time, str)
            else meeting.start_time,
            end_time=datetime.strptime(meeting.end_time[:5], "%H:%M").time()
            if isinstance(meeting.end_time, str)
            else meeting.end_time,
        ),
    )


def _counts(app: Flask, clients: dict, ids: dict) -> dict[str, int]:
    """Each page's statements worked out afresh, and again answered from the page caches."""
    counts = {}
    for name, role, path in MAIN_PAGES:
        url = path.format(**ids)
        clients[role].get(url)  # warm up: compiled statements, first-use caches
        clear_caches(app)  # the reports and the proposal keep their answers: measure a miss
        with count_queries(app) as statements:
            response = clients[role].get(url)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = len(statements)
        with count_queries(app) as statements:  # the same page again: a cache hit where kept
            response = clients[role].get(url)
        assert response.status_code == 200, (name, response.status_code)
        counts[f"{name} (again)"] = len(statements)
    return counts


def _add_much_more(s: SimpleNamespace) -> None:
    """Several times more of every kind of row the main pages list or count."""
    from .factories import make_client

    today = datetime.now(UTC).date()
    meetings = [make_meeting(area=f"Area {n}", weekday=n % 7) for n in range(8)]
    states = ("open", "offered", "accepted", "open")
    for n in range(8):
        other = make_client(SimpleNamespace(id=s.keyworker.id), last_session_kind=1 + n % 3)
        volunteer = make_vetted_volunteer(make_user(roles=("volunteer",)))
        extra = {"volunteer_id": volunteer.id} if states[n % 4] == "accepted" else {}
        request = make_request(other, meetings[n], state=states[n % 4], **extra)
        make_offer(request, volunteer, state="accepted" if extra else "pending")
        make_offer(request, SimpleNamespace(id=s.volunteer.id))  # waits on the volunteer home
        make_attendance(volunteer, s.meeting)  # a candidate for the champion's request
        make_attendance(SimpleNamespace(id=s.volunteer.id), meetings[n])
        make_window(volunteer, n % 7, meetings[0].start_time, meetings[0].end_time)
        make_offer(SimpleNamespace(id=s.request.id), volunteer, state="declined")
        make_conflict(volunteer, SimpleNamespace(id=s.request_client.id), note=f"Note {n}")
        for weeks in (3, 10, 30):
            make_request_history(
                s.client,
                meetings[n],
                today - timedelta(weeks=weeks, days=n),
                state="completed",
                outcome="attended",
                accepted_after_hours=20,
                volunteer=volunteer,
            )
            make_request_history(
                other, meetings[n], today - timedelta(weeks=weeks), state="unfilled"
            )
        make_request_history(
            s.client,
            meetings[n],
            today - timedelta(days=n + 1),
            state="completed",
            outcome="attended",
            volunteer=SimpleNamespace(id=s.volunteer.id),
        )
        make_fama_session(s.client, 1 + n % 3, date.today() - timedelta(days=7 * n))
        make_fama_session(other, 1, date.today() - timedelta(days=n))


def test_every_main_page_sends_the_same_queries_with_much_more_data(app: Flask) -> None:
    with app.app_context():
        build_demo()
    s = _scene(app)
    ids = {"request_id": s.request.id, "client_id": s.client.id}
    clients = _signed_in_clients(app)
    small = _counts(app, clients, ids)
    _add_much_more(s)
    large = _counts(app, clients, ids)
    assert large == small, {k: (small[k], large[k]) for k in small if small[k] != large[k]}
    for kept in ("proposal for the next 7 days", "reports"):  # answered from the cache again
        assert large[f"{kept} (again)"] < large[kept], (kept, large)
