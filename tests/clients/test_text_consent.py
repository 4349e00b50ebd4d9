"""The client's consent to text reminders (issue 16): the form, the mobile kept in E.164 only while
a consent needs it, hostile input, and what a withdrawal cancels."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.accompaniment.models import Offer
from portal.audit import AuditEvent
from portal.clients.models import Client, Consent
from portal.errors import InvalidChange
from portal.extensions import db
from portal.notify.models import TextMessage
from portal.notify.texts import queue_text
from portal.settings import check_value

from ..factories import (
    give_text_consent,
    make_client,
    make_offer,
    make_request,
    make_vetted_volunteer,
)


def _html(response) -> str:
    return response.get_data(as_text=True)


def _client(app, client_id: int) -> Client:
    with app.app_context():
        row = db.session.get(Client, client_id)
        db.session.expunge(row)
        return row


def _give(browser, client_id: int, kind: str, phone: str, version: int):
    return browser.post(
        f"/clients/{client_id}/consents/{kind}",
        {"phone": phone, "agreed": "y", "version": str(version)},
    )


def test_the_form_reads_the_words_and_asks_for_a_mobile(login_as, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    response = client.get(f"/clients/{made.id}/consents/texts")
    page = _html(response)
    assert response.status_code == 200
    assert "Send them text reminders about their meeting" in page
    assert "The texts will not say what the service is" in page
    assert "Mobile number" in page and 'type="tel"' in page
    record = _html(client.get(f"/clients/{made.id}"))
    assert "Send them text reminders about their meeting" in record
    assert f"/clients/{made.id}/consents/texts" in record


def test_consent_keeps_the_mobile_in_one_form_and_shows_it_as_people_write_it(
    app, login_as, browser, client
):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    response = _give(browser, made.id, "texts", "+44 7700 900456", 1)
    assert response.status_code == 303
    row = _client(app, made.id)
    assert (row.consent_texts, row.phone, row.consent_phone) == (True, "+447700900456", False)
    with app.app_context():
        kinds = list(db.session.scalars(select(Consent.kind).where(Consent.client_id == made.id)))
    assert kinds == ["texts"]
    record = _html(client.get(f"/clients/{made.id}"))
    assert "Phone: 07700 900456" in record
    # the form drawn again shows the number as people write it
    assert 'value="07700 900456"' in _html(client.get(f"/clients/{made.id}/consents/texts"))


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("0113 496 0000", "Enter a mobile number, like 07700 900 982"),  # a landline
        ("07700 9", "Enter a mobile number, like 07700 900 982"),
        ("", "Enter a mobile number, like 07700 900 982"),
        ("not a number", "Enter a mobile number, like 07700 900 982"),
        ("07700\x00900456", "Remove the unusual characters from this answer"),
        ("0" * 31, "30 characters or fewer"),
        ("7" * 5000, "30 characters or fewer"),
    ],
)
def test_a_bad_number_is_refused_by_the_field_with_the_input_kept(
    app, login_as, browser, phone, message
):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    response = _give(browser, made.id, "texts", phone, 1)
    page = _html(response)
    assert response.status_code == 200
    assert message in page
    assert "nhsuk-error-summary" in page and 'href="#phone"' in page
    if phone and "\x00" not in phone and len(phone) < 40:
        assert f'value="{phone.strip()}"' in page
    row = _client(app, made.id)
    assert (row.consent_texts, row.phone) == (False, None)


def test_wrong_types_and_unknown_kinds_change_nothing(app, login_as, browser, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    bad_version = browser.post(
        f"/clients/{made.id}/consents/texts",
        {"phone": "07700 900456", "agreed": "y", "version": "many"},
    )
    assert bad_version.status_code in (200, 409)
    assert client.get(f"/clients/{made.id}/consents/texts-please").status_code == 404
    assert client.get(f"/clients/{made.id + 999}/consents/texts").status_code == 404
    assert _client(app, made.id).consent_texts is False


def test_another_keyworkers_client_is_not_found(login_as, browser, client):
    login_as("keyworker")
    other = make_client()
    assert client.get(f"/clients/{other.id}/consents/texts").status_code == 404
    response = _give(browser, other.id, "texts", "07700 900456", 1)
    assert response.status_code == 404


def test_the_phone_stays_while_either_consent_needs_it(app, login_as, browser):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    assert _give(browser, made.id, "share_phone", "07700 900123", 1).status_code == 303
    assert _client(app, made.id).phone == "07700 900123"  # as typed: no texts yet
    assert _give(browser, made.id, "texts", "07700 900456", 2).status_code == 303
    assert _client(app, made.id).phone == "+447700900456"
    # while texts hold, a new number to share must be a mobile too
    landline = _give(browser, made.id, "share_phone", "0113 496 0000", 3)
    assert landline.status_code == 200
    assert "text reminders go to this number too" in _html(landline)
    withdraw = browser.post(f"/clients/{made.id}/consents/share_phone/withdraw", {"version": "3"})
    assert withdraw.status_code == 303
    row = _client(app, made.id)
    assert (row.consent_phone, row.consent_texts, row.phone) == (False, True, "+447700900456")
    withdraw = browser.post(f"/clients/{made.id}/consents/texts/withdraw", {"version": "4"})
    assert withdraw.status_code == 303
    row = _client(app, made.id)
    assert (row.consent_phone, row.consent_texts, row.phone) == (False, False, None)


def test_withdrawing_texts_keeps_a_shared_phone(app, login_as, browser):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    assert _give(browser, made.id, "texts", "07700 900456", 1).status_code == 303
    assert _give(browser, made.id, "share_phone", "07700 900456", 2).status_code == 303
    assert (
        browser.post(f"/clients/{made.id}/consents/texts/withdraw", {"version": "3"}).status_code
        == 303
    )
    row = _client(app, made.id)
    assert (row.consent_phone, row.consent_texts, row.phone) == (True, False, "+447700900456")


def test_withdrawal_cancels_texts_not_sent_and_leaves_offers_alone(app, login_as, browser):
    keyworker = login_as("keyworker")
    made = give_text_consent(make_client(keyworker, consent_first_name=True))
    request = make_request(made, state="offered")
    offer = make_offer(request, make_vetted_volunteer())
    other = give_text_consent(make_client(keyworker), "07700 900789")
    with app.app_context():
        for owner in (made, other):
            queue_text("escort_reminder", owner.phone, "Reminder", client_id=owner.id)
        sent = queue_text("escort_reminder", made.phone, "Sent already", client_id=made.id)
        sent.status = "delivered"
        db.session.commit()
    version = _client(app, made.id).version
    response = browser.post(
        f"/clients/{made.id}/consents/texts/withdraw", {"version": str(version)}
    )
    assert response.status_code == 303
    with app.app_context():
        left = db.session.execute(select(TextMessage.client_id, TextMessage.body)).all()
        offer_state = db.session.get(Offer, offer.id).state
        detail = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "consent_withdrawn")
        ).one()
    assert sorted(left) == sorted([(other.id, "Reminder"), (made.id, "Sent already")])
    assert offer_state == "pending"  # texts show a volunteer nothing: offers stand
    assert json.loads(detail) == {"kind": "texts", "texts_cancelled": 1}


def test_the_service_may_set_a_sign_off_and_let_texts_name_the_meeting(app):
    with app.app_context():
        assert check_value("client_text_sign_off", "  ") == ""
        assert check_value("client_text_sign_off", "From your keyworker") == "From your keyworker"
        with pytest.raises(InvalidChange, match="60 characters or fewer"):
            check_value("client_text_sign_off", "x" * 61)
        assert check_value("client_text_names_meeting", "no") is False


def test_the_settings_page_shows_the_client_text_settings(login_as, client):
    login_as("admin")
    page = _html(client.get("/admin/settings"))
    assert "Sign-off on texts to clients" in page
    assert "Texts to clients name the meeting" in page


def test_anonymising_a_client_ends_their_texts(app):
    from portal.governance.erasure import anonymise_client

    made = give_text_consent(make_client(status="closed"))
    with app.app_context():
        anonymise_client(db.session.get(Client, made.id), "erasure")
    row = _client(app, made.id)
    assert (row.consent_texts, row.phone) == (False, None)
