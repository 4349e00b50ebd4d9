"""The public meetings finder (/find), its meeting pages and the public Meeting Guide feed."""

from __future__ import annotations

import json
import re
from datetime import time
from pathlib import Path

import pytest

from portal.cache import TTLCache, clear_caches
from portal.extensions import db
from portal.geography.loader import load_directory
from portal.meetings.models import Fellowship
from portal.meetings.public import FEED_CACHE

from ..factories import make_client, make_meeting, make_request
from ..geography.files import write_csv
from .test_views import text

DATA = Path(__file__).parent / "data"
PRIVATE = {
    "contact_name": "Bernadette",
    "contact_phone": "07700 900555",
    "notes": "Internal: the caretaker locks up at 9.",
}


def _private_meeting(**values):
    return make_meeting(name="Tuesday Hope", **PRIVATE, **values)


def test_anyone_finds_running_meetings_without_signing_in(client):
    make_meeting(name="Tuesday Hope")
    make_meeting(name="Old Group", active=False)
    response = client.get("/find")
    html = text(response)
    assert response.status_code == 200
    assert "Tuesday Hope" in html and "Old Group" not in html
    assert "Sign out" not in html and "Local mutual aid meetings, listed by" in html
    # nothing to post, so no form token and no session cookie for a visitor
    assert 'name="csrf-token"' not in html and "Set-Cookie" not in response.headers


def test_the_finder_narrows_by_day_time_group_and_attendance(client):
    make_meeting(name="Tuesday Evening AA", weekday=2)
    make_meeting("SMART", name="Friday Tools", weekday=5)
    make_meeting(
        name="Online Morning",
        weekday=5,
        attendance="online",
        online_url="https://meet.example.org/m",
        start_time=time(8),
        end_time=time(9),
    )
    assert "Friday Tools" not in text(client.get("/find?day=2"))
    assert "Tuesday Evening AA" in text(client.get("/find?day=2"))
    only_smart = text(client.get("/find?fellowship=SMART"))
    assert "Friday Tools" in only_smart and "Tuesday Evening AA" not in only_smart
    online = text(client.get("/find?attendance=online"))
    assert "Online Morning" in online and "Friday Tools" not in online


def test_the_finder_sorts_by_distance_from_a_postcode(app, client, tmp_path):
    with app.app_context():
        load_directory(write_csv(tmp_path / "NSPL_FEB_2024_UK.csv"))
        db.session.commit()
    make_meeting(name="Village Group", postcode="QX6 1AA", latitude=52.86, longitude=-1.26)
    make_meeting(name="Town Group", postcode="QX1 4AB", latitude=52.8012, longitude=-1.2043)
    html = text(client.get("/find?near=QX1+2DL"))
    assert "Nearest to QX1 2DL first." in html
    assert html.index("Town Group") < html.index("Village Group")
    assert re.search(r"About \d+\.\d km from QX1 2DL", html)
    wrong = text(client.get("/find?near=ZZ99+9ZZ"))
    assert "Meetings are listed in the usual order" in wrong and "Town Group" in wrong


def test_the_finder_answers_htmx_with_its_results(client):
    make_meeting(name="Tuesday Hope")
    response = client.get("/find?q=hope", headers={"HX-Request": "true"})
    html = text(response)
    assert "<html" not in html and 'id="find-results"' in html and "Tuesday Hope" in html


def test_a_public_meeting_page_has_directions_and_nothing_private(app, client):
    with app.app_context():
        aa = db.session.query(Fellowship).filter_by(code="AA").one()
        aa.description = "A group for people who want to stop drinking."
        db.session.commit()
    meeting = _private_meeting(
        directions_walk="Left at the church", location_notes="Side door, up the stairs"
    )
    make_request(make_client(), meeting)  # someone uses the service: the page must not say so
    html = text(client.get(f"/find/{meeting.id}"))
    assert "Tuesday Hope" in html and "Left at the church" in html
    assert "Side door, up the stairs" in html
    assert "A group for people who want to stop drinking." in html
    assert "Add to calendar" in html and f"/find/{meeting.id}/calendar.ics" in html
    for secret in PRIVATE.values():
        assert secret not in html
    assert "Last checked" not in html and "peer" not in html.split("Going for the first time")[0]


