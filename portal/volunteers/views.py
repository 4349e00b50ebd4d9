"""Routes: the champion's volunteer pool, and each volunteer's own phone-first space."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from flask import abort, current_app, flash, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..errors import Conflict, InvalidChange
from ..meetings.models import WEEKDAYS as MEETING_DAYS
from ..web import MAX_ID, me, paginate, public, redirect_303, render, role_required, show_error
from . import bp
from . import services as volunteers
from .forms import (
    CHECK_FORMS,
    AddMeetingForm,
    ApplicationForm,
    AwayForm,
    ConflictNotesForm,
    EditProfileForm,
    InviteVolunteerForm,
    PhoneContactForm,
    StatusForm,
    VersionForm,
    WindowForm,
)
from .models import (
    ACCOMPANY_RULES,
    DBS_LEVELS,
    GENDERS,
    SAFEGUARDING_KINDS,
    STATUSES,
    TRAVEL_MODES,
    WEEKDAYS,
    Volunteer,
)

CHAMPION = "champion"
VOLUNTEER = "volunteer"
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@bp.app_template_filter("long_date")
def long_date(value: date | None) -> str:
    """'Tuesday 3 December 2026'."""
    if value is None:
        return ""
    return f"{WEEKDAYS[value.weekday()]} {value.day} {_MONTHS[value.month - 1]} {value.year}"


@bp.app_template_filter("wall_clock")
def wall_clock(value: time | None) -> str:
    """'7:30pm', '9am'."""
    if value is None:
        return ""
    hour = value.hour % 12 or 12
    minutes = f":{value.minute:02d}" if value.minute else ""
    return f"{hour}{minutes}{'am' if value.hour < 12 else 'pm'}"


def _conflict(error: Conflict, back: str) -> tuple[str, int]:
    """The volunteers' own 409 page: says nothing was saved and links back to try again."""
    return render("volunteers/conflict.html", message=error.message, back=back), 409


def _labels() -> dict[str, Any]:
    return {
        "statuses": STATUSES,
        "genders": GENDERS,
        "travel_modes": TRAVEL_MODES,
        "accompany_rules": ACCOMPANY_RULES,
        "dbs_levels": DBS_LEVELS,
        "check_kinds": SAFEGUARDING_KINDS,
    }


# --- champion: the pool ----------------------------------------------------------------------


def _text_arg(name: str, length: int) -> str:
    """A search word from the address, without control characters (PostgreSQL refuses NUL)."""
    value = request.args.get(name, "")[:length]
    return "".join(ch for ch in value if ch.isprintable()).strip()


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


@bp.route("/volunteers/")
@role_required(CHAMPION)
def volunteer_list():
    filters = volunteers.VolunteerFilters(
        query=_text_arg("q", 100),
        status=request.args.get("status", "") if request.args.get("status") in STATUSES else "",
        fellowship_id=_int_arg("fellowship"),
        area=_text_arg("area", 100),
        language=_text_arg("language", 40),
        expiring=request.args.get("checks") == "expiring",
        inactive=request.args.get("activity") == "inactive",
    )
    page = paginate(volunteers.search_volunteers(filters, me()))
    return render(
        "volunteers/list.html",
        block="results",
        page=page,
        filters=filters,
        counts=volunteers.volunteer_counts(me()),
        fellowships=volunteers.active_fellowships(),
        areas=volunteers.known_areas(),
        expiries=volunteers.soonest_expiries(v.id for v in page.items),
        **_labels(),
    )


@bp.route("/volunteers/checks-due")
@role_required(CHAMPION)
def checks_due():
    page = paginate(volunteers.checks_due(me()), scalars=False)
    return render("volunteers/checks_due.html", page=page, today=volunteers.today_local())


@bp.route("/volunteers/invite", methods=["GET", "POST"])
@role_required(CHAMPION)
def invite():
    form = InviteVolunteerForm()
    if form.validate_on_submit():
        try:
            volunteer = volunteers.invite_volunteer(form.email.data, form.name.data, me())
        except InvalidChange as error:
            show_error(form, error, "email")
        else:
            flash(f"Invitation sent to {form.email.data}.", "success")
            return redirect_303(url_for("volunteers.detail", volunteer_id=volunteer.id))
    return render("volunteers/invite.html", form=form)


