"""The volunteer's side of offers, and what the keyworker sees once someone accepted."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accompaniment import offers
from portal.accompaniment.models import AccompanimentRequest, Offer
from portal.audit import AuditEvent
from portal.extensions import db

from ..conftest import csrf_from
from ..factories import make_offer
from .scene import fresh, scene

HX = {"HX-Request": "true"}


def _html(response) -> str:
    return response.get_data(as_text=True)


def _volunteer_scene(app, browser, n: int = 2, **kwargs):
    """A scene whose first volunteer is signed in, with one offer each."""
    s = scene(n, **kwargs)
    with app.app_context():
        ids = [
            o.id
            for o in offers.make_offers(
                s.request.id, [v.id for v in s.volunteers], fresh(s.champion)
            )
        ]
    assert browser.sign_in(s.users[0].email).status_code == 303
    return s, ids


def test_the_offer_page_shows_what_the_escort_needs_and_no_more(app, browser, client):
    s, ids = _volunteer_scene(
        app,
        browser,
        client={
            "consent_first_name": True,
            "consent_phone": True,
            "phone": "07700 900777",
            "access_needs": "Uses a wheelchair",
        },
        request={
            "note_for_volunteer": "Green coat",
            "note_for_champion": "Very anxious",
            "language": "Polish",
        },
        volunteer={"languages": ["English", "Polish"]},
    )
    page = _html(client.get(f"/offers/{ids[0]}"))
    assert s.client.first_name in page and "Uses a wheelchair" in page and "Polish" in page
    assert "Accept this escort" in page and "Say no to this offer" in page
    # before accepting: no phone, no note, no keyworker contact; never the champion's note
    for hidden in (
        "07700 900777",
        "Green coat",
        s.keyworker.email,
        "Very anxious",
        s.client.reference,
    ):
        assert hidden not in page
    with app.app_context():
        looked = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "offer_viewed"))
        assert looked is not None and looked.client_ref == s.client.reference


def test_without_consent_the_client_is_a_newcomer(app, browser, client):
    s, ids = _volunteer_scene(app, browser, client={"consent_first_name": False})
    page = _html(client.get(f"/offers/{ids[0]}"))
    assert "a newcomer" in page and s.client.first_name not in page


def test_accepting_shows_the_keyworker_contact_and_the_phone_with_consent(app, browser, client):
    s, ids = _volunteer_scene(
        app,
        browser,
        client={"consent_phone": True, "phone": "07700 900777"},
        request={"note_for_volunteer": "Green coat"},
    )
    done = browser.post(f"/offers/{ids[0]}/accept", page=f"/offers/{ids[0]}")
    assert done.status_code == 303
    page = _html(client.get(done.location))
    assert "you are booked" in page
    for shown in ("07700 900777", "Green coat", s.keyworker.email, s.keyworker.name):
        assert shown in page
    assert "I can no longer go" in page
    home = _html(client.get("/volunteer"))
    assert "Coming up" in home and s.meeting.name in home and f"/offers/{ids[0]}" in home


def test_without_phone_consent_the_phone_stays_hidden(app, browser, client):
    s, ids = _volunteer_scene(
        app, browser, client={"consent_phone": False, "phone": "07700 900777"}
    )
    browser.post(f"/offers/{ids[0]}/accept", page=f"/offers/{ids[0]}")
    assert "07700 900777" not in _html(client.get(f"/offers/{ids[0]}"))


def test_the_second_to_accept_is_thanked(app, browser, client):
    s, ids = _volunteer_scene(app, browser)
    with app.app_context():
        offers.accept_offer(ids[1], fresh(s.users[1]))
    late = browser.post(f"/offers/{ids[0]}/accept", page=f"/offers/{ids[0]}")
    assert late.status_code == 303
    page = _html(client.get(late.location))
    assert "Someone else has already taken this one, thank you" in page
    assert s.client.first_name not in page  # the offer is closed: meeting and date only


def test_declining_with_a_reason(app, browser, client):
    s, ids = _volunteer_scene(app, browser)
    long = browser.post(
        f"/offers/{ids[0]}/decline", {"reason": "x" * 301}, page=f"/offers/{ids[0]}"
    )
    assert long.status_code == 200 and "300 characters" in _html(long)
    control = browser.post(
        f"/offers/{ids[0]}/decline", {"reason": "a\x00b"}, page=f"/offers/{ids[0]}"
    )
    assert control.status_code == 200 and "unusual characters" in _html(control)
    done = browser.post(
        f"/offers/{ids[0]}/decline", {"reason": "Away that weekend"}, page=f"/offers/{ids[0]}"
    )
    assert done.status_code == 303
    assert "You said no to this offer" in _html(client.get(done.location))
    with app.app_context():
        assert db.session.get(Offer, ids[0]).decline_reason == "Away that weekend"
    again = browser.post(f"/offers/{ids[0]}/accept", page=f"/offers/{ids[0]}")
    assert "no longer open" in _html(client.get(again.location))


def test_a_volunteer_cannot_see_or_answer_anothers_offer(app, browser, client):
    s, ids = _volunteer_scene(app, browser)
    assert client.get(f"/offers/{ids[1]}").status_code == 404
    token = csrf_from(_html(client.get(f"/offers/{ids[0]}")))
    assert client.post(f"/offers/{ids[1]}/accept", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/offers/{ids[1]}/decline", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/offers/{ids[1]}/cannot-go").status_code == 404
    assert client.get("/offers/999999").status_code == 404
    with app.app_context():
        assert db.session.get(Offer, ids[1]).state == "pending"


@pytest.mark.parametrize("role", ["keyworker", "champion", "admin"])
def test_other_roles_cannot_open_offer_pages(app, login_as, client, role):
    s = scene(1)
    offer = make_offer(s.request, s.volunteers[0])
    login_as(role)
    assert client.get(f"/offers/{offer.id}").status_code == 403


def test_a_volunteer_who_can_no_longer_go(app, browser, client):
    s, ids = _volunteer_scene(app, browser, n=1)
    browser.post(f"/offers/{ids[0]}/accept", page=f"/offers/{ids[0]}")
    url = f"/offers/{ids[0]}/cannot-go"
    assert "You can no longer go?" in _html(client.get(url))
    blank = browser.post(url, {"reason": ""})
    assert blank.status_code == 200 and "Say why they can no longer go" in _html(blank)
    done = browser.post(url, {"reason": "Family emergency"})
    assert done.status_code == 303 and done.location.endswith("/volunteer")
    with app.app_context():
        request = db.session.get(AccompanimentRequest, s.request.id)
        assert request.state == "open" and request.volunteer_id is None
    page = _html(client.get(f"/offers/{ids[0]}"))
    assert "You are no longer booked" in page and s.client.first_name not in page
    assert client.get(url).status_code == 303  # nothing booked any more


def test_access_ends_after_the_escort(app, browser, client):
    s, ids = _volunteer_scene(
        app, browser, n=1, client={"consent_phone": True, "phone": "07700 900777"}
    )
    browser.post(f"/offers/{ids[0]}/accept", page=f"/offers/{ids[0]}")
    with app.app_context():
        request = db.session.get(AccompanimentRequest, s.request.id)
        request.state = "completed"
        request.outcome = "attended"
        db.session.commit()
    page = _html(client.get(f"/offers/{ids[0]}"))
    assert s.meeting.name in page and "This escort is over" in page
    for gone in (s.client.first_name, "07700 900777", s.keyworker.email):
        assert gone not in page
    home = _html(client.get("/volunteer"))
    assert "Escorts done so far: <strong>1</strong>" in home and "Past escorts" in home


def test_the_home_page_lists_offers_and_the_calendar_feed_lists_escorts(app, browser, client):
    s, ids = _volunteer_scene(app, browser, n=1)
    home = _html(client.get("/volunteer"))
    assert f"/offers/{ids[0]}" in home and "Please answer by" in home
    browser.post(f"/offers/{ids[0]}/accept", page=f"/offers/{ids[0]}")
    from portal.volunteers.services import own_volunteer, reset_calendar_link

    with app.app_context():
        user = fresh(s.users[0])
        token = reset_calendar_link(own_volunteer(user), user)
    feed_url = f"/calendar/{token}.ics"
    feed = client.get(feed_url).get_data(as_text=True)
    assert "BEGIN:VEVENT" in feed and f"Peer escort: {s.meeting.name}" in feed
    assert s.client.first_name not in feed


def test_the_keyworker_sees_who_will_meet_their_client(app, login_as, browser, client):
    s = scene(1, volunteer={"preferred_name": "Sam", "phone": "07700 900101", "share_phone": True})
    with app.app_context():
        offer_id = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))[0].id
        offers.accept_offer(offer_id, fresh(s.users[0]))
    assert browser.sign_in(s.keyworker.email).status_code == 303
    request_page = _html(client.get(f"/requests/{s.request.id}"))
    assert "Sam (07700 900101)" in request_page
    assert "Accepted by Sam" in request_page
    assert "With Sam (07700 900101)" in _html(client.get(f"/clients/{s.client.id}"))
    assert "With Sam (07700 900101)" in _html(client.get("/clients/"))
    fragment = _html(client.get("/clients/?q=", headers=HX))
    assert "<html" not in fragment


def test_the_keyworker_sees_no_phone_the_volunteer_did_not_share(app, login_as, browser, client):
    s = scene(1, volunteer={"preferred_name": "Sam", "phone": "07700 900101", "share_phone": False})
    with app.app_context():
        offer_id = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))[0].id
        offers.accept_offer(offer_id, fresh(s.users[0]))
    browser.sign_in(s.keyworker.email)
    page = _html(client.get(f"/requests/{s.request.id}"))
    assert "Sam" in page and "07700 900101" not in page


def test_an_expired_offer_page_expires_it_lazily(app, browser, client):
    s = scene(1, request={"state": "offered"})
    offer = make_offer(s.request, s.volunteers[0], hours=-1)
    browser.sign_in(s.users[0].email)
    page = _html(client.get(f"/offers/{offer.id}"))
    assert "expired" in page and "Accept this escort" not in page
    with app.app_context():
        assert db.session.get(Offer, offer.id).state == "expired"
        assert db.session.get(AccompanimentRequest, s.request.id).state == "open"
