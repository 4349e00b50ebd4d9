"""Issue 3 in the browser: a champion imports a messy Meeting Guide feed; a keyworker searches."""

from __future__ import annotations

import json
import re
from datetime import time

from playwright.sync_api import expect

from ..factories import make_meeting, make_user
from .conftest import assert_accessible, sign_in

SOURCE = "Wrenford Intergroup"

# A small feed as real ones come: slugs as numbers and text, a day as an English name and as a
# list, times with seconds, a null end time, HTML entities, an unknown type code, one bad record.
FEED = [
    {
        "slug": 101,
        "name": "Harbour Lights",
        "day": "Tuesday",
        "time": "19:30:00",
        "end_time": None,
        "location": "Quay Chapel",
        "formatted_address": "3 Quay Street, Wrenford QX1 4AB",
        "region": "Harbourside",
        "types": ["O", "BE", "XYZ"],
    },
    {
        "slug": "102",
        "name": "Steps &amp; Stones",
        "day": [1, 4],
        "time": "12:00",
        "end_time": "13:00",
        "location": "Library Room",
        "postal_code": "QX2 5CD",
        "region": "Old Town",
        "types": ["W"],
    },
    {"slug": 103, "name": "Appointment Only", "time": "18:00", "postal_code": "QX1 1AA"},
]


def _count(page, name: str):
    return page.locator(f"#count-{name}")


