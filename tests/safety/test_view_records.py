"""The outcome page of an escort records a view of the client's data."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.audit import VIEW, AuditEvent
from portal.extensions import db

from ..factories import make_escort


def test_the_outcome_page_records_a_view_for_the_volunteer_and_the_champion(
    app, browser, client, login_as
):
    request, _volunteer, user, _keyworker, escorted = make_escort(starts_in=timedelta(hours=-2))
    browser.sign_in(user.email)
    assert client.get(f"/safety/escorts/{request.id}/outcome").status_code == 200
    assert client.get(f"/safety/escorts/{request.id}").status_code == 200  # no client data here
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.kind == VIEW, AuditEvent.client_ref == escorted.reference
                )
            )
        )
    assert rows == ["escort_outcome_viewed"]
