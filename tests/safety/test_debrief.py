"""The outcome form asks the volunteer how they are; "I'd like a chat" becomes a champion's task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accompaniment.models import AccompanimentRequest
from portal.extensions import db
from portal.notify.models import Notification
from portal.safety.models import EscortOutcome
from portal.tasks.models import Task

from ..factories import make_escort, make_user

QUESTION = "How are you after this escort?"


def _tasks(app) -> list[Task]:
    with app.app_context():
        rows = list(db.session.scalars(select(Task)))
        db.session.expunge_all()
        return rows


def test_a_volunteer_asks_for_a_chat(app, client, browser, login_as):
    champion = make_user(roles=("champion",))
    user = login_as("volunteer")
    request, volunteer, _u, keyworker, _c = make_escort(user, starts_in=timedelta(hours=-2))
    url = f"/safety/escorts/{request.id}/outcome"
    html = client.get(url).get_data(as_text=True)
    assert QUESTION in html and "I&#39;d like a chat with the champion" in html
    data = {
        "came": "attended",
        "together": "yes",
        "wellbeing": "chat",
        "version": request.version,
    }
    response = browser.post(url, data, page=url)
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(EscortOutcome, request.id).wellbeing == "chat"
        told = {
            user_id: kind
            for user_id, kind in db.session.execute(select(Notification.user_id, Notification.kind))
        }
    assert told[champion.id] == "task_added" and told[keyworker.id] == "outcome_recorded"
    [task] = _tasks(app)
    assert (task.kind, task.volunteer_id, task.request_id) == ("debrief", volunteer.id, request.id)
    # the escort is done: a second post is refused and makes no second task
    assert browser.post(url, data, page="/safety/escorts").status_code in (404, 409)
    assert len(_tasks(app)) == 1


@pytest.mark.parametrize("answer", ["fine", ""])
def test_fine_or_no_answer_makes_no_task(app, client, browser, login_as, answer):
    user = login_as("volunteer")
    request, *_ = make_escort(user, starts_in=timedelta(hours=-2))
    url = f"/safety/escorts/{request.id}/outcome"
    data = {"came": "client_did_not_come", "wellbeing": answer, "version": request.version}
    assert browser.post(url, data, page=url).status_code == 303
    with app.app_context():
        assert db.session.get(EscortOutcome, request.id).wellbeing == (answer or None)
    assert _tasks(app) == []


def test_a_forged_answer_is_refused_with_nothing_changed(app, client, browser, login_as):
    user = login_as("volunteer")
    request, *_ = make_escort(user, starts_in=timedelta(hours=-2))
    url = f"/safety/escorts/{request.id}/outcome"
    for bad in ("awful", "x" * 5000, "chat\x00"):
        data = {"came": "client_did_not_come", "wellbeing": bad, "version": request.version}
        response = browser.post(url, data, page=url)
        assert response.status_code == 200, bad
        assert "There is a problem" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(AccompanimentRequest, request.id).state == "accepted"
    assert _tasks(app) == []


def test_the_champion_recording_for_a_phone_only_contact_is_not_asked(
    app, client, browser, login_as
):
    login_as("champion")
    request, *_ = make_escort(phone_only=True, starts_in=timedelta(hours=-2))
    url = f"/safety/escorts/{request.id}/outcome"
    assert QUESTION not in client.get(url).get_data(as_text=True)
    data = {"came": "client_did_not_come", "wellbeing": "chat", "version": request.version}
    assert browser.post(url, data, page=url).status_code == 303
    with app.app_context():
        assert db.session.get(EscortOutcome, request.id).wellbeing is None
        assert db.session.scalar(select(func.count()).select_from(Task)) == 0
