"""In-portal messages, the unread count, email choices, and emails that reveal nothing."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from portal.auth.models import User
from portal.extensions import db
from portal.notify.kinds import KINDS
from portal.notify.models import Notification, OutboxMessage
from portal.notify.services import deliver_due, notify_user

from ..factories import make_user


def _notify(app, user, kind="offer_made", **kwargs) -> bool:
    with app.app_context():
        person = db.session.get(User, user.id)
        created = notify_user(
            person, kind, kwargs.pop("title", "A new request is waiting"), **kwargs
        )
        db.session.commit()
        return created


def _count(app, model, **filters) -> int:
    with app.app_context():
        statement = select(func.count()).select_from(model)
        for name, value in filters.items():
            statement = statement.where(getattr(model, name) == value)
        return db.session.scalar(statement)


def test_a_message_appears_in_the_portal_and_by_email(app, login_as, client, smtp_server):
    user = login_as("volunteer")
    _notify(app, user, body="Tuesday 7:30pm", link="/volunteer")
    page = client.get("/messages/").get_data(as_text=True)
    assert "A new request is waiting" in page and "Tuesday 7:30pm" in page
    assert '<span class="portal-count">1' in client.get("/volunteer").get_data(as_text=True)
    with app.app_context():
        deliver_due()
    message = smtp_server.to(user.email)[-1]
    assert message["Subject"] == KINDS["offer_made"].email_subject
    text = smtp_server.text(message)
    assert "Tuesday" not in text and "/volunteer" in text


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_email_subject_reveals_anything_sensitive(kind):
    subject = KINDS[kind].email_subject.lower()
    for word in ["drug", "alcohol", "aa ", "narcotic", "cocaine", "smart", "al-anon", "client"]:
        assert word not in subject


def test_the_same_event_is_one_message(app):
    user = make_user()
    assert _notify(app, user, dedupe_key="reminder:request:7")
    assert not _notify(app, user, dedupe_key="reminder:request:7")
    assert _count(app, Notification, user_id=user.id) == 1
    assert _count(app, OutboxMessage, to_address=user.email) == 1


def test_email_choices_are_kept_but_safety_always_comes(app, login_as, browser):
    user = login_as("volunteer")
    page = browser.client.get("/messages/email").get_data(as_text=True)
    assert "New escort offers" in page
    assert "Overdue safety check-outs" not in page  # cannot be switched off
    response = browser.post("/messages/email", {"by_email": ["outcome_recorded"]})
    assert response.status_code == 303
    _notify(app, user, "offer_made")
    _notify(app, user, "checkout_overdue", urgent=True)
    assert _count(app, Notification, user_id=user.id) == 2
    with app.app_context():
        kinds = db.session.scalars(select(OutboxMessage.kind)).all()
    assert kinds == ["checkout_overdue"]


def test_unknown_email_choice_is_refused(login_as, browser):
    login_as("volunteer")
    response = browser.post("/messages/email", {"by_email": ["checkout_overdue"]})
    assert response.status_code == 200
    assert "There is a problem" in response.get_data(as_text=True)


def test_mark_one_and_all_read(app, login_as, browser):
    user = login_as("champion")
    for i in range(3):
        _notify(app, user, title=f"Message {i}")
    with app.app_context():
        first = db.session.scalar(select(Notification.id).order_by(Notification.id))
    browser.post(f"/messages/{first}/read", page="/messages/")
    assert _count(app, Notification, read_at=None) == 2
    browser.post("/messages/read-all", page="/messages/")
    assert _count(app, Notification, read_at=None) == 0
    assert "portal-count" not in browser.client.get("/champion").get_data(as_text=True)


def test_someone_elses_message_is_404(app, login_as, browser):
    other = make_user()
    _notify(app, other)
    with app.app_context():
        theirs = db.session.scalar(select(Notification.id))
    login_as("volunteer")
    assert browser.post(f"/messages/{theirs}/read", page="/messages/").status_code == 404
    assert _count(app, Notification, read_at=None) == 1


def test_the_count_fragment_for_htmx(app, login_as, client):
    user = login_as("volunteer")
    _notify(app, user)
    response = client.get("/messages/count", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="unread-messages"' in html and ">1<" in html


def test_polling_does_not_keep_an_idle_session_alive(login_as, client):
    login_as("volunteer")
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 29 * 60
    client.get("/messages/count", headers={"HX-Request": "true"})
    with client.session_transaction() as session:
        assert time.time() - session["seen_at"] > 28 * 60


def test_empty_inbox_says_what_happens_next(login_as, client):
    login_as("keyworker")
    assert "You have no messages" in client.get("/messages/").get_data(as_text=True)
