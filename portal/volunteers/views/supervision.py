"""The champion's supervision pages: a volunteer's log, recording, correcting and removing a
session (after a confirmation)."""

from __future__ import annotations

from functools import partial

from flask import request, url_for
from werkzeug.wrappers import Response

from ...errors import Conflict
from ...form_flow import submit
from ...web import me, render, role_required
from .. import bp
from .. import supervision as sessions
from ..forms import VersionForm
from ..models import Supervision, Volunteer
from ..support_forms import SupervisionForm
from ._common import CHAMPION, champion_volunteer, conflict_page


def _log_url(volunteer_id: int) -> str:
    return url_for("volunteers.supervision", volunteer_id=volunteer_id)


def _form_page(volunteer: Volunteer, form: SupervisionForm, row: Supervision | None) -> str:
    return render(
        "volunteers/supervision_form.html",
        volunteer=volunteer,
        form=form,
        row=row,
        weeks=sessions.interval_weeks(),
    )


@bp.route("/volunteers/<int:volunteer_id>/supervision")
@role_required(CHAMPION)
def supervision(volunteer_id: int):
    volunteer = champion_volunteer(volunteer_id)
    rows = sessions.supervisions_of(volunteer, me())
    return render("volunteers/supervision.html", volunteer=volunteer, rows=rows)


@bp.route("/volunteers/<int:volunteer_id>/supervision/new", methods=["GET", "POST"])
@role_required(CHAMPION)
def add_supervision(volunteer_id: int) -> Response | str:
    volunteer = champion_volunteer(volunteer_id)
    form = SupervisionForm(sessions.supervisors())
    add = partial(sessions.add_supervision, volunteer, form.supervision(), me())
    done = submit(form, add, "Supervision recorded.", _log_url(volunteer_id), by="held_on")
    return done or _form_page(volunteer, form, None)


@bp.route(
    "/volunteers/<int:volunteer_id>/supervision/<int:supervision_id>/edit",
    methods=["GET", "POST"],
)
@role_required(CHAMPION)
def edit_supervision(volunteer_id: int, supervision_id: int) -> Response | str | tuple[str, int]:
    volunteer = champion_volunteer(volunteer_id)
    row = sessions.get_supervision(volunteer, supervision_id, me())
    form = SupervisionForm(sessions.supervisors())
    if form.first_draw:
        form.fill_from(row)
        form.version.data = row.version
    change = partial(sessions.update_supervision, row, form.supervision(), me(), form.version.data)
    try:
        done = submit(form, change, "Supervision saved.", _log_url(volunteer_id), by="held_on")
    except Conflict as error:
        return conflict_page(error, request.path)
    return done or _form_page(volunteer, form, row)


@bp.route(
    "/volunteers/<int:volunteer_id>/supervision/<int:supervision_id>/remove",
    methods=["GET", "POST"],
)
@role_required(CHAMPION)
def remove_supervision(volunteer_id: int, supervision_id: int) -> Response | str | tuple[str, int]:
    volunteer = champion_volunteer(volunteer_id)
    row = sessions.get_supervision(volunteer, supervision_id, me())
    form = VersionForm.drawn({"version": row.version})
    remove = partial(sessions.remove_supervision, row, me(), form.version.data)
    try:
        done = submit(form, remove, "Supervision removed.", _log_url(volunteer_id))
    except Conflict as error:
        return conflict_page(error, _log_url(volunteer_id))
    return done or render(
        "volunteers/supervision_remove.html", volunteer=volunteer, row=row, form=form
    )
