"""Issue 15 in the browser: the champion sees distances in a request's ranking and who is too far
to go, and the keyworker orders the session-two meeting picker by the client's district."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from portal.extensions import db
from portal.geography.loader import load_directory
from portal.volunteers.models import Volunteer

from ..accompaniment.scene import scene
from ..factories import make_client, make_meeting, make_user
from ..geography.files import write_csv
from .conftest import sign_in


def test_champion_sees_distances_and_keyworker_orders_meetings_by_district(
    page, live_server, tmp_path
):
    app = live_server.app
    with app.app_context():
        load_directory(write_csv(tmp_path / "NSPL_FEB_2024_UK.csv"))
    town = make_meeting(name="Wrenford Town Group", latitude=52.8012, longitude=-1.2043)
    make_meeting(name="Ashby Village Group", latitude=52.8610, longitude=-1.2620)
    s = scene(2, meeting=town)
    near, far = s.volunteers
    with app.app_context():
        db.session.get(Volunteer, near.id).home_district = "QX2"
        db.session.get(Volunteer, near.id).travel_modes = "walk"
        db.session.get(Volunteer, far.id).home_district = "QX6"
        db.session.get(Volunteer, far.id).travel_modes = "walk"
        db.session.get(Volunteer, far.id).preferred_name = "Faraway"
        db.session.commit()

    sign_in(page, s.champion.email)
    page.goto(f"/requests/{s.request.id}/coordinate")
    candidates = page.locator("main")
    expect(candidates).to_contain_text(re.compile(r"About 0\.\d km from the venue"))
    page.get_by_text(re.compile("Volunteers who cannot take this")).click()
    expect(page.get_by_text(re.compile(r"Too far to walk: about 7\.\d km"))).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    keyworker = make_user(roles=("keyworker",))
    client = make_client(keyworker, last_session_kind=1, home_district="QX6")
    sign_in(page, keyworker.email)
    page.goto(f"/clients/{client.id}/sessions/new/2")
    page.get_by_label("Meeting name, area or postcode").fill("group")
    page.get_by_label("Order").select_option("near")
    page.get_by_role("button", name="Find meetings").click()
    choices = page.locator("#meeting-choices")
    expect(choices).to_contain_text("About 7.7 km from QX6")
    text = choices.inner_text()
    assert text.index("Ashby Village Group") < text.index("Wrenford Town Group")
