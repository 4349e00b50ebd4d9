"""Proof that audit rows never change: the database refuses, whatever the application asks.

On SQLite triggers refuse UPDATE and DELETE (SQLite has no TRUNCATE: an unqualified DELETE is
its equivalent). On PostgreSQL (run the suite with PORTAL_TEST_POSTGRES_URL) a trigger refuses
UPDATE, DELETE and TRUNCATE, even for the table's owner; README explains withholding the grants
from the application's role as well.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from portal.audit import AuditEvent, audit
from portal.extensions import db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def trail(app):
    with app.app_context():
        audit("client_viewed", client_ref="CM-00001", detail={"page": "record"})
        audit("settings_changed", detail={"service_name": "x"})
        db.session.commit()
        return [
            (e.id, e.action, e.client_ref, e.detail)
            for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def _rows(app):
    with app.app_context():
        return [
            (e.id, e.action, e.client_ref, e.detail)
            for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def _refused(app, statement) -> str:
    with app.app_context():
        with pytest.raises(DBAPIError) as caught:
            db.session.execute(statement)
            db.session.commit()
        db.session.rollback()
    return str(caught.value)


@pytest.mark.parametrize(
    "statement",
    [
        text("UPDATE audit_events SET action = 'nothing_happened'"),
        text("UPDATE audit_events SET client_ref = NULL WHERE client_ref = 'CM-00001'"),
        text("DELETE FROM audit_events"),
        text("DELETE FROM audit_events WHERE action = 'client_viewed'"),
        update(AuditEvent).values(detail=None),
        delete(AuditEvent).where(AuditEvent.action == "settings_changed"),
    ],
    ids=["update all", "update one", "delete all", "delete one", "orm update", "orm delete"],
)
def test_the_database_refuses_to_change_or_remove_audit_rows(app, trail, statement):
    assert "append-only" in _refused(app, statement)
    assert _rows(app) == trail


def test_deleting_through_the_session_is_refused(app, trail):
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "client_viewed"))
        db.session.delete(event)
        with pytest.raises(DBAPIError):
            db.session.commit()
        db.session.rollback()
    assert _rows(app) == trail


def test_truncate_is_refused_on_postgresql(app, trail):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has no TRUNCATE; DELETE without WHERE is refused above")
    assert "append-only" in _refused(app, text("TRUNCATE audit_events"))
    assert _rows(app) == trail


def test_new_rows_can_still_be_added(app, trail):
    with app.app_context():
        audit("report_viewed")
        db.session.commit()
    assert len(_rows(app)) == len(trail) + 1


def test_the_guards_are_installed(app):
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            names = db.session.execute(
                text(
                    "SELECT name FROM sqlite_master "
                    "WHERE type = 'trigger' AND tbl_name = 'audit_events'"
                )
            ).scalars()
            assert set(names) == {"audit_events_no_update", "audit_events_no_delete"}
        else:
            names = db.session.execute(
                text(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass "
                    "AND NOT tgisinternal"
                )
            ).scalars()
            assert set(names) == {"audit_events_append_only", "audit_events_no_truncate"}


def test_no_code_path_updates_or_deletes_audit_rows():
    """Besides the database: nothing in the application even tries."""
    pattern = re.compile(
        r"(update|delete)\(\s*AuditEvent|(UPDATE|DELETE FROM|TRUNCATE)\s+audit_events", re.I
    )
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "portal").rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
