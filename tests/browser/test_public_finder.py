"""Issue 18 in the browser: a visitor with no account, on a phone, finds a meeting near them and
opens it; the feed they could give the Meeting Guide app carries nothing private."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from portal.extensions import db
from portal.geography.loader import load_directory
from portal.meetings.models import Fellowship

from ..factories import make_meeting
from ..geography.files import write_csv


def test_a_visitor_finds_a_meeting_near_them_on_a_phone_and_opens_it(
    phone_page, live_server, tmp_path
):
    app = live_server.app
    with app.app_context():
        load_directory(write_csv(tmp_path / "NSPL_FEB_2024_UK.csv"))
        smart = db.session.query(Fellowship).filter_by(code="SMART").one()
        smart.description = "A meeting led by a trained helper."
        db.session.commit()
    make_meeting(
        "SMART",
        name="Village Tools",
        postcode="QX6 1AA",
        latitude=52.86,
        longitude=-1.26,
        contact_name="Bernadette",
    )
    make_meeting(
        "SMART",
        name="Town Tools",
        postcode="QX1 4AB",
        latitude=52.8012,
        longitude=-1.2043,
        directions_walk="Past the library, then left",
        contact_name="Bernadette",
    )
    page = phone_page
    page.goto("/find")
    expect(page.get_by_role("heading", name="Find a mutual aid meeting")).to_be_visible()
    page.get_by_label("Near a postcode (optional)").fill("QX1 2DL")
    page.get_by_label("Kind of group").select_option("SMART")
    page.get_by_role("button", name="Find meetings").click()
    results = page.locator("#find-results")
    expect(results).to_contain_text("Nearest to QX1 2DL first.")
    expect(results).to_contain_text(re.compile(r"About 0\.\d km from QX1 2DL"))
    listed = results.inner_text()
    assert listed.index("Town Tools") < listed.index("Village Tools")

    page.get_by_role("link", name="Town Tools").click()
    expect(page.get_by_role("heading", name="Town Tools")).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text("A meeting led by a trained helper.")
    expect(main).to_contain_text("Past the library, then left")
    expect(page.get_by_role("link", name="Add to calendar")).to_be_visible()
    assert "Bernadette" not in main.inner_text()
    assert page.context.cookies() == []  # a visitor is given no cookie
    # nothing wider than the phone's screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    feed = json.loads(page.request.get("/meetings.json").text())
    assert {record["name"] for record in feed} == {"Town Tools", "Village Tools"}
    assert "Bernadette" not in json.dumps(feed)
