"""Issue 19, debrief: a volunteer on a phone says they'd like a chat after an escort; a champion
sees the task on their home, gives it to a colleague, and the colleague marks it done."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from ..factories import make_escort, make_user
from .conftest import assert_accessible, assert_fits_the_phone, sign_in


def test_a_chat_request_becomes_a_task_the_champions_finish(phone_page, page):
    champion = make_user(roles=("champion",), name="Cass Champion")
    colleague = make_user(roles=("champion",), name="Chris Champion")
    user = make_user(roles=("volunteer",), name="Sam Volunteer")
    request, volunteer, *_ = make_escort(user, starts_in=timedelta(hours=-2))

    # The volunteer, on their phone, records what happened and asks for a chat.
    phone = phone_page
    sign_in(phone, user.email)
    phone.goto(f"/safety/escorts/{request.id}/outcome")
    expect(phone.get_by_role("heading", level=1)).to_have_text("What happened")
    phone.get_by_label("No, they did not come").check()
    question = phone.get_by_role("group", name="How are you after this escort?")
    question.get_by_label("I'd like a chat with the champion").check()
    assert_fits_the_phone(phone)
    assert_accessible(phone)
    phone.get_by_role("button", name="Save what happened").click()
    expect(phone.get_by_text("What happened is recorded")).to_be_visible()

    # A champion sees the task on their home, with who it is about and when it is due.
    sign_in(page, champion.email)
    page.goto("/champion")
    card = page.locator(".nhsuk-card", has_text="A chat after the escort")
    expect(card).to_be_visible()
    expect(card.get_by_role("link", name=volunteer.preferred_name)).to_be_visible()
    expect(card).to_contain_text("Any champion")
    assert_accessible(page)

    # They give it to a colleague, and come back to their home.
    card.get_by_role("link", name=re.compile("Reassign")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reassign a task")
    page.get_by_label("Who should do it?").select_option(label="Chris Champion")
    page.get_by_role("button", name="Reassign the task").click()
    expect(page.get_by_text("The task is reassigned.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/champion$"))
    expect(page.get_by_text("You have no open tasks")).to_be_visible()

    # The colleague finds it under "Open tasks for me" and marks it done.
    page.context.clear_cookies()
    sign_in(page, colleague.email)
    page.goto("/tasks/")
    page.get_by_label("Show").select_option(label="Open tasks for me")
    results = page.locator("#task-results")
    expect(results).to_contain_text("A chat after the escort")
    expect(results).to_contain_text("Chris Champion")
    assert_accessible(page)
    results.get_by_role("button", name=re.compile("Mark as done")).click()
    expect(page.get_by_text("Marked as done.")).to_be_visible()
    expect(page.locator("#task-results")).to_contain_text("No open tasks are given to you")
