"""The volunteer's own routes: application, pause and resume, the meetings they go to, when they
are free, their calendar and its feed, and what their home page shows."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ...errors import Conflict, InvalidChange
from ...web import external_url, me, public, redirect_303, render, role_required, show_error
from .. import bp
from .. import services as volunteers
from ..forms import ApplicationForm, VersionForm
from ..models import Volunteer
from ._availability import (
    availability_page,
    away_add_page,
    meeting_add_page,
    meetings_page,
    own_scope,
    remove_row,
    scoped,
    window_add_page,
)
from ._common import VOLUNTEER, conflict_page, labels

_THANKS = "Thank you. Your application is with the recovery champion, who will be in touch."


def _own_volunteer() -> Volunteer:
    """The signed-in person's volunteer record; none yet is a 404."""
    volunteer = volunteers.own_volunteer(me())
    if volunteer is None:
        abort(404)
    return volunteer


@bp.route("/me/meetings")
@role_required(VOLUNTEER)
def my_meetings():
    return scoped(own_scope(), meetings_page)


@bp.route("/me/meetings/add", methods=["GET", "POST"])
@role_required(VOLUNTEER)
def my_meeting_add():
    return scoped(own_scope(), meeting_add_page)


@bp.route("/me/meetings/<int:row_id>/remove", methods=["POST"])
@role_required(VOLUNTEER)
def my_meeting_remove(row_id: int):
    return scoped(
        own_scope(),
        remove_row,
        volunteers.remove_meeting,
        row_id,
        "meetings",
        "The meeting is removed from your list.",
    )


@bp.route("/me/availability")
@role_required(VOLUNTEER)
def my_availability():
    return scoped(own_scope(), availability_page)


@bp.route("/me/availability/windows", methods=["POST"])
@role_required(VOLUNTEER)
def my_window_add():
    return scoped(own_scope(), window_add_page)


@bp.route("/me/availability/windows/<int:row_id>/remove", methods=["POST"])
@role_required(VOLUNTEER)
def my_window_remove(row_id: int):
    return scoped(
        own_scope(), remove_row, volunteers.remove_window, row_id, "availability", "Time removed."
    )


@bp.route("/me/availability/away", methods=["POST"])
@role_required(VOLUNTEER)
def my_away_add():
    return scoped(own_scope(), away_add_page)


@bp.route("/me/availability/away/<int:row_id>/remove", methods=["POST"])
@role_required(VOLUNTEER)
def my_away_remove(row_id: int):
    return scoped(
        own_scope(),
        remove_row,
        volunteers.remove_time_away,
        row_id,
        "availability",
        "Time away removed.",
    )


def _application_form(volunteer: Volunteer | None) -> ApplicationForm:
    return ApplicationForm.for_volunteer(
        volunteer,
        fellowships=volunteers.active_fellowships(),
        must_agree=volunteers.needs_code_of_conduct(volunteer),
        recovery_months=volunteers.min_recovery_months(),
        first_name=current_user.name.split(" ")[0][:60],
    )


@bp.route("/me/application", methods=["GET", "POST"])
@role_required(VOLUNTEER)
def application():
    volunteer = volunteers.own_volunteer(me())
    form = _application_form(volunteer)
    if form.validate_on_submit():
        first_time = volunteer is None or volunteer.application_completed_at is None
        try:
            volunteers.complete_application(me(), form.profile(), form.agreed, form.version.data)
        except InvalidChange as error:
            show_error(form, error, "preferred_name")
        except Conflict as error:  # the volunteers' 409 page, with a link back to the form
            return conflict_page(error, url_for("volunteers.application"))
        else:
            flash(_THANKS if first_time else "Your details are saved.", "success")
            return redirect_303(url_for("home.volunteer"))
    return _application_page(form, volunteer)


def _application_page(form: ApplicationForm, volunteer: Volunteer | None) -> str:
    context = {"form": form, "volunteer": volunteer, "must_agree": form.must_agree}
    return render("volunteers/application.html", **context, **labels())


@bp.route("/me/pause", methods=["POST"])
@role_required(VOLUNTEER)
def my_pause():
    volunteer = _own_volunteer()
    if VersionForm().validate_on_submit():
        try:
            volunteers.pause_self(volunteer, me())
        except (InvalidChange, Conflict) as error:
            flash(error.message, "error")
        else:
            flash("You are paused. You will get no offers until you come back.", "success")
    return redirect_303(url_for("home.volunteer"))


@bp.route("/me/resume", methods=["POST"])
@role_required(VOLUNTEER)
def my_resume():
    volunteer = _own_volunteer()
    if VersionForm().validate_on_submit():
        try:
            volunteers.resume_self(volunteer, me())
        except (InvalidChange, Conflict) as error:
            flash(error.message, "error")
        else:
            flash("Welcome back. You can be offered escorts again.", "success")
    return redirect_303(url_for("home.volunteer"))


def _feed_url(token: str) -> str:
    return external_url("volunteers.calendar_feed", token=token)  # never from the request


@bp.route("/me/calendar")
@role_required(VOLUNTEER)
def my_calendar():
    volunteer = volunteers.own_volunteer(me())
    if volunteer is None:
        return redirect_303(url_for("volunteers.application"))
    return render(
        "volunteers/calendar.html", volunteer=volunteer, feed_url=None, form=VersionForm()
    )


@bp.route("/me/calendar/reset", methods=["POST"])
@role_required(VOLUNTEER)
def my_calendar_reset():
    volunteer = _own_volunteer()
    form = VersionForm()
    if not form.validate_on_submit():
        return redirect_303(url_for("volunteers.my_calendar"))
    token = volunteers.reset_calendar_link(volunteer, me())
    # Shown once, in this answer: only a hash is kept, and the session cookie is no place for it.
    return render(
        "volunteers/calendar.html", volunteer=volunteer, feed_url=_feed_url(token), form=form
    )


@bp.route("/calendar/<token>.ics")
@public
def calendar_feed(token: str):
    body = volunteers.calendar_feed(token)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="escorts.ics"'
    response.headers["Cache-Control"] = "no-store"
    return response


def home_context(user: Any) -> dict[str, Any]:
    """What the volunteer's home page shows (used by home.volunteer)."""
    volunteer = volunteers.own_volunteer(user)
    if volunteer is None:
        return {"volunteer": None}
    return {
        "volunteer": volunteer,
        "escorts": volunteers.escort_summary(volunteer),
        "attention": volunteers.checks_needing_attention(volunteer),
        "can_resume": volunteers.can_resume_self(volunteer),
        "meeting_count": len(volunteers.volunteer_meetings(volunteer)),
        "window_count": len(volunteers.availability_windows(volunteer)),
        "form": VersionForm(),
    }
