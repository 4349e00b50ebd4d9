"""Subject access: every table that links to a person is in their export (the schema is walked)."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, select

from portal.audit import AuditEvent, audit
from portal.extensions import db
from portal.governance.export import collect_export
from portal.governance.people import get_subject
from portal.governance.records import EXCLUDED, linked_tables, plan_for

from ..factories import (
    context,
    make_client,
    make_conflict,
    make_fama_session,
    make_meeting,
    make_offer,
    make_request_history,
    make_user,
    make_vetted_volunteer,
)


def _links_to(table: Table, target: str, seen: frozenset[str] = frozenset()) -> bool:
    """Independently of the code under test: does any chain of foreign keys reach `target`?

    Chains through `users` are left out: every member of staff's action has a key to users.
    """
    for fk in table.foreign_keys:
        parent = fk.column.table
        if parent.name == target:
            return True
        if parent.name in seen or parent.name in ("users", table.name):
            continue
        if _links_to(parent, target, seen | {table.name}):
            return True
    return False


def _every_linked_table(target: str) -> set[str]:
    return {t.name for t in db.metadata.sorted_tables if t.name != target and _links_to(t, target)}


def test_every_table_linked_to_a_client_or_volunteer_is_exported(app):
    """The meta-test: a new table with a key to a person's records must be in their export."""
    with app.app_context():
        client_plan = set(linked_tables(db.metadata, ["clients"])) | {"clients"}
        volunteer_plan = set(linked_tables(db.metadata, ["volunteers", "users"]))
        volunteer_plan |= {"volunteers"}
        for target, plan in (("clients", client_plan), ("volunteers", volunteer_plan)):
            linked = _every_linked_table(target) | {target}
            missing = linked - plan - set(EXCLUDED)
            assert not missing, (
                f"tables linked to {target} but not in the subject access export: {missing}. "
                "Follow their keys in portal/governance/records.py, or add them to EXCLUDED with "
                "the reason."
            )
        for name, reason in EXCLUDED.items():
            assert name in db.metadata.tables and len(reason) > 20


def test_the_walk_finds_a_table_added_later_and_one_linked_through_it():
    metadata = MetaData()
    Table("users", metadata, Column("id", Integer, primary_key=True))
    Table(
        "clients",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("keyworker_id", ForeignKey("users.id")),
    )
    Table(
        "check_ins",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("client_id", ForeignKey("clients.id")),
    )
    Table(
        "check_in_photos",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("check_in_id", ForeignKey("check_ins.id")),
        Column("caption", String(200)),
    )
    Table(
        "staff_notes",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("author_id", ForeignKey("users.id")),
    )
    Table(
        "inboxes",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("user_id", ForeignKey("users.id")),
    )
    found = linked_tables(metadata, ["clients"])
    assert set(found) == {"check_ins", "check_in_photos"}
    assert [[(link.table, link.column) for link in path] for path in found["check_in_photos"]] == [
        [("check_in_photos", "check_in_id"), ("check_ins", "client_id")]
    ]
    # through an account, only a user_id key means "this person's own record"
    assert set(linked_tables(metadata, ["users"])) == {"inboxes"}


def _full_client():
    from portal.clients.models import Consent, Goal, JournalEntry, client_fellowships

    client = make_client(phone="07700 900555", consent_phone=True)
    meeting = make_meeting()
    volunteer = make_vetted_volunteer()
    session = make_fama_session(client, 2, date(2026, 3, 3), notes="Worried about the stairs.")
    request = make_request_history(
        client, meeting, date(2026, 3, 4), "completed", "attended",
        accepted_after_hours=5, session=session, volunteer=volunteer,
        note_for_champion="Prefers a quiet entrance.",
    )  # fmt: skip
    make_offer(request, volunteer, state="declined", decline_reason="I know them from school.")
    make_conflict(volunteer, client, note="Neighbours.")
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
        db.session.add(Goal(client_id=client.id, goal="Try a SMART meeting", recorded_by_id=by))
        db.session.add(
            JournalEntry(
                client_id=client.id,
                attended_on=date(2026, 3, 4),
                recorded_by_id=by,
                reactions="Glad I went.",
            )
        )
        db.session.execute(
            client_fellowships.insert().values(
                client_id=client.id, fellowship_id=meeting.fellowship_id
            )
        )
        audit("client_viewed", client, client_ref=client.reference)
        db.session.commit()
    return client, volunteer


