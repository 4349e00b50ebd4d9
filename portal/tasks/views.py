"""Routes of the tasks package: the champions' list, adding a task, marking one done and giving
one to another champion. Rules are in services.py."""

from __future__ import annotations

from flask import request, url_for

from ..audit import utcnow
from ..dates import london_today
from ..form_flow import refuse, run, submit
from ..forms import STALE_PAGE
from ..web import is_safe_next, me, paginate, render, role_required
from . import bp, services
from .forms import DoneForm, ReassignForm, TaskForm


def _back() -> str:
    """The page the button was pressed on (the champion's home or the list), else the list."""
    target = request.values.get("next")
    return target if is_safe_next(target) else url_for("tasks.task_list")


@bp.route("/")
@role_required("champion")
def task_list():
    show = request.args.get("show")
    show = show if show in services.SHOWS else "everyone"
    page = paginate(services.task_list(me(), show))
    today = london_today(utcnow())
    return render("tasks/list.html", block="results", page=page, show=show, today=today)


def _new_task_form() -> TaskForm:
    """Due the next working day unless changed; about the volunteer whose page it came from."""
    return TaskForm.for_new(
        services.next_working_day(london_today(utcnow())),
        services.volunteer_choices(),
        services.champion_choices(),
        request.args.get("volunteer", ""),
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required("champion")
def task_new():
    form = _new_task_form()
    added = submit(
        form,
        lambda: services.add_task(me(), **form.answers()),
        "The task is added.",
        url_for("tasks.task_list"),
        stay=True,
    )
    return added or render("tasks/new.html", form=form)


@bp.route("/<int:task_id>/done", methods=["POST"])
@role_required("champion")
def task_done(task_id: int):
    task = services.get_task(task_id, me())
    form = DoneForm()
    if not form.validate_on_submit():  # a page drawn before the last change (or forged)
        return refuse(STALE_PAGE, _back())
    return run(
        lambda: services.mark_done(task, me(), form.version.data), "Marked as done.", _back()
    )


@bp.route("/<int:task_id>/reassign", methods=["GET", "POST"])
@role_required("champion")
def task_reassign(task_id: int):
    task = services.get_task(task_id, me())
    form = ReassignForm.for_task(task, services.champion_choices())
    moved = submit(
        form,
        lambda: services.reassign(task, me(), form.assignee_id(), form.version.data),
        "The task is reassigned.",
        _back(),
        by="assigned_to",
    )
    return moved or render("tasks/reassign.html", form=form, task=task, back=_back())
