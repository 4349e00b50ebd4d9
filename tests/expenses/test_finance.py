"""Finance's month: the page, the CSV (every cell safe for spreadsheets) and marking paid."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from sqlalchemy import select

from portal.audit import AuditEvent
from portal.expenses import finance
from portal.expenses.models import ExpenseClaim
from portal.extensions import db

from ..factories import make_expense_claim, make_past_escort, make_user

NOVEMBER = datetime(2026, 11, 12, 14, tzinfo=UTC)


def _approved(name: str = "Robin Example", state: str = "approved", at=NOVEMBER, **values):
    request, volunteer, user, _, _ = make_past_escort()
    if user is not None:
        from portal.auth.models import User

        from ..factories import context

        with context():
            db.session.get(User, user.id).name = name
            db.session.commit()
    return make_expense_claim(request, volunteer, state=state, decided_at=at, **values), user


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_csv_holds_the_months_approved_claims(app, client, login_as):
    claim, _ = _approved(detail="Hightown and back")
    _approved(state="waiting", at=None)
    _approved(state="declined", decline_reason="No")
    _approved(at=datetime(2026, 10, 12, tzinfo=UTC))
    login_as("champion")
    response = client.get("/expenses/2026-11.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="expenses-2026-11.csv"'
    rows = _rows(response)
    assert rows[0] == list(finance.CSV_HEADER)
    assert len(rows) == 2
    assert rows[1][0] == str(claim.id) and rows[1][1] == "Robin Example"
    assert rows[1][3:6] == ["Bus fare", "Hightown and back", "3.40"]
    with app.app_context():
        assert "expenses_exported" in db.session.scalars(select(AuditEvent.action)).all()


def test_every_csv_cell_is_safe_for_spreadsheets(app, client, login_as):
    _approved(name='=HYPERLINK("http://evil.example")', detail="+SUM(A1:A9)")
    _approved(name="@cmd", detail="-2+3")
    login_as("admin")
    rows = _rows(client.get("/expenses/2026-11.csv"))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    assert rows[1][1].startswith("'=") and rows[1][4] == "'+SUM(A1:A9)"


def test_the_month_follows_uk_time(app):
    with app.app_context():
        start, end = finance.month_of(2026, 7).bounds
    assert start == datetime(2026, 6, 30, 23, tzinfo=UTC)
    assert end == datetime(2026, 7, 31, 23, tzinfo=UTC)


def test_a_month_that_cannot_be_is_not_found(app, client, login_as):
    login_as("champion")
    assert client.get("/expenses/2026-13.csv").status_code == 404
    assert client.get("/expenses/2026-00").status_code == 404
    assert client.get("/expenses/9999-01").status_code == 404
    assert client.get("/expenses/months?month=2026-13").status_code == 200
    assert "Select a month" in client.get("/expenses/months?month=%00").get_data(as_text=True)


def test_the_month_picker_goes_to_the_month(app, client, login_as):
    login_as("admin")
    page = client.get("/expenses/months").get_data(as_text=True)
    assert "November 2026" in page
    response = client.get("/expenses/months?month=2026-11")
    assert response.status_code == 303 and response.location.endswith("/expenses/2026-11")


def test_marking_paid_twice_leaves_one_state(app, client, browser, login_as):
    claim, user = _approved()
    other, _ = _approved()
    login_as("champion")
    page = client.get("/expenses/2026-11").get_data(as_text=True)
    assert "Mark these as paid" in page and "£6.80" in page
    confirm = client.get("/expenses/2026-11/paid").get_data(as_text=True)
    assert "2 claims for £6.80" in confirm
    first = browser.post("/expenses/2026-11/paid", {"seen": "2:680"})
    assert first.status_code == 303
    with app.app_context():
        rows = db.session.scalars(select(ExpenseClaim).order_by(ExpenseClaim.id)).all()
        paid_at = [row.paid_at for row in rows]
    assert [row.state for row in rows] == ["paid", "paid"] and all(paid_at)
    second = browser.post("/expenses/2026-11/paid", {"seen": "2:680"}, follow_redirects=True)
    assert "marked as paid already" in second.get_data(as_text=True)
    with app.app_context():
        again = db.session.scalars(select(ExpenseClaim.paid_at).order_by(ExpenseClaim.id)).all()
        paid_events = db.session.scalars(
            select(AuditEvent.id).where(AuditEvent.action == "expense_paid")
        ).all()
    assert again == paid_at and len(paid_events) == 2
    rows = _rows(client.get("/expenses/2026-11.csv"))
    assert all(row[6] for row in rows[1:])


def test_a_claim_approved_meanwhile_stops_the_marking(app, client, browser, login_as):
    _approved()
    login_as("champion")
    _approved()
    response = browser.post("/expenses/2026-11/paid", {"seen": "1:340"}, page="/expenses/months")
    assert response.status_code == 409
    with app.app_context():
        states = db.session.scalars(select(ExpenseClaim.state)).all()
    assert set(states) == {"approved"}
    hostile = browser.post("/expenses/2026-11/paid", {"seen": "1\x00"}, page="/expenses/months")
    assert hostile.status_code == 200


def test_the_volunteer_sees_paid_on(app, client, browser):
    claim, user = _approved()
    champion = make_user(roles=("champion",))
    with app.app_context():
        finance.mark_month_paid(finance.month_of(2026, 11), "1:340", db.session.merge(champion))
    browser.sign_in(user.email)
    page = client.get("/expenses/").get_data(as_text=True)
    assert "Paid on" in page and "Paid to you" in page


def test_an_empty_month_says_what_to_do(app, client, login_as):
    login_as("champion")
    page = client.get("/expenses/2026-01").get_data(as_text=True)
    assert "No claims were approved in January 2026" in page
