"""Retention: anonymise closed clients and withdrawn volunteers once their time is up."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from portal.accompaniment.models import AccompanimentRequest
from portal.audit import AuditEvent
from portal.clients.models import Client, FamaSession, Goal
from portal.extensions import db
from portal.governance.models import Anonymisation
from portal.governance.retention import run_retention
from portal.reports.services import DateRange, build_report
from portal.settings import SettingRow
from portal.volunteers.models import SafeguardingItem, Volunteer, VolunteerLanguage

from ..factories import (
    context,
    make_client,
    make_fama_session,
    make_meeting,
    make_request_history,
    make_user,
    make_vetted_volunteer,
    make_volunteer,
)

CLOSED = datetime(2024, 1, 15, 10, tzinfo=UTC)
PERIOD = DateRange(date(2023, 12, 1), date(2024, 1, 31))


def _closed_client_with_history():
    client = make_client(
        status="closed", closed_at=CLOSED, phone="07700 900111", pronouns="she/her"
    )
    meeting = make_meeting()
    session = make_fama_session(
        client, 2, date(2024, 1, 2), notes="Talked about her sister.",
        commitment_meeting_id=meeting.id, commitment_at=CLOSED - timedelta(days=10),
    )  # fmt: skip
    make_fama_session(client, 3, date(2024, 1, 9), attended=True, reactions="Nervous but fine.")
    make_request_history(
        client, meeting, date(2024, 1, 5), "completed", "attended",
        accepted_after_hours=12, session=session, note_for_champion="Anxious in crowds.",
    )  # fmt: skip
    with context():
        db.session.add(
            Goal(client_id=client.id, goal="Find a home group", recorded_by_id=client.keyworker_id)
        )
        db.session.commit()
    return client


def _numbers(report) -> dict:
    tables = report.tables
    return {
        "weekly": [row["requests"] for row in tables["requests-by-week"].rows],
        "attended": tables["requests-by-week"].footer[0]["attended"],
        "funnel": [row["clients"] for row in tables["fama-funnel"].rows],
        "attendance": [row["attended"] for row in tables["attendance"].rows],
    }


def test_a_closed_client_is_anonymised_only_after_the_retention_period(app):
    client = _closed_client_with_history()
    active = make_client(phone="07700 900222")
    with app.app_context():
        before = _numbers(build_report(PERIOD))
        early = run_retention(now=CLOSED + timedelta(days=30 * 23))
        assert early.total == 0
        assert db.session.get(Client, client.id).first_name == client.first_name

        result = run_retention(now=datetime(2026, 1, 16, tzinfo=UTC))  # 24 months and a day
        assert [due.label for due in result.clients] == [client.reference]
        row = db.session.get(Client, client.id)
        assert row.reference == f"ANON-{client.id}"
        assert (row.first_name, row.phone, row.pronouns) == ("Anonymised", None, None)
        assert row.status == "closed" and row.closed_at == CLOSED
        sessions = db.session.scalars(
            select(FamaSession).where(FamaSession.client_id == client.id)
        ).all()
        assert [(s.kind, s.notes, s.reactions) for s in sessions] == [
            (2, None, None),
            (3, None, None),
        ]
        assert sessions[1].attended is True and sessions[0].commitment_at is not None
        request = db.session.scalar(
            select(AccompanimentRequest).where(AccompanimentRequest.client_id == client.id)
        )
        assert (request.state, request.outcome, request.note_for_champion) == (
            "completed",
            "attended",
            None,
        )
        assert (
            db.session.scalar(
                select(func.count()).select_from(Goal).where(Goal.client_id == client.id)
            )
            == 0
        )
        # the reports count the same after anonymising
        assert _numbers(build_report(PERIOD)) == before
        assert db.session.get(Client, active.id).phone == "07700 900222"
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "client_anonymised")
        )
        assert event.client_ref == client.reference
        assert json.loads(event.detail)["reason"] == "retention"
        # a second run finds nothing more to do
        assert run_retention(now=datetime(2026, 6, 1, tzinfo=UTC)).total == 0


def test_the_dry_run_lists_and_changes_nothing(app):
    client = _closed_client_with_history()
    with app.app_context():
        result = run_retention(now=datetime(2027, 1, 1, tzinfo=UTC), dry_run=True)
        assert [due.label for due in result.clients] == [client.reference]
        assert db.session.get(Client, client.id).reference == client.reference
        assert db.session.scalar(select(func.count()).select_from(Anonymisation)) == 0


def test_the_retention_period_is_the_admins_setting(app):
    client = _closed_client_with_history()
    with app.app_context():
        db.session.add(SettingRow(key="client_retention_months", value="6"))
        db.session.commit()
        assert run_retention(now=CLOSED + timedelta(days=150), dry_run=True).total == 0
        assert [
            d.id for d in run_retention(now=CLOSED + timedelta(days=190), dry_run=True).clients
        ] == [client.id]


def test_withdrawn_volunteers_are_anonymised_after_their_period(app):
    user = make_user(roles=("volunteer",))
    withdrawn = make_vetted_volunteer(
        user, status="withdrawn", status_changed_at=CLOSED, phone="07700 900333",
        languages=["English", "Polish"], conflict_notes="Knows a client's family.",
    )  # fmt: skip
    recent = make_volunteer(status="withdrawn", status_changed_at=CLOSED + timedelta(days=300))
    approved = make_vetted_volunteer()
    now = CLOSED + timedelta(days=370)  # 12 months and a few days
    with app.app_context():
        result = run_retention(now=now)
        assert [due.id for due in result.volunteers] == [withdrawn.id]
        row = db.session.get(Volunteer, withdrawn.id)
        assert (row.preferred_name, row.phone, row.conflict_notes, row.recovery_date) == (
            "Anonymised",
            None,
            None,
            None,
        )
        assert row.status == "withdrawn"
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(VolunteerLanguage)
                .where(VolunteerLanguage.volunteer_id == withdrawn.id)
            )
            == 0
        )
        items = db.session.scalars(
            select(SafeguardingItem).where(SafeguardingItem.volunteer_id == withdrawn.id)
        ).all()
        assert len(items) == 5 and all(item.dbs_certificate_number is None for item in items)
        assert {item.kind for item in items} == {
            "dbs",
            "training",
            "references",
            "lone_working",
            "code_of_conduct",
        }
        from portal.auth.models import User

        account = db.session.get(User, user.id)
        assert account.email == f"anonymised-{user.id}@invalid" and not account.active
        assert account.password_hash is None
        assert db.session.get(Volunteer, recent.id).preferred_name == recent.preferred_name
        assert db.session.get(Volunteer, approved.id).preferred_name == approved.preferred_name


def test_the_cli_dry_run_then_run(app, runner):
    client = make_client(status="closed", closed_at=datetime.now(UTC) - timedelta(days=800))
    volunteer = make_volunteer(
        status="withdrawn", status_changed_at=datetime.now(UTC) - timedelta(days=400)
    )
    result = runner.invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would anonymise 1 clients" in result.output and "1 volunteers" in result.output
    assert f"client {client.reference}: closed" in result.output
    assert f"volunteer Volunteer {volunteer.id}: withdrew" in result.output
    assert "Dry run: nothing was changed." in result.output
    with app.app_context():
        assert db.session.get(Client, client.id).reference == client.reference
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0 and "Anonymised 1 clients" in result.output
    with app.app_context():
        assert db.session.get(Client, client.id).reference == f"ANON-{client.id}"
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "retention_run")
            )
            == 1
        )
    assert "Anonymised 0 clients" in runner.invoke(args=["retention", "run"]).output


def test_closing_a_case_records_when(app, login_as, browser):
    keyworker = login_as("keyworker")
    client = make_client(keyworker)
    page = f"/clients/{client.id}/close"
    response = browser.post(page, {"version": client.version}, page=page)
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(Client, client.id)
        assert row.status == "closed" and row.closed_at is not None


def test_a_runs_summary_counts_what_was_done_and_what_was_not():
    from portal.governance.retention import Due, RetentionResult

    due = Due("client", 1, "C-1", datetime(2024, 1, 1, tzinfo=UTC))
    done = RetentionResult(clients=[due], volunteers=[], dry_run=False)
    assert done.summary() == "Anonymised 1 clients and 0 volunteers."
    done.skipped.append((due, "a request in progress"))
    assert done.summary().endswith(" 1 could not be done yet: see the list.")
