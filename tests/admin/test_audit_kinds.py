"""The audit page's kinds (changes, views of client data, refused requests) and the settings
for the alert about refused requests."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import insert

from portal.audit import REFUSAL, VIEW, AuditEvent, audit_row
from portal.extensions import db
from portal.settings import SETTINGS, get_setting

from .test_settings_and_audit import _settings_data

HX = {"HX-Request": "true"}


def _html(response) -> str:
    return response.get_data(as_text=True)


def _add(app, action: str, kind: str, detail: dict | None = None, client_ref=None) -> None:
    with app.app_context():
        db.session.execute(
            insert(AuditEvent).values(**audit_row(action, None, None, detail, client_ref, kind))
        )
        db.session.commit()


def test_the_kind_filter_narrows_the_page_and_the_fragment(app, login_as, client):
    login_as("admin")
    _add(app, "caseload_viewed", VIEW, {"list": "caseload", "page": 2, "search": "jo"})
    _add(app, "request_refused", REFUSAL, {"status": 403, "method": "GET", "path": "/admin/"})
    page = _html(client.get("/admin/audit?kind=view"))
    assert "Looked at: caseload, page 2, a search" in page
    assert "Refused: 403 GET /admin/" not in page
    fragment = _html(client.get("/admin/audit?kind=refusal", headers=HX))
    assert "<html" not in fragment and "Refused: 403 GET /admin/" in fragment
    assert "caseload" not in fragment
    everything = _html(client.get("/admin/audit"))
    assert "Looked at: caseload" in everything and "Refused: 403" in everything
    assert '<option value="refusal">Refused requests</option>' in everything
    # the download link carries the filter
    assert "/admin/audit.csv?kind=refusal" in _html(client.get("/admin/audit?kind=refusal"))


@pytest.mark.parametrize("kind", ["nonsense", "VIEW", "view\x00", "x" * 300])
def test_a_forged_kind_is_explained_not_a_500(login_as, client, kind):
    login_as("admin")
    response = client.get("/admin/audit", query_string={"kind": kind})
    assert response.status_code == 200
    assert "Choose one of the options" in _html(response)


def test_a_summary_never_breaks_on_odd_details(app):
    with app.app_context():
        for detail in (None, "not json", "[1, 2]", json.dumps({"status": 404})):
            event = AuditEvent(action="request_refused", kind=REFUSAL, detail=detail)
            assert event.summary.startswith("Refused:")
            event = AuditEvent(action="client_viewed", kind=VIEW, detail=detail)
            assert event.summary.startswith("Looked at:")


def test_the_alert_settings_are_on_the_settings_page_and_checked(app, login_as, browser, client):
    login_as("admin")
    page = _html(client.get("/admin/settings"))
    assert 'name="refusal_alert_count"' in page and 'name="refusal_alert_minutes"' in page
    assert SETTINGS["refusal_alert_count"].group == "Security"
    bad = browser.post("/admin/settings", _settings_data(refusal_alert_count="0"))
    assert bad.status_code == 200 and "enter a number from 3 to 1000" in _html(bad)
    saved = browser.post(
        "/admin/settings", _settings_data(refusal_alert_count="8", refusal_alert_minutes="30")
    )
    assert saved.status_code == 303, _html(saved)
    with app.app_context():
        assert (get_setting("refusal_alert_count"), get_setting("refusal_alert_minutes")) == (8, 30)
