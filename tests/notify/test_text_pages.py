"""The pages for texts (issue 16): a person's mobile and text choices on their email-choices
page, the champion's list of texts that failed or are held, and the admin's "texts set up".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.extensions import db
from portal.notify.models import TextContact, TextMessage, TextPreference, TextStop

from ..factories import give_mobile, make_client, make_user
from ..querycount import queries_per_request

HX = {"HX-Request": "true"}
PAGE = "/messages/email"


def _html(response) -> str:
    return response.get_data(as_text=True)


def _contact(app, user_id: int) -> TextContact | None:
    with app.app_context():
        contact = db.session.scalar(select(TextContact).where(TextContact.user_id == user_id))
        if contact is not None:
            db.session.expunge(contact)
        return contact


def _choices(app, user_id: int) -> dict[str, bool]:
    with app.app_context():
        rows = db.session.scalars(select(TextPreference).where(TextPreference.user_id == user_id))
        return {row.kind: row.by_text for row in rows}


def test_the_page_offers_a_mobile_and_text_choices_on_by_default(login_as, client):
    login_as("volunteer")
    page = _html(client.get(PAGE))
    assert '<label class="nhsuk-label " for="mobile">Mobile for texts</label>' in page
    assert 'type="tel"' in page and 'autocomplete="tel"' in page
    assert re.search(r'<input checked[^>]*name="by_text"[^>]*value="offer_made"', page)
    assert re.search(r'<input checked[^>]*name="by_text"[^>]*value="escort_reminder"', page)
    assert 'value="help_requested"' not in page.split("By text")[1]  # always by text: no choice


def test_saving_a_mobile_keeps_it_in_one_form_with_the_choices(app, login_as, browser):
    user = login_as("volunteer")
    response = browser.post(
        PAGE, {"mobile": "07700 900 123", "by_text": ["offer_made"], "by_email": []}
    )
    assert response.status_code == 303
    assert _contact(app, user.id).mobile == "+447700900123"
    choices = _choices(app, user.id)
    assert choices["offer_made"] is True and choices["escort_reminder"] is False
    page = _html(browser.client.get(PAGE))
    assert 'value="07700 900123"' in page
    assert "Your email and text choices are saved." in page
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "text_preferences_changed" in actions
    # a blank number forgets it
    assert browser.post(PAGE, {"mobile": "", "by_text": []}).status_code == 303
    assert _contact(app, user.id) is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0161 496 0000", "Enter a mobile number, like 07700 900 982"),
        ("not a number", "Enter a mobile number, like 07700 900 982"),
        ("07700\x00900123", "Remove the unusual characters from this answer"),
        ("0" * 31, "Enter 30 characters or fewer"),
    ],
)
def test_a_number_that_cannot_get_texts_is_refused_by_the_field(
    app, login_as, browser, typed, message
):
    user = login_as("volunteer")
    response = browser.post(PAGE, {"mobile": typed, "by_text": ["offer_made"]})
    page = _html(response)
    assert response.status_code == 200
    assert "nhsuk-error-summary" in page and 'href="#mobile"' in page
    assert message in page
    assert 'id="mobile-error"' in page
    assert _contact(app, user.id) is None and _choices(app, user.id) == {}


@pytest.mark.parametrize("value", ["no_such_kind", "help_requested", "x" * 5000, "\x00"])
def test_a_forged_text_choice_is_refused_not_a_500(app, login_as, browser, value):
    user = login_as("volunteer")
    response = browser.post(PAGE, {"mobile": "07700 900123", "by_text": [value]})
    assert response.status_code == 200 and "nhsuk-error-summary" in _html(response)
    assert _contact(app, user.id) is None


def test_a_number_that_texted_stop_is_explained(app, login_as, client):
    user = login_as("volunteer")
    give_mobile(user)
    with app.app_context():
        db.session.add(
            TextStop(number="+447700900123", stopped_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
        )
        db.session.commit()
    page = _html(client.get(PAGE))
    assert "You texted STOP on" in page and "Text START" in page


def test_the_page_needs_signing_in(client):
    response = client.get(PAGE)
    assert response.status_code in (302, 303) and "/sign-in" in response.location


# --- the champion's list ------------------------------------------------------------------------


def _text(app, **values) -> int:
    defaults = {
        "kind": "offer_made",
        "to_number": "+447700900123",
        "body": "Can you help on Tuesday? Reply YES 4821",
        "status": "refused",
        "last_error": "400 phone_number Not a UK mobile number",
        "attempts": 1,
    }
    with app.app_context():
        text = TextMessage(**{**defaults, **values})
        db.session.add(text)
        db.session.commit()
        return text.id


def test_the_champion_sees_failed_and_held_texts_by_name_not_client_words(app, login_as, client):
    login_as("champion")
    volunteer = make_user(roles=("volunteer",), name="Vic Volunteer")
    kw_client = make_client(first_name="Secretname")
    _text(app, user_id=volunteer.id)
    _text(
        app,
        client_id=kw_client.id,
        to_number="+447700900555",
        body="Reminder: Secretname, your meeting is tomorrow",
        status="permanent-failure",
        last_error=None,
    )
    _text(
        app,
        status="held",
        last_error="Over the daily cap: held until tomorrow",
        to_number="+447700900777",
    )
    _text(app, status="delivered", body="Delivered fine", last_error=None)
    page = _html(client.get("/messages/texts"))
    assert "3 texts" in page
    assert "Vic Volunteer" in page and "Can you help on Tuesday?" in page
    assert f"Client {kw_client.reference}" in page
    assert "Secretname" not in page and "07700 900555" not in page
    assert "Not delivered: the number does not work" in page
    assert "Over the daily cap" in page and "Delivered fine" not in page
    fragment = _html(client.get("/messages/texts", headers=HX))
    assert "<html" not in fragment and "Vic Volunteer" in fragment
    with app.app_context():
        views = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "failed_texts_viewed")
        ).all()
    assert views


def test_an_empty_list_says_so(login_as, client):
    login_as("admin")
    page = _html(client.get("/messages/texts"))
    assert "No texts have failed and none are held." in page
    assert "Every text people sent has been answered." in page


@pytest.mark.parametrize("role", ["volunteer", "keyworker"])
def test_only_champions_and_admins_see_the_list(login_as, client, role):
    login_as(role)
    assert client.get("/messages/texts").status_code == 403


@pytest.mark.parametrize("page", ["2", "-1", "x", "\x00", "9" * 50])
def test_odd_page_numbers_are_not_a_500(login_as, client, page):
    login_as("champion")
    assert client.get("/messages/texts", query_string={"page": page}).status_code == 200


def test_the_list_takes_the_same_queries_at_two_sizes(app, login_as, client):
    login_as("champion")
    people = [make_user(roles=("volunteer",)) for _ in range(3)]
    _text(app, user_id=people[0].id, client_id=make_client().id)
    small = queries_per_request(app, client, "/messages/texts")
    for person in people:
        _text(app, user_id=person.id, client_id=make_client().id)
        _text(app, user_id=person.id)
    assert queries_per_request(app, client, "/messages/texts") == small


# --- the admin's settings page --------------------------------------------------------------------


def test_the_settings_page_says_whether_texts_are_set_up(app, login_as, client, notify_server):
    login_as("admin")
    page = _html(client.get("/admin/settings"))
    assert "Texts are set up: they go through GOV.UK Notify at 127.0.0.1." in page
    assert app.config["NOTIFY_API_KEY"] not in page
    assert "Most texts a day" in page
    app.config["NOTIFY_API_KEY"] = ""
    page = _html(client.get("/admin/settings"))
    assert "texts are printed to the console" in page
