"""Safety pages: the volunteer's escort page, the Today board, the outcome form."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal.accompaniment.models import AccompanimentRequest
from portal.extensions import db
from portal.notify.models import Notification
from portal.safety.models import EscortCheck, EscortOutcome

from ..factories import make_escort, make_user, make_vetted_volunteer
from ..querycount import count_queries


def _volunteer(login_as):
    user = login_as("volunteer")
    make_vetted_volunteer(user)
    return user


def _kinds(app, request_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(EscortCheck.kind)
                .where(EscortCheck.request_id == request_id)
                .order_by(EscortCheck.id)
            )
        )


def test_volunteer_checks_in_and_out_on_their_escort_page(app, client, browser, login_as):
    user = login_as("volunteer")
    request, *_ = make_escort(user)
    url = f"/safety/escorts/{request.id}"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "I&#39;ve met them" in html or "I've met them" in html
    assert "I need help now" in html
    assert "Record what happened" not in html  # not started yet
    response = browser.post(f"{url}/met", page=url)
    assert response.status_code == 303 and response.location.endswith(url)
    html = client.get(url).get_data(as_text=True)
    assert "Met at" in html
    response = browser.post(f"{url}/safe", page=url)
    assert response.status_code == 303
    browser.post(f"{url}/safe", page=url)  # a double tap records it once
    html = client.get(url).get_data(as_text=True)
    assert "Finished and safe at" in html
    assert "We&#39;ve finished" not in html and "We've finished" not in html
    assert _kinds(app, request.id) == ["checkin", "checkout"]


def test_help_shows_the_numbers_and_alerts_champions(app, client, browser, login_as):
    champion = make_user(roles=("champion",))
    user = login_as("volunteer")
    request, *_ = make_escort(user)
    url = f"/safety/escorts/{request.id}"
    response = browser.post(f"{url}/help", page=url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The recovery champion has been alerted" in html
    assert 'href="tel:' in html
    with app.app_context():
        alerts = db.session.scalar(
            select(func.count()).where(
                Notification.user_id == champion.id, Notification.kind == "help_requested"
            )
        )
    assert alerts == 1
    assert _kinds(app, request.id) == ["help"]


def test_volunteer_cannot_see_or_act_on_someone_elses_escort(app, client, browser, login_as):
    _volunteer(login_as)
    request, *_ = make_escort()
    url = f"/safety/escorts/{request.id}"
    assert client.get(url).status_code == 404
    for action in ("met", "safe", "help"):
        assert browser.post(f"{url}/{action}", page="/safety/escorts").status_code == 404
    assert client.get(f"{url}/outcome").status_code == 404
    assert client.get("/safety/escorts/999999").status_code == 404
    assert client.get("/safety/escorts/nonsense").status_code == 404
    assert _kinds(app, request.id) == []


def test_keyworker_and_volunteer_may_not_see_the_today_board(client, login_as):
    login_as("keyworker")
    assert client.get("/safety/today").status_code == 403
    client.post("/sign-out")
    assert client.get("/safety/escorts").status_code in (302, 303, 401, 403)


def test_volunteer_may_not_see_the_today_board(client, login_as):
    login_as("volunteer")
    assert client.get("/safety/today").status_code == 403


def test_post_without_csrf_is_refused(app, client, login_as):
    user = login_as("volunteer")
    request, *_ = make_escort(user)
    response = client.post(f"/safety/escorts/{request.id}/met")
    assert response.status_code == 400
    assert _kinds(app, request.id) == []


def test_my_escorts_lists_and_links(client, login_as):
    user = login_as("volunteer")
    assert "You have no escorts booked" in client.get("/safety/escorts").get_data(as_text=True)
    request, *_ = make_escort(user)
    html = client.get("/safety/escorts").get_data(as_text=True)
    assert f"/safety/escorts/{request.id}" in html
    home = client.get("/volunteer", follow_redirects=True).get_data(as_text=True)
    assert "/safety/escorts" in home


def test_today_board_shows_states_and_polls(app, client, browser, login_as):
    champion_user = login_as("champion")
    assert champion_user
    html = client.get("/safety/today").get_data(as_text=True)
    assert "No escorts today" in html and 'hx-trigger="every 30s"' in html
    met, _v, met_user, *_ = make_escort(starts_in=timedelta(minutes=-10))
    overdue, *_ = make_escort(starts_in=timedelta(hours=-3))
    waiting, *_ = make_escort(starts_in=timedelta(minutes=1))
    with app.app_context():
        db.session.add(EscortCheck(request_id=met.id, volunteer_id=_v.id, kind="checkin"))
        db.session.commit()
    response = client.get("/safety/today")
    html = response.get_data(as_text=True)
    assert "<html" in html
    for request in (met, overdue, waiting):
        if request.meeting_date == met.meeting_date:  # today in London
            assert f'id="escort-{request.id}"' in html
    assert ">Met<" in html and ">Not started<" in html
    if overdue.meeting_date == met.meeting_date:
        assert ">Overdue<" in html
    fragment = client.get("/safety/today", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<html" not in body and 'id="today-board"' in body


def test_today_board_query_count_is_fixed(app, client, login_as):
    login_as("champion")
    make_escort(starts_in=timedelta(minutes=5))
    client.get("/safety/today")
    with count_queries(app) as few:
        client.get("/safety/today", headers={"HX-Request": "true"})
    for _ in range(4):
        make_escort(starts_in=timedelta(minutes=5))
    with count_queries(app) as many:
        client.get("/safety/today", headers={"HX-Request": "true"})
    assert len(few) == len(many)


def test_volunteer_records_the_outcome(app, client, browser, login_as):
    user = login_as("volunteer")
    request, _v, _u, keyworker, _client = make_escort(user, starts_in=timedelta(hours=-2))
    url = f"/safety/escorts/{request.id}/outcome"
    form = client.get(url)
    assert form.status_code == 200 and "Did the client come?" in form.get_data(as_text=True)
    # Errors re-render with the input kept.
    bad = browser.post(url, {"came": "attended", "note": "kept text", "version": request.version})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Say whether you went in together" in html and "kept text" in html
    response = browser.post(
        url,
        {
            "came": "attended",
            "together": "yes",
            "again": "not_sure",
            "note": "Nervous, fine.",
            "version": request.version,
        },
        page=url,
    )
    assert response.status_code == 303
    with app.app_context():
        row = db.session.get(AccompanimentRequest, request.id)
        assert (row.state, row.outcome) == ("completed", "attended")
        assert db.session.get(EscortOutcome, request.id).wants_again == "not_sure"
        told = db.session.scalar(
            select(func.count()).where(
                Notification.user_id == keyworker.id, Notification.kind == "outcome_recorded"
            )
        )
    assert told == 1
    assert client.get(url).status_code == 404  # done: nothing more to record


def test_outcome_hostile_input(app, client, browser, login_as):
    user = login_as("volunteer")
    request, *_ = make_escort(user, starts_in=timedelta(hours=-2))
    url = f"/safety/escorts/{request.id}/outcome"
    for data in (
        {"came": "nope"},
        {"came": "attended", "together": "yes", "note": "x" * 501},
        {"came": "attended", "together": "yes", "note": "bad\x00byte"},
        {"came": "attended", "together": "yes", "again": "always"},
        {"came": "attended", "together": "yes", "version": "abc"},
        {"came": "attended", "together": "yes", "version": "9" * 40},
        {},
    ):
        data.setdefault("version", request.version)
        response = browser.post(url, data, page=url)
        assert response.status_code in (200, 409), (data, response.status_code)
    with app.app_context():
        assert db.session.get(AccompanimentRequest, request.id).state == "accepted"
    stale = browser.post(url, {"came": "client_did_not_come", "version": "99"}, page=url)
    assert stale.status_code == 409


def test_champion_records_outcome_for_a_phone_only_contact(app, client, browser, login_as):
    login_as("champion")
    request, *_ = make_escort(phone_only=True, starts_in=timedelta(hours=-2))
    board = client.get("/safety/today").get_data(as_text=True)
    assert "Phone-only contact" in board
    url = f"/safety/escorts/{request.id}/outcome"
    assert "You are recording this for" in client.get(url).get_data(as_text=True)
    response = browser.post(
        url, {"came": "client_did_not_come", "version": request.version}, page=url
    )
    assert response.status_code == 303 and response.location.endswith("/safety/today")
    with app.app_context():
        assert db.session.get(AccompanimentRequest, request.id).outcome == "client_did_not_come"
