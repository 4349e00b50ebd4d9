"""Issue 19 in the browser: the admin defines naloxone training as needed before escorting; a
volunteer without it shows why they cannot escort; the champion records it and a supervision;
the checks-due list shows another volunteer due supervision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from portal.audit import utcnow
from portal.dates import london_today

from ..factories import make_supervision, make_user, make_vetted_volunteer
from .conftest import assert_accessible, sign_in


def test_a_service_check_and_supervision_from_admin_to_champion(page):
    admin = make_user(roles=("admin",), name="Ada Admin")
    champion = make_user(roles=("champion",), name="Cass Champion")
    robin = make_vetted_volunteer(preferred_name="Robin")
    morgan = make_vetted_volunteer(
        preferred_name="Morgan", approved_at=datetime.now(UTC) - timedelta(weeks=30)
    )
    make_supervision(morgan, held_days_ago=70, due_in_days=-3)

    # The admin adds the training, needed before escorting.
    sign_in(page, admin.email)
    page.goto("/admin/")
    page.get_by_role("link", name="Checks and training").click()
    page.get_by_role("link", name="Add a check or training").click()
    page.get_by_label("Name").fill("Naloxone training")
    page.get_by_role("group", name="Does it expire?").get_by_label("Yes").check()
    page.get_by_label("How many months it lasts").fill("36")
    page.get_by_role("group", name="Is it needed before").get_by_label("Yes").check()
    assert_accessible(page)
    page.get_by_role("button", name="Add this check or training").click()
    expect(page.get_by_text("Naloxone training added.")).to_be_visible()
    expect(page.get_by_role("cell", name="36 months")).to_be_visible()
    page.context.clear_cookies()

    # The champion sees why Robin cannot escort, and records the training.
    sign_in(page, champion.email)
    page.goto(f"/volunteers/{robin.id}")
    expect(page.get_by_text("No current Naloxone training").first).to_be_visible()
    page.get_by_role("link", name="Record naloxone training").click()
    issued = london_today(utcnow()) - timedelta(days=2)
    page.get_by_label("Date issued").fill(issued.isoformat())
    page.get_by_role("button", name="Save naloxone training").click()
    expect(page.get_by_text("Naloxone training recorded.")).to_be_visible()
    expect(page.get_by_text("No current Naloxone training")).to_have_count(0)

    # ...and a supervision, whose note only champions see.
    page.get_by_role("link", name="See and record supervision for Robin").click()
    page.get_by_role("link", name="Record a supervision").first.click()
    page.get_by_label("Date held").fill(issued.isoformat())
    page.get_by_label("One-to-one").check()
    page.get_by_label("Who held it").select_option(label="Cass Champion")
    page.get_by_label("Note (optional)").fill("Settling in well; wants to try Tuesdays.")
    assert_accessible(page)
    page.get_by_role("button", name="Save supervision").click()
    expect(page.get_by_text("Supervision recorded.")).to_be_visible()
    expect(page.get_by_role("cell", name="Cass Champion")).to_be_visible()

    # Morgan's supervision is overdue: the checks-due list says so.
    page.goto("/volunteers/checks-due")
    page.get_by_role("link", name="Supervision due (1)").click()
    expect(page.get_by_role("link", name="Morgan", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Robin", exact=True)).to_have_count(0)
    assert_accessible(page)
