"""The champions' tasks: a volunteer's request for a chat after an escort, and tasks a champion
adds by hand. A task stays on the list until someone marks it done.

Every change is audited in its own transaction; two champions pressing "Mark as done" at once
end with one of them done and the other told it already is (the version check in
portal/versioning.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, or_, select

from .. import dates
from ..audit import audit, utcnow
from ..auth.models import User
from ..auth.services import champions
from ..errors import Conflict, InvalidChange, NotFound
from ..extensions import db
from ..jobs import portal_path
from ..notify.services import notify_user
from ..versioning import claim_version
from ..volunteers.models import Volunteer
from .models import TITLE_LIMIT, Task

STALE = "This task changed since you opened the page. Reload it and try again."
ALREADY_DONE = "This task is already done."
SHOWS = ("mine", "everyone", "done")
HOME_LIMIT = 10


def is_champion(user: User | None) -> bool:
    return bool(user is not None and user.has_role("champion"))


def _only_champions(actor: User) -> None:
    # Tasks name volunteers who asked for support: nobody else may see they exist.
    if not is_champion(actor):
        raise NotFound("No such task")


def next_working_day(today: date) -> date:
    """The next Monday to Friday after `today` (bank holidays are not known to the portal)."""
    day = today + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _tell_champions(task: Task, title: str, *, besides: User | None = None) -> None:
    """Tell the task's champion, or every champion when it is anyone's (not the one who acted)."""
    people = [task.assigned_to] if task.assigned_to is not None else champions()
    link = portal_path("tasks.task_list", "/tasks/")
    for person in people:
        if besides is not None and person.id == besides.id:
            continue
        notify_user(person, "task_added", title, body=f"Due {dates.day(task.due_on)}.", link=link)


def open_debrief(
    request_id: int, volunteer: Volunteer, escort_start: datetime, now: datetime
) -> Task:
    """A chat with the champion after an escort, due the next working day, for any champion; the
    same volunteer asking twice about the same escort gets the one task. In the caller's
    transaction (the outcome form commits)."""
    found = db.session.scalar(
        select(Task).where(
            Task.kind == "debrief",
            Task.request_id == request_id,
            Task.volunteer_id == volunteer.id,
        )
    )
    if found is not None:
        return found
    task = Task(
        kind="debrief",
        # No client or meeting here: every champion sees the list.
        title=f"A chat after the escort on {dates.day(escort_start)}",
        volunteer_id=volunteer.id,
        request_id=request_id,
        due_on=next_working_day(dates.london_today(now)),
        state="open",
        created_at=now,
        created_by_id=volunteer.user_id,
    )
    db.session.add(task)
    db.session.flush()
    audit("task_created", task, detail={"kind": "debrief", "volunteer_id": volunteer.id})
    _tell_champions(task, f"{volunteer.preferred_name} would like a chat after an escort")
    return task


def get_task(task_id: int, actor: User) -> Task:
    _only_champions(actor)
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFound("No such task")
    return task


def task_list(actor: User, show: str = "everyone") -> Select:
    """The tasks a list shows, for `paginate`: open ones soonest due first ("mine": assigned to
    the actor), or the done ones, latest first. Volunteers and champions come in the same query."""
    _only_champions(actor)
    statement = select(Task)
    if show == "done":
        return statement.where(Task.state == "done").order_by(Task.done_at.desc(), Task.id.desc())
    statement = statement.where(Task.state == "open")
    if show == "mine":
        statement = statement.where(Task.assigned_to_id == actor.id)
    return statement.order_by(Task.due_on, Task.id)


@dataclass
class HomeTasks:
    items: list[Task]
    total: int  # open tasks for this champion (theirs and anyone's), beyond those shown


def home_tasks(actor: User, limit: int = HOME_LIMIT) -> HomeTasks:
    """The open tasks for the champion's home: theirs and anyone's, soonest due first."""
    _only_champions(actor)
    mine = Task.state == "open", or_(Task.assigned_to_id == actor.id, Task.assigned_to_id.is_(None))
    items = db.session.scalars(
        select(Task).where(*mine).order_by(Task.due_on, Task.id).limit(limit)
    ).unique()
    total = db.session.scalar(select(func.count(Task.id)).where(*mine)) or 0
    return HomeTasks(list(items), total)


@dataclass(frozen=True)
class TaskCounts:
    open: int
    overdue: int


def open_task_counts(today: date) -> TaskCounts:
    """How many tasks are open and how many of those are past their due date (for a digest)."""
    row = db.session.execute(
        select(
            func.count(Task.id),
            func.count(Task.id).filter(Task.due_on < today),
        ).where(Task.state == "open")
    ).one()
    return TaskCounts(row[0] or 0, row[1] or 0)


def champion_choices() -> dict[str, str]:
    """Who a task may go to: any champion (""), or one active champion by name."""
    return {"": "Any champion", **{str(user.id): user.name for user in champions()}}


def volunteer_choices() -> dict[str, str]:
    """The volunteers a task may be about (not those who have left), by name."""
    rows = db.session.execute(
        select(Volunteer.id, Volunteer.preferred_name)
        .where(Volunteer.status != "withdrawn")
        .order_by(Volunteer.preferred_name, Volunteer.id)
    )
    return {"": "Nobody in particular", **{str(id_): name for id_, name in rows}}


def _champion(assignee_id: int | None) -> User | None:
    if assignee_id is None:
        return None
    found = next((user for user in champions() if user.id == assignee_id), None)
    if found is None:
        raise InvalidChange("Choose a champion from the list", field="assigned_to")
    return found


def add_task(
    actor: User,
    *,
    title: str,
    due_on: date,
    volunteer_id: int | None = None,
    assigned_to_id: int | None = None,
    now: datetime | None = None,
) -> Task:
    """A task a champion adds by hand."""
    _only_champions(actor)
    title = (title or "").strip()
    if not title:
        raise InvalidChange("Enter what needs doing", field="title")
    if len(title) > TITLE_LIMIT:
        raise InvalidChange(f"Enter {TITLE_LIMIT} characters or fewer", field="title")
    if volunteer_id is not None and db.session.get(Volunteer, volunteer_id) is None:
        raise InvalidChange("Choose a volunteer from the list", field="volunteer")
    assignee = _champion(assigned_to_id)
    task = Task(
        kind="other",
        title=title,
        volunteer_id=volunteer_id,
        due_on=due_on,
        assigned_to_id=assignee.id if assignee else None,
        state="open",
        created_at=now or utcnow(),
        created_by_id=actor.id,
    )
    db.session.add(task)
    db.session.flush()
    audit("task_created", task, detail={"kind": "other", "volunteer_id": volunteer_id})
    if assignee is not None:
        task.assigned_to = assignee
        _tell_champions(task, "A task was added for you", besides=actor)
    db.session.commit()
    return task


def mark_done(task: Task, actor: User, version: int | None, now: datetime | None = None) -> Task:
    """Mark the task done. A task someone else marked done meanwhile is "already done" (not an
    error page); any other change since the page was drawn is a Conflict."""
    _only_champions(actor)
    if task.state == "done":
        raise InvalidChange(ALREADY_DONE)
    now = now or utcnow()
    try:
        claim_version(
            task,
            version,
            STALE,
            where=[Task.state == "open"],
            state="done",
            done_at=now,
            done_by_id=actor.id,
        )
    except Conflict:
        if db.session.scalar(select(Task.state).where(Task.id == task.id)) == "done":
            raise InvalidChange(ALREADY_DONE) from None
        raise
    audit("task_done", task)
    db.session.commit()
    return task


def reassign(task: Task, actor: User, assigned_to_id: int | None, version: int | None) -> Task:
    """Give the task to another active champion, or to any champion (None)."""
    _only_champions(actor)
    if task.state == "done":
        raise InvalidChange(ALREADY_DONE)
    assignee = _champion(assigned_to_id)
    before = task.assigned_to_id
    claim_version(
        task,
        version,
        STALE,
        where=[Task.state == "open"],
        assigned_to_id=assignee.id if assignee else None,
    )
    audit("task_reassigned", task, detail={"from": before, "to": task.assigned_to_id})
    db.session.refresh(task, ["assigned_to"])
    if assignee is not None:
        _tell_champions(task, "A task was passed to you", besides=actor)
    db.session.commit()
    return task