def test_a_client_export_holds_a_row_from_every_linked_table(app):
    client, _volunteer = _full_client()
    other = make_client()
    with app.app_context():
        subject = get_subject("client", client.id)
        export = collect_export("client", subject)
    rows = {section.table: section.rows for section in export.sections}
    with app.app_context():
        assert set(rows) == set(plan_for("client", subject))  # every linked table, rows or not
    filled = {
        "clients", "client_consents", "client_fellowships", "fama_sessions", "client_goals",
        "client_journal_entries", "accompaniment_requests", "request_events", "offers",
        "volunteer_client_conflicts",
    }  # fmt: skip
    assert {name for name, found in rows.items() if found} >= filled
    assert rows["clients"][0]["phone"] == "07700 900555"
    assert rows["fama_sessions"][0]["notes"] == "Worried about the stairs."
    assert rows["accompaniment_requests"][0]["note_for_champion"] == "Prefers a quiet entrance."
    assert all(row["client_id"] == client.id for row in rows["fama_sessions"])
    assert other.reference not in json.dumps(export.as_json())
    # the other person's id and words are left out of a shared record
    offers = next(section for section in export.sections if section.table == "offers")
    assert {"volunteer_id", "decline_reason"} <= set(offers.omitted)
    assert "volunteer_id" not in rows["offers"][0]
    assert [event["action"] for event in export.audit] == ["client_viewed"]


def test_a_volunteer_export_covers_their_account_and_leaves_out_secrets_and_clients(app):
    client, volunteer = _full_client()
    user = make_user(roles=("volunteer", "keyworker"))
    other_client = make_client(keyworker=user)  # on their caseload as a keyworker: not theirs
    from portal.notify.models import Notification, OutboxMessage

    with context():
        from portal.volunteers.models import Volunteer

        row = db.session.get(Volunteer, volunteer.id)
        row.user_id = user.id
        db.session.add(Notification(user_id=user.id, kind="offer", title="An escort for you"))
        db.session.add(
            OutboxMessage(
                kind="offer",
                to_address=user.email,
                subject="An escort",
                body_text="See the portal.",
            )
        )
        db.session.add(
            OutboxMessage(
                kind="offer", to_address="someone@example.org", subject="Other", body_text="x"
            )
        )
        db.session.commit()
        subject = get_subject("volunteer", volunteer.id)
        export = collect_export("volunteer", subject)
    rows = {section.table: section.rows for section in export.sections}
    text = json.dumps(export.as_json())
    assert rows["users"][0]["email"] == user.email
    assert "password_hash" not in rows["users"][0] and "session_token" not in rows["users"][0]
    assert rows["notifications"][0]["title"] == "An escort for you"
    assert [row["subject"] for row in rows["outbox_messages"]] == ["An escort"]
    assert len(rows["safeguarding_items"]) == 5
    assert rows["offers"][0]["decline_reason"] == "I know them from school."
    # the client's side of the escort stays out: their id, the keyworker's note, the conflict note
    assert "client_id" not in rows["accompaniment_requests"][0]
    assert "Prefers a quiet entrance." not in text and "Neighbours." not in text
    assert "clients" not in rows and other_client.reference not in text


def test_exports_are_audited_and_the_json_downloads(app, login_as, client):
    person, _volunteer = _full_client()
    login_as("admin")
    page = client.get(f"/admin/data-protection/client/{person.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Everything held about " + person.reference in html
    assert "Worried about the stairs." in html and "Not included, and why" in html
    download = client.get(f"/admin/data-protection/client/{person.id}.json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert (
        f'filename="subject-access-client-{person.id}.json"'
        in download.headers["Content-Disposition"]
    )
    data = json.loads(download.get_data(as_text=True))
    assert data["subject"] == {"kind": "client", "id": person.id, "label": person.reference}
    assert data["tables"]["client_goals"]["rows"][0]["goal"] == "Try a SMART meeting"
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.client_ref == person.reference)
            .order_by(AuditEvent.id)
        ).all()
    assert actions[-2:] == ["subject_access_viewed", "subject_access_json"]


def test_a_volunteer_export_page_and_json(app, login_as, client):
    volunteer = make_vetted_volunteer()
    login_as("admin")
    assert client.get(f"/admin/data-protection/volunteer/{volunteer.id}").status_code == 200
    data = client.get(f"/admin/data-protection/volunteer/{volunteer.id}.json").get_json()
    assert data["tables"]["volunteers"]["rows"][0]["preferred_name"] == volunteer.preferred_name
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "subject_access_json")
        )
    assert (event.object_type, event.object_id) == ("volunteers", str(volunteer.id))
