"""Erasure on request: a confirmation page listing what must be kept, then only that is kept."""

from __future__ import annotations

import json
from datetime import date, time

import pytest
from sqlalchemy import func, select

from portal.accompaniment.models import AccompanimentRequest
from portal.audit import AuditEvent
from portal.auth.models import User
from portal.clients.models import Client, Consent, Goal
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.volunteers.models import AvailabilityWindow, SafeguardingItem, Volunteer

from ..conftest import Browserless
from ..factories import (
    context,
    make_client,
    make_fama_session,
    make_meeting,
    make_request,
    make_request_history,
    make_user,
    make_vetted_volunteer,
    make_window,
)


def _client_with_records():
    client = make_client(phone="07700 900444", consent_phone=True)
    meeting = make_meeting()
    session = make_fama_session(client, 2, date(2026, 3, 3), notes="Lives with her mum.")
    make_request_history(
        client,
        meeting,
        date(2026, 3, 4),
        "completed",
        "attended",
        accepted_after_hours=2,
        session=session,
    )
    with context():
        by = client.keyworker_id
        db.session.add(
            Consent(
                client_id=client.id,
                kind="share_phone",
                given=True,
                recorded_by_id=by,
                wording_version="2026-1",
            )
        )
        db.session.add(Goal(client_id=client.id, goal="Go twice a week", recorded_by_id=by))
        db.session.add(
            AuditEvent(
                action="client_viewed",
                object_type="clients",
                object_id=str(client.id),
                client_ref=client.reference,
            )
        )
        db.session.commit()
    return client


def _audit_count(app, reference: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.client_ref == reference)
        )


def test_the_confirmation_page_lists_what_is_kept_and_what_goes(app, login_as, client):
    person = _client_with_records()
    login_as("admin")
    response = client.get(f"/admin/data-protection/client/{person.id}/erase")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Erase {person.reference}" in html and "What must be kept" in html
    for kept in (
        "The audit trail",
        "Consent decisions",
        "Request outcomes and FAMA session results",
    ):
        assert kept in html
    assert "Goals" in html and "Deleted." in html and "Kept, details removed." in html
    assert f"To confirm, type <strong>{person.reference}</strong>" in html


def test_erasing_a_client_keeps_only_what_must_be_kept(app, login_as, browser):
    person = _client_with_records()
    login_as("admin")
    audit_before = _audit_count(app, person.reference)
    url = f"/admin/data-protection/client/{person.id}/erase"
    response = browser.post(url, {"confirmation": person.reference.lower(), "checked": "y"})
    assert response.status_code == 303
    with app.app_context():
        row = db.session.get(Client, person.id)
        assert (row.reference, row.first_name, row.phone, row.consent_phone) == (
            f"ANON-{person.id}",
            "Anonymised",
            None,
            False,
        )
        assert row.status == "closed"
        assert (
            db.session.scalar(
                select(func.count()).select_from(Goal).where(Goal.client_id == person.id)
            )
            == 0
        )
        consents = db.session.scalars(select(Consent).where(Consent.client_id == person.id)).all()
        assert [(c.kind, c.given, c.wording_version) for c in consents] == [
            ("share_phone", True, "2026-1")
        ]
        request = db.session.scalar(
            select(AccompanimentRequest).where(AccompanimentRequest.client_id == person.id)
        )
        assert (request.state, request.outcome) == ("completed", "attended")
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "client_anonymised")
        )
        assert json.loads(event.detail)["reason"] == "erasure"
        assert event.client_ref == person.reference
    # the audit trail is kept whole, and records the erasure under the old reference (after the
    # erase page, whose drawing for the form's token is a view of the client's data)
    assert _audit_count(app, person.reference) == audit_before + 2
    again = browser.client.get(f"/admin/data-protection/client/{person.id}/erase").get_data(
        as_text=True
    )
    assert "is already anonymised" in again


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"confirmation": "CM-WRONG", "checked": "y"}, "exactly as shown to confirm"),
        ({"confirmation": "", "checked": "y"}, "Type the reference or name shown above"),
        ({"confirmation": "{ref}"}, "Confirm you have checked who made the request"),
        ({"confirmation": "{ref}\x00", "checked": "y"}, "Remove the unusual characters"),
        ({"confirmation": "x" * 101, "checked": "y"}, "100 characters or fewer"),
    ],
)
def test_erasure_needs_the_reference_typed_and_the_check_ticked(
    app, login_as, browser, data, message
):
    person = _client_with_records()
    login_as("admin")
    data = {key: value.replace("{ref}", person.reference) for key, value in data.items()}
    response = browser.post(f"/admin/data-protection/client/{person.id}/erase", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Client, person.id).reference == person.reference


def test_a_client_with_a_request_in_progress_is_not_erased(app, login_as, browser):
    person = make_client()
    make_request(person, state="accepted")
    login_as("admin")
    response = browser.post(
        f"/admin/data-protection/client/{person.id}/erase",
        {"confirmation": person.reference, "checked": "y"},
    )
    assert response.status_code == 200
    assert "request for a peer in progress" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Client, person.id).reference == person.reference


def test_erasing_a_volunteer_keeps_safeguarding_decisions(app, login_as, browser):
    user = make_user(roles=("volunteer",))
    volunteer = make_vetted_volunteer(user, phone="07700 900666")
    make_window(volunteer, 1, time(18), time(21))
    with context():
        db.session.add(
            OutboxMessage(kind="offer", to_address=user.email, subject="An escort", body_text="x")
        )
        db.session.commit()
    login_as("admin")
    page = browser.client.get(f"/admin/data-protection/volunteer/{volunteer.id}/erase").get_data(
        as_text=True
    )
    assert "Safeguarding decisions" in page and "Weekly free times" in page
    response = browser.post(
        f"/admin/data-protection/volunteer/{volunteer.id}/erase",
        {"confirmation": volunteer.preferred_name, "checked": "y"},
    )
    assert response.status_code == 303
    with app.app_context():
        row = db.session.get(Volunteer, volunteer.id)
        assert (row.preferred_name, row.phone, row.status) == ("Anonymised", None, "withdrawn")
        items = db.session.scalars(
            select(SafeguardingItem).where(SafeguardingItem.volunteer_id == volunteer.id)
        ).all()
        assert len(items) == 5 and {i.dbs_level for i in items if i.kind == "dbs"} == {"enhanced"}
        assert all(i.dbs_certificate_number is None for i in items)
        windows = (
            select(func.count())
            .select_from(AvailabilityWindow)
            .where(AvailabilityWindow.volunteer_id == volunteer.id)
        )
        assert db.session.scalar(windows) == 0
        assert not db.session.get(User, user.id).active
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    fresh = Browserless(app.test_client())
    assert fresh.sign_in(user.email).status_code == 200  # the form again: no way in


def test_a_volunteer_who_is_also_staff_keeps_their_account(app):
    user = make_user(roles=("volunteer", "keyworker"))
    volunteer = make_vetted_volunteer(user)
    admin = make_user(roles=("admin",))
    from portal.governance.erasure import erase_subject
    from portal.governance.people import get_subject

    with app.app_context():
        erase_subject(
            "volunteer",
            get_subject("volunteer", volunteer.id),
            db.session.get(User, admin.id),
            volunteer.preferred_name,
        )
        account = db.session.get(User, user.id)
        assert account.email == user.email and account.active
        assert db.session.get(Volunteer, volunteer.id).preferred_name == "Anonymised"
