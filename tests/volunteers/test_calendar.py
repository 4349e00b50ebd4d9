"""The personal calendar feed: a secret address, valid iCalendar, nothing about clients."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from icalendar import Calendar

from portal.extensions import db
from portal.volunteers import services
from portal.volunteers.models import Volunteer

FEED = re.compile(r'id="feed-url" type="text" value="([^"]+)"')


def feed_path(page: str) -> str:
    match = FEED.search(page)
    assert match, "no calendar link on the page"
    return match.group(1).removeprefix("http://portal.test")


def test_make_subscribe_and_reset_the_calendar_link(app, browser, signed_in_volunteer):
    _, volunteer = signed_in_volunteer()
    page = browser.client.get("/me/calendar").get_data(as_text=True)
    assert "You have no calendar link yet" in page
    made = browser.post("/me/calendar/reset", {}, page="/me/calendar")
    assert made.status_code == 200
    first = feed_path(made.get_data(as_text=True))
    assert first.startswith("/calendar/") and first.endswith(".ics")

    anonymous = app.test_client()
    feed = anonymous.get(first)
    assert feed.status_code == 200
    assert feed.mimetype == "text/calendar"
    assert feed.headers["Cache-Control"] == "no-store"
    calendar = Calendar.from_ical(feed.data)
    assert calendar["VERSION"] == "2.0"
    assert "PRODID" in calendar
    assert list(calendar.walk("VEVENT")) == []

    # the link is shown once; afterwards the page only offers a new one
    later = browser.client.get("/me/calendar").get_data(as_text=True)
    assert first not in later and "Make a new calendar link" in later

    again = browser.post("/me/calendar/reset", {}, page="/me/calendar")
    second = feed_path(again.get_data(as_text=True))
    assert second != first
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200


def test_unknown_and_hostile_feed_addresses_are_404(client):
    for path in ("/calendar/nope.ics", "/calendar/" + "a" * 300 + ".ics", "/calendar/%00.ics"):
        assert client.get(path).status_code == 404


def test_a_deactivated_account_loses_its_feed(app, signed_in_volunteer):
    user, volunteer = signed_in_volunteer()
    with app.app_context():
        row = db.session.get(Volunteer, volunteer.id)
        token = services.reset_calendar_link(row, row.user)
        row.user.active = False
        db.session.commit()
    assert app.test_client().get(f"/calendar/{token}.ics").status_code == 404


def test_escorts_round_trip_through_icalendar(app):
    start = datetime(2026, 12, 1, 19, 15, tzinfo=UTC)
    end = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)
    events = [
        services.CalendarEvent(
            uid="escort-17@portal",
            start=start,
            end=end,
            summary="Escort: Tuesday Step Group",
            location="Outside Leeds station, main entrance",
            description="Meet 15 minutes before the meeting.",
        )
    ]
    with app.app_context():
        body = services.build_calendar(events)
    calendar = Calendar.from_ical(body)
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Escort: Tuesday Step Group"
    assert str(event["UID"]) == "escort-17@portal"
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") == end
    assert "Leeds station" in str(event["LOCATION"])
    assert "DTSTAMP" in event
