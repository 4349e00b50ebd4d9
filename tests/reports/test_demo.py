"""The demo history fills the reports page, the same way on every run in a week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from portal.accompaniment.models import AccompanimentRequest, RequestEvent
from portal.clients.models import Client, FamaSession
from portal.demo import build_demo
from portal.extensions import db
from portal.reports.demo import PREFIX, build_demo_reports
from portal.reports.services import build_report, default_range


def _history() -> list[tuple]:
    return db.session.execute(
        select(
            Client.reference,
            AccompanimentRequest.meeting_date,
            AccompanimentRequest.state,
            AccompanimentRequest.outcome,
            AccompanimentRequest.volunteer_id,
            AccompanimentRequest.peer_first_name,
        )
        .join(AccompanimentRequest, AccompanimentRequest.client_id == Client.id)
        .where(Client.reference.like(f"{PREFIX}%"))
        .order_by(Client.reference)
    ).all()


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Client, FamaSession, AccompanimentRequest, RequestEvent)
    )


def test_the_demo_gives_the_reports_twelve_weeks_of_history_and_is_idempotent(app):
    with app.app_context():
        build_demo()
        first, history = _counts(), _history()
        build_demo()
        assert _counts() == first and _history() == history
        report = build_report(default_range())
        weeks = report.tables["requests-by-week"]
        busy = [row for row in weeks.rows if row["requests"]]
        assert len(busy) >= 8
        total = weeks.footer[0]
        for key in ("attended", "client_did_not_come", "cancelled", "unfilled"):
            assert total[key] > 0, key
        assert report.tables["matching"].footer[0]["median_hours"] > 0
        assert all(row["commitments"] for row in report.tables["attendance"].rows)
        assert [row["clients"] for row in report.tables["fama-funnel"].rows][0] >= 50
        assert report.tables["by-area"].rows


def test_a_later_week_moves_the_history_forward(app):
    with app.app_context():
        build_demo()
        before = _counts()
        later = datetime.now(UTC) + timedelta(weeks=3)
        build_demo_reports(now=later)
        db.session.commit()
        assert _counts() == before
        first_session = db.session.scalar(
            select(func.min(FamaSession.held_on))
            .join(Client, Client.id == FamaSession.client_id)
            .where(Client.reference.like(f"{PREFIX}%"))
        )
        assert first_session >= default_range(later.date()).start


def test_the_demo_books_every_escort_like_the_portal_would(app):
    """Offers, busy slots and week counts agree with every escort; nobody is booked twice."""
    from bench.load import check_consistency

    with app.app_context():
        build_demo()
        build_demo()  # a second run moves nothing out of step
    assert check_consistency(app) == []
