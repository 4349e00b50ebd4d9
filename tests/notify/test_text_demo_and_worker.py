"""Texts in the demo data (idempotent) and in `flask --app portal worker` (issue 16)."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.notify.models import TextContact, TextMessage
from portal.notify.texts import queue_text


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(TextContact)),
            db.session.scalar(select(func.count()).select_from(TextMessage)),
        )


def test_the_demo_gives_mobiles_and_one_refused_text_however_often_it_runs(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    first = _counts(app)
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert _counts(app) == first
    with app.app_context():
        mobiles = set(db.session.scalars(select(TextContact.mobile)))
        refused = db.session.scalars(
            select(TextMessage).where(TextMessage.dedupe_key == "demo:refused")
        ).all()
    assert {"+447700900461", "+447700900462"} <= mobiles
    assert [text.status for text in refused] == ["refused"]


def test_the_worker_sends_queued_texts_through_notify(app, runner, notify_server):
    with app.app_context():
        queue_text("help_requested", "+447700900123", "Help is needed now", at_any_hour=True)
        db.session.commit()
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "texts sent 1" in result.output
    assert [text["body"] for text in notify_server.sent] == ["Help is needed now"]


def test_without_a_worker_a_queued_answer_goes_once_the_response_is_out(app, client, notify_server):
    """Development (MAIL_SEND_INLINE): a text queued by a request is sent after its response."""
    app.config.update(MAIL_SEND_INLINE=True, NOTIFY_CALLBACK_TOKEN="inline-token")
    response = client.post(
        "/messages/texts/received",
        json={
            "id": "5d0e9a1c-55a3-4f7e-9d7a-3c2b1a0f9e8d",
            "source_number": "447700900123",
            "destination_number": "07700900000",
            "message": "STOP",
            "date_received": "2026-11-30T10:00:00.000000Z",
        },
        headers={"Authorization": "Bearer inline-token"},
    )
    assert response.status_code == 200
    response.close()  # the answer has gone out: the inline delivery runs now
    assert [text["body"] for text in notify_server.texts_to("+447700900123")] == [
        "You will get no more texts from us. Text START to get them again."
    ]
