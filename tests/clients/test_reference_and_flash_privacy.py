"""Case references reveal nothing about other caseloads; messages carry no client's name or
reference (flashes sit in the readable session cookie); the lookups record views."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit import VIEW, AuditEvent
from portal.auth.models import User
from portal.clients import records
from portal.clients import services as clients
from portal.errors import InvalidChange
from portal.extensions import db

from ..factories import make_client, make_user


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def test_a_taken_reference_names_only_the_keyworkers_own_client(app):
    mine_keyworker = make_user()
    make_client(mine_keyworker, reference="OWN-1")
    make_client(reference="ELSEWHERE-1")
    with app.app_context():
        me = _user(mine_keyworker.id)
        with pytest.raises(InvalidChange) as other:
            clients.add_client(me, reference="elsewhere-1", first_name="A", gender="woman")
        assert (other.value.message, other.value.field) == (
            records.REFERENCE_CANNOT_BE_USED,
            "reference",
        )
        with pytest.raises(InvalidChange) as own:
            clients.add_client(me, reference="OWN-1", first_name="A", gender="woman")
        assert own.value.message == records.REFERENCE_ON_YOUR_CASELOAD


def test_a_reference_taken_meanwhile_is_refused_in_the_same_neutral_words(app, monkeypatch):
    keyworker = make_user()
    make_client(reference="RACE-1")
    # Another keyworker saved it between the check and the insert: the unique index decides.
    monkeypatch.setattr(records, "_check_reference_free", lambda *args, **kwargs: None)
    with app.app_context():
        with pytest.raises(InvalidChange) as refused:
            clients.add_client(
                _user(keyworker.id), reference="RACE-1", first_name="A", gender="woman"
            )
        assert refused.value.message == records.REFERENCE_CANNOT_BE_USED


def test_saving_a_client_says_so_without_their_name_or_reference(app, login_as, browser, client):
    login_as("keyworker")
    added = browser.post(
        "/clients/new", {"reference": "NAME-77", "first_name": "Ottoline", "gender": "woman"}
    )
    assert added.status_code == 303
    page = client.get(added.location).get_data(as_text=True)
    assert "The client is on your caseload." in page
    assert "Ottoline" in page  # the client's own page says whose record it is


def test_the_admins_transfer_look_up_records_a_view_and_its_move_says_no_names(
    app, login_as, browser, client
):
    login_as("admin")
    made = make_client(reference="MOVE-9")
    new_keyworker = make_user(name="Zeta Keyworker")
    assert client.get("/clients/transfer?reference=move-9").status_code == 200
    with app.app_context():
        looked = db.session.scalars(
            select(AuditEvent).where(AuditEvent.kind == VIEW, AuditEvent.client_ref == "MOVE-9")
        ).one()
        assert looked.action == "client_looked_up"
    moved = browser.post(
        "/clients/transfer",
        {"reference": "MOVE-9", "keyworker_id": str(new_keyworker.id), "version": "1"},
        page="/clients/transfer",
    )
    assert moved.status_code == 303
    page = client.get(moved.location).get_data(as_text=True)
    assert "The client is on their new keyworker&#39;s caseload." in page
    assert made.id
