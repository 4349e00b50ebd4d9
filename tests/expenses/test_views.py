"""The expenses pages: the volunteer's claim, the champion's decision, finance's month."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent, utcnow
from portal.expenses.models import ExpenseClaim
from portal.extensions import db

from ..conftest import Browserless
from ..factories import (
    make_escort,
    make_expense_claim,
    make_past_escort,
    make_user,
)
from ..querycount import count_queries

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _claims(app) -> list[ExpenseClaim]:
    with app.app_context():
        return list(db.session.scalars(select(ExpenseClaim).order_by(ExpenseClaim.id)))


def _as_volunteer(browser, days_ago: float = 2):
    request, volunteer, user, _, _ = make_past_escort(days_ago=days_ago)
    assert browser.sign_in(user.email).status_code == 303
    return request, volunteer, user


def _claim_url(request) -> str:
    return f"/expenses/escorts/{request.id}/claim"


def test_my_expenses_lists_the_escort_to_claim_for(app, client, browser):
    request, _, _ = _as_volunteer(browser)
    page = client.get("/expenses/").get_data(as_text=True)
    assert "Claim travel costs" in page
    assert _claim_url(request) in page
    assert "You have not claimed anything yet" in page


def test_a_future_escort_cannot_be_claimed(app, client, browser):
    request, _, user, _, _ = make_escort(starts_in=timedelta(hours=3))
    browser.sign_in(user.email)
    assert client.get(_claim_url(request)).status_code == 404
    assert _claim_url(request) not in client.get("/expenses/").get_data(as_text=True)


def test_a_volunteer_claims_a_bus_fare_with_a_photo(app, client, browser):
    request, volunteer, _ = _as_volunteer(browser)
    data = {
        "kind": "bus",
        "amount": "£3.40",
        "detail": "Hightown bus station and back",
        "ticket": (io.BytesIO(JPEG), "ticket.jpg"),
    }
    response = browser.post(_claim_url(request), data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    [claim] = _claims(app)
    assert (claim.kind, claim.amount_pence, claim.state) == ("bus", 340, "waiting")
    assert claim.volunteer_id == volunteer.id and claim.ticket_type == "image/jpeg"
    assert claim.ticket_file and ".." not in claim.ticket_file
    page = client.get("/expenses/").get_data(as_text=True)
    assert "Waiting for a decision" in page and "£3.40" in page
    ticket = client.get(f"/expenses/claims/{claim.id}/ticket")
    assert ticket.status_code == 200 and ticket.data == JPEG
    assert ticket.headers["Content-Disposition"].startswith("attachment")
    assert ticket.headers["X-Content-Type-Options"] == "nosniff"
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "expense_claimed" in actions


def test_miles_are_paid_at_the_rate_of_the_day(app, client, browser, login_as):
    request, _, _ = _as_volunteer(browser)
    response = browser.post(_claim_url(request), {"kind": "miles", "miles": "6.5"})
    assert response.status_code == 303
    [claim] = _claims(app)
    assert (claim.miles_tenths, claim.rate_pence, claim.amount_pence) == (65, 45, 293)


def test_a_double_submit_makes_one_claim(app, client, browser):
    request, _, _ = _as_volunteer(browser)
    token_page = _claim_url(request)
    first = browser.post(_claim_url(request), {"kind": "bus", "amount": "2"}, page=token_page)
    second = browser.post(_claim_url(request), {"kind": "bus", "amount": "2"}, page="/expenses/")
    assert first.status_code == 303 and second.status_code == 303
    assert len(_claims(app)) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "bus", "amount": "-3"}, "Enter the fare in pounds and pence"),
        ({"kind": "bus", "amount": "0"}, "Enter the fare in pounds and pence"),
        ({"kind": "train", "amount": "99999999999999"}, "Enter the fare in pounds and pence"),
        ({"kind": "train", "amount": "600"}, "£500 or less"),
        ({"kind": "bus", "amount": "3\x00"}, "unusual characters"),
        ({"kind": "bus", "amount": "three"}, "Enter the fare in pounds and pence"),
        ({"kind": "miles", "miles": "6.55"}, "one decimal place"),
        ({"kind": "miles", "miles": "501"}, "500 miles or fewer"),
        ({"kind": "taxi", "amount": "3"}, "Select what you are claiming for"),
        ({"amount": "3"}, "Select what you are claiming for"),
        ({"kind": "bus", "amount": "3", "detail": "x" * 201}, "200 characters or fewer"),
        ({"kind": "bus", "amount": "3", "detail": "a\x00b"}, "unusual characters"),
    ],
)
def test_hostile_answers_are_refused_by_the_field(app, client, browser, data, message):
    request, _, _ = _as_volunteer(browser)
    response = browser.post(_claim_url(request), data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _claims(app) == []


def test_a_jpg_that_is_really_html_is_refused(app, client, browser):
    request, _, _ = _as_volunteer(browser)
    fake = (io.BytesIO(b"<html><script>alert(1)</script></html>"), "ticket.jpg", "image/jpeg")
    response = browser.post(
        _claim_url(request),
        {"kind": "bus", "amount": "3", "ticket": fake},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "must be a JPEG, PNG or PDF" in response.get_data(as_text=True)
    assert _claims(app) == []


def test_an_over_size_photo_is_refused_clearly(app, client, browser):
    app.config["EXPENSE_TICKET_MAX_BYTES"] = 1000
    request, _, _ = _as_volunteer(browser)
    big = (io.BytesIO(PNG + b"\x00" * 2000), "ticket.png")
    response = browser.post(
        _claim_url(request),
        {"kind": "bus", "amount": "3", "ticket": big},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "smaller than 5 MB" in response.get_data(as_text=True)
    assert _claims(app) == []


def test_a_body_over_the_app_limit_is_a_clear_413(app, client, browser):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    request, _, _ = _as_volunteer(browser)
    big = (io.BytesIO(PNG + b"\x00" * 5000), "ticket.png")
    response = browser.post(
        _claim_url(request),
        {"kind": "bus", "amount": "3", "ticket": big},
        content_type="multipart/form-data",
        page="/expenses/",
    )
    assert response.status_code == 413
    assert _claims(app) == []


def test_another_volunteers_claim_and_ticket_are_not_found(app, client, browser):
    request, volunteer, _, _, _ = make_past_escort()
    claim = make_expense_claim(request, volunteer)
    _as_volunteer(browser)
    assert client.get(f"/expenses/claims/{claim.id}/ticket").status_code == 404
    assert client.get(f"/expenses/claims/{claim.id}/withdraw").status_code == 404
    assert client.get(_claim_url(request)).status_code == 404
    assert client.get("/expenses/claims/99999999/withdraw").status_code == 404
    assert client.get("/expenses/claims/99999999999999/withdraw").status_code == 404


def test_the_volunteer_withdraws_a_waiting_claim_after_confirming(app, client, browser):
    request, volunteer, _ = _as_volunteer(browser)
    claim = make_expense_claim(request, volunteer)
    url = f"/expenses/claims/{claim.id}/withdraw"
    page = client.get(url).get_data(as_text=True)
    assert "Withdraw the claim" in page
    response = browser.post(url, {"version": claim.version})
    assert response.status_code == 303
    assert _claims(app) == []
    again = browser.post(url, {"version": claim.version}, page="/expenses/")
    assert again.status_code == 404


def test_a_decided_claim_cannot_be_withdrawn(app, client, browser):
    request, volunteer, _ = _as_volunteer(browser)
    claim = make_expense_claim(request, volunteer, state="approved", decided_at=utcnow())
    response = browser.post(f"/expenses/claims/{claim.id}/withdraw", {"version": claim.version})
    assert response.status_code == 409
    assert len(_claims(app)) == 1


def test_the_champion_approves_and_the_volunteer_is_told(app, client, browser, login_as):
    request, volunteer, user, _, _ = make_past_escort()
    claim = make_expense_claim(request, volunteer)
    login_as("champion")
    page = client.get("/expenses/waiting").get_data(as_text=True)
    assert f"/expenses/claims/{claim.id}" in page and "£3.40" in page
    fragment = client.get("/expenses/waiting", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert "Approve £3.40" in client.get(f"/expenses/claims/{claim.id}").get_data(as_text=True)
    response = browser.post(
        f"/expenses/claims/{claim.id}/approve",
        {"version": claim.version},
        page=f"/expenses/claims/{claim.id}",
    )
    assert response.status_code == 303
    [saved] = _claims(app)
    assert saved.state == "approved" and saved.decided_at is not None
    from portal.notify.models import Notification

    with app.app_context():
        titles = db.session.scalars(
            select(Notification.title).where(Notification.user_id == user.id)
        ).all()
    assert any("approved" in title for title in titles)


def test_two_champions_deciding_at_once_end_in_one_state(app, client, browser, login_as):
    request, volunteer, _, _, _ = make_past_escort()
    claim = make_expense_claim(request, volunteer)
    login_as("champion")
    first = browser.post(
        f"/expenses/claims/{claim.id}/approve",
        {"version": claim.version},
        page=f"/expenses/claims/{claim.id}",
    )
    second = browser.post(
        f"/expenses/claims/{claim.id}/decline",
        {"version": claim.version, "reason": "No ticket"},
    )
    assert first.status_code == 303
    assert second.status_code == 409
    assert "Someone else decided this claim" in second.get_data(as_text=True)
    [saved] = _claims(app)
    assert saved.state == "approved" and saved.decline_reason is None


def test_declining_needs_a_reason(app, client, browser, login_as):
    request, volunteer, _, _, _ = make_past_escort()
    claim = make_expense_claim(request, volunteer)
    login_as("champion")
    url = f"/expenses/claims/{claim.id}/decline"
    blank = browser.post(url, {"version": claim.version, "reason": "  "})
    assert blank.status_code == 200 and "Enter why the claim is declined" in blank.get_data(
        as_text=True
    )
    hostile = browser.post(url, {"version": claim.version, "reason": "a\x00"})
    assert hostile.status_code == 200
    stale = browser.post(url, {"version": "abc", "reason": "Too old"})
    assert stale.status_code == 200
    assert _claims(app)[0].state == "waiting"
    done = browser.post(url, {"version": claim.version, "reason": "The escort was cancelled"})
    assert done.status_code == 303
    assert _claims(app)[0].decline_reason == "The escort was cancelled"


def test_the_volunteer_sees_the_reason_for_a_decline(app, client, browser):
    request, volunteer, _ = _as_volunteer(browser)
    make_expense_claim(
        request, volunteer, state="declined", decided_at=utcnow(), decline_reason="No bus there"
    )
    page = client.get("/expenses/").get_data(as_text=True)
    assert "Declined" in page and "No bus there" in page


def test_the_champion_may_download_any_ticket_and_others_may_not(app, client, browser, login_as):
    request, volunteer, _ = _as_volunteer(browser)
    response = browser.post(
        _claim_url(request),
        {"kind": "train", "amount": "7.5", "ticket": (io.BytesIO(PNG), "x.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    [claim] = _claims(app)
    assert claim.amount_pence == 750 and claim.ticket_type == "image/png"
    champion = Browserless(app.test_client())
    champion.sign_in(make_user(roles=("champion",)).email)
    ticket = champion.client.get(f"/expenses/claims/{claim.id}/ticket")
    assert ticket.status_code == 200 and ticket.mimetype == "image/png"
    keyworker = Browserless(app.test_client())
    keyworker.sign_in(make_user(roles=("keyworker",)).email)
    assert keyworker.client.get(f"/expenses/claims/{claim.id}/ticket").status_code == 403


def test_the_waiting_list_runs_a_fixed_number_of_queries(app, client, login_as):
    login_as("champion")

    def count() -> int:
        client.get("/expenses/waiting")
        with count_queries(app) as statements:
            client.get("/expenses/waiting")
        return len(statements)

    request, volunteer, _, _, _ = make_past_escort()
    make_expense_claim(request, volunteer)
    few = count()
    for _ in range(3):
        request, volunteer, _, _, _ = make_past_escort()
        make_expense_claim(
            request, volunteer, kind="miles", miles_tenths=40, rate_pence=45, amount_pence=180
        )
    assert count() == few


def test_unknown_ids_are_not_found_for_the_champion(app, client, browser, login_as):
    login_as("champion")
    assert client.get("/expenses/claims/424242").status_code == 404
    assert client.get("/expenses/claims/424242/decline").status_code == 404
    assert (
        browser.post(
            "/expenses/claims/424242/approve", {"version": 1}, page="/expenses/waiting"
        ).status_code
        == 404
    )
    assert client.get("/expenses/claims/424242/ticket").status_code == 404


def test_my_expenses_shows_totals(app, client, browser):
    request, volunteer, _ = _as_volunteer(browser)
    make_expense_claim(request, volunteer, state="paid", decided_at=utcnow(), paid_at=utcnow())
    page = client.get("/expenses/").get_data(as_text=True)
    assert "Paid on" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExpenseClaim)) == 1