@bp.route("/volunteers/phone-contact", methods=["GET", "POST"])
@role_required(CHAMPION)
def add_phone_contact():
    form = PhoneContactForm(fellowships=volunteers.active_fellowships())
    if form.validate_on_submit():
        try:
            volunteer = volunteers.add_phone_contact(form.profile(), me())
        except InvalidChange as error:
            show_error(form, error, "preferred_name")
        else:
            flash(f"{volunteer.preferred_name} is added as a phone-only contact.", "success")
            return redirect_303(url_for("volunteers.detail", volunteer_id=volunteer.id))
    return render("volunteers/profile_form.html", form=form, volunteer=None, **_labels())


def _champion_volunteer(volunteer_id: int) -> Volunteer:
    return volunteers.get_volunteer(volunteer_id, me())


@bp.route("/volunteers/<int:volunteer_id>")
@role_required(CHAMPION)
def detail(volunteer_id: int):
    volunteer = _champion_volunteer(volunteer_id)
    today = volunteers.today_local()
    people = volunteers.names_of(
        [
            volunteer.approved_by_id,
            volunteer.status_changed_by_id,
            volunteer.recovery_confirmed_by_id,
        ]
    )
    return render(
        "volunteers/detail.html",
        volunteer=volunteer,
        people=people,
        today=today,
        reasons=volunteers.reasons_cannot_escort(volunteer.id, today),
        record=volunteers.safeguarding_record(volunteer, today),
        meetings=volunteers.volunteer_meetings(volunteer),
        windows=volunteers.availability_windows(volunteer),
        away=volunteers.time_away(volunteer),
        history=volunteers.volunteer_history(volunteer, me()),
        escorts=volunteers.escort_summary(volunteer),
        next_states=volunteers.allowed_next(volunteer),
        ready_on=volunteers.recovery_ready_on(volunteer),
        min_months=volunteers.min_recovery_months(),
        form=VersionForm(data={"version": volunteer.version}),
        **_labels(),
    )


@bp.route("/volunteers/<int:volunteer_id>/edit", methods=["GET", "POST"])
@role_required(CHAMPION)
def edit(volunteer_id: int):
    volunteer = _champion_volunteer(volunteer_id)
    form = EditProfileForm(fellowships=volunteers.active_fellowships())
    if request.method == "GET":
        form.fill_from(volunteer)
        form.version.data = volunteer.version
    elif form.validate_on_submit():
        try:
            volunteers.update_profile(volunteer, form.profile(), me(), form.version.data)
        except InvalidChange as error:
            show_error(form, error, "preferred_name")
        except Conflict as error:
            return _conflict(error, url_for("volunteers.edit", volunteer_id=volunteer_id))
        else:
            flash("Details saved.", "success")
            return redirect_303(url_for("volunteers.detail", volunteer_id=volunteer_id))
    return render("volunteers/profile_form.html", form=form, volunteer=volunteer, **_labels())


@bp.route("/volunteers/<int:volunteer_id>/status/<to>", methods=["GET", "POST"])
@role_required(CHAMPION)
def change_status(volunteer_id: int, to: str):
    volunteer = _champion_volunteer(volunteer_id)
    if to not in STATUSES:
        abort(404)
    form = StatusForm(data={"version": volunteer.version} if request.method == "GET" else None)
    if request.method == "POST" and form.validate_on_submit():
        try:
            volunteers.change_status(volunteer, to, form.reason.data or "", me(), form.version.data)
        except InvalidChange as error:
            show_error(form, error, "reason")
        except Conflict as error:
            return _conflict(error, url_for("volunteers.detail", volunteer_id=volunteer_id))
        else:
            flash(f"{volunteer.preferred_name} is now {STATUSES[to].lower()}.", "success")
            return redirect_303(url_for("volunteers.detail", volunteer_id=volunteer_id))
    return render(
        "volunteers/status.html",
        volunteer=volunteer,
        to=to,
        form=form,
        allowed=to in volunteers.allowed_next(volunteer),
        **_labels(),
    )


@bp.route("/volunteers/<int:volunteer_id>/recovery", methods=["POST"])
@role_required(CHAMPION)
def confirm_recovery(volunteer_id: int):
    volunteer = _champion_volunteer(volunteer_id)
    form = VersionForm()
    back = url_for("volunteers.detail", volunteer_id=volunteer_id)
    if form.validate_on_submit():
        try:
            volunteers.confirm_recovery(volunteer, me(), form.version.data)
        except InvalidChange as error:
            flash(error.message, "error")
        except Conflict as error:
            return _conflict(error, back)
        else:
            flash("Recovery date confirmed.", "success")
    return redirect_303(back)


