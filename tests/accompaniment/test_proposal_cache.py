"""The batch proposal is kept for a short while: what changes it, and why a kept one is safe."""

from __future__ import annotations

from sqlalchemy import func, select, text, update

from portal.accompaniment.coordination import PROPOSAL_CACHE
from portal.accompaniment.models import Offer
from portal.audit import utcnow
from portal.cache import app_cache
from portal.extensions import db
from portal.volunteers.models import Volunteer

from ..factories import make_window
from .scene import add_request, scene


def _html(response) -> str:
    return response.get_data(as_text=True)


def _cache(app):
    return app_cache(PROPOSAL_CACHE, app=app)


def _proposal_scene(login_as):
    champion = login_as("champion")
    return scene(2, champion=champion, weeks_ahead=0)


def test_the_page_says_when_it_was_proposed_and_offers_a_refresh(app, login_as, client):
    s = _proposal_scene(login_as)
    first = _html(client.get("/requests/proposals"))
    assert 'id="proposal-as-of"' in first and "Proposed on " in first
    assert 'href="/requests/proposals?refresh=1"' in first
    assert f"{s.request.id}:" in first
    cache = _cache(app)
    assert (cache.hits, cache.misses) == (0, 1)
    again = _html(client.get("/requests/proposals"))
    assert (cache.hits, cache.misses) == (1, 1)
    assert f"{s.request.id}:" in again
    refreshed = client.get("/requests/proposals?refresh=1")
    assert refreshed.status_code == 200
    assert (cache.hits, cache.misses) == (1, 2)


def test_a_new_request_or_a_volunteer_change_works_it_out_again(app, login_as, client):
    s = _proposal_scene(login_as)
    client.get("/requests/proposals")
    cache = _cache(app)
    later = add_request(s, weeks_ahead=0)
    page = _html(client.get("/requests/proposals"))
    assert (cache.hits, cache.misses) == (0, 2)
    assert f"/requests/{later.id}/coordinate" in page
    make_window(s.volunteers[0], 6, s.meeting.start_time, s.meeting.end_time)
    client.get("/requests/proposals")
    assert (cache.hits, cache.misses) == (0, 3)
    with app.app_context():
        db.session.execute(update(Volunteer).values(status="paused", updated_at=utcnow()))
        db.session.commit()
    page = _html(client.get("/requests/proposals"))
    assert (cache.hits, cache.misses) == (0, 4)
    assert "Send these offers" not in page  # nobody approved is left to propose


def test_a_lifetime_of_zero_turns_the_cache_off(app, login_as, client):
    _proposal_scene(login_as)
    app.config["PROPOSAL_CACHE_SECONDS"] = 0
    client.get("/requests/proposals")
    client.get("/requests/proposals")
    cache = _cache(app)
    assert cache.hits == 0 and len(cache) == 0


def test_a_stale_line_for_a_volunteer_no_longer_eligible_is_refused(app, login_as, browser, client):
    s = _proposal_scene(login_as)
    page = _html(client.get("/requests/proposals"))
    volunteer = next(v for v in s.volunteers if f"{s.request.id}:{v.id}" in page)
    # Paused behind the cache's back (no updated_at change): the kept proposal still shows them.
    with app.app_context():
        db.session.execute(
            text("UPDATE volunteers SET status = 'paused' WHERE id = :id"), {"id": volunteer.id}
        )
        db.session.commit()
    stale = _html(client.get("/requests/proposals"))
    assert _cache(app).hits == 1
    assert f"{s.request.id}:{volunteer.id}" in stale
    sent = browser.post(
        "/requests/proposals",
        {"pair": [f"{s.request.id}:{volunteer.id}"]},
        page="/requests/proposals",
    )
    assert sent.status_code == 303
    shown = _html(client.get(sent.location))
    assert "0 offers sent" in shown
    assert "Not sent:" in shown and "Paused: not taking escorts at the moment" in shown
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Offer)) == 0