def test_champion_imports_a_messy_feed_after_a_preview(page, tmp_path):
    # Imported from the same source before: one meeting the feed changes, one it no longer lists.
    make_meeting(
        name="Harbour Lights",
        weekday=2,
        start_time=time(19, 0),
        end_time=time(20, 0),
        source=SOURCE,
        source_slug="101",
    )
    make_meeting(name="Gone Group", source=SOURCE, source_slug="999")
    feed = tmp_path / "wrenford.json"
    feed.write_text(json.dumps(FEED), encoding="utf-8")
    champion = make_user(roles=("champion",))
    sign_in(page, champion.email)

    page.goto("/meetings")
    page.get_by_role("link", name="Import a Meeting Guide feed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a Meeting Guide feed")
    assert_accessible(page)

    # Without a file: the error by the field, nothing else happens.
    page.get_by_label("Where the feed comes from").fill(SOURCE)
    page.get_by_role("button", name="Check the feed").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Choose the feed file to upload")

    page.get_by_label("Meeting Guide feed (a .json file)").set_input_files(str(feed))
    expect(page.get_by_label("Where the feed comes from")).to_have_value(SOURCE)
    page.get_by_label("Fellowship").select_option(label="Alcoholics Anonymous")
    page.get_by_role("button", name="Check the feed").click()

    # The preview: counts and reasons, and nothing changed yet.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    expect(page).to_have_url(re.compile(r"/meetings/import/[\w-]+$"))
    expect(page.locator(".nhsuk-caption-l")).to_contain_text("wrenford.json")
    records = page.locator(".nhsuk-summary-list__row").filter(has_text="Records in the feed")
    expect(records).to_contain_text("3")
    expect(_count(page, "created")).to_have_text("2")  # one record on two weekdays
    expect(_count(page, "updated")).to_have_text("1")
    expect(_count(page, "deactivated")).to_contain_text("1")
    expect(_count(page, "unchanged")).to_have_text("0")
    expect(_count(page, "skipped")).to_have_text("1")
    skipped = page.locator("table").filter(has=page.locator("caption", has_text="Skipped records"))
    expect(skipped).to_contain_text("Appointment Only")
    expect(skipped).to_contain_text("The meeting has no weekday")
    new = page.locator("h2:has-text('New meetings') + ul")
    expect(new).to_contain_text("Steps & Stones")  # the entity decoded
    expect(new.locator("li")).to_have_count(2)
    updated = page.locator("h2:has-text('Meetings updated') + ul")
    expect(updated).to_contain_text("Harbour Lights")
    expect(updated).to_contain_text("start time")
    expect(page.locator("h2:has-text('Meetings deactivated') + ul")).to_contain_text("Gone Group")
    assert_accessible(page)

    # Nothing is in the directory until the champion confirms.
    preview_url = page.url
    page.goto("/meetings?q=stones")
    expect(page.locator("#meeting-results")).to_contain_text("0 meetings")
    page.goto(preview_url)

    page.get_by_role("button", name="Import these meetings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import done")
    expect(page.get_by_role("status")).to_contain_text(
        "Import done: 2 added, 1 updated, 1 deactivated, 0 unchanged."
    )
    expect(page.get_by_role("button", name="Import these meetings")).to_have_count(0)

    # The meetings are in the directory search.
    page.get_by_role("link", name="Back to meetings").click()
    page.get_by_label("Name, venue or area").fill("stones")
    results = page.locator("#meeting-results")
    expect(results).to_contain_text("2 meetings")
    expect(results.locator("tbody tr").nth(0)).to_contain_text("Monday")
    expect(results.locator("tbody tr").nth(1)).to_contain_text("Thursday")
    expect(results).to_contain_text("Women only")
    page.get_by_label("Name, venue or area").fill("harbour lights")
    expect(results).to_contain_text("1 meeting")
    expect(results).to_contain_text("Tuesday")
    expect(results).to_contain_text(re.compile(r"7:30\s*pm", re.I))
    page.get_by_label("Name, venue or area").fill("gone group")
    expect(results).to_contain_text("0 meetings")  # deactivated: not shown as running

    # Importing the same feed again changes nothing.
    page.goto("/meetings/import")
    page.get_by_label("Meeting Guide feed (a .json file)").set_input_files(str(feed))
    page.get_by_label("Where the feed comes from").fill(SOURCE)
    page.get_by_role("button", name="Check the feed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    expect(_count(page, "created")).to_have_text("0")
    expect(_count(page, "updated")).to_have_text("0")
    expect(_count(page, "unchanged")).to_have_text("3")
    expect(page.get_by_role("button", name="Import these meetings")).to_have_count(0)
    assert not page.console_errors, page.console_errors


def test_keyworker_search_updates_as_they_type_and_the_url_keeps_the_filters(page):
    make_meeting(
        name="Thursday Women's Step Group",
        weekday=4,
        area="Old Town",
        type_codes="O W",
        directions_walk="Behind the library, blue door.",
    )
    make_meeting(name="Thursday Lunchtime", weekday=4, start_time=time(12), end_time=time(13))
    make_meeting(name="Tuesday Step Group", weekday=2)
    keyworker = make_user(roles=("keyworker",))
    sign_in(page, keyworker.email)

    page.goto("/meetings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a meeting")
    results = page.locator("#meeting-results")
    expect(results).to_contain_text("3 meetings")
    assert_accessible(page)

    page.get_by_label("Name, venue or area").press_sequentially("step", delay=30)
    expect(results).to_contain_text("2 meetings")
    expect(results).not_to_contain_text("Thursday Lunchtime")
    expect(page).to_have_url(re.compile(r"q=step"))
    page.get_by_label("Day", exact=True).select_option(label="Thursday")
    expect(results).to_contain_text("1 meeting")
    expect(results).not_to_contain_text("Tuesday Step Group")
    page.get_by_label("Women only").check()
    expect(results).to_contain_text("1 meeting")
    expect(page).to_have_url(re.compile(r"q=step.*day=4.*feature=women|feature=women.*day=4"))
    page.get_by_label("Time of day").select_option(label="Morning (before 12pm)")
    expect(results).to_contain_text("0 meetings")
    expect(results).to_contain_text("No meetings match")
    page.get_by_label("Time of day").select_option(label="Evening (from 5pm)")
    expect(results).to_contain_text("1 meeting")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a meeting")  # a swap only

    # The URL keeps the filters: opening it again shows the same search.
    bookmarked = page.url
    assert "time=evening" in bookmarked, bookmarked
    page.goto("/")
    page.goto(bookmarked)
    expect(page.get_by_label("Name, venue or area")).to_have_value("step")
    expect(page.get_by_label("Day", exact=True)).to_have_value("4")
    expect(page.get_by_label("Women only")).to_be_checked()
    expect(page.get_by_label("Time of day")).to_have_value("evening")
    expect(results).to_contain_text("1 meeting")
    assert_accessible(page)

    # The meeting page, in plain words.
    results.get_by_role("link", name="Thursday Women's Step Group").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thursday Women's Step Group")
    main = page.locator("main")
    expect(main).to_contain_text("Alcoholics Anonymous")
    expect(main).to_contain_text("Women only")
    expect(main).to_contain_text("Behind the library, blue door.")
    expect(main).to_contain_text("Thursday")
    assert_accessible(page)
    assert not page.console_errors, page.console_errors
