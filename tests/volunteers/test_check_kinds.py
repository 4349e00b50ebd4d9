"""Checks and training the service defines: the admin's pages, recording items of them, the
reasons a volunteer without one cannot escort, and the checks-due list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.auth.models import User
from portal.errors import InvalidChange, NotAllowed, NotFound
from portal.extensions import db
from portal.volunteers import check_kinds, services
from portal.volunteers.models import CheckKind, SafeguardingItem, Volunteer

from .. import factories
from ..querycount import count_queries

KINDS = "/admin/check-kinds"


def check_kind_page(action: str = "") -> str:
    """The admin's list of kinds, or one kind's page ("edit", "retire"), for the scan."""
    kind = factories.make_check_kind()
    if action == "edit":
        return f"{KINDS}/{kind.id}"
    return f"{KINDS}/{kind.id}/{action}" if action else KINDS


def html(response) -> str:
    return response.get_data(as_text=True)


def _kind(app, kind_id: int) -> CheckKind:
    with app.app_context():
        row = db.session.get(CheckKind, kind_id)
        db.session.expunge_all()
        return row


def _kinds(app) -> list[CheckKind]:
    with app.app_context():
        rows = list(db.session.scalars(select(CheckKind).order_by(CheckKind.id)))
        db.session.expunge_all()
        return rows


def _audits(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        )


# --- services ----------------------------------------------------------------------------------


def test_add_a_kind_checks_its_answers(app):
    admin = factories.make_user(roles=("admin",))
    with app.app_context():
        actor = db.session.get(User, admin.id)
        kind = check_kinds.add_check_kind(
            {"name": "  Naloxone   training ", "expires": True, "valid_months": 24}, actor
        )
        assert (kind.name, kind.valid_months, kind.needed_to_escort) == (
            "Naloxone training",
            24,
            False,
        )
        for data, field in [
            ({"name": ""}, "name"),
            ({"name": "x" * 81}, "name"),
            ({"name": "NALOXONE TRAINING"}, "name"),  # differs only by case
            ({"name": "DBS check"}, "name"),  # a built-in kind's name
            ({"name": "First aid", "expires": True, "valid_months": 0}, "valid_months"),
            ({"name": "First aid", "expires": True, "valid_months": "12"}, "valid_months"),
        ]:
            with pytest.raises(InvalidChange) as refused:
                check_kinds.add_check_kind(data, actor)
            assert refused.value.field == field
        no_expiry = check_kinds.add_check_kind(
            {"name": "Peer mentor course", "expires": False, "valid_months": 12}, actor
        )
        assert no_expiry.valid_months is None
    assert _audits(app, "check_kind_added") == 2


def test_only_an_admin_defines_kinds(app):
    champion = factories.make_user(roles=("champion",))
    with app.app_context(), pytest.raises(NotAllowed):
        check_kinds.add_check_kind({"name": "First aid"}, db.session.get(User, champion.id))


def test_required_checks_are_the_active_needed_kinds(app):
    needed = factories.make_check_kind("Naloxone training")
    factories.make_check_kind("First aid", needed_to_escort=False)
    factories.make_check_kind("Old course", active=False)
    with app.app_context():
        assert [c.name for c in check_kinds.required_checks()] == ["Naloxone training"]
        assert check_kinds.required_checks()[0].id == needed.id


def test_an_item_of_a_service_kind_defaults_its_expiry(app):
    champion = factories.make_user(roles=("champion",))
    kind = factories.make_check_kind("First aid", valid_months=12)
    volunteer = factories.make_vetted_volunteer()
    issued = date.today() - timedelta(days=10)
    with app.app_context():
        actor = db.session.get(User, champion.id)
        row = db.session.get(Volunteer, volunteer.id)
        item = services.add_safeguarding_item(row, kind.key, {"issued_on": issued}, actor)
        assert (item.kind, item.check_kind_id, item.kind_label) == ("service", kind.id, "First aid")
        assert item.expires_on == services.add_months(issued, 12)
        record = {c.kind: c for c in services.safeguarding_record(row)}
        assert record[kind.key].item.id == item.id
        assert record[kind.key].state == "valid"
        with pytest.raises(NotFound):
            services.add_safeguarding_item(row, "service-999999", {"issued_on": issued}, actor)
        with pytest.raises(NotFound):
            services.add_safeguarding_item(row, "service-x", {"issued_on": issued}, actor)


def test_a_retired_kind_is_kept_but_not_asked_for(app):
    admin = factories.make_user(roles=("admin",))
    kind = factories.make_check_kind("Naloxone training")
    volunteer = factories.make_vetted_volunteer()
    factories.make_check_kind_item(volunteer, kind, expires_on=date.today() + timedelta(days=5))
    with app.app_context():
        actor = db.session.get(User, admin.id)
        check_kinds.retire_check_kind(db.session.get(CheckKind, kind.id), actor, kind.version)
        assert check_kinds.required_checks() == ()
        row = db.session.get(Volunteer, volunteer.id)
        assert kind.key not in {c.kind for c in services.safeguarding_record(row)}
        assert db.session.scalar(select(func.count()).select_from(SafeguardingItem)) >= 6
        assert services.reasons_cannot_escort(volunteer.id, date.today()) == []
        with pytest.raises(InvalidChange):
            check_kinds.retire_check_kind(db.session.get(CheckKind, kind.id), actor, None)
    assert _kind(app, kind.id).active is False
    assert _audits(app, "check_kind_retired") == 1


def test_a_needed_kind_stops_escorting_with_its_name(app):
    kind = factories.make_check_kind("Naloxone training")
    without = factories.make_vetted_volunteer()
    lapsed = factories.make_vetted_volunteer()
    holds = factories.make_vetted_volunteer()
    factories.make_check_kind_item(
        lapsed,
        kind,
        issued_on=date.today() - timedelta(days=400),
        expires_on=date.today() - timedelta(days=1),
    )
    factories.make_check_kind_item(holds, kind)
    with app.app_context():
        messages = [r.message for r in services.reasons_cannot_escort(without.id, date.today())]
        assert messages == ["No current Naloxone training"]
        lapsed_reasons = services.reasons_cannot_escort(lapsed.id, date.today())
        assert lapsed_reasons[0].message.startswith("No current Naloxone training: expired on")
        assert services.reasons_cannot_escort(holds.id, date.today()) == []


def test_both_loaders_agree_on_the_service_kinds(app):
    from portal.accompaniment.volunteer_loading import load_volunteer_facts

    kind = factories.make_check_kind("First aid")
    volunteer = factories.make_vetted_volunteer()
    item = factories.make_check_kind_item(volunteer, kind)
    factories.make_check_kind_item(volunteer, kind, expires_on=item.expires_on - timedelta(days=9))
    with app.app_context():
        one = services.volunteer_facts([volunteer.id])[volunteer.id]
        other = load_volunteer_facts([volunteer.id])[volunteer.id]
    assert dict(one.checks) == dict(other.checks) == {kind.id: item.expires_on}
    assert dict(one.safeguarding) == dict(other.safeguarding)


def test_checks_due_lists_service_kinds_not_retired_ones(app, client, login_as):
    login_as("champion")
    soon = date.today() + timedelta(days=4)
    kind = factories.make_check_kind("First aid")
    retired = factories.make_check_kind("Old course", active=False)
    factories.make_check_kind_item(
        factories.make_vetted_volunteer(preferred_name="Ainsley"), kind, expires_on=soon
    )
    factories.make_check_kind_item(
        factories.make_vetted_volunteer(preferred_name="Bertie"), retired, expires_on=soon
    )
    text = html(client.get("/volunteers/checks-due"))
    assert "Ainsley" in text and "First aid" in text
    assert f"/checks/{kind.key}/new" in text
    assert "Bertie" not in text


def test_checks_due_query_count_stays_fixed_with_service_kinds(app, client, login_as):
    login_as("champion")
    kinds = [factories.make_check_kind(f"Course {n}") for n in range(2)]

    def add(count: int) -> None:
        for number in range(count):
            volunteer = factories.make_vetted_volunteer()
            factories.make_check_kind_item(
                volunteer, kinds[number % 2], expires_on=date.today() + timedelta(days=number % 9)
            )

    def queries(path: str) -> int:
        with count_queries(app) as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    paths = ("/volunteers/checks-due", "/volunteers/checks-due?show=supervision")
    add(2)
    small = {path: queries(path) for path in paths}
    add(20)
    assert {path: queries(path) for path in paths} == small


# --- views -------------------------------------------------------------------------------------


def test_admin_adds_changes_retires_and_restores_a_kind(app, client, browser, login_as):
    login_as("admin")
    assert "has not added any checks" in html(client.get(KINDS))
    answer = browser.post(
        f"{KINDS}/new",
        {
            "name": "Naloxone training",
            "expires": "yes",
            "valid_months": "36",
            "needed_to_escort": "yes",
        },
    )
    assert answer.status_code == 303
    (kind,) = _kinds(app)
    assert (kind.valid_months, kind.needed_to_escort) == (36, True)
    assert "Naloxone training" in html(client.get(KINDS))
    page = html(client.get(f"{KINDS}/{kind.id}"))
    assert 'value="Naloxone training"' in page
    answer = browser.post(
        f"{KINDS}/{kind.id}",
        {
            "name": "Naloxone training",
            "expires": "no",
            "needed_to_escort": "no",
            "version": str(kind.version),
        },
    )
    assert answer.status_code == 303
    assert _kind(app, kind.id).valid_months is None
    confirm = html(client.get(f"{KINDS}/{kind.id}/retire"))
    assert "Retire Naloxone training?" in confirm
    version = _kind(app, kind.id).version
    answer = browser.post(f"{KINDS}/{kind.id}/retire", {"version": str(version)})
    assert answer.status_code == 303
    assert _kind(app, kind.id).active is False
    version = _kind(app, kind.id).version
    answer = browser.post(f"{KINDS}/{kind.id}/restore", {"version": str(version)}, page=KINDS)
    assert answer.status_code == 303
    assert _kind(app, kind.id).active is True


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "expires": "no", "needed_to_escort": "no"}, "Enter the name"),
        ({"name": "a\x00b", "expires": "no", "needed_to_escort": "no"}, "unusual characters"),
        ({"name": "x" * 300, "expires": "no", "needed_to_escort": "no"}, "80 characters"),
        ({"name": "First aid", "expires": "maybe", "needed_to_escort": "no"}, "Select yes or no"),
        (
            {
                "name": "First aid",
                "expires": "yes",
                "valid_months": "lots",
                "needed_to_escort": "no",
            },
            "how many months",
        ),
        (
            {
                "name": "First aid",
                "expires": "yes",
                "valid_months": "99999999999",
                "needed_to_escort": "no",
            },
            "Enter",
        ),
        ({"name": "DBS check", "expires": "no", "needed_to_escort": "no"}, "already has"),
    ],
)
def test_hostile_answers_are_refused_by_the_field(app, client, browser, login_as, data, message):
    login_as("admin")
    answer = browser.post(f"{KINDS}/new", data)
    assert answer.status_code == 200
    assert message in html(answer)
    assert _kinds(app) == []


def test_unknown_kinds_are_not_found(client, browser, login_as):
    login_as("admin")
    assert client.get(f"{KINDS}/999999").status_code == 404
    assert client.get(f"{KINDS}/999999/retire").status_code == 404
    assert browser.post(f"{KINDS}/999999/restore", {}, page=KINDS).status_code == 404


def test_champion_records_an_item_of_a_service_kind(app, client, browser, login_as):
    login_as("champion")
    kind = factories.make_check_kind("Naloxone training", valid_months=24)
    volunteer = factories.make_vetted_volunteer()
    record = html(client.get(f"/volunteers/{volunteer.id}"))
    assert "No current Naloxone training" in record
    assert f"/volunteers/{volunteer.id}/checks/{kind.key}/new" in record
    form = html(client.get(f"/volunteers/{volunteer.id}/checks/{kind.key}/new"))
    assert "Leave blank for 2 years" in form
    issued = date.today() - timedelta(days=3)
    answer = browser.post(
        f"/volunteers/{volunteer.id}/checks/{kind.key}/new", {"issued_on": issued.isoformat()}
    )
    assert answer.status_code == 303
    assert "No current Naloxone training" not in html(client.get(f"/volunteers/{volunteer.id}"))
    assert client.get(f"/volunteers/{volunteer.id}/checks/service-999999/new").status_code == 404
    assert client.get(f"/volunteers/{volunteer.id}/checks/nonsense/new").status_code == 404
    with app.app_context():
        item = db.session.scalar(
            select(SafeguardingItem).where(SafeguardingItem.check_kind_id == kind.id)
        )
        item_id = item.id
    edit = html(client.get(f"/volunteers/{volunteer.id}/checks/{item_id}/edit"))
    assert "Correct naloxone training" in edit
    assert "Remove this naloxone training?" in html(
        client.get(f"/volunteers/{volunteer.id}/checks/{item_id}/remove")
    )


def test_kind_pages_refuse_other_roles(client, login_as):
    login_as("champion")
    assert client.get(KINDS).status_code == 403
