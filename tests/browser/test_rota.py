"""Issue 19 in the browser: a champion opens the week rota, filters it, and prints it on one
A4 sheet turned sideways, without the navigation."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from ..factories import make_escort, make_meeting, make_user
from .conftest import assert_accessible, sign_in

# A4 landscape is 297mm wide; the rota's page has 10mm margins: 277mm at 96 pixels an inch.
A4_LANDSCAPE_PRINTABLE_PX = round(277 / 25.4 * 96)


def test_a_champion_filters_the_week_rota_and_prints_it(page):
    champion = make_user(roles=("champion",))
    make_escort(starts_in=timedelta(days=1), meeting=make_meeting("AA", name="Hope Group"))
    make_escort(starts_in=timedelta(days=2), meeting=make_meeting("NA", name="Fresh Start"))
    sign_in(page, champion.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Week rota").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Week rota")
    table = page.locator("table.portal-rota__table")
    expect(table).to_contain_text("Hope Group")
    expect(table).to_contain_text("Fresh Start")
    assert_accessible(page)

    # Choosing a fellowship narrows the rota (htmx swaps the results; without it, the button).
    page.get_by_label("Fellowship").select_option(label="Narcotics Anonymous")
    expect(table).not_to_contain_text("Hope Group")
    expect(table).to_contain_text("Fresh Start")
    expect(page.get_by_text("1 escort booked that match (2 in all)")).to_be_visible()

    page.get_by_role("link", name="Print this rota").click()
    expect(page).to_have_url(re.compile(r"/safety/rota\?print=1&fellowship=\d+$"))
    expect(page.get_by_role("link", name="Back to the rota")).to_be_visible()
    assert_accessible(page)

    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.locator(".portal-header")).to_be_hidden()
    expect(page.get_by_role("link", name="Back to the rota")).to_be_hidden()
    expect(page.locator("table.portal-rota__table")).to_contain_text("Fresh Start")
    page.set_viewport_size({"width": A4_LANDSCAPE_PRINTABLE_PX, "height": 700})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= A4_LANDSCAPE_PRINTABLE_PX, f"the printed rota is {width}px wide"

    # Chromium's own print: A4 turned sideways (842 by 595 points), and a typical week on one.
    pdf = page.pdf(prefer_css_page_size=True, print_background=False).decode("latin-1")
    boxes = re.findall(r"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes, "the PDF has no pages"
    assert len(boxes) == 1, f"the week printed on {len(boxes)} sheets"
    wide, high = (float(n) for n in boxes[0])
    assert round(wide) == 842 and round(high) == 595