@bp.route("/volunteers/<int:volunteer_id>/conflicts", methods=["GET", "POST"])
@role_required(CHAMPION)
def conflict_notes(volunteer_id: int):
    volunteer = _champion_volunteer(volunteer_id)
    form = ConflictNotesForm(
        data={"notes": volunteer.conflict_notes or "", "version": volunteer.version}
        if request.method == "GET"
        else None
    )
    if request.method == "POST" and form.validate_on_submit():
        try:
            volunteers.set_conflict_notes(volunteer, form.notes.data, me(), form.version.data)
        except InvalidChange as error:
            show_error(form, error, "notes")
        except Conflict as error:
            return _conflict(error, url_for("volunteers.conflict_notes", volunteer_id=volunteer_id))
        else:
            flash("Conflict-of-interest notes saved.", "success")
            return redirect_303(url_for("volunteers.detail", volunteer_id=volunteer_id))
    return render("volunteers/conflicts.html", volunteer=volunteer, form=form)


@bp.route("/volunteers/<int:volunteer_id>/checks/<kind>/new", methods=["GET", "POST"])
@role_required(CHAMPION)
def add_check(volunteer_id: int, kind: str):
    volunteer = _champion_volunteer(volunteer_id)
    if kind not in CHECK_FORMS:
        abort(404)
    form = CHECK_FORMS[kind]()
    if form.validate_on_submit():
        try:
            volunteers.add_safeguarding_item(volunteer, kind, form.item(), me())
        except InvalidChange as error:
            show_error(form, error, "issued_on")
        else:
            flash(f"{SAFEGUARDING_KINDS[kind]} recorded.", "success")
            return redirect_303(url_for("volunteers.detail", volunteer_id=volunteer_id) + "#checks")
    return render(
        "volunteers/check_form.html",
        volunteer=volunteer,
        kind=kind,
        item=None,
        form=form,
        defaults=volunteers.DEFAULT_VALIDITY_MONTHS,
        **_labels(),
    )


@bp.route("/volunteers/<int:volunteer_id>/checks/<int:item_id>/edit", methods=["GET", "POST"])
@role_required(CHAMPION)
def edit_check(volunteer_id: int, item_id: int):
    volunteer = _champion_volunteer(volunteer_id)
    item = volunteers.get_item(volunteer, item_id, me())
    form = CHECK_FORMS[item.kind]()
    if request.method == "GET":
        form.fill_from(item)
    elif form.validate_on_submit():
        try:
            volunteers.update_safeguarding_item(item, form.item(), me(), form.version.data)
        except InvalidChange as error:
            show_error(form, error, "issued_on")
        except Conflict as error:
            return _conflict(error, url_for("volunteers.detail", volunteer_id=volunteer_id))
        else:
            flash(f"{item.kind_label} saved.", "success")
            return redirect_303(url_for("volunteers.detail", volunteer_id=volunteer_id) + "#checks")
    return render(
        "volunteers/check_form.html",
        volunteer=volunteer,
        kind=item.kind,
        item=item,
        form=form,
        defaults=volunteers.DEFAULT_VALIDITY_MONTHS,
        **_labels(),
    )


@bp.route("/volunteers/<int:volunteer_id>/checks/<int:item_id>/remove", methods=["GET", "POST"])
@role_required(CHAMPION)
def remove_check(volunteer_id: int, item_id: int):
    volunteer = _champion_volunteer(volunteer_id)
    item = volunteers.get_item(volunteer, item_id, me())
    form = VersionForm(data={"version": item.version} if request.method == "GET" else None)
    if request.method == "POST" and form.validate_on_submit():
        label = item.kind_label
        try:
            volunteers.remove_safeguarding_item(item, me(), form.version.data)
        except Conflict as error:
            return _conflict(error, url_for("volunteers.detail", volunteer_id=volunteer_id))
        flash(f"{label} removed.", "success")
        return redirect_303(url_for("volunteers.detail", volunteer_id=volunteer_id) + "#checks")
    return render("volunteers/check_remove.html", volunteer=volunteer, item=item, form=form)


# --- availability: the volunteer's own, or a champion's on someone's behalf --------------------


