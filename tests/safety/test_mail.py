"""A real SMTP conversation: safety alerts wait in the outbox while the mail server is down, and
arrive exactly once when it returns."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal.auth.models import User
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.notify.services import deliver_due
from portal.safety import services

from ..factories import make_escort, make_user


def _pending(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )


def _deliver(app, now):
    with app.app_context():
        return deliver_due(now)


def test_alerts_wait_while_the_mail_server_is_down_and_arrive_once(app, smtp_server):
    champions = [make_user(roles=("champion",)) for _ in range(2)]
    request, _v, user, _kw, _client = make_escort()
    now = request.starts_at

    # First help call goes through while the server is up.
    with app.app_context():
        services.record_check(request.id, db.session.get(User, user.id), "help", now=now)
    assert _deliver(app, now) == (2, 0)
    assert len(smtp_server.messages) == 2

    # The server goes down mid-run: the next alerts are stored, not lost.
    smtp_server.stop()
    with app.app_context():
        services.record_check(request.id, db.session.get(User, user.id), "help", now=now)
        services.alert_overdue(request.ends_at + timedelta(hours=2))
        db.session.commit()
    sent, failed = _deliver(app, now + timedelta(minutes=1))
    assert (sent, failed) == (0, 4)
    assert _pending(app) == 4
    # Retrying too soon does nothing (back-off); a later retry while still down fails again.
    assert _deliver(app, now + timedelta(minutes=1, seconds=5)) == (0, 0)
    assert _deliver(app, now + timedelta(minutes=2)) == (0, 4)

    # The server returns on the same port: every waiting message is delivered exactly once.
    smtp_server.start()
    later = now + timedelta(hours=1)
    assert _deliver(app, later) == (4, 0)
    assert _deliver(app, later + timedelta(hours=1)) == (0, 0)
    assert _pending(app) == 0
    assert len(smtp_server.messages) == 6
    for champion in champions:
        received = smtp_server.to(champion.email)
        assert len(received) == 3
        subjects = sorted(str(m["Subject"]) for m in received)
        assert subjects.count("Urgent: a volunteer asked for help") == 2
        assert subjects.count("Urgent: a safety check-out is overdue") == 1
        for message in received:
            text = smtp_server.text(message)
            assert request.meeting.name not in str(message["Subject"])
            assert "http" in text
