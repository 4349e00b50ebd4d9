"""The tasks pages: the list (and its htmx fragment), adding a task, done, reassign, the
champion's home, and hostile posts to each."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.audit import utcnow
from portal.dates import london_today
from portal.extensions import db
from portal.tasks.models import Task

from ..factories import make_task, make_user, make_vetted_volunteer
from ..querycount import count_queries

LIST = "/tasks/"


def task_page(action: str = "") -> str:
    """The tasks list, or a new task's page ("reassign"), for the accessibility scan."""
    task = make_task(make_vetted_volunteer(None, phone="07700 900111", preferred_name="Robin"))
    return f"/tasks/{task.id}/{action}" if action else LIST


def _task(app, task_id: int) -> Task:
    with app.app_context():
        row = db.session.get(Task, task_id)
        db.session.expunge_all()
        return row


def _all(app) -> list[Task]:
    with app.app_context():
        rows = list(db.session.scalars(select(Task).order_by(Task.id)))
        db.session.expunge_all()
        return rows


def test_the_list_its_filters_and_fragment(app, client, login_as):
    me = login_as("champion")
    volunteer = make_vetted_volunteer(make_user(roles=("volunteer",)), preferred_name="Robin")
    make_task(volunteer, title="Ring Robin", due_in_days=-1)
    make_task(title="Mine to do", assigned_to_id=me.id)
    make_task(title="Finished one", state="done", done_at=utcnow(), done_by_id=me.id)
    html = client.get(LIST).get_data(as_text=True)
    assert "Ring Robin" in html and "Mine to do" in html and "Finished one" not in html
    assert "Overdue" in html and "Robin</a>" in html and "<html" in html
    mine = client.get(f"{LIST}?show=mine").get_data(as_text=True)
    assert "Mine to do" in mine and "Ring Robin" not in mine
    done = client.get(f"{LIST}?show=done").get_data(as_text=True)
    assert "Finished one" in done and "Mark as done" not in done
    fragment = client.get(f"{LIST}?show=mine", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text and 'id="task-results"' in text
    for hostile in ("?show=%00", "?show=" + "x" * 5000, "?page=abc", "?page=99999999999"):
        assert client.get(LIST + hostile).status_code == 200


def test_the_list_sends_the_same_queries_for_more_tasks(app, client, login_as):
    login_as("champion")
    # one of each (a volunteer, a champion) from the start: then more add no query
    make_task(
        make_vetted_volunteer(None, phone="07700 900222"),
        assigned_to_id=make_user(roles=("champion",)).id,
    )
    client.get(LIST)
    with count_queries(app) as few:
        client.get(LIST, headers={"HX-Request": "true"})
    for number in range(6):
        make_task(
            make_vetted_volunteer(None, phone="07700 900222"),
            assigned_to_id=make_user(roles=("champion",)).id,
            due_in_days=number,
        )
    with count_queries(app) as many:
        client.get(LIST, headers={"HX-Request": "true"})
    assert len(few) == len(many)


def test_empty_list_says_what_to_do(client, login_as):
    login_as("champion")
    html = client.get(LIST).get_data(as_text=True)
    assert "There are no open tasks" in html and "Add a task" in html


def test_add_a_task(app, client, browser, login_as):
    me = login_as("champion")
    other = make_user(roles=("champion",), name="Chris Champion")
    volunteer = make_vetted_volunteer(make_user(roles=("volunteer",)), preferred_name="Robin")
    page = client.get(f"/tasks/new?volunteer={volunteer.id}").get_data(as_text=True)
    assert "Chris Champion" in page and f'selected value="{volunteer.id}"' in page
    due = (london_today(utcnow()) + timedelta(days=3)).isoformat()
    response = browser.post(
        "/tasks/new",
        {"title": "Ring Robin", "volunteer": volunteer.id, "due_on": due, "assigned_to": other.id},
        page="/tasks/new",
    )
    assert response.status_code == 303 and response.location.endswith(LIST)
    [task] = _all(app)
    assert (task.title, task.volunteer_id, task.assigned_to_id, task.created_by_id) == (
        "Ring Robin",
        volunteer.id,
        other.id,
        me.id,
    )


def test_hostile_new_tasks_change_nothing(app, client, browser, login_as):
    login_as("champion")
    due = london_today(utcnow()).isoformat()
    for data, message in (
        ({"title": "", "due_on": due}, "Enter what needs doing"),
        ({"title": "x" * 121, "due_on": due}, "120 characters or fewer"),
        ({"title": "bad\x00byte", "due_on": due}, "unusual characters"),
        ({"title": "Ok", "due_on": "31/02/2026"}, "Enter a real date"),
        ({"title": "Ok", "due_on": ""}, "Enter the date"),
        ({"title": "Ok", "due_on": due, "volunteer": "999999"}, "Choose one of the options"),
        ({"title": "Ok", "due_on": due, "assigned_to": "abc"}, "Choose one of the options"),
    ):
        response = browser.post("/tasks/new", data, page="/tasks/new")
        assert response.status_code == 200, data
        if message:
            assert message in response.get_data(as_text=True), data
    assert _all(app) == []


def test_done_from_the_home_page_and_twice(app, client, browser, login_as):
    me = login_as("champion")
    task = make_task(title="Call back", due_in_days=-3)
    home = client.get("/champion").get_data(as_text=True)
    assert "Call back" in home and "Overdue" in home and "Mark as done" in home
    url = f"/tasks/{task.id}/done"
    sent = {"version": task.version, "next": "/champion"}
    response = browser.post(url, sent, page="/champion")
    assert response.status_code == 303 and response.location.endswith("/champion")
    assert "Marked as done" in client.get("/champion").get_data(as_text=True)
    again = browser.post(url, sent, page="/champion")  # a second champion's stale page
    assert again.status_code == 303
    assert "already done" in client.get(again.location).get_data(as_text=True)
    row = _task(app, task.id)
    assert (row.state, row.done_by_id, row.version) == ("done", me.id, 2)
    assert "You have no open tasks" in client.get("/champion").get_data(as_text=True)


def test_hostile_done_posts(app, client, browser, login_as):
    login_as("champion")
    task = make_task()
    url = f"/tasks/{task.id}/done"
    for data in ({}, {"version": "abc"}, {"version": "9" * 40}):
        response = browser.post(url, data, page=LIST)
        assert response.status_code == 303, data
    assert browser.post(url, {"version": 7}, page=LIST).status_code == 409
    evil = browser.post(url, {"version": "1", "next": "//evil.example/"}, page=LIST)
    assert evil.status_code == 303 and evil.location.endswith(LIST)
    for unknown in (999_999, 2**31):
        assert browser.post(f"/tasks/{unknown}/done", {"version": 1}, page=LIST).status_code == 404


def test_reassign(app, client, browser, login_as):
    login_as("champion")
    other = make_user(roles=("champion",), name="Chris Champion")
    keyworker = make_user(roles=("keyworker",))
    task = make_task()
    url = f"/tasks/{task.id}/reassign?next=/champion"
    page = client.get(url).get_data(as_text=True)
    assert "Chris Champion" in page and "Any champion" in page
    for bad in (str(keyworker.id), "999999", "abc", "\x00"):
        response = browser.post(url, {"assigned_to": bad, "version": 1}, page=url)
        assert response.status_code == 200, bad
        assert "Choose" in response.get_data(as_text=True) or "unusual" in response.get_data(
            as_text=True
        )
    assert _task(app, task.id).version == 1
    response = browser.post(url, {"assigned_to": other.id, "version": 1}, page=url)
    assert response.status_code == 303 and response.location.endswith("/champion")
    assert _task(app, task.id).assigned_to_id == other.id
    stale = browser.post(url, {"assigned_to": "", "version": 1}, page=url)
    assert stale.status_code == 409
    assert client.get("/tasks/999999/reassign").status_code == 404


def test_other_roles_are_refused(app, client, browser, login_as):
    task = make_task()
    login_as("volunteer", "keyworker", "admin")
    for url in (LIST, "/tasks/new", f"/tasks/{task.id}/reassign"):
        assert client.get(url).status_code == 403
    assert browser.post(f"/tasks/{task.id}/done", {"version": 1}, page="/").status_code == 403
    assert _task(app, task.id).state == "open"
