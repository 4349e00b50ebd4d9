"""The admin's data-protection pages record what client data they show."""

from __future__ import annotations

import json

from sqlalchemy import select

from portal.audit import VIEW, AuditEvent
from portal.extensions import db

from ..factories import make_client


def _last_view(app) -> AuditEvent:
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.kind == VIEW).order_by(AuditEvent.id.desc())
        ).first()
        db.session.expunge_all()
        return event


def test_search_erase_and_retention_pages_record_a_view(app, login_as, client):
    admin = login_as("admin")
    made = make_client(reference="GOV-55", first_name="Wilhelmina")
    assert client.get("/admin/data-protection?kind=client&q=GOV").status_code == 200
    search = _last_view(app)
    assert (search.action, search.actor_id) == ("people_search_viewed", admin.id)
    assert json.loads(search.detail) | {} == {
        "list": "people_search",
        "kind": "client",
        "search": "words given",
        "endpoint": "governance.data_protection",
    }
    assert client.get(f"/admin/data-protection/client/{made.id}/erase").status_code == 200
    erase = _last_view(app)
    assert (erase.action, erase.client_ref) == ("erasure_viewed", "GOV-55")
    assert client.get("/admin/data-protection/retention").status_code == 200
    assert _last_view(app).action == "retention_due_viewed"


def test_erasing_says_so_without_the_persons_reference(app, login_as, browser, client):
    login_as("admin")
    made = make_client(reference="GOV-66", status="closed")
    url = f"/admin/data-protection/client/{made.id}/erase"
    erased = browser.post(url, {"confirmation": "GOV-66", "checked": "y"})
    assert erased.status_code == 303, erased.get_data(as_text=True)
    page = client.get(erased.location).get_data(as_text=True)
    assert "Personal details erased." in page and "GOV-66" not in page
