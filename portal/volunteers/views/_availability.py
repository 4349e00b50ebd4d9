"""The meetings and free-time pages, for the volunteer's own record or for a champion keeping
it on their behalf (often a phone-only contact's)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, url_for
from werkzeug.wrappers import Response

from ...errors import InvalidChange
from ...meetings.models import WEEKDAYS as MEETING_DAYS
from ...web import MAX_ID, me, paginate, redirect_303, render, show_error
from .. import services as volunteers
from ..forms import AddMeetingForm, AwayForm, VersionForm, WindowForm
from ..models import Volunteer
from ._common import champion_volunteer, int_arg, text_arg


@dataclass(frozen=True)
class Scope:
    """Whose availability a page shows: the signed-in volunteer's, or one a champion manages."""

    volunteer: Volunteer
    own: bool

    def url(self, name: str, **values: Any) -> str:
        if self.own:
            return url_for(f"volunteers.my_{name}", **values)
        return url_for(f"volunteers.{name}", volunteer_id=self.volunteer.id, **values)


def own_scope() -> Scope | Response:
    volunteer = volunteers.own_volunteer(me())
    if volunteer is None:
        return redirect_303(url_for("volunteers.application"))
    return Scope(volunteer, own=True)


def champion_scope(volunteer_id: int) -> Scope:
    return Scope(champion_volunteer(volunteer_id), own=False)


def scoped(scope: Scope | Response, action: Callable[..., Any], *args: Any) -> Any:
    """Run a shared page for the volunteer's own scope, or pass on the redirect to apply first."""
    if isinstance(scope, Response):
        return scope
    return action(scope, *args)


def meetings_page(scope: Scope, status: int = 200) -> tuple[str, int]:
    query = text_arg("q", 100)
    fellowship_id = int_arg("fellowship")
    day = int_arg("day")
    day = day if day is not None and 0 <= day <= 6 else None
    searched = bool(query or fellowship_id is not None or day is not None)
    page = paginate(volunteers.search_meetings(query, fellowship_id, day), per_page=20)
    chosen = volunteers.volunteer_meetings(scope.volunteer)
    return render(
        "volunteers/meetings.html",
        block="results",
        scope=scope,
        chosen=chosen,
        chosen_ids={row.meeting_id for row in chosen},
        page=page,
        searched=searched,
        query=query,
        fellowship_id=fellowship_id,
        day=day,
        fellowships=volunteers.active_fellowships(),
        days=MEETING_DAYS,
    ), status


def meeting_add_page(scope: Scope) -> Any:
    form = AddMeetingForm()
    if form.first_draw:
        meeting_id = int_arg("meeting_id")
        if meeting_id is None:
            return redirect_303(scope.url("meetings"))
        form.meeting_id.data = meeting_id
    elif (
        form.meeting_id.data is None or form.meeting_id.errors or abs(form.meeting_id.data) > MAX_ID
    ):
        abort(404)  # no such meeting (an id no column holds never reaches the database)
    meeting = volunteers.get_active_meeting(form.meeting_id.data)
    if form.validate_on_submit():
        try:
            volunteers.add_meeting(scope.volunteer, meeting.id, form.chosen_weeks(), me())
        except InvalidChange as error:
            show_error(form, error, "frequency")
        else:
            flash(f"{meeting.name} is added to the meetings you go to.", "success")
            return redirect_303(scope.url("meetings"))
    return render("volunteers/meeting_add.html", scope=scope, meeting=meeting, form=form)


def remove_row(
    scope: Scope, remover: Callable[..., Any], row_id: int, page: str, done: str
) -> Response:
    form = VersionForm()
    if form.validate_on_submit():
        remover(scope.volunteer, row_id, me())
        flash(done, "success")
    return redirect_303(scope.url(page))


def availability_page(
    scope: Scope, window_form: WindowForm | None = None, away_form: AwayForm | None = None
) -> str:
    window_form = window_form or WindowForm(formdata=None)
    away_form = away_form or AwayForm(formdata=None)
    return render(
        "volunteers/availability.html",
        scope=scope,
        windows=volunteers.availability_windows(scope.volunteer),
        away=volunteers.time_away(scope.volunteer),
        window_form=window_form,
        away_form=away_form,
        form=away_form if away_form.errors else window_form,
    )


def window_add_page(scope: Scope) -> Any:
    form = WindowForm()
    if form.validate_on_submit():
        try:
            volunteers.add_window(
                scope.volunteer,
                int(form.weekday.data),
                form.start_time.data,
                form.end_time.data,
                me(),
            )
        except InvalidChange as error:
            show_error(form, error, "weekday")
        else:
            flash("Your free time is saved." if scope.own else "Free time saved.", "success")
            return redirect_303(scope.url("availability"))
    return availability_page(scope, window_form=form)


def away_add_page(scope: Scope) -> Any:
    form = AwayForm()
    if form.validate_on_submit():
        try:
            volunteers.add_time_away(scope.volunteer, form.first_day.data, form.last_day.data, me())
        except InvalidChange as error:
            show_error(form, error, "first_day")
        else:
            flash("Time away saved.", "success")
            return redirect_303(scope.url("availability"))
    return availability_page(scope, away_form=form)
