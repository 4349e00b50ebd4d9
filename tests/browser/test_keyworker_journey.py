"""Issue 5 in the browser: a keyworker adds a client, holds sessions 1 and 2, asks for a peer."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from ..factories import make_meeting, make_user
from .conftest import assert_accessible, sign_in, tab_to

OPEN = "Waiting for a volunteer"  # how an open request's state reads


def _client_row(page, reference: str):
    return page.locator("#caseload-results tbody tr").filter(has_text=reference)


def _add_client_by_mouse(page, reference: str, first_name: str) -> None:
    page.get_by_role("link", name="Add a client").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a client")
    page.get_by_label("Case-management reference").fill(reference)
    page.get_by_label("Preferred first name").fill(first_name)
    page.get_by_role("group", name="Gender").get_by_label("Woman", exact=True).check()
    page.get_by_role("button", name="Add client").click()


def test_keyworker_journey_from_new_client_to_a_request_for_a_peer(page):
    meeting = make_meeting(
        name="Hope Group",
        area="Harbourside",
        venue="Quay Chapel",
        address="3 Quay Street, Wrenford",
        directions_walk="Two minutes from the bus station, past the library.",
    )
    make_meeting(name="Other Group", area="Old Town")
    keyworker = make_user(roles=("keyworker",))
    sign_in(page, keyworker.email)

    # The caseload, empty.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your caseload")
    expect(page.get_by_text("You have no clients in the portal yet")).to_be_visible()
    assert_accessible(page)

    # Add a client with the least data.
    _add_client_by_mouse(page, "CM-70001", "Alex")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alex")
    expect(page.locator(".nhsuk-inset-text").first).to_contain_text("Session 1 not yet held")
    expect(page.get_by_text("No sessions recorded yet")).to_be_visible()
    assert_accessible(page)
    client_url = page.url

    # Session 1.
    page.get_by_role("link", name="Record session 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Session 1: introducing mutual aid")
    expect(page.get_by_label("Date of the session")).not_to_have_value("")  # today, prefilled
    page.get_by_role("group", name="Past experience of mutual aid groups").get_by_label(
        "None"
    ).check()
    page.get_by_label("1. What mutual aid is").check()
    page.get_by_label("3. Going to meetings").check()
    page.get_by_label("A journal was given").check()
    page.get_by_label("Think about which meeting to try").check()
    page.get_by_role("button", name="Save session 1").click()
    expect(page.get_by_role("status")).to_contain_text("Session 1 is recorded.")
    expect(page.locator(".nhsuk-inset-text").first).to_contain_text("Session 2 due")
    expect(page.locator("#sessions + ul")).to_contain_text("Session 1: introducing mutual aid")
    expect(page.locator("#sessions + ul")).to_contain_text("2 hand-outs given")

    # Session 2: choose a meeting and one of its next dates, and ask for company.
    page.get_by_role("link", name="Record session 2").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Session 2: choosing a meeting")
    page.get_by_label("3. Going to meetings").check()
    page.get_by_role("group", name="Did the client meet last session's goal?").get_by_label(
        "Yes", exact=True
    ).check()
    page.get_by_label("There is too much talk of God").check()
    page.get_by_label("Meeting name, area or postcode").fill("harbour")
    page.get_by_role("button", name="Find meetings").click()
    choices = page.locator("#meeting-choices")
    expect(choices).to_contain_text("Hope Group")
    expect(choices).not_to_contain_text("Other Group")
    dates = page.get_by_role("radio", name=re.compile(r"^Hope Group, "))
    expect(dates.nth(1)).to_be_visible()
    assert_accessible(page)
    second = dates.nth(1)
    chosen_value = second.get_attribute("value")  # "<meeting id>@YYYY-MM-DD"
    assert chosen_value and chosen_value.startswith(f"{meeting.id}@"), chosen_value
    chosen_day = chosen_value.split("@", 1)[1]
    chosen_label = page.locator(f"label[for='{second.get_attribute('id')}']").inner_text()
    short_day = chosen_label.removeprefix("Hope Group, ").split(",")[0]  # "Tue 9 Dec"
    second.check()
    page.get_by_role("group", name="Would the client like someone to go with them?").get_by_label(
        "Yes", exact=True
    ).check()
    page.get_by_role("button", name="Save session 2").click()

    # Straight into the request, prefilled with the meeting and the chosen date.
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask for a peer to go with Alex")
    expect(page.get_by_role("status")).to_contain_text("Now ask for a peer to go with them.")
    expect(page.locator("main dl")).to_contain_text("Hope Group")
    expect(page.get_by_label("Date of the meeting")).to_have_value(chosen_day)
    expect(page.get_by_label("Where the peer will meet the client")).to_have_value(
        re.compile(r"main entrance", re.I)
    )
    expect(page.get_by_label("How many minutes before the start")).to_have_value("15")
    assert_accessible(page)
    page.get_by_label("Note for the recovery champion (optional)").fill("Quite anxious in crowds.")
    page.get_by_role("button", name="Send the request").click()

    # The request page: open, with its timeline.
    expect(page).to_have_url(re.compile(r"/requests/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("A peer for Hope Group")
    expect(page.get_by_role("status")).to_contain_text("sent to the recovery champion")
    expect(page.locator("main .portal-tag")).to_have_text(OPEN)
    expect(page.locator("#request-timeline")).to_contain_text("Request raised")
    expect(page.locator("main dl")).to_contain_text("Quite anxious in crowds.")
    assert_accessible(page)

    # The client's page shows the request as open.
    page.get_by_role("link", name="Back to Alex").click()
    expect(page).to_have_url(re.compile(re.escape(client_url) + r"(#requests)?$"))
    requests = page.locator("#requests + .portal-table-wrap")
    expect(requests).to_contain_text("Hope Group")
    expect(requests.locator(".portal-tag")).to_have_text(OPEN)
    expect(page.locator(".nhsuk-inset-text").first).to_contain_text(
        f"Waiting for a volunteer for {short_day}"
    )
    expect(page.locator("#sessions + ul")).to_contain_text("with company")
    assert_accessible(page)

    # The caseload shows the next action and the request.
    page.get_by_role("link", name="Back to your caseload").click()
    row = _client_row(page, "CM-70001")
    expect(row).to_contain_text("Alex")
    expect(row).to_contain_text(f"Waiting for a volunteer for {short_day}")
    expect(row.locator(".portal-tag")).to_have_text(OPEN)
    assert_accessible(page)

    # The printable "My meeting" sheet.
    row.get_by_role("link", name="Alex").click()
    page.get_by_role("link", name="My meeting", exact=True).click()
    sheet = page.locator("article.portal-sheet")
    expect(sheet.get_by_role("heading", level=1)).to_have_text("My meeting")
    expect(sheet).to_contain_text("For Alex")
    expect(sheet.get_by_role("heading", name="Hope Group")).to_be_visible()
    expect(sheet).to_contain_text(short_day.split(" ", 1)[1])  # "9 Dec" in "Tuesday 9 December"
    expect(sheet).to_contain_text("Quay Chapel")
    expect(sheet).to_contain_text("Two minutes from the bus station")
    expect(sheet).to_contain_text("We are finding someone to go with you.")
    page.emulate_media(media="print")  # printed, only the sheet shows
    expect(sheet).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("link", name="Back to Alex")).to_be_hidden()
    page.emulate_media(media="screen")
    assert_accessible(page)
    assert not page.console_errors, page.console_errors


def test_keyboard_only_add_client(page):
    keyworker = make_user(roles=("keyworker",))
    sign_in(page, keyworker.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your caseload")

    tab_to(page, page.locator("a[href$='/clients/new']"))
    expect(page.get_by_role("link", name="Add a client").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a client")

    # Sending it empty shows the errors, with the summary focused.
    tab_to(page, page.locator("button[type=submit].nhsuk-button"))
    page.keyboard.press("Enter")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter the client's case-management reference")
    expect(summary).to_contain_text("Select how the client describes their gender")

    tab_to(page, page.locator("#reference"))
    page.keyboard.type("CM-70002")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Preferred first name")).to_be_focused()
    page.keyboard.type("Jo")
    page.keyboard.press("Tab")  # into the gender radios: the first one
    expect(
        page.get_by_role("group", name="Gender").get_by_label("Woman", exact=True)
    ).to_be_focused()
    page.keyboard.press("Space")
    expect(
        page.get_by_role("group", name="Gender").get_by_label("Woman", exact=True)
    ).to_be_checked()
    tab_to(page, page.locator("#literacy_support"))
    page.keyboard.press("Space")
    expect(page.get_by_label("The client needs support with reading or writing")).to_be_checked()
    tab_to(page, page.locator("button[type=submit].nhsuk-button"))
    expect(page.get_by_role("button", name="Add client")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Jo")
    expect(page.locator("main")).to_contain_text("CM-70002")
    support = page.locator(".nhsuk-summary-list__row").filter(has_text="Support with reading")
    expect(support).to_contain_text("Needed")
    expect(page.locator(".nhsuk-inset-text").first).to_contain_text("Session 1 not yet held")
    assert not page.console_errors, page.console_errors
