"""Forms of the tasks package: add a task, mark one done, give one to another champion."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..forms import Form, Select, VersionField, choices, date_box, line
from .models import TITLE_LIMIT


def _id_or_none(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


class DoneForm(Form):
    """The "Mark as done" button: the version the page showed."""

    version = VersionField(required=True)


class ReassignForm(Form):
    assigned_to = Select("Who should do it?")
    version = VersionField(required=True)

    @classmethod
    def for_task(cls, task: Any, champions: dict[str, str]) -> ReassignForm:
        form = cls.drawn({"assigned_to": str(task.assigned_to_id or ""), "version": task.version})
        form.assigned_to.choices = choices(champions)
        return form

    def assignee_id(self) -> int | None:
        return _id_or_none(self.assigned_to.data)


class TaskForm(Form):
    title = line(
        "What needs doing?",
        TITLE_LIMIT,
        "Enter what needs doing",
        description="Keep it short. Do not write a client's name or anything about their health.",
    )
    volunteer = Select("Which volunteer is it about? (optional)")
    due_on = date_box(
        "Do it by",
        "Enter a real date, like 2026-12-08",
        "Enter the date to do it by",
        description="For example, 2026-12-08.",
    )
    assigned_to = Select("Who should do it?")

    @classmethod
    def for_new(
        cls, due_on: date, volunteers: dict[str, str], champions: dict[str, str], about: str = ""
    ) -> TaskForm:
        form = cls.drawn({"due_on": due_on, "volunteer": about})
        form.volunteer.choices = choices(volunteers)
        form.assigned_to.choices = choices(champions)
        return form

    def answers(self) -> dict[str, Any]:
        return {
            "title": self.title.data,
            "due_on": self.due_on.data,
            "volunteer_id": _id_or_none(self.volunteer.data),
            "assigned_to_id": _id_or_none(self.assigned_to.data),
        }
