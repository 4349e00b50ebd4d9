"""Issue 19 in the browser: the admin imports volunteers and keyworkers from a CSV file, sees
the bad row in the preview, confirms, and finds that importing the same file again changes
nothing."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from ..factories import make_user
from .conftest import assert_accessible, sign_in

CSV = (
    "\ufeffname,email,role,team\r\n"
    "Sam Dee,sam.dee@example.org,volunteer,\r\n"
    "Alex Kay,alex.kay@example.org,keyworker,North locality\r\n"
    "Jo Bell,jo.bell@example.org,manager,\r\n"
)


def test_admin_imports_people_from_a_csv_file_and_a_second_import_changes_nothing(page, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text(CSV, encoding="utf-8")
    admin = make_user(roles=("admin",))
    sign_in(page, admin.email)

    page.goto("/admin/")
    page.get_by_role("link", name="Import volunteers and keyworkers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import volunteers and keyworkers")
    assert_accessible(page)
    page.get_by_label("CSV file").set_input_files(str(people))
    page.get_by_role("button", name="Check the file").click()

    # The preview: the bad row by its number and why, and nothing changed yet.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    expect(page).to_have_url(re.compile(r"/admin/imports/\d+$"))
    expect(page.locator("#count-invite")).to_have_text("2")
    expect(page.locator("#count-problem")).to_have_text("1")
    expect(page.locator("#row-4")).to_contain_text("The role “manager” is not volunteer")
    expect(page.locator("#row-2")).to_contain_text("Will be invited")
    assert_accessible(page)

    page.get_by_role("button", name="Invite 2 people").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import done")
    expect(page.locator(".portal-flash")).to_contain_text("Import done: 2 invited.")
    expect(page.locator("#count-invited")).to_have_text("2")
    expect(page.locator("#row-3")).to_contain_text("Invited")
    assert_accessible(page)

    # The same file again: everyone it names already has an account.
    page.goto("/admin/imports")
    expect(page.get_by_role("table", name="Recent imports")).to_contain_text("people.csv")
    page.get_by_label("CSV file").set_input_files(str(people))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    expect(page.locator("#count-invite")).to_have_text("0")
    expect(page.locator("#count-exists")).to_have_text("2")
    expect(page.locator("#nothing-to-import")).to_contain_text("There is nobody new to invite.")
    expect(page.get_by_role("button", name=re.compile("^Invite"))).to_have_count(0)
    expect(page.locator("#row-2")).to_contain_text("Already has an account: nothing changes")
