"""Request pages: timeline, cancel with a reason, a new date, refusals and conflicts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accompaniment.models import AccompanimentRequest, RequestEvent
from portal.clients.models import FamaSession
from portal.extensions import db

from ..factories import make_client, make_request

HX = {"HX-Request": "true"}


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_the_request_page_and_its_timeline_fragment(login_as, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    request = make_request(made, note_for_champion="Anxious", note_for_volunteer="Green coat")
    full = _html(client.get(f"/requests/{request.id}"))
    assert "<html" in full and "Waiting for a volunteer" in full and "Green coat" in full
    fragment = _html(client.get(f"/requests/{request.id}", headers=HX))
    assert "<html" not in fragment and 'id="request-timeline"' in fragment


def test_the_state_shows_on_the_caseload_and_the_client_page(login_as, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    make_request(made, state="accepted", peer_first_name="Sam")
    assert "Volunteer confirmed for" in _html(client.get("/clients/"))
    page = _html(client.get(f"/clients/{made.id}"))
    assert "Volunteer confirmed" in page and "Sam" not in page.split("Requests for a peer")[0]


def test_cancelling_asks_for_a_reason_then_shows_in_the_timeline(app, login_as, browser, client):
    keyworker = login_as("keyworker")
    request = make_request(make_client(keyworker))
    url = f"/requests/{request.id}/cancel"
    assert "Cancel the request for a peer?" in _html(client.get(url))
    blank = browser.post(url, {"reason": "", "version": "1"})
    assert blank.status_code == 200 and "Say why the request is being cancelled" in _html(blank)
    long = browser.post(url, {"reason": "x" * 301, "version": "1"})
    assert long.status_code == 200 and "300 characters or fewer" in _html(long)
    done = browser.post(url, {"reason": "Client has moved away", "version": "1"})
    assert done.status_code == 303
    page = _html(client.get(f"/requests/{request.id}"))
    assert "Cancelled" in page and "Client has moved away" in page
    assert "Change the date" not in page
    # Cancelling again is refused with a message, and nothing changes.
    again = browser.post(url, {"reason": "Again", "version": "2"})
    assert again.status_code == 303
    refused = _html(client.get(again.location))
    assert "cannot be cancelled" in refused
    assert "cannot be cancelled" in _html(client.get(url, follow_redirects=True))
    with app.app_context():
        row = db.session.get(AccompanimentRequest, request.id)
        assert (row.state, row.version, row.cancel_reason) == (
            "cancelled",
            2,
            "Client has moved away",
        )
        assert len(db.session.scalars(select(RequestEvent)).all()) == 2


def test_a_completed_request_cannot_be_cancelled_or_redated(login_as, browser, client):
    keyworker = login_as("keyworker")
    request = make_request(make_client(keyworker), state="completed", outcome="attended")
    response = browser.post(
        f"/requests/{request.id}/cancel",
        {"reason": "Too late", "version": "1"},
        page=f"/requests/{request.id}",
    )
    assert response.status_code == 303
    assert "completed, so it cannot be cancelled" in _html(client.get(response.location))
    response = client.get(f"/requests/{request.id}/date", follow_redirects=True)
    assert "its date cannot be changed" in _html(response)


def test_a_stale_page_gets_this_changed_reload(login_as, browser):
    keyworker = login_as("keyworker")
    request = make_request(make_client(keyworker), version=3)
    response = browser.post(f"/requests/{request.id}/cancel", {"reason": "x", "version": "2"})
    assert response.status_code == 409
    assert "Reload" in _html(response)


def test_changing_the_date_reopens_and_is_shown(app, login_as, browser, client):
    keyworker = login_as("keyworker")
    request = make_request(make_client(keyworker), state="accepted", peer_first_name="Sam")
    url = f"/requests/{request.id}/date"
    new_day = (request.meeting_date + timedelta(days=7)).isoformat()
    assert f'value="{new_day}"' in _html(client.get(url))
    response = browser.post(url, {"meeting_date": new_day, "version": "1"})
    assert response.status_code == 303
    page = _html(client.get(f"/requests/{request.id}"))
    assert "Date changed" in page and "Waiting for a volunteer" in page
    with app.app_context():
        row = db.session.get(AccompanimentRequest, request.id)
        assert (row.state, row.meeting_date.isoformat(), row.peer_first_name) == (
            "open",
            new_day,
            None,
        )


@pytest.mark.parametrize("day", ["2001-01-02", "garbage", "", "\x00"])
def test_a_date_not_offered_is_refused_by_the_field(login_as, browser, day):
    keyworker = login_as("keyworker")
    request = make_request(make_client(keyworker))
    response = browser.post(f"/requests/{request.id}/date", {"meeting_date": day, "version": "1"})
    assert response.status_code == 200
    assert "nhsuk-error-message" in _html(response)


def _committed_client(app, keyworker):
    made = make_client(keyworker)
    request = make_request(made, state="cancelled", is_current=False, cancel_reason="x")
    with app.app_context():
        session = FamaSession(
            client_id=made.id,
            kind=2,
            held_on=request.meeting_date - timedelta(days=7),
            recorded_by_id=keyworker.id,
            commitment_meeting_id=request.meeting_id,
            commitment_at=request.starts_at,
            wants_company=True,
        )
        db.session.add(session)
        db.session.commit()
        return made, session.id, request.meeting_date.isoformat()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"minutes_before": "abc"}, "Enter a number of minutes, like 15"),
        ({"minutes_before": "-5"}, "from 0 to 120"),
        ({"minutes_before": "9999"}, "from 0 to 120"),
        ({"meeting_point": ""}, "Say where the peer will meet the client"),
        ({"meeting_point": "y" * 201}, "200 characters or fewer"),
        ({"peer_gender": "wizard"}, "Select one of the options"),
        ({"peer_gender": "same"}, "choose the peer"),
        ({"note_for_volunteer": "n" * 501}, "500 characters or fewer"),
        ({"note_for_champion": "bad\x00byte"}, "Remove the unusual characters"),
        ({"meeting_date": "2001-01-01"}, "Choose one of the options"),
        ({"session": "abc"}, "Not a valid integer value"),
    ],
)
def test_hostile_request_forms_come_back_with_a_message(app, login_as, browser, change, message):
    keyworker = login_as("keyworker")
    made, session_id, day = _committed_client(app, keyworker)
    data = {
        "session": str(session_id),
        "meeting_date": day,
        "meeting_point": "Outside",
        "minutes_before": "15",
        "peer_gender": "any",
        **change,
    }
    with app.app_context():
        row = db.session.get(type(made), made.id)
        row.gender = "not_said"
        db.session.commit()
    response = browser.post(f"/requests/for/{made.id}/new", data)
    assert response.status_code == 200
    assert message in _html(response)
    with app.app_context():
        assert (
            db.session.scalars(
                select(AccompanimentRequest).where(AccompanimentRequest.state == "open")
            ).first()
            is None
        )


def test_no_commitment_means_no_request_form(login_as, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    response = client.get(f"/requests/for/{made.id}/new", follow_redirects=True)
    assert "Record the meeting the client commits to" in _html(response)


def test_asking_for_a_peer_starts_from_the_commitment_and_raises_the_request(
    app, login_as, browser, client
):
    keyworker = login_as("keyworker")
    made, session_id, day = _committed_client(app, keyworker)
    url = f"/requests/for/{made.id}/new?session={session_id}"
    form = client.get(url)
    assert form.status_code == 200 and f'<option selected value="{day}">' in _html(form)
    data = {
        "session": str(session_id),
        "meeting_date": day,
        "meeting_point": "By the clock",
        "minutes_before": "20",
        "peer_gender": "any",
        "note_for_volunteer": "Blue scarf",
    }
    response = browser.post(f"/requests/for/{made.id}/new", data)
    assert response.status_code == 303
    page = _html(client.get(response.location))
    assert "Your request for a peer is sent" in page and "Blue scarf" in page
    with app.app_context():
        raised = db.session.scalars(
            select(AccompanimentRequest).where(AccompanimentRequest.state == "open")
        ).one()
        assert response.location.endswith(f"/requests/{raised.id}")
        assert (raised.meeting_point, raised.minutes_before) == ("By the clock", 20)
    # A second request while this one is live is refused on the form, the answers kept.
    again = browser.post(f"/requests/for/{made.id}/new", {**data, "meeting_point": "Gate B"})
    assert again.status_code == 200
    assert "already has a request in progress" in _html(again) and "Gate B" in _html(again)
