"""The meetings pages through the test client, as a browser without JavaScript and as htmx."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.extensions import db
from portal.meetings.models import Fellowship, Meeting

from ..conftest import csrf_from
from ..factories import fellowship_id, make_meeting, make_user
from .feeds import feed_bytes, feed_record, upload

HTMX = {"HX-Request": "true"}


def text(response) -> str:
    return response.get_data(as_text=True)


def form_data(**overrides: object) -> dict:
    data: dict = {
        "name": "Tuesday Night Group",
        "fellowship_id": str(fellowship_id("AA")),
        "weekday": "2",
        "start_time": "19:30",
        "end_time": "20:30",
        "attendance": "in_person",
        "venue": "St Mark's Church Hall",
        "address": "12 Church Lane, Wrenford",
        "postcode": "qx1 4ab",
        "area": "Town centre",
        "open_closed": "O",
        "audience": ["W"],
        "access": ["X"],
        "languages": ["UK"],
        "directions_walk": "Left at the church",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def meeting_row(app, meeting_id: int) -> Meeting:
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        db.session.expunge(meeting)
        return meeting


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- search --------------------------------------------------------------------------------


def test_search_page_lists_meetings_and_keeps_the_filters_in_the_url(login_as, client):
    make_meeting("AA", name="Hope Group", weekday=2, type_codes="O W")
    make_meeting("NA", name="Clean Living", weekday=3)
    login_as("keyworker")
    html = text(client.get("/meetings?fellowship=AA&day=2&feature=women&q=hope"))
    assert "<html" in html and "Hope Group" in html and "Clean Living" not in html
    assert '<option value="AA" selected>' in html
    assert '<option value="2" selected>' in html
    assert 'value="women" checked' in html
    assert 'value="hope"' in html
    assert "1 meeting</strong>" in html
    assert "Open, Women only" in html
    assert 'hx-get="/meetings"' in html and 'hx-push-url="true"' in html


def test_an_htmx_search_answers_with_the_results_fragment_only(login_as, client):
    make_meeting(name="Hope Group")
    login_as("volunteer")
    html = text(client.get("/meetings?q=hope", headers=HTMX))
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="meeting-results"')
    assert "Hope Group" in html


def test_pages_of_results_carry_every_filter(app, login_as, client):
    app.config["PAGE_SIZE"] = 2
    for number in range(5):
        make_meeting(name=f"Meeting {number}", type_codes="O W")
    login_as("keyworker")
    html = text(client.get("/meetings?feature=open&feature=women"))
    link = re.search(r'href="(/meetings\?[^"]*page=2[^"]*)"', html).group(1)
    assert "feature=open" in link and "feature=women" in link
    assert "Page 2 of 3" in html
    assert "Meeting 2" in text(client.get(link.replace("&amp;", "&")))


def test_no_results_say_what_to_do_next(login_as, client):
    login_as("keyworker")
    assert "No meetings match. Try fewer filters" in text(client.get("/meetings?q=zzzz"))


def test_champion_tools_and_deactivated_meetings_are_for_champions(login_as, client):
    make_meeting(name="Stopped Group", active=False)
    login_as("keyworker")
    html = text(client.get("/meetings?status=all"))
    assert (
        "Stopped Group" not in html and "Add a meeting" not in html and 'name="status"' not in html
    )
    client.post("/sign-out", data={"csrf_token": csrf_from(html)})
    login_as("champion")
    html = text(client.get("/meetings?status=all"))
    assert "Stopped Group" in html and "Deactivated" in html
    assert "Add a meeting" in html and "Needs checking (0)" in html


@pytest.mark.parametrize(
    "query",
    [
        "day=abc",
        "day=-1",
        "day=99999999999999999999",
        "time=%00",
        "feature=%00&feature=" + "x" * 5000,
        "q=%00%01",
        "q=" + "a" * 10000,
        "fellowship=<script>",
        "page=-5",
        "page=abc",
        "area=%E2%80%AE",
        "language=../../etc",
    ],
)
def test_hostile_search_parameters_never_break_the_page(login_as, client, query):
    login_as("keyworker")
    assert client.get(f"/meetings?{query}").status_code == 200


# --- one meeting ---------------------------------------------------------------------------


def test_the_meeting_page_tells_a_newcomer_what_they_need(login_as, client):
    meeting = make_meeting(
        name="Tuesday Big Book",
        type_codes="O W X UK ZZZ BE",
        latitude=52.8012,
        longitude=-1.2043,
        directions_walk="Left at the church",
        directions_public_transport="Bus 7 to Market Square",
        location_notes="Green door at the side",
    )
    login_as("volunteer")
    html = text(client.get(f"/meetings/{meeting.id}"))
    assert "Every Tuesday, 7:30pm to 8:30pm" in html
    assert html.count("Tuesday ") >= 5  # the next four dates
    assert "Open meeting: anyone can go" in html
    assert "Women only" in html and "Newcomer-friendly" in html and "Ukrainian" in html
    assert "ZZZ" not in html and ">UK<" not in html
    assert "On foot" in html and "Left at the church" in html
    assert "By car" in html and "Not recorded yet." in html
    assert "By public transport" in html and "Bus 7 to Market Square" in html
    assert "Green door at the side" in html
    assert "https://www.openstreetmap.org/?mlat=52.80120&amp;mlon=-1.20430" in html
    assert "Wheelchair access." in html
    assert "Someone confirmed these details on" in html
    assert f'href="/meetings/{meeting.id}/calendar.ics"' in html
    assert "Mark as checked today" not in html and "Change the details" not in html


def test_the_map_link_falls_back_to_the_postcode(login_as, client):
    meeting = make_meeting(postcode="QX1 4AB", latitude=None, longitude=None)
    login_as("keyworker")
    assert "https://www.openstreetmap.org/search?query=QX1%204AB" in text(
        client.get(f"/meetings/{meeting.id}")
    )


def test_an_online_meeting_shows_its_link_and_no_directions(login_as, client):
    meeting = make_meeting(
        attendance="online",
        online_url="https://meet.example.org/x",
        online_notes="Passcode 1234",
        address=None,
        postcode=None,
        venue=None,
    )
    login_as("keyworker")
    html = text(client.get(f"/meetings/{meeting.id}"))
    assert 'href="https://meet.example.org/x"' in html and "Passcode 1234" in html
    assert "Getting there" not in html and "openstreetmap" not in html


def test_stored_text_renders_inert_and_a_bad_link_is_never_an_href(login_as, client):
    meeting = make_meeting(
        name='<div hx-get="/admin" hx-trigger="load">x</div>',
        notes="<script>alert(1)</script>",
        attendance="hybrid",
        online_url="javascript:alert(1)",
    )
    login_as("keyworker")
    html = text(client.get(f"/meetings/{meeting.id}"))
    assert '<div hx-get="/admin"' not in html and "<script>alert" not in html
    assert "&lt;div hx-get=" in html
    assert "javascript:alert" not in html
    assert "No link recorded." in html


def test_a_deactivated_meeting_still_has_a_page_but_no_calendar(login_as, client):
    meeting = make_meeting(active=False)
    login_as("keyworker")
    html = text(client.get(f"/meetings/{meeting.id}"))
    assert "No longer running" in html and "calendar.ics" not in html
    assert client.get(f"/meetings/{meeting.id}/calendar.ics").status_code == 404


def test_an_unknown_meeting_is_a_404(login_as, client):
    login_as("keyworker")
    assert client.get("/meetings/999999").status_code == 404
    assert client.get("/meetings/999999/calendar.ics").status_code == 404


def test_the_calendar_download_is_an_ics_file(login_as, client):
    from icalendar import Calendar

    meeting = make_meeting(name="Tuesday Night Group")
    login_as("keyworker")
    response = client.get(f"/meetings/{meeting.id}/calendar.ics")
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    event = Calendar.from_ical(response.data).events[0]
    assert str(event["SUMMARY"]) == "Tuesday Night Group"
    assert str(event.start.tzinfo) == "Europe/London"


# --- champions change meetings -------------------------------------------------------------


def test_a_champion_adds_a_meeting(app, login_as, browser):
    login_as("champion")
    response = browser.post("/meetings/new", form_data())
    assert response.status_code == 303
    meeting_id = int(response.headers["Location"].rsplit("/", 1)[1])
    meeting = meeting_row(app, meeting_id)
    assert meeting.postcode == "QX1 4AB"
    assert meeting.type_codes == "O UK W X"
    assert meeting.directions_walk == "Left at the church"
    assert "meeting_created" in audit_actions(app)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter the meeting&#39;s name"),
        ({"name": "x" * 256}, "Enter 255 characters or fewer"),
        ({"name": "Tea\x00time"}, "Remove the unusual characters"),
        ({"start_time": "25:99"}, "Enter the start time, like 19:30"),
        ({"start_time": ""}, "Enter the start time"),
        ({"end_time": "19:30"}, "The end time must be after the start time"),
        ({"postcode": "90210"}, "Enter a real postcode"),
        ({"address": "", "postcode": ""}, "Enter the address or the postcode"),
        ({"attendance": "online"}, "Enter the link people use to join online"),
        ({"online_url": "javascript:alert(1)"}, "web address starting with https://"),
        ({"latitude": "nan", "longitude": "1"}, "Enter a number between -90 and 90"),
        ({"latitude": "north"}, "Enter a number, like 52.4862"),
        ({"latitude": "52.1"}, "Enter both latitude and longitude"),
        ({"weekday": "Funday"}, "Invalid Choice"),
        ({"fellowship_id": "999999"}, "Not a valid choice"),
        ({"attendance": "teleport"}, "Not a valid choice"),
        ({"audience": ["ZZZ"]}, "Choose from the list"),
    ],
)
def test_a_bad_meeting_form_comes_back_with_the_message_by_the_field(
    app, login_as, browser, changes, message
):
    login_as("champion")
    response = browser.post("/meetings/new", form_data(**changes), page="/meetings/new")
    assert response.status_code == 200
    html = text(response)
    assert "There is a problem" in html and message in html
    with app.app_context():
        assert db.session.scalar(select(Meeting.id)) is None


def test_the_edit_form_keeps_codes_it_does_not_show(app, login_as, browser):
    meeting = make_meeting(type_codes="O ZZZ ONL")
    login_as("champion")
    page = text(browser.client.get(f"/meetings/{meeting.id}/edit"))
    assert 'value="19:30"' in page and 'name="version" type="hidden" value="1"' in page
    response = browser.post(
        f"/meetings/{meeting.id}/edit",
        form_data(version="1", open_closed="C", audience=[], languages=[], access=[]),
    )
    assert response.status_code == 303
    assert meeting_row(app, meeting.id).type_codes == "C ONL ZZZ"
    assert audit_actions(app)[-1] == "meeting_changed"


def test_a_stale_edit_gets_a_409_page_and_saves_nothing(app, login_as, browser):
    meeting = make_meeting(name="Original")
    login_as("champion")
    first = browser.post(f"/meetings/{meeting.id}/edit", form_data(name="First", version="1"))
    assert first.status_code == 303
    second = browser.post(f"/meetings/{meeting.id}/edit", form_data(name="Second", version="1"))
    assert second.status_code == 409
    assert "This meeting changed while you were looking" in text(second)
    assert 'value="Second"' in text(second)  # their input is kept to copy from
    assert meeting_row(app, meeting.id).name == "First"


def test_deactivating_asks_first_then_keeps_the_meeting(app, login_as, browser):
    meeting = make_meeting(name="Old Hall Group")
    login_as("champion")
    page = browser.client.get(f"/meetings/{meeting.id}/deactivate")
    assert "Deactivate Old Hall Group?" in text(page) and "Nothing is deleted" in text(page)
    response = browser.post(f"/meetings/{meeting.id}/deactivate", {"version": "1"})
    assert response.status_code == 303
    assert meeting_row(app, meeting.id).active is False
    stale = browser.post(f"/meetings/{meeting.id}/reactivate", {"version": "1"})
    assert stale.status_code == 409
    assert browser.post(f"/meetings/{meeting.id}/reactivate", {"version": "2"}).status_code == 303
    assert meeting_row(app, meeting.id).active is True
    assert not hasattr(Meeting, "delete")


def test_checked_today_is_one_post_and_returns_to_the_list(app, login_as, browser):
    old = datetime.now(UTC) - timedelta(days=200)
    meeting = make_meeting(name="Dusty Group", last_verified_at=old)
    login_as("champion")
    listing = text(browser.client.get("/meetings/needs-checking"))
    assert "Dusty Group" in listing and "1 meeting" in listing
    response = browser.post(
        f"/meetings/{meeting.id}/checked",
        {"next": "/meetings/needs-checking?page=1"},
        page="/meetings/needs-checking",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/meetings/needs-checking?page=1"
    assert meeting_row(app, meeting.id).last_verified_at > old
    after = text(browser.client.get("/meetings/needs-checking"))
    assert "Dusty Group is marked as checked today." in after
    assert "Every running meeting has been checked" in after


def test_checked_today_ignores_an_unsafe_next(login_as, browser):
    meeting = make_meeting()
    login_as("admin")
    response = browser.post(
        f"/meetings/{meeting.id}/checked", {"next": "//evil.example"}, page="/meetings"
    )
    assert response.headers["Location"] == f"/meetings/{meeting.id}"


def test_checked_today_without_a_token_changes_nothing(app, login_as, client):
    meeting = make_meeting(last_verified_at=None)
    login_as("champion")
    assert client.post(f"/meetings/{meeting.id}/checked").status_code == 400
    assert meeting_row(app, meeting.id).last_verified_at is None


def test_needs_checking_has_a_fragment_for_htmx(login_as, client):
    make_meeting(name="Never Checked", last_verified_at=None)
    login_as("champion")
    html = text(client.get("/meetings/needs-checking", headers=HTMX))
    assert "<html" not in html and "Never Checked" in html


# --- fellowships ---------------------------------------------------------------------------


def test_a_champion_adds_edits_and_deactivates_a_fellowship(app, login_as, browser):
    login_as("champion")
    assert "Crystal Meth Anonymous" in text(browser.client.get("/meetings/fellowships"))
    response = browser.post(
        "/meetings/fellowships/new",
        {"code": "ga", "name": "Gamblers Anonymous", "kind": "twelve_step"},
    )
    assert response.status_code == 303
    with app.app_context():
        fellowship = db.session.scalar(select(Fellowship).where(Fellowship.code == "GA"))
    duplicate = browser.post(
        "/meetings/fellowships/new", {"code": "GA", "name": "Again", "kind": "community"}
    )
    assert duplicate.status_code == 200 and "already uses the code GA" in text(duplicate)
    url = f"/meetings/fellowships/{fellowship.id}"
    edit = {"code": "GA", "name": "GA UK", "kind": "twelve_step", "version": "1"}
    assert browser.post(f"{url}/edit", edit).status_code == 303
    assert browser.post(f"{url}/edit", edit).status_code == 409
    assert "Deactivate GA UK?" in text(browser.client.get(f"{url}/deactivate"))
    assert browser.post(f"{url}/deactivate", {"version": "2"}).status_code == 303
    new_form = text(browser.client.get("/meetings/new"))
    assert f'<option value="{fellowship.id}">' not in new_form
    assert browser.post(f"{url}/reactivate", {"version": "3"}).status_code == 303
    assert "fellowship_reactivated" in audit_actions(app)


# --- importing, without JavaScript ---------------------------------------------------------


def test_import_preview_then_confirm_works_without_javascript(app, login_as, browser):
    login_as("champion")
    page = text(browser.client.get("/meetings/import"))
    assert 'enctype="multipart/form-data"' in page and 'hx-boost="false"' in page
    assert '<option selected value="1">' in page or 'selected value="1"' in page
    response = upload(
        browser,
        feed_bytes(feed_record(1), feed_record(2), feed_record(3, day="Funday"), "junk"),
    )
    assert response.status_code == 303
    preview_url = response.headers["Location"]
    preview = text(browser.client.get(preview_url))
    assert "Check the import" in preview and "Nothing has changed yet" in preview
    assert re.search(r'id="count-created">\s*2<', preview)
    assert re.search(r'id="count-skipped">\s*2<', preview)
    assert "The day &#39;Funday&#39; is not a weekday" in preview
    assert "This entry is not a meeting record" in preview
    with app.app_context():
        assert db.session.scalar(select(Meeting.id)) is None
    confirm = browser.post(f"{preview_url}/confirm", {}, page=preview_url)
    assert confirm.status_code == 303
    done = text(browser.client.get(confirm.headers["Location"]))
    assert "Import done: 2 added, 0 updated, 0 deactivated, 0 unchanged." in done
    with app.app_context():
        assert len(db.session.scalars(select(Meeting)).all()) == 2
    again = browser.post(f"{preview_url}/confirm", {}, page=preview_url)
    assert "already been applied" in text(browser.client.get(again.headers["Location"]))


def test_re_uploading_the_same_feed_offers_nothing_to_import(login_as, browser):
    login_as("champion")
    payload = feed_bytes(feed_record(1))
    first = upload(browser, payload).headers["Location"]
    browser.post(f"{first}/confirm", {}, page=first)
    second = text(browser.client.get(upload(browser, payload).headers["Location"]))
    assert re.search(r'id="count-unchanged">\s*1<', second)
    assert "Import these meetings" not in second and "Nothing to import: close" in second


def test_a_preview_belongs_to_its_creator(login_as, browser, client):
    login_as("champion")
    preview_url = upload(browser, feed_bytes(feed_record(1))).headers["Location"]
    client.post("/sign-out", data={"csrf_token": browser.token("/meetings")})
    login_as("champion")
    assert client.get(preview_url).status_code == 404
    assert browser.post(f"{preview_url}/confirm", {}, page="/meetings").status_code == 404
    assert client.get("/meetings/import/not-a-real-id").status_code == 404


def test_discarding_a_preview_changes_nothing(app, login_as, browser):
    login_as("champion")
    preview_url = upload(browser, feed_bytes(feed_record(1))).headers["Location"]
    response = browser.post(f"{preview_url}/discard", {}, page=preview_url)
    assert response.status_code == 303
    assert "Import discarded" in text(browser.client.get(preview_url))
    with app.app_context():
        assert db.session.scalar(select(Meeting.id)) is None


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "No meeting in this feed could be read"),
        (b'{"a": 1}', "should be a list"),
    ],
)
def test_an_unreadable_upload_comes_back_with_the_reason(login_as, browser, payload, message):
    login_as("champion")
    response = upload(browser, payload)
    assert response.status_code == 200 and message in text(response)


def test_an_upload_without_a_file_asks_for_one(login_as, browser):
    login_as("champion")
    response = browser.post(
        "/meetings/import",
        {"source": "Wessex", "fellowship_id": str(fellowship_id("AA"))},
        page="/meetings/import",
    )
    assert response.status_code == 200 and "Choose the feed file to upload" in text(response)


def test_an_upload_over_the_limit_is_refused_with_a_clear_message(app, login_as, browser):
    app.config["MEETING_IMPORT_MAX_BYTES"] = 1024
    login_as("champion")
    just_over = feed_bytes(feed_record(1, notes="x" * 1100))
    response = upload(browser, just_over)
    assert response.status_code == 200
    assert "The file is larger than 1 KB" in text(response)
    huge = b"[" + b" " * (200 * 1024) + b"]"
    response = upload(browser, huge)
    assert response.status_code == 413
    assert "The file is larger than 1 KB" in text(response)


def test_the_default_import_limit_is_ten_megabytes(app):
    assert app.config["MEETING_IMPORT_MAX_BYTES"] == 10 * 1024 * 1024


# --- exports and the printed sheet ---------------------------------------------------------


def test_the_json_feed_reads_the_same_signed_in_or_not(login_as, client):
    # The feed is public (tests/meetings/test_public.py); signed in, nothing more is shown.
    make_meeting(name="Tuesday Night Group")
    assert client.get("/meetings.json").status_code == 200
    login_as("volunteer")
    response = client.get("/meetings.json")
    assert response.mimetype == "application/json"
    (record,) = json.loads(response.data)
    assert record["name"] == "Tuesday Night Group" and record["day"] == 2


def test_the_csv_download_follows_the_search(login_as, client):
    make_meeting(name="Tuesday Group", weekday=2)
    make_meeting(name="Friday Group", weekday=5)
    login_as("keyworker")
    response = client.get("/meetings.csv?day=5")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = text(response)
    assert "Friday Group" in body and "Tuesday Group" not in body


def test_the_printed_sheet_shows_the_search_with_directions(login_as, client):
    make_meeting(
        name="Tuesday Group",
        directions_walk="Left at the church",
        directions_car="Park behind the hall",
        directions_public_transport="Bus 7",
        attendance="hybrid",
        online_url="https://meet.example.org/t",
    )
    make_meeting(name="Friday Group", weekday=5)
    login_as("keyworker")
    html = text(client.get("/meetings/print?day=2"))
    assert "<h1>Local meetings</h1>" in html
    assert "Tuesday Group" in html and "Friday Group" not in html
    assert "On foot: Left at the church" in html and "By car: Park behind the hall" in html
    assert "By bus or train: Bus 7" in html and "https://meet.example.org/t" in html
    assert "portal-no-print" in html


def test_the_printed_sheet_says_when_the_search_is_too_long_for_a_page(login_as, client):
    for number in range(15):
        make_meeting(name=f"Group {number}")
    login_as("keyworker")
    html = text(client.get("/meetings/print"))
    assert "It shows the first 12 of 15 meetings" in html


def test_the_print_stylesheet_has_rules_for_the_sheet():
    from pathlib import Path

    css = (Path(__file__).parents[2] / "static/css/portal.css").read_text()
    print_rules = css[css.index("@media print") :]
    assert ".portal-meetings-sheet" in print_rules and "break-inside: avoid" in print_rules


# --- who may do what -----------------------------------------------------------------------

CHAMPION_PAGES = [
    "/meetings/new",
    "/meetings/{id}/edit",
    "/meetings/{id}/deactivate",
    "/meetings/{id}/reactivate",
    "/meetings/needs-checking",
    "/meetings/fellowships",
    "/meetings/fellowships/new",
    "/meetings/fellowships/1/edit",
    "/meetings/fellowships/1/deactivate",
    "/meetings/fellowships/1/reactivate",
    "/meetings/import",
]
EVERYONE_PAGES = [
    "/meetings",
    "/meetings/{id}",
    "/meetings/{id}/calendar.ics",
    "/meetings.csv",
    "/meetings.json",
    "/meetings/print",
]


@pytest.mark.parametrize("role", ["keyworker", "volunteer", "champion", "admin"])
def test_each_role_may_find_meetings_and_only_champions_and_admins_change_them(
    login_as, client, role
):
    meeting = make_meeting()
    login_as(role)
    for path in EVERYONE_PAGES:
        assert client.get(path.format(id=meeting.id)).status_code == 200, path
    expected = 200 if role in ("champion", "admin") else 403
    for path in CHAMPION_PAGES:
        assert client.get(path.format(id=meeting.id)).status_code == expected, path


@pytest.mark.parametrize(
    "path",
    [
        "/meetings/new",
        "/meetings/{id}/edit",
        "/meetings/{id}/deactivate",
        "/meetings/{id}/checked",
        "/meetings/fellowships/new",
        "/meetings/import",
        "/meetings/import/x/confirm",
        "/meetings/import/x/discard",
    ],
)
def test_keyworkers_and_volunteers_cannot_post_changes(app, login_as, browser, path):
    meeting = make_meeting(last_verified_at=None)
    login_as("keyworker", "volunteer")
    response = browser.post(path.format(id=meeting.id), form_data(version="1"), page="/meetings")
    assert response.status_code == 403
    changed = meeting_row(app, meeting.id)
    assert changed.last_verified_at is None and changed.active


# The Meeting Guide feed is public (tests/meetings/test_public.py); every other page is not.
@pytest.mark.parametrize(
    "path", [path for path in EVERYONE_PAGES + CHAMPION_PAGES if path != "/meetings.json"]
)
def test_signed_out_visitors_are_sent_to_sign_in(client, path):
    meeting = make_meeting()
    response = client.get(path.format(id=meeting.id))
    assert response.status_code == 302 and response.location.startswith("/sign-in")


def test_the_meetings_link_is_in_everyones_navigation(login_as, client):
    make_user()
    login_as("volunteer")
    assert '<a class="portal-nav__link" href="/meetings"' in text(client.get("/meetings"))


def test_times_stored_are_wall_clock(app, login_as, browser):
    login_as("champion")
    response = browser.post("/meetings/new", form_data(start_time="7:30pm", end_time="21:00"))
    meeting = meeting_row(app, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert (meeting.start_time, meeting.end_time) == (time(19, 30), time(21))


def test_the_needs_checking_days_follow_the_admins_setting(app, login_as, client):
    from portal.settings import SettingRow

    make_meeting(name="Checked Last Month", last_verified_at=datetime.now(UTC) - timedelta(days=40))
    login_as("champion")
    assert "Checked Last Month" not in text(client.get("/meetings/needs-checking"))
    with app.app_context():
        db.session.add(SettingRow(key="stale_meeting_days", value="30"))
        db.session.commit()
    html = text(client.get("/meetings/needs-checking"))
    assert "Checked Last Month" in html and "in the last 30 days" in html


def _describe(app, code: str, words: str) -> None:
    with app.app_context():
        db.session.scalar(select(Fellowship).where(Fellowship.code == code)).description = words
        db.session.commit()


def test_a_meeting_page_says_what_its_fellowship_is_like(app, login_as, client):
    _describe(app, "NA", "People share what helped. <b>You can just listen.</b>")
    described = make_meeting("NA", name="Thursday Hope")
    plain = make_meeting("CA", name="Monday Step")
    login_as("keyworker")
    html = text(client.get(f"/meetings/{described.id}"))
    assert "People share what helped. &lt;b&gt;You can just listen.&lt;/b&gt;" in html
    assert "About Narcotics Anonymous" in html
    assert "About Cocaine Anonymous" not in text(client.get(f"/meetings/{plain.id}"))


def test_the_printed_sheet_describes_each_fellowship_on_it_once(app, login_as, client):
    _describe(app, "AA", "A group for people who want to stop drinking.")
    _describe(app, "SMART", "A meeting led by a trained helper.")
    for name in ("Tuesday One", "Tuesday Two"):
        make_meeting("AA", name=name)
    make_meeting("SMART", name="Friday Tools", weekday=5)
    login_as("keyworker")
    tuesday = text(client.get("/meetings/print?day=2"))
    assert "What the groups are like" in tuesday
    assert tuesday.count("A group for people who want to stop drinking.") == 1
    assert "A meeting led by a trained helper." not in tuesday  # not on this list
    everything = text(client.get("/meetings/print"))
    assert "A meeting led by a trained helper." in everything


def test_the_printed_sheet_has_no_descriptions_heading_when_none_is_written(login_as, client):
    make_meeting("CA", name="Monday Step", weekday=0)
    login_as("keyworker")
    html = text(client.get("/meetings/print"))
    assert "Monday Step" in html and "What the groups are like" not in html
