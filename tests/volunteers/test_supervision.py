"""Supervision: the log per volunteer, who is due, the pages, the note only champions see."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.auth.models import User
from portal.errors import Conflict, InvalidChange, NotAllowed, NotFound
from portal.extensions import db
from portal.volunteers import supervision
from portal.volunteers.models import Supervision, Volunteer

from .. import factories


def supervision_page(volunteer_id: int, action: str = "") -> str:
    """A volunteer's supervision log, or one session's page ("edit", "remove"), for the scan."""
    log = f"/volunteers/{volunteer_id}/supervision"
    if not action:
        return log
    row = factories.make_supervision(SimpleNamespace(id=volunteer_id))
    return f"{log}/{row.id}/{action}"


def html(response) -> str:
    return response.get_data(as_text=True)


def _rows(app, volunteer_id: int) -> list[Supervision]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(Supervision)
                .where(Supervision.volunteer_id == volunteer_id)
                .order_by(Supervision.id)
            )
        )
        db.session.expunge_all()
        return rows


def _approved_long_ago(**overrides) -> Volunteer:
    approved = datetime.now(UTC) - timedelta(weeks=20)
    return factories.make_vetted_volunteer(approved_at=approved, **overrides)


# --- services ----------------------------------------------------------------------------------


def test_add_fills_the_next_due_date_from_the_setting(app):
    champion = factories.make_user(roles=("champion",), name="Cass Champion")
    volunteer = factories.make_vetted_volunteer()
    held = date.today() - timedelta(days=2)
    with app.app_context():
        actor = db.session.get(User, champion.id)
        row = db.session.get(Volunteer, volunteer.id)
        added = supervision.add_supervision(
            row,
            {"held_on": held, "kind": "group", "held_by_id": champion.id, "note": "Fine."},
            actor,
        )
        assert added.next_due_on == held + timedelta(weeks=8)
        assert added.held_by_label == "Cass Champion"
        detail = db.session.scalar(
            select(AuditEvent.detail).where(AuditEvent.action == "supervision_added")
        )
        assert "Fine." not in detail  # the note never goes into the audit trail


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"held_on": None}, "held_on"),
        ({"held_on": date.today() + timedelta(days=1)}, "held_on"),
        ({"kind": "chat"}, "kind"),
        ({"held_by_id": None, "held_by_name": ""}, "held_by_id"),
        ({"held_by_id": 999999}, "held_by_id"),
        ({"held_by_id": None, "held_by_name": "x" * 101}, "held_by_name"),
        ({"note": "x" * 501}, "note"),
        ({"note": "bad\x00note"}, "note"),
        ({"next_due_on": date.today() - timedelta(days=30)}, "next_due_on"),
    ],
)
def test_add_refuses_bad_answers(app, data, field):
    champion = factories.make_user(roles=("champion",))
    volunteer = factories.make_vetted_volunteer()
    answers = {
        "held_on": date.today() - timedelta(days=1),
        "kind": "one_to_one",
        "held_by_id": champion.id,
        "note": None,
    } | data
    with app.app_context():
        actor = db.session.get(User, champion.id)
        with pytest.raises(InvalidChange) as refused:
            supervision.add_supervision(db.session.get(Volunteer, volunteer.id), answers, actor)
    assert refused.value.field == field
    assert _rows(app, volunteer.id) == []


def test_only_champions_keep_the_log(app):
    keyworker = factories.make_user(roles=("keyworker",))
    volunteer = factories.make_vetted_volunteer()
    with app.app_context():
        actor = db.session.get(User, keyworker.id)
        with pytest.raises(NotAllowed):
            supervision.supervisions_of(db.session.get(Volunteer, volunteer.id), actor)
        with pytest.raises(NotAllowed):
            supervision.supervision_due(actor)


def test_update_and_remove_check_the_version(app):
    champion = factories.make_user(roles=("champion",))
    volunteer = factories.make_vetted_volunteer()
    other = factories.make_vetted_volunteer()
    made = factories.make_supervision(volunteer)
    with app.app_context():
        actor = db.session.get(User, champion.id)
        owner = db.session.get(Volunteer, volunteer.id)
        with pytest.raises(NotFound):
            supervision.get_supervision(db.session.get(Volunteer, other.id), made.id, actor)
        row = supervision.get_supervision(owner, made.id, actor)
        answers = {
            "held_on": row.held_on,
            "kind": "reflective",
            "held_by_name": "Dr Ruth",
            "next_due_on": row.next_due_on,
        }
        assert supervision.update_supervision(row, answers, actor, made.version) == [
            "kind",
            "held_by_name",
            "note",
        ]
        with pytest.raises(Conflict):
            supervision.update_supervision(row, answers, actor, made.version)
        row = supervision.get_supervision(owner, made.id, actor)
        with pytest.raises(Conflict):
            supervision.remove_supervision(row, actor, made.version)
        supervision.remove_supervision(row, actor, row.version)
    assert _rows(app, volunteer.id) == []


def test_who_is_due(app):
    champion = factories.make_user(roles=("champion",))
    overdue = _approved_long_ago(preferred_name="Overdue")
    factories.make_supervision(overdue, held_days_ago=70, due_in_days=-14)
    soon = _approved_long_ago(preferred_name="Soon")
    factories.make_supervision(soon, due_in_days=10)
    later = _approved_long_ago(preferred_name="Later")
    factories.make_supervision(later, due_in_days=40)
    # only the latest session counts
    factories.make_supervision(later, held_days_ago=80, due_in_days=-24)
    never = _approved_long_ago(preferred_name="Never")
    factories.make_vetted_volunteer(preferred_name="New", approved_at=datetime.now(UTC))
    paused = _approved_long_ago(preferred_name="Paused", status="paused")
    factories.make_supervision(paused, due_in_days=-3)
    with app.app_context():
        actor = db.session.get(User, champion.id)
        rows = db.session.execute(supervision.supervision_due(actor)).all()
        names = [volunteer.preferred_name for volunteer, _ in rows]
        assert names == ["Never", "Overdue", "Soon"]
        assert rows[0][1] is None
        assert supervision.supervision_due_count() == 3
    assert never.id == rows[0][0].id


def test_the_interval_is_a_setting(app):
    from portal.settings import SETTINGS

    spec = SETTINGS["supervision_interval_weeks"]
    assert (spec.default, spec.low, spec.high) == (8, 1, 52)


# --- views -------------------------------------------------------------------------------------


def test_record_correct_and_remove_on_the_pages(app, client, browser, login_as):
    champion = login_as("champion", name="Cass Champion")
    volunteer = factories.make_vetted_volunteer(preferred_name="Robin")
    record = html(client.get(f"/volunteers/{volunteer.id}"))
    log = f"/volunteers/{volunteer.id}/supervision"
    assert log in record
    assert "No supervision recorded yet" in html(client.get(log))
    form = html(client.get(f"{log}/new"))
    assert "Cass Champion" in form and "usual gap is 8 weeks" in form
    held = date.today() - timedelta(days=1)
    answer = browser.post(
        f"{log}/new",
        {
            "held_on": held.isoformat(),
            "kind": "one_to_one",
            "held_by": str(champion.id),
            "note": "<div hx-get=/x hx-trigger=load>Finding evenings hard</div>",
        },
    )
    assert answer.status_code == 303
    (row,) = _rows(app, volunteer.id)
    assert row.next_due_on == held + timedelta(weeks=8)
    page = html(client.get(log))
    assert "&lt;div hx-get=/x" in page  # inert text
    assert "Cass Champion" in page
    edit = html(client.get(f"{log}/{row.id}/edit"))
    assert "Finding evenings hard" in edit
    answer = browser.post(
        f"{log}/{row.id}/edit",
        {
            "held_on": held.isoformat(),
            "kind": "group",
            "held_by": "other",
            "held_by_name": "Jo from the hub",
            "note": "",
            "next_due_on": (held + timedelta(days=30)).isoformat(),
            "version": str(row.version),
        },
    )
    assert answer.status_code == 303
    (row,) = _rows(app, volunteer.id)
    assert (row.kind, row.held_by_id, row.held_by_name) == ("group", None, "Jo from the hub")
    stale = browser.post(
        f"{log}/{row.id}/edit",
        {
            "held_on": held.isoformat(),
            "kind": "group",
            "held_by": "other",
            "held_by_name": "Jo",
            "version": str(row.version - 1),
        },
    )
    assert stale.status_code == 409
    assert "Remove this supervision?" in html(client.get(f"{log}/{row.id}/remove"))
    answer = browser.post(f"{log}/{row.id}/remove", {"version": str(row.version)})
    assert answer.status_code == 303
    assert _rows(app, volunteer.id) == []
    with app.app_context():
        actions = set(
            db.session.scalars(
                select(AuditEvent.action).where(AuditEvent.action.like("supervision_%"))
            )
        )
    assert actions == {"supervision_added", "supervision_changed", "supervision_removed"}
    history = html(client.get(f"/volunteers/{volunteer.id}"))
    assert "Supervision removed" in history


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Enter the date it was held"),
        ({"held_on": "31/01/2026"}, "Enter a real date"),
        ({"held_by": "999999"}, "Choose one of the options"),
        ({"held_by": "other"}, "Enter the name of who held it"),
        ({"kind": "chat"}, "Select the kind"),
        ({"note": "x" * 501}, "500 characters"),
        ({"note": "a\x00b"}, "unusual characters"),
        ({"held_by_name": "x" * 101, "held_by": "other"}, "100 characters"),
        ({"next_due_on": "2000-01-01"}, "after the date held"),
    ],
)
def test_hostile_input_is_refused_by_the_field(app, client, browser, login_as, data, message):
    champion = login_as("champion")
    volunteer = factories.make_vetted_volunteer()
    answers = {
        "held_on": (date.today() - timedelta(days=1)).isoformat(),
        "kind": "one_to_one",
        "held_by": str(champion.id),
    }
    answers = {k: v for k, v in (answers | data).items()} if data else {}
    answer = browser.post(f"/volunteers/{volunteer.id}/supervision/new", answers)
    assert answer.status_code == 200
    assert message in html(answer)
    assert _rows(app, volunteer.id) == []


def test_unknown_ids_are_not_found(client, login_as):
    login_as("champion")
    volunteer = factories.make_vetted_volunteer()
    other = factories.make_vetted_volunteer()
    theirs = factories.make_supervision(other)
    assert client.get("/volunteers/999999/supervision").status_code == 404
    assert client.get(f"/volunteers/{volunteer.id}/supervision/999999/edit").status_code == 404
    assert (
        client.get(f"/volunteers/{volunteer.id}/supervision/{theirs.id}/remove").status_code == 404
    )


def test_the_volunteer_never_sees_the_log(client, login_as):
    user = login_as("volunteer")
    volunteer = factories.make_vetted_volunteer(user)
    factories.make_supervision(volunteer, note="Worried about relapse")
    assert client.get(f"/volunteers/{volunteer.id}/supervision").status_code == 403
    for path in ("/volunteer", "/me/profile"):
        response = client.get(path, follow_redirects=True)
        assert "Worried about relapse" not in html(response)


def test_checks_due_shows_supervision_due(client, login_as):
    login_as("champion")
    due = _approved_long_ago(preferred_name="Morgan")
    factories.make_supervision(due, due_in_days=-2)
    checks = html(client.get("/volunteers/checks-due"))
    assert "Supervision due (1)" in checks
    page = html(client.get("/volunteers/checks-due?show=supervision"))
    assert "Morgan" in page and "Record a supervision" in page
    assert "Checks due (0)" in page


def test_erasing_a_volunteer_removes_their_supervision(app):
    volunteer = factories.make_vetted_volunteer()
    factories.make_supervision(volunteer)
    with app.app_context():
        db.session.delete(db.session.get(Volunteer, volunteer.id))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Supervision)) == 0


def test_subject_access_and_erasure_cover_supervision(app, login_as, browser):
    from portal.governance.export import collect_export
    from portal.governance.people import get_subject

    volunteer = factories.make_vetted_volunteer(preferred_name="Quinn")
    factories.make_supervision(volunteer, note="Talked about boundaries.")
    kind = factories.make_check_kind("Naloxone training")
    factories.make_check_kind_item(volunteer, kind)
    with app.app_context():
        export = collect_export("volunteer", get_subject("volunteer", volunteer.id))
    rows = {section.table: section.rows for section in export.sections}
    assert rows["supervisions"][0]["note"] == "Talked about boundaries."
    assert any(row["check_kind_id"] == kind.id for row in rows["safeguarding_items"])
    login_as("admin")
    answer = browser.post(
        f"/admin/data-protection/volunteer/{volunteer.id}/erase",
        {"confirmation": "Quinn", "checked": "y"},
    )
    assert answer.status_code == 303
    assert _rows(app, volunteer.id) == []