@dataclass(frozen=True)
class Scope:
    """Whose availability a page shows: the signed-in volunteer's, or one a champion manages."""

    volunteer: Volunteer
    own: bool

    def url(self, name: str, **values: Any) -> str:
        if self.own:
            return url_for(f"volunteers.my_{name}", **values)
        return url_for(f"volunteers.{name}", volunteer_id=self.volunteer.id, **values)


def _own_scope() -> Scope | Response:
    volunteer = volunteers.own_volunteer(me())
    if volunteer is None:
        return redirect_303(url_for("volunteers.application"))
    return Scope(volunteer, own=True)


def _champion_scope(volunteer_id: int) -> Scope:
    return Scope(_champion_volunteer(volunteer_id), own=False)


def _meetings_page(scope: Scope, status: int = 200) -> tuple[str, int]:
    query = _text_arg("q", 100)
    fellowship_id = _int_arg("fellowship")
    day = _int_arg("day")
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


def _meeting_add(scope: Scope):  # noqa: ANN202
    form = AddMeetingForm()
    if request.method == "GET":
        meeting_id = _int_arg("meeting_id")
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


def _remove(scope: Scope, remover, row_id: int, page: str, done: str):  # noqa: ANN001, ANN202
    form = VersionForm()
    if form.validate_on_submit():
        remover(scope.volunteer, row_id, me())
        flash(done, "success")
    return redirect_303(scope.url(page))


