"""Issue 19 in the browser: the champion filters the volunteer list to one fellowship, writes to
the volunteers it shows, is stopped from naming a client, previews who gets it and sends it; a
volunteer on a phone reads it and replies; the champion sees the reply."""

from __future__ import annotations

from playwright.sync_api import expect

from ..factories import fellowship_id, make_client, make_user, make_volunteer
from .conftest import assert_accessible, assert_fits_the_phone, sign_in


def _volunteer(name: str, fellowship: str):
    user = make_user(roles=("volunteer",), name=f"{name} Volunteer")
    make_volunteer(user, preferred_name=name, fellowships=[fellowship], status="approved")
    return user


def test_a_group_message_and_a_reply_from_a_phone(page, phone_page):
    champion = make_user(roles=("champion",), name="Cass Champion")
    ann = _volunteer("Ann", "NA")
    _volunteer("Bea", "NA")
    _volunteer("Col", "AA")
    make_client(first_name="Jo Smith")

    # The champion shows the NA volunteers and writes to them.
    sign_in(page, champion.email)
    page.goto(f"/volunteers/?fellowship={fellowship_id('NA')}")
    expect(page.get_by_text("2 volunteers found")).to_be_visible()
    page.get_by_role("link", name="Message these volunteers").click()
    expect(page.get_by_text("Message to the volunteers your filters show")).to_be_visible()

    # A client's name is caught by the field.
    page.get_by_label("Your message").fill("Can anyone walk with jo smith on Tuesday?")
    page.get_by_role("button", name="Preview the message").click()
    expect(page.locator("#body-error")).to_contain_text("Group messages must not name a client")
    assert_accessible(page)

    page.get_by_label("Your message").fill("NA group: we meet on Friday at 5.\nTea is on us.")
    page.get_by_role("button", name="Preview the message").click()
    expect(
        page.get_by_role("heading", name="Check your message before you send it")
    ).to_be_visible()
    expect(page.get_by_role("cell", name="Ann")).to_be_visible()
    expect(page.get_by_role("cell", name="Bea")).to_be_visible()
    expect(page.get_by_role("cell", name="Col")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("button", name="Send the message to 2 volunteers").click()
    expect(page.get_by_text("Message sent to 2 volunteers.")).to_be_visible()

    # Ann reads it on her phone and replies.
    sign_in(phone_page, ann.email)
    phone_page.get_by_role("link", name="Champion messages").first.click()
    expect(phone_page.get_by_text("NA group: we meet on Friday at 5.")).to_be_visible()
    assert_fits_the_phone(phone_page)
    assert_accessible(phone_page)
    phone_page.get_by_role("link", name="Reply").click()
    phone_page.get_by_label("Your reply").fill("I'll be there.")
    phone_page.get_by_role("button", name="Send your reply").click()
    expect(phone_page.get_by_text("Your reply was sent")).to_be_visible()
    expect(phone_page.get_by_text("I'll be there.")).to_be_visible()
    assert_fits_the_phone(phone_page)

    # The champion sees the reply.
    page.goto("/messages/sent")
    expect(page.get_by_role("cell", name="1", exact=True)).to_be_visible()
    page.locator("#sent-messages").get_by_role("link").first.click()
    expect(page.get_by_text("I'll be there.")).to_be_visible()
    expect(page.get_by_role("link", name="Ann", exact=True)).to_be_visible()
    assert_accessible(page)
