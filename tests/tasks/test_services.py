"""The champions' tasks: the debrief a volunteer asks for, done, reassign, who may, versions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent, utcnow
from portal.auth.models import User
from portal.dates import london_today
from portal.errors import Conflict, InvalidChange, NotFound
from portal.extensions import db
from portal.notify.models import Notification
from portal.safety import services as safety
from portal.tasks import services
from portal.tasks.models import Task
from portal.volunteers.models import Volunteer

from ..factories import make_escort, make_task, make_user, make_vetted_volunteer


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def _tasks(app) -> list[Task]:
    with app.app_context():
        rows = list(db.session.scalars(select(Task).order_by(Task.id)))
        db.session.expunge_all()
        return rows


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (date(2026, 12, 3), date(2026, 12, 4)),  # Thursday → Friday
        (date(2026, 12, 4), date(2026, 12, 7)),  # Friday → Monday
        (date(2026, 12, 5), date(2026, 12, 7)),  # Saturday → Monday
        (date(2026, 12, 6), date(2026, 12, 7)),  # Sunday → Monday
    ],
)
def test_next_working_day(today, due):
    assert services.next_working_day(today) == due


def test_a_chat_request_makes_one_task_for_the_champions(app):
    champions = [make_user(roles=("champion",)) for _ in range(2)]
    user = make_user(roles=("volunteer",))
    request, volunteer, *_ = make_escort(user, starts_in=timedelta(hours=-2))
    with app.app_context():
        safety.record_outcome(
            request.id, _user(user.id), came="attended", together="yes", wellbeing="chat"
        )
        now = utcnow()
        again = services.open_debrief(
            request.id, db.session.get(Volunteer, volunteer.id), request.starts_at, now
        )
        db.session.commit()
        told = db.session.scalar(select(func.count()).where(Notification.kind == "task_added"))
        audited = db.session.scalar(select(func.count()).where(AuditEvent.action == "task_created"))
        again_id = again.id
    [task] = _tasks(app)
    assert again_id == task.id  # asking twice about the same escort: still one task
    assert (task.kind, task.state, task.volunteer_id) == ("debrief", "open", volunteer.id)
    assert task.request_id == request.id and task.assigned_to_id is None
    assert task.due_on == services.next_working_day(london_today(now))
    assert "escort" in task.title and str(request.client_id) not in task.title
    assert told == len(champions) and audited == 1


def test_fine_makes_no_task_and_phone_only_is_not_asked(app):
    make_user(roles=("champion",))
    user = make_user(roles=("volunteer",))
    request, *_ = make_escort(user, starts_in=timedelta(hours=-2))
    champion = make_user(roles=("champion",))
    phone, *_ = make_escort(phone_only=True, starts_in=timedelta(hours=-2))
    with app.app_context():
        safety.record_outcome(
            request.id, _user(user.id), came="client_did_not_come", wellbeing="fine"
        )
        # a champion recording for a phone-only contact is not the peer: an answer is ignored
        safety.record_outcome(
            phone.id, _user(champion.id), came="client_did_not_come", wellbeing="chat"
        )
        assert safety.outcome_of(request.id).wellbeing == "fine"
        assert safety.outcome_of(phone.id).wellbeing is None
    assert _tasks(app) == []


def test_an_unknown_answer_is_refused_by_its_field(app):
    user = make_user(roles=("volunteer",))
    request, *_ = make_escort(user, starts_in=timedelta(hours=-2))
    with app.app_context(), pytest.raises(InvalidChange) as refused:
        safety.record_outcome(
            request.id, _user(user.id), came="client_did_not_come", wellbeing="awful"
        )
    assert refused.value.field == "wellbeing"
    assert _tasks(app) == []


def test_done_once_then_already_done(app):
    champion = make_user(roles=("champion",))
    task = make_task()
    with app.app_context():
        row = services.get_task(task.id, _user(champion.id))
        services.mark_done(row, _user(champion.id), task.version)
        assert (row.state, row.done_by_id) == ("done", champion.id) and row.done_at
        with pytest.raises(InvalidChange, match="already done"):
            services.mark_done(row, _user(champion.id), row.version)
        actions = list(db.session.scalars(select(AuditEvent.action)))
    assert "task_done" in actions


def test_two_champions_press_done_at_once(app):
    first, second = (make_user(roles=("champion",)) for _ in range(2))
    task = make_task()
    with app.app_context():
        seen = services.get_task(task.id, _user(second.id))  # the second champion's page
        assert seen.state == "open"
        db.session.expunge(seen)  # the page as drawn: it does not see the other's change
        db.session.rollback()  # (SQLite: let the other session write)
        with app.app_context():  # the first champion, in their own session, is quicker
            services.mark_done(services.get_task(task.id, _user(first.id)), _user(first.id), 1)
        with pytest.raises(InvalidChange, match="already done"):
            services.mark_done(seen, _user(second.id), 1)
    [row] = _tasks(app)
    assert (row.state, row.done_by_id, row.version) == ("done", first.id, 2)


def test_reassign_and_a_stale_page(app):
    me, other = (make_user(roles=("champion",)) for _ in range(2))
    keyworker = make_user(roles=("keyworker",))
    task = make_task()
    with app.app_context():
        row = services.get_task(task.id, _user(me.id))
        services.reassign(row, _user(me.id), other.id, 1)
        assert row.assigned_to_id == other.id and row.version == 2
        told = db.session.scalar(
            select(func.count()).where(
                Notification.user_id == other.id, Notification.kind == "task_added"
            )
        )
        assert told == 1
        with pytest.raises(InvalidChange) as refused:
            services.reassign(row, _user(me.id), keyworker.id, 2)
        assert refused.value.field == "assigned_to"
        with pytest.raises(Conflict):
            services.mark_done(services.get_task(task.id, _user(me.id)), _user(me.id), 1)
        row = services.get_task(task.id, _user(me.id))
        services.reassign(row, _user(me.id), None, 2)  # back to any champion
        assert row.assigned_to_id is None and row.state == "open"


def test_only_champions_see_tasks(app):
    task = make_task()
    for role in ("volunteer", "keyworker", "admin"):
        someone = make_user(roles=(role,))
        with app.app_context():
            with pytest.raises(NotFound):
                services.get_task(task.id, _user(someone.id))
            with pytest.raises(NotFound):
                services.task_list(_user(someone.id))
    champion = make_user(roles=("champion",))
    with app.app_context(), pytest.raises(NotFound):
        services.get_task(999_999, _user(champion.id))


def test_home_lists_mine_and_anyones_and_counts(app):
    me, other = (make_user(roles=("champion",)) for _ in range(2))
    volunteer = make_vetted_volunteer(make_user(roles=("volunteer",)))
    mine = make_task(volunteer, assigned_to_id=me.id, due_in_days=-2)
    anyones = make_task(due_in_days=3)
    make_task(assigned_to_id=other.id)
    make_task(state="done", done_at=utcnow())
    with app.app_context():
        home = services.home_tasks(_user(me.id))
        assert [task.id for task in home.items] == [mine.id, anyones.id] and home.total == 2
        counts = services.open_task_counts(london_today(utcnow()))
        assert (counts.open, counts.overdue) == (3, 1)


def test_add_a_task_by_hand(app):
    me, other = (make_user(roles=("champion",)) for _ in range(2))
    volunteer = make_vetted_volunteer(make_user(roles=("volunteer",)))
    due = london_today(utcnow()) + timedelta(days=4)
    with app.app_context():
        task = services.add_task(
            _user(me.id),
            title="  Ring Sam  ",
            due_on=due,
            volunteer_id=volunteer.id,
            assigned_to_id=other.id,
        )
        assert (task.title, task.kind, task.assigned_to_id) == ("Ring Sam", "other", other.id)
        for bad, field in (
            ({"title": ""}, "title"),
            ({"title": "x" * 121}, "title"),
            ({"title": "Ok", "volunteer_id": 999_999}, "volunteer"),
            ({"title": "Ok", "assigned_to_id": 999_999}, "assigned_to"),
        ):
            with pytest.raises(InvalidChange) as refused:
                services.add_task(_user(me.id), due_on=due, **bad)
            assert refused.value.field == field
    assert len(_tasks(app)) == 1
