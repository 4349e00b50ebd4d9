"""The champion's pages: queue, request page, offers, answers, releases, conflicts, proposals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.accompaniment import offers
from portal.accompaniment.models import AccompanimentRequest, Offer, VolunteerClientConflict
from portal.clients.models import FamaSession
from portal.extensions import db
from portal.meetings.occurrences import LONDON

from ..factories import (
    make_attendance,
    make_meeting,
    make_offer,
    make_user,
    make_vetted_volunteer,
)
from ..querycount import count_queries
from .scene import add_request, fresh, scene

HX = {"HX-Request": "true"}


def _html(response) -> str:
    return response.get_data(as_text=True)


def _champion_scene(login_as, n: int = 2, **kwargs):
    champion = login_as("champion")
    return scene(n, champion=champion, **kwargs)


def test_the_queue_lists_waiting_requests_soonest_first(login_as, client):
    s = _champion_scene(login_as)
    later = add_request(s, weeks_ahead=2)
    page = _html(client.get("/requests/queue"))
    assert "<html" in page and "2 requests waiting" in page
    assert page.index(f"/requests/{s.request.id}/coordinate") < page.index(
        f"/requests/{later.id}/coordinate"
    )
    assert s.client.first_name in page  # consented
    fragment = _html(client.get("/requests/queue?state=open", headers=HX))
    assert "<html" not in fragment and 'id="queue-results"' in fragment


def test_the_queue_filters_and_marks_urgent_and_no_one_fits(login_as, client):
    s = _champion_scene(login_as, weeks_ahead=0)
    elsewhere = make_meeting(area="Harbour side", weekday=5)
    nobody = add_request(s, meeting=elsewhere)
    page = _html(client.get("/requests/queue"))
    assert "No one fits" in page
    assert page.count("No one fits") == 1
    narrowed = _html(client.get("/requests/queue?area=harbour+side"))
    assert f"/requests/{nobody.id}/coordinate" in narrowed
    assert f"/requests/{s.request.id}/coordinate" not in narrowed
    none = _html(client.get("/requests/queue?state=offered"))
    assert "No requests match" in none


@pytest.mark.parametrize(
    "query",
    [
        "fellowship=abc",
        "fellowship=-1",
        "fellowship=99999999999",
        "state=%00",
        "area=%00",  # found by tests/test_fuzz.py: NUL reached PostgreSQL (500)
        "area=" + "x" * 500,
        "page=-3",
        "page=abc",
    ],
)
def test_hostile_queue_filters_are_harmless(login_as, client, query):
    _champion_scene(login_as, n=0)
    assert client.get(f"/requests/queue?{query}").status_code == 200


def test_the_request_page_ranks_volunteers_and_explains_the_rest(login_as, client):
    s = _champion_scene(login_as)
    paused = make_vetted_volunteer(
        make_user(roles=("volunteer",)), status="paused", preferred_name="Pat"
    )
    make_attendance(paused, s.meeting)
    page = _html(client.get(f"/requests/{s.request.id}/coordinate"))
    assert "Volunteers who fit" in page and "Already goes to this very meeting" in page
    assert f"Offer to {s.volunteers[0].preferred_name}" in page
    assert "<details" in page and "Pat" in page and "Paused: not taking escorts" in page
    assert "Offer to them all at once" in page


def test_the_champion_never_sees_treatment_notes(app, login_as, client):
    s = _champion_scene(login_as, request={"note_for_champion": "Prefers a quiet start"})
    with app.app_context():
        db.session.add(
            FamaSession(
                client_id=s.client.id,
                kind=1,
                held_on=s.request.meeting_date,
                recorded_by_id=s.keyworker.id,
                notes="Treatment note: methadone dose review",
            )
        )
        db.session.commit()
    page = _html(client.get(f"/requests/{s.request.id}/coordinate"))
    assert "Prefers a quiet start" in page
    assert "methadone" not in page
    assert client.get(f"/clients/{s.client.id}").status_code == 403
    assert client.get(f"/requests/{s.request.id}").status_code == 403


def test_without_consent_the_champion_sees_no_first_name(login_as, client):
    s = _champion_scene(login_as, client={"consent_first_name": False})
    page = _html(client.get(f"/requests/{s.request.id}/coordinate"))
    assert s.client.first_name not in page and "first name not shared" in page
    assert s.client.first_name not in _html(client.get("/requests/queue"))


def test_offering_to_one_and_to_the_top_few(app, login_as, browser, client):
    s = _champion_scene(login_as, n=4)
    url = f"/requests/{s.request.id}/coordinate"
    done = browser.post(
        f"/requests/{s.request.id}/offer", {"volunteer_id": s.volunteers[0].id}, page=url
    )
    assert done.status_code == 303 and done.location.endswith(url)
    page = _html(client.get(url))
    assert "The offer is sent" in page and "Offer sent" in page
    top = browser.post(f"/requests/{s.request.id}/offer-top", {"count": "2"}, page=url)
    assert top.status_code == 303
    with app.app_context():
        found = db.session.scalars(select(Offer).order_by(Offer.id)).all()
        assert len(found) == 3 and found[1].broadcast_id == found[2].broadcast_id
        assert s.volunteers[0].id not in {found[1].volunteer_id, found[2].volunteer_id}


@pytest.mark.parametrize("value", ["abc", "", "\x00", "99999999", "-4"])
def test_hostile_offer_input_is_refused_politely(app, login_as, browser, client, value):
    s = _champion_scene(login_as)
    url = f"/requests/{s.request.id}/coordinate"
    response = browser.post(f"/requests/{s.request.id}/offer", {"volunteer_id": value}, page=url)
    assert response.status_code in (303, 404)
    top = browser.post(f"/requests/{s.request.id}/offer-top", {"count": value}, page=url)
    assert top.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Offer)) == 0
    assert browser.post("/requests/99999/offer", {"volunteer_id": "1"}, page=url).status_code in (
        303,
        404,
    )
    assert client.get("/requests/99999/coordinate").status_code == 404


def test_recording_a_phone_only_contacts_answer(app, login_as, browser, client):
    s = _champion_scene(login_as, n=0)
    contact = make_vetted_volunteer(
        None, phone_only=True, phone="07700 900222", preferred_name="Dave"
    )
    make_attendance(contact, s.meeting)
    with app.app_context():
        offer_id = offers.make_offers(s.request.id, [contact.id], fresh(s.champion))[0].id
    url = f"/requests/offers/{offer_id}/answer"
    page = _html(client.get(url))
    assert "Record Dave's answer" in page
    blank = browser.post(url, {"answer": ""})
    assert blank.status_code == 200 and "Choose what they said" in _html(blank)
    wrong = browser.post(url, {"answer": "maybe"})
    assert wrong.status_code == 200 and "Select one of the options" in _html(wrong)
    yes = browser.post(url, {"answer": "accept"})
    assert yes.status_code == 303
    assert "the escort is booked" in _html(client.get(yes.location))
    with app.app_context():
        assert db.session.get(AccompanimentRequest, s.request.id).state == "accepted"
    # a portal user's offer cannot be answered here
    other = scene(1, champion=s.champion, keyworker=s.keyworker, meeting=s.meeting)
    with app.app_context():
        theirs = offers.make_offers(other.request.id, [other.volunteers[0].id], fresh(s.champion))[
            0
        ].id
    assert client.get(f"/requests/offers/{theirs}/answer").status_code == 404


def test_withdrawing_an_offer_asks_first(app, login_as, browser, client):
    s = _champion_scene(login_as, n=1)
    with app.app_context():
        offer_id = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))[0].id
    url = f"/requests/offers/{offer_id}/withdraw"
    assert "Withdraw the offer to" in _html(client.get(url))
    long = browser.post(url, {"reason": "x" * 301})
    assert long.status_code == 200 and "300 characters" in _html(long)
    done = browser.post(url, {"reason": "Found someone closer"})
    assert done.status_code == 303
    page = _html(client.get(done.location))
    assert "is withdrawn" in page and "Found someone closer" in page
    assert client.get("/requests/offers/99999/withdraw").status_code == 404


def test_releasing_a_booked_volunteer(app, login_as, browser, client):
    s = _champion_scene(login_as, n=1)
    with app.app_context():
        made = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        offers.accept_offer(made[0].id, fresh(s.users[0]))
    url = f"/requests/{s.request.id}/release"
    page = _html(client.get(f"/requests/{s.request.id}/coordinate"))
    assert "can no longer go" in page
    assert "can no longer go?" in _html(client.get(url))
    blank = browser.post(url, {"reason": ""})
    assert blank.status_code == 200 and "Say why they can no longer go" in _html(blank)
    done = browser.post(url, {"reason": "Phoned in sick"})
    assert done.status_code == 303
    with app.app_context():
        assert db.session.get(AccompanimentRequest, s.request.id).state == "open"
    again = client.get(url)
    assert again.status_code == 303


def test_recording_and_removing_a_conflict_of_interest(app, login_as, browser, client):
    s = _champion_scene(login_as, n=2)
    url = f"/requests/{s.request.id}/coordinate"
    bad = browser.post(
        f"/requests/{s.request.id}/conflicts", {"volunteer_id": "abc", "note": ""}, page=url
    )
    assert bad.status_code == 200 and "Choose a volunteer from the list" in _html(bad)
    long = browser.post(
        f"/requests/{s.request.id}/conflicts",
        {"volunteer_id": str(s.volunteers[0].id), "note": "x" * 301},
        page=url,
    )
    assert long.status_code == 200 and "300 characters" in _html(long)
    done = browser.post(
        f"/requests/{s.request.id}/conflicts",
        {"volunteer_id": str(s.volunteers[0].id), "note": "Same family"},
        page=url,
    )
    assert done.status_code == 303
    page = _html(client.get(url))
    assert "Same family" in page and "Has a recorded conflict of interest" in page
    with app.app_context():
        conflict = db.session.scalar(select(VolunteerClientConflict))
    removed = browser.post(f"/requests/{s.request.id}/conflicts/{conflict.id}/remove", {}, page=url)
    assert removed.status_code == 303
    assert "Same family" not in _html(client.get(url))
    assert (
        browser.post(
            f"/requests/{s.request.id}/conflicts/{conflict.id}/remove", {}, page=url
        ).status_code
        == 404
    )


def test_proposals_show_pairs_and_send_the_ticked_ones(app, login_as, browser, client):
    s = _champion_scene(login_as, n=2, weeks_ahead=0)
    add_request(s, weeks_ahead=0, meeting=make_meeting(weekday=5))  # nobody free
    page = _html(client.get("/requests/proposals"))
    assert "Send these offers" in page and "Requests left without a volunteer" in page
    assert "No volunteer fits" in page
    pair = f"{s.request.id}:{s.volunteers[0].id}"
    sent = browser.post(
        "/requests/proposals", {"pair": [pair, "junk", "1:2:3", "\x00"]}, page="/requests/proposals"
    )
    assert sent.status_code == 303
    assert "1 offer sent" in _html(client.get(sent.location))
    none = browser.post("/requests/proposals", {}, page="/requests/proposals")
    assert none.status_code == 303
    assert "Tick at least one pair" in _html(client.get(none.location))


def test_the_champion_home_counts_waiting_requests(login_as, client):
    soon = datetime.now(UTC) + timedelta(hours=20)
    _champion_scene(
        login_as,
        n=0,
        request={
            "starts_at": soon,
            "ends_at": soon + timedelta(hours=1),
            "meeting_date": soon.astimezone(LONDON).date(),
        },
    )
    page = _html(client.get("/champion"))
    assert "1 request is waiting for a volunteer" in page and "1 urgent" in page


def test_a_keyworker_cannot_reach_the_champions_pages(login_as, client):
    login_as("keyworker")
    assert client.get("/requests/queue").status_code == 403
    assert client.get("/requests/proposals").status_code == 403
    assert client.get("/requests/1/coordinate").status_code == 403


def _page_queries(app, client, url: str) -> int:
    client.get(url)  # warm caches (settings, compiled statements)
    with count_queries(app) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_queue_and_request_page_queries_do_not_grow(app, login_as, client):
    s = _champion_scene(login_as, n=2)
    with app.app_context():
        offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
    small_queue = _page_queries(app, client, "/requests/queue")
    small_page = _page_queries(app, client, f"/requests/{s.request.id}/coordinate")
    for _ in range(4):
        more = add_request(s)
        volunteer = make_vetted_volunteer(make_user(roles=("volunteer",)))
        make_attendance(volunteer, s.meeting)
        make_offer(more, volunteer)
    paused = make_vetted_volunteer(make_user(roles=("volunteer",)), status="paused")
    make_attendance(paused, s.meeting)
    assert _page_queries(app, client, "/requests/queue") == small_queue
    assert _page_queries(app, client, f"/requests/{s.request.id}/coordinate") == small_page


def test_recording_a_phone_only_contacts_no(app, login_as, browser, client):
    s = _champion_scene(login_as, n=0)
    contact = make_vetted_volunteer(
        None, phone_only=True, phone="07700 900333", preferred_name="Di"
    )
    make_attendance(contact, s.meeting)
    with app.app_context():
        offer_id = offers.make_offers(s.request.id, [contact.id], fresh(s.champion))[0].id
    url = f"/requests/offers/{offer_id}/answer"
    long = browser.post(url, {"answer": "decline", "reason": "x" * 301})
    assert long.status_code == 200 and "300 characters or fewer" in _html(long)
    no = browser.post(url, {"answer": "decline", "reason": "Away that week"})
    assert no.status_code == 303
    assert "Their no is recorded." in _html(client.get(no.location))
    # Answered now, so the page sends the champion back to the request.
    assert browser.post(url, {"answer": "accept"}).status_code == 303
    with app.app_context():
        assert db.session.get(Offer, offer_id).state == "declined"