def test_a_deactivated_or_unknown_meeting_is_not_found(client):
    old = make_meeting(name="Old Group", active=False)
    assert client.get(f"/find/{old.id}").status_code == 404
    assert client.get(f"/find/{old.id}/calendar.ics").status_code == 404
    assert client.get("/find/999999").status_code == 404


def test_the_public_calendar_file_links_to_the_public_page(client):
    meeting = make_meeting(name="Tuesday Hope")
    response = client.get(f"/find/{meeting.id}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.data.decode()
    assert f"http://portal.test/find/{meeting.id}" in body.replace("\r\n ", "")


def test_the_feed_is_public_and_publishes_only_what_a_list_publishes(client):
    meeting = _private_meeting(location_notes="Side door")
    make_meeting(name="Old Group", active=False)
    response = client.get("/meetings.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    (record,) = json.loads(response.data)
    assert record["name"] == "Tuesday Hope" and record["slug"] == str(meeting.id)
    assert record["url"] == f"http://portal.test/find/{meeting.id}"
    assert record["location_notes"] == "Side door"
    raw = response.data.decode()
    for secret in PRIVATE.values():
        assert secret not in raw
    assert "last_verified_at" not in record and "notes" not in record
    assert not any(key.startswith("contact") for key in record)


def test_the_feed_meets_the_meeting_guide_field_rules(client):
    make_meeting(name="Tuesday Hope", type_codes="O D")
    make_meeting(
        "SMART",
        name="Online Tools",
        attendance="online",
        online_url="https://meet.example.org/t",
        weekday=0,
    )
    known = set(json.loads((DATA / "meeting-guide-types.json").read_text()))
    for record in json.loads(client.get("/meetings.json").data):
        assert isinstance(record["name"], str) and 0 < len(record["name"]) <= 255
        assert isinstance(record["slug"], str) and record["slug"]
        assert record["day"] in range(7)
        assert re.fullmatch(r"\d\d:\d\d", record["time"])
        assert re.fullmatch(r"\d\d:\d\d", record["end_time"])
        assert record["timezone"] == "Europe/London"
        assert set(record["types"]) <= known
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", record["updated"])
        if "conference_url" in record:
            assert record["conference_url"].startswith("https://")
        if "postal_code" in record:
            assert record["country"] == "GB"


def test_the_feed_may_be_cached_and_answers_not_changed(app, client):
    make_meeting(name="Tuesday Hope")
    first = client.get("/meetings.json")
    assert first.headers["ETag"] and "public" in first.headers["Cache-Control"]
    assert "max-age=300" in first.headers["Cache-Control"]
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get("/meetings.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    make_meeting(name="Friday Hope", weekday=5)
    with app.app_context():
        clear_caches()
    changed = client.get("/meetings.json", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert "Friday Hope" in changed.data.decode()


def test_the_feed_kept_on_one_machine_is_at_most_its_lifetime_old(app, client):
    now = [1000.0]
    with app.app_context():  # this machine's cache, on a clock the test moves
        app.extensions.setdefault("portal_caches", {})[FEED_CACHE] = TTLCache(1, lambda: now[0])
    make_meeting(name="Tuesday Hope")
    client.get("/meetings.json")
    make_meeting(name="Friday Hope", weekday=5)
    assert "Friday Hope" not in client.get("/meetings.json").data.decode()  # kept
    now[0] += app.config["PUBLIC_FEED_CACHE_SECONDS"] + 1
    assert "Friday Hope" in client.get("/meetings.json").data.decode()


class TestRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "PUBLIC_RATE_LIMIT": "3 per minute"}

    def test_an_address_asking_too_often_is_told_to_wait(self, client):
        for _ in range(3):
            assert client.get("/find").status_code == 200
        refused = client.get("/find")
        assert refused.status_code == 429
        assert "Wait a minute, then try again." in text(refused)
        assert int(refused.headers["Retry-After"]) > 0
        assert client.get("/meetings.json").status_code == 429  # one limit for the public pages

    def test_another_address_is_not_held_up(self, client):
        for _ in range(4):
            client.get("/find")
        other = client.get("/find", environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert other.status_code == 200
