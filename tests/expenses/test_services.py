"""The expense rules without the pages: amounts, the rate, one claim per escort, erasure."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import select

from portal.accompaniment.models import AccompanimentRequest
from portal.auth.models import User
from portal.errors import Conflict, InvalidChange, NotFound
from portal.expenses import services, tickets
from portal.expenses.models import ExpenseClaim, pounds
from portal.extensions import db
from portal.governance.erasure import anonymise_volunteer
from portal.settings import SETTINGS, SettingRow
from portal.volunteers.models import Volunteer

from ..factories import make_escort, make_expense_claim, make_past_escort

JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 32


def _another_escort(volunteer, days_ago: int = 3):
    """A second past escort accepted by the same volunteer."""
    from datetime import timedelta

    from portal.audit import utcnow

    from ..factories import make_client, make_meeting, make_offer, make_request, make_user

    starts_at = utcnow().replace(microsecond=0) - timedelta(days=days_ago)
    request = make_request(
        make_client(make_user(roles=("keyworker",))),
        make_meeting(),
        state="accepted",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        meeting_date=starts_at.date(),
        volunteer_id=volunteer.id,
        accepted_at=starts_at - timedelta(days=2),
    )
    make_offer(request, volunteer, state="accepted", answered_at=starts_at - timedelta(days=2))
    return request


def _user(app, user) -> User:
    return db.session.get(User, user.id)


def test_pounds_and_mileage_in_whole_pence():
    assert pounds(340) == "£3.40" and pounds(5) == "£0.05" and pounds(123456) == "£1,234.56"
    assert services.mileage_pence(65, 45) == 293  # 292.5 rounds up
    assert services.mileage_pence(10, 45) == 45


def test_the_rate_is_copied_onto_the_claim(app):
    request, _, user, _, _ = make_past_escort()
    other = _another_escort(db_volunteer(app, user))
    with app.app_context():
        claim = services.make_claim(request.id, _user(app, user), kind="miles", miles_tenths=100)
        assert (claim.rate_pence, claim.amount_pence) == (45, 450)
        db.session.add(SettingRow(key="mileage_rate_pence", value="30"))
        db.session.commit()
        g.pop("settings", None)
        later = services.make_claim(other.id, _user(app, user), kind="miles", miles_tenths=100)
        assert (later.rate_pence, later.amount_pence) == (30, 300)
        assert db.session.get(ExpenseClaim, claim.id).amount_pence == 450


def test_one_claim_per_escort(app):
    request, _, user, _, _ = make_past_escort()
    with app.app_context():
        services.make_claim(request.id, _user(app, user), kind="bus", amount_pence=200)
        with pytest.raises((InvalidChange, NotFound)):
            services.make_claim(request.id, _user(app, user), kind="bus", amount_pence=200)
        assert len(db.session.scalars(select(ExpenseClaim)).all()) == 1


@pytest.mark.parametrize(
    "values",
    [
        {"kind": "bus", "amount_pence": -1},
        {"kind": "bus", "amount_pence": 0},
        {"kind": "train", "amount_pence": 10**12},
        {"kind": "miles", "miles_tenths": -5},
        {"kind": "miles", "miles_tenths": 10**9},
        {"kind": "taxi", "amount_pence": 100},
    ],
)
def test_bad_amounts_are_refused(app, values):
    request, _, user, _, _ = make_past_escort()
    with app.app_context():
        with pytest.raises(InvalidChange):
            services.make_claim(request.id, _user(app, user), **values)
        assert db.session.scalars(select(ExpenseClaim)).all() == []


def test_only_past_escorts_of_ones_own_can_be_claimed(app):
    future, _, user, _, _ = make_escort()
    past, _, other_user, _, _ = make_past_escort()
    too_old, _, old_user, _, _ = make_past_escort(days_ago=100)
    with app.app_context():
        for request_id, actor in ((future.id, user), (past.id, user), (too_old.id, old_user)):
            with pytest.raises(NotFound):
                services.escort_to_claim(request_id, _user(app, actor))
        assert services.escort_to_claim(past.id, _user(app, other_user)).request_id == past.id


def test_an_escort_the_volunteer_could_not_go_to_is_not_claimable(app):
    request, _, user, _, _ = make_past_escort()
    with app.app_context():
        row = db.session.get(AccompanimentRequest, request.id)
        row.state, row.outcome = "completed", "volunteer_could_not_go"
        db.session.commit()
        assert services.escorts_to_claim(_user(app, user)) == []


def test_a_ticket_is_kept_owner_only_outside_static(app):
    request, _, user, _, _ = make_past_escort()
    with app.app_context():
        claim = services.make_claim(
            request.id, _user(app, user), kind="bus", amount_pence=300, ticket=JPEG
        )
        path = tickets.ticket_path(claim.ticket_file)
        assert path is not None and path.read_bytes() == JPEG
        assert Path(app.instance_path) in path.parents
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
        assert tickets.ticket_path("../secret_key") is None


def test_a_failed_claim_leaves_no_file(app):
    request, _, user, _, _ = make_past_escort()
    make_expense_claim(request, db_volunteer(app, user))
    with app.app_context():
        with pytest.raises(InvalidChange):
            services.make_claim(
                request.id, _user(app, user), kind="bus", amount_pence=300, ticket=JPEG
            )
        folder = tickets.folder()
        assert list(folder.iterdir()) == []


def db_volunteer(app, user) -> Volunteer:
    with app.app_context():
        volunteer = db.session.scalar(select(Volunteer).where(Volunteer.user_id == user.id))
        db.session.expunge(volunteer)
        return volunteer


def test_withdrawing_removes_the_claim_and_its_ticket(app):
    request, _, user, _, _ = make_past_escort()
    with app.app_context():
        claim = services.make_claim(
            request.id, _user(app, user), kind="bus", amount_pence=300, ticket=JPEG
        )
        path = tickets.ticket_path(claim.ticket_file)
        services.withdraw_claim(claim, claim.version, _user(app, user))
        assert not path.exists()
        assert db.session.scalars(select(ExpenseClaim)).all() == []


def test_a_stale_decision_is_a_conflict(app):
    request, volunteer, _, _, _ = make_past_escort()
    claim = make_expense_claim(request, volunteer)
    from ..factories import make_user

    champion = make_user(roles=("champion",))
    with app.app_context():
        row = db.session.get(ExpenseClaim, claim.id)
        services.approve_claim(row, claim.version, _user(app, champion))
        with pytest.raises(Conflict):
            services.decline_claim(row, claim.version, "late", _user(app, champion))
        assert db.session.get(ExpenseClaim, claim.id).state == "approved"


def test_anonymising_a_volunteer_removes_their_claims_and_tickets(app):
    request, _, user, _, _ = make_past_escort()
    other_request, other, other_user, _, _ = make_past_escort()
    with app.app_context():
        claim = services.make_claim(
            request.id, _user(app, user), kind="bus", amount_pence=300, ticket=JPEG
        )
        kept = services.make_claim(
            other_request.id, _user(app, other_user), kind="bus", amount_pence=300, ticket=JPEG
        )
        path = tickets.ticket_path(claim.ticket_file)
        kept_path = tickets.ticket_path(kept.ticket_file)
        db.session.get(AccompanimentRequest, request.id).state = "completed"
        db.session.commit()
        volunteer = db.session.scalar(select(Volunteer).where(Volunteer.user_id == user.id))
        anonymise_volunteer(volunteer, "erasure")
        assert db.session.scalars(select(ExpenseClaim.id)).all() == [kept.id]
        assert not path.exists() and kept_path.exists()


def test_the_mileage_rate_is_a_setting():
    setting = SETTINGS["mileage_rate_pence"]
    assert setting.default == 45 and setting.kind == "int"
