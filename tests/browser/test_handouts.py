"""Issue 18 in the browser: a keyworker prints a client's hand-outs from session one; an admin
changes a hand-out's wording and goes back to the standard wording."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from portal.audit import utcnow

from ..factories import make_client, make_meeting, make_user
from .conftest import assert_accessible, assert_fits_the_phone, sign_in

# A4 printed at 96 CSS pixels to the inch: 12pt is 16px, 18pt is 24px.
STANDARD_TEXT_PX, LARGE_TEXT_PX = 16, 24


def _printed_font_px(page) -> float:
    size = page.locator("article.portal-handout p").first.evaluate(
        "(el) => getComputedStyle(el).fontSize"
    )
    return float(size.removesuffix("px"))


def test_a_keyworker_prints_a_clients_hand_outs_from_session_one(page):
    keyworker = make_user(roles=("keyworker",))
    meeting = make_meeting(name="Hope Group", directions_walk="Past the library.")
    made = make_client(  # a meeting in mind already, before any session
        keyworker,
        first_name="Alex",
        consent_first_name=True,
        commitment_meeting_id=meeting.id,
        commitment_at=utcnow() + timedelta(days=3),
    )
    sign_in(page, keyworker.email)
    page.goto(f"/clients/{made.id}/sessions/new/1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Session 1: introducing mutual aid")
    page.get_by_label("1. What mutual aid is").check()

    # Each hand-out's Print link opens it in a new tab: the session form keeps its answers.
    link = page.get_by_role("link", name="Print hand-out 3. Going to meetings (opens in a new tab)")
    with page.context.expect_page() as opened:
        link.click()
    printed = opened.value
    printed.wait_for_load_state()
    expect(printed.get_by_role("heading", level=1)).to_have_text("Going to meetings")
    article = printed.locator("article.portal-handout")
    expect(article).to_contain_text("For Alex")
    expect(article).to_contain_text("Hope Group")
    expect(article).to_contain_text("Past the library.")
    assert_accessible(printed)

    # On paper: only the hand-out, in A4 type; then the large-print version, one column.
    printed.emulate_media(media="print")
    expect(printed.locator(".portal-header")).to_be_hidden()
    expect(printed.get_by_text("To print this hand-out")).to_be_hidden()
    assert _printed_font_px(printed) == STANDARD_TEXT_PX
    printed.emulate_media(media="screen")
    printed.get_by_role("link", name="Large print version").click()
    expect(printed.locator("article.portal-handout--large")).to_be_visible()
    assert_accessible(printed)
    printed.emulate_media(media="print")
    assert _printed_font_px(printed) == LARGE_TEXT_PX
    printed.close()

    expect(page.get_by_label("1. What mutual aid is")).to_be_checked()
    page.get_by_label("3. Going to meetings").check()
    page.get_by_role("group", name="Past experience of mutual aid groups").get_by_label(
        "None"
    ).check()
    page.get_by_role("button", name="Save session 1").click()
    expect(page.get_by_role("status")).to_contain_text("Session 1 is recorded.")
    page.get_by_role("link", name="Session 1: introducing mutual aid").click()
    expect(page.locator("main")).to_contain_text("3. Going to meetings (version 1)")


def test_an_admin_changes_a_hand_out_and_goes_back_to_the_standard_wording(page):
    admin = make_user(roles=("admin",))
    sign_in(page, admin.email)
    page.goto("/admin/")
    page.get_by_role("link", name="Hand-outs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hand-outs")
    assert_accessible(page)
    page.get_by_role("link", name="Change 1. What mutual aid is").click()
    expect(page.get_by_label("Section 2 heading")).to_have_value("Who can go")
    page.get_by_label("Section 2 words").fill(
        "Anyone in Wrenford can go.\n\n- Tuesday drop-in at the library\n- <b>Free</b> tea"
    )
    page.get_by_role("button", name="Save the new wording").click()
    expect(page.get_by_role("status")).to_contain_text("Saved as version 2")
    expect(page.locator("main")).to_contain_text("Your service's own, version 2")

    page.goto("/handouts/1")
    article = page.locator("article.portal-handout")
    expect(article).to_contain_text("Anyone in Wrenford can go.")
    expect(article.locator("li").filter(has_text="<b>Free</b> tea")).to_have_count(1)
    expect(article).to_contain_text("version 2")

    page.goto("/admin/handouts/1")
    page.get_by_role("link", name="Go back to the standard wording").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Go back to the standard wording of What mutual aid is?"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Go back to the standard wording").click()
    expect(page.get_by_role("status")).to_contain_text("saved as version 3")

    page.goto("/handouts/1")
    expect(page.locator("article.portal-handout")).to_contain_text("Anyone who wants to change")
    expect(page.locator("article.portal-handout")).not_to_contain_text("Wrenford")
    page.goto("/admin/handouts/1/versions")
    expect(page.locator("main")).to_contain_text("Back to the standard wording")
    expect(page.locator("main")).to_contain_text("Built into the portal")


def test_the_hand_outs_fit_a_phone(phone_page):
    keyworker = make_user(roles=("keyworker", "admin"))
    make_meeting(name="A meeting with a rather long name in the town centre hall")
    made = make_client(keyworker, first_name="Alex")
    sign_in(phone_page, keyworker.email)
    for path in (
        f"/clients/{made.id}/handouts",
        f"/clients/{made.id}/handouts/6",
        f"/clients/{made.id}/handouts/7?large=1",
        f"/clients/{made.id}/handouts/goals",
        f"/clients/{made.id}/sessions/new/1",
        "/handouts/5",
        "/admin/handouts",
        "/admin/handouts/5",
    ):
        phone_page.goto(path)
        assert_fits_the_phone(phone_page)
