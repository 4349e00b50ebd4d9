"""The demo caseload: every stage present, at least one open request, and idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.accompaniment.models import AccompanimentRequest, RequestEvent
from portal.auth.models import User
from portal.clients import services as clients
from portal.clients.models import Client, FamaSession
from portal.demo import DEMO_ACCOUNTS, build_demo
from portal.extensions import db


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Client, FamaSession, AccompanimentRequest, RequestEvent)
    )


def test_the_demo_caseload_covers_every_stage_and_runs_twice_the_same(app):
    email = next(a.email for a in DEMO_ACCOUNTS if "keyworker" in a.roles)
    with app.app_context():
        build_demo()
        first = _counts()
        build_demo()
        assert _counts() == first
        keyworker = db.session.scalar(select(User).where(User.email == email))
        counts = clients.caseload_counts(keyworker)
        for action in (
            "session_1",
            "session_2",
            "waiting_volunteer",
            "volunteer_confirmed",
            "record_session_3",
            "engaged",
            "not_attending",
        ):
            assert counts.get(action), action
        assert db.session.scalar(
            select(func.count())
            .select_from(AccompanimentRequest)
            .where(AccompanimentRequest.state == "open")
        )


def test_the_demo_caseload_brings_its_own_meetings_when_the_directory_is_empty(app):
    from portal.clients.demo import build_demo_clients
    from portal.meetings.models import Meeting

    from ..factories import make_user

    email = next(a.email for a in DEMO_ACCOUNTS if "keyworker" in a.roles)
    make_user(email=email)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Meeting)) == 0
        build_demo_clients()
        db.session.commit()
        build_demo_clients()
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Meeting)) == 3
        assert db.session.scalar(select(func.count()).select_from(Client)) == 7