def _availability_page(
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


def _window_add(scope: Scope):  # noqa: ANN202
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
    return _availability_page(scope, window_form=form)


def _away_add(scope: Scope):  # noqa: ANN202
    form = AwayForm()
    if form.validate_on_submit():
        try:
            volunteers.add_time_away(scope.volunteer, form.first_day.data, form.last_day.data, me())
        except InvalidChange as error:
            show_error(form, error, "first_day")
        else:
            flash("Time away saved.", "success")
            return redirect_303(scope.url("availability"))
    return _availability_page(scope, away_form=form)


def _scoped(scope: Scope | Response, action, *args: Any):  # noqa: ANN001, ANN202
    if isinstance(scope, Response):
        return scope
    return action(scope, *args)


# The volunteer's own pages.


@bp.route("/me/meetings")
@role_required(VOLUNTEER)
def my_meetings():
    return _scoped(_own_scope(), _meetings_page)


@bp.route("/me/meetings/add", methods=["GET", "POST"])
@role_required(VOLUNTEER)
def my_meeting_add():
    return _scoped(_own_scope(), _meeting_add)


@bp.route("/me/meetings/<int:row_id>/remove", methods=["POST"])
@role_required(VOLUNTEER)
def my_meeting_remove(row_id: int):
    return _scoped(
        _own_scope(),
        _remove,
        volunteers.remove_meeting,
        row_id,
        "meetings",
        "The meeting is removed from your list.",
    )


@bp.route("/me/availability")
@role_required(VOLUNTEER)
def my_availability():
    return _scoped(_own_scope(), _availability_page)


@bp.route("/me/availability/windows", methods=["POST"])
@role_required(VOLUNTEER)
def my_window_add():
    return _scoped(_own_scope(), _window_add)


@bp.route("/me/availability/windows/<int:row_id>/remove", methods=["POST"])
@role_required(VOLUNTEER)
def my_window_remove(row_id: int):
    return _scoped(
        _own_scope(), _remove, volunteers.remove_window, row_id, "availability", "Time removed."
    )


@bp.route("/me/availability/away", methods=["POST"])
@role_required(VOLUNTEER)
def my_away_add():
    return _scoped(_own_scope(), _away_add)


@bp.route("/me/availability/away/<int:row_id>/remove", methods=["POST"])
@role_required(VOLUNTEER)
def my_away_remove(row_id: int):
    return _scoped(
        _own_scope(),
        _remove,
        volunteers.remove_time_away,
        row_id,
        "availability",
        "Time away removed.",
    )


# The same pages, for a champion keeping a volunteer's (often a phone-only contact's) record.


@bp.route("/volunteers/<int:volunteer_id>/meetings")
@role_required(CHAMPION)
def meetings(volunteer_id: int):
    return _meetings_page(_champion_scope(volunteer_id))


@bp.route("/volunteers/<int:volunteer_id>/meetings/add", methods=["GET", "POST"])
@role_required(CHAMPION)
def meeting_add(volunteer_id: int):
    return _meeting_add(_champion_scope(volunteer_id))


@bp.route("/volunteers/<int:volunteer_id>/meetings/<int:row_id>/remove", methods=["POST"])
@role_required(CHAMPION)
def meeting_remove(volunteer_id: int, row_id: int):
    return _remove(
        _champion_scope(volunteer_id),
        volunteers.remove_meeting,
        row_id,
        "meetings",
        "Meeting removed.",
    )


@bp.route("/volunteers/<int:volunteer_id>/availability")
@role_required(CHAMPION)
def availability(volunteer_id: int):
    return _availability_page(_champion_scope(volunteer_id))


@bp.route("/volunteers/<int:volunteer_id>/availability/windows", methods=["POST"])
@role_required(CHAMPION)
def window_add(volunteer_id: int):
    return _window_add(_champion_scope(volunteer_id))


@bp.route(
    "/volunteers/<int:volunteer_id>/availability/windows/<int:row_id>/remove", methods=["POST"]
)
@role_required(CHAMPION)
def window_remove(volunteer_id: int, row_id: int):
    return _remove(
        _champion_scope(volunteer_id),
        volunteers.remove_window,
        row_id,
        "availability",
        "Time removed.",
    )


@bp.route("/volunteers/<int:volunteer_id>/availability/away", methods=["POST"])
@role_required(CHAMPION)
def away_add(volunteer_id: int):
    return _away_add(_champion_scope(volunteer_id))


@bp.route("/volunteers/<int:volunteer_id>/availability/away/<int:row_id>/remove", methods=["POST"])
@role_required(CHAMPION)
def away_remove(volunteer_id: int, row_id: int):
    return _remove(
        _champion_scope(volunteer_id),
        volunteers.remove_time_away,
        row_id,
        "availability",
        "Time away removed.",
    )


# --- the volunteer's own space -----------------------------------------------------------------


@bp.route("/me/application", methods=["GET", "POST"])
@role_required(VOLUNTEER)
def application():
    volunteer = volunteers.own_volunteer(me())
    form = ApplicationForm(fellowships=volunteers.active_fellowships())
    months = volunteers.min_recovery_months()
    form.recovery_date.description = (
        "Only the recovery champion sees this. Volunteers need "
        f"{'a year' if months == 12 else f'{months} months'} in recovery before escorting."
    )
    if request.method == "GET":
        if volunteer is not None:
            form.fill_from(volunteer)
            form.version.data = volunteer.version
        else:
            form.preferred_name.data = current_user.name.split(" ")[0][:60]
    must_agree = volunteers.needs_code_of_conduct(volunteer)
    if not must_agree:
        form.code_of_conduct.validators = []
    if request.method == "POST" and form.validate_on_submit():
        first_time = volunteer is None or volunteer.application_completed_at is None
        try:
            volunteers.complete_application(
                me(), form.profile(), bool(form.code_of_conduct.data), form.version.data
            )
        except InvalidChange as error:
            show_error(form, error, "preferred_name")
        except Conflict as error:
            return _conflict(error, url_for("volunteers.application"))
        else:
            flash(
                "Thank you. Your application is with the recovery champion, who will be in touch."
                if first_time
                else "Your details are saved.",
                "success",
            )
            return redirect_303(url_for("home.volunteer"))
    return render(
        "volunteers/application.html",
        form=form,
        volunteer=volunteer,
        must_agree=must_agree,
        **_labels(),
    )


@bp.route("/me/pause", methods=["POST"])
@role_required(VOLUNTEER)
def my_pause():
    volunteer = volunteers.own_volunteer(me())
    if volunteer is None:
        abort(404)
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
    volunteer = volunteers.own_volunteer(me())
    if volunteer is None:
        abort(404)
    if VersionForm().validate_on_submit():
        try:
            volunteers.resume_self(volunteer, me())
        except (InvalidChange, Conflict) as error:
            flash(error.message, "error")
        else:
            flash("Welcome back. You can be offered escorts again.", "success")
    return redirect_303(url_for("home.volunteer"))


def _feed_url(token: str) -> str:
    base = current_app.config.get("EXTERNAL_URL")
    if base:
        return base.rstrip("/") + url_for("volunteers.calendar_feed", token=token)
    return url_for("volunteers.calendar_feed", token=token, _external=True)


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
    volunteer = volunteers.own_volunteer(me())
    if volunteer is None:
        abort(404)
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
