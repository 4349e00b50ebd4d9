"""The champion's routes: the volunteer pool, a volunteer's record, vetting, safeguarding
checks, phone-only contacts, and a volunteer's meetings and free time kept on their behalf."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request, url_for

from ...errors import Conflict, InvalidChange
from ...web import me, paginate, redirect_303, render, role_required, show_error
from .. import bp
from .. import services as volunteers
from ..check_kinds import kind_from_key
from ..forms import (
    CHECK_FORMS,
    CheckForm,
    ConflictNotesForm,
    EditProfileForm,
    InviteVolunteerForm,
    PhoneContactForm,
    StatusForm,
    VersionForm,
    showing,
)
from ..models import STATUSES, CheckKind, SafeguardingItem, Volunteer
from ..safeguarding import validity_months
from ..supervision import count_of, supervision_due, supervision_due_count
from ._availability import (
    availability_page,
    away_add_page,
    champion_scope,
    meeting_add_page,
    meetings_page,
    remove_row,
    window_add_page,
)
from ._common import (
    CHAMPION,
    champion_volunteer,
    conflict_page,
    labels,
    list_filters,
)


def _record_url(volunteer_id: int) -> str:
    return url_for("volunteers.detail", volunteer_id=volunteer_id)


def _checks_url(volunteer_id: int) -> str:
    return _record_url(volunteer_id) + "#checks"


@bp.route("/volunteers/")
@role_required(CHAMPION)
def volunteer_list():
    filters = list_filters()
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
        **labels(),
    )


@bp.route("/volunteers/checks-due")
@role_required(CHAMPION)
def checks_due():
    """Checks due, or with `?show=supervision` the volunteers due supervision; each list
    counts the other's rows for its tab."""
    today, actor = volunteers.today_local(), me()
    tab = "supervision" if request.args.get("show") == "supervision" else "checks"
    if tab == "supervision":
        page = paginate(supervision_due(actor, today), scalars=False)
        other = count_of(volunteers.checks_due(actor, today))
    else:
        page = paginate(volunteers.checks_due(actor, today), scalars=False)
        other = supervision_due_count(today)
    return render("volunteers/checks_due.html", page=page, today=today, other=other, showing=tab)


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
            flash("Invitation sent.", "success")  # no address: flashes sit in the cookie
            return redirect_303(_record_url(volunteer.id))
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
            flash("The phone-only contact is added.", "success")
            return redirect_303(_record_url(volunteer.id))
    return render("volunteers/profile_form.html", form=form, volunteer=None, **labels())


def _record(volunteer: Volunteer) -> dict[str, Any]:
    """Everything a volunteer's record page shows, read through the services."""
    today = volunteers.today_local()
    people = volunteers.names_of(
        [
            volunteer.approved_by_id,
            volunteer.status_changed_by_id,
            volunteer.recovery_confirmed_by_id,
        ]
    )
    return {
        "volunteer": volunteer,
        "people": people,
        "today": today,
        "reasons": volunteers.reasons_cannot_escort(volunteer.id, today),
        "record": volunteers.safeguarding_record(volunteer, today),
        "meetings": volunteers.volunteer_meetings(volunteer),
        "windows": volunteers.availability_windows(volunteer),
        "away": volunteers.time_away(volunteer),
        "history": volunteers.volunteer_history(volunteer, me()),
        "escorts": volunteers.escort_summary(volunteer),
        "next_states": volunteers.allowed_next(volunteer),
        "ready_on": volunteers.recovery_ready_on(volunteer),
        "min_months": volunteers.min_recovery_months(),
        "form": VersionForm(data={"version": volunteer.version}),
    }


@bp.route("/volunteers/<int:volunteer_id>")
@role_required(CHAMPION)
def detail(volunteer_id: int):
    volunteer = champion_volunteer(volunteer_id)
    return render("volunteers/detail.html", **_record(volunteer), **labels())


@bp.route("/volunteers/<int:volunteer_id>/edit", methods=["GET", "POST"])
@role_required(CHAMPION)
def edit(volunteer_id: int):
    volunteer = champion_volunteer(volunteer_id)
    form = showing(EditProfileForm(fellowships=volunteers.active_fellowships()), volunteer)
    if form.validate_on_submit():
        try:
            volunteers.update_profile(volunteer, form.profile(), me(), form.version.data)
        except InvalidChange as error:
            show_error(form, error, "preferred_name")
        except Conflict as error:
            return conflict_page(error, url_for("volunteers.edit", volunteer_id=volunteer_id))
        else:
            flash("Details saved.", "success")
            return redirect_303(_record_url(volunteer_id))
    return render("volunteers/profile_form.html", form=form, volunteer=volunteer, **labels())


@bp.route("/volunteers/<int:volunteer_id>/status/<to>", methods=["GET", "POST"])
@role_required(CHAMPION)
def change_status(volunteer_id: int, to: str):
    volunteer = _changing_status(volunteer_id, to)
    form = StatusForm.drawn({"version": volunteer.version})
    if form.validate_on_submit():
        try:
            volunteers.change_status(volunteer, to, form.reason.data or "", me(), form.version.data)
        except InvalidChange as error:
            show_error(form, error, "reason")
        except Conflict as error:
            return conflict_page(error, _record_url(volunteer_id))
        else:
            flash(f"The volunteer is now {STATUSES[to].lower()}.", "success")
            return redirect_303(_record_url(volunteer_id))
    return _status_page(volunteer, to, form)


def _changing_status(volunteer_id: int, to: str) -> Volunteer:
    """The volunteer whose status is to change; a status that does not exist is a 404 too."""
    volunteer = champion_volunteer(volunteer_id)
    if to not in STATUSES:
        abort(404)
    return volunteer


def _status_page(volunteer: Volunteer, to: str, form: StatusForm) -> str:
    allowed = to in volunteers.allowed_next(volunteer)
    return render(
        "volunteers/status.html", volunteer=volunteer, to=to, form=form, allowed=allowed, **labels()
    )


@bp.route("/volunteers/<int:volunteer_id>/recovery", methods=["POST"])
@role_required(CHAMPION)
def confirm_recovery(volunteer_id: int):
    volunteer = champion_volunteer(volunteer_id)
    form = VersionForm()
    if form.validate_on_submit():
        try:
            volunteers.confirm_recovery(volunteer, me(), form.version.data)
        except InvalidChange as error:
            flash(error.message, "error")
        except Conflict as error:
            return conflict_page(error, _record_url(volunteer_id))
        else:
            flash("Recovery date confirmed.", "success")
    return redirect_303(_record_url(volunteer_id))


@bp.route("/volunteers/<int:volunteer_id>/conflicts", methods=["GET", "POST"])
@role_required(CHAMPION)
def conflict_notes(volunteer_id: int):
    volunteer = champion_volunteer(volunteer_id)
    form = ConflictNotesForm.for_volunteer(volunteer)
    if form.validate_on_submit():
        try:
            volunteers.set_conflict_notes(volunteer, form.notes.data, me(), form.version.data)
        except InvalidChange as error:
            show_error(form, error, "notes")
        except Conflict as error:
            back = url_for("volunteers.conflict_notes", volunteer_id=volunteer_id)
            return conflict_page(error, back)
        else:
            flash("Conflict-of-interest notes saved.", "success")
            return redirect_303(_record_url(volunteer_id))
    return render("volunteers/conflicts.html", volunteer=volunteer, form=form)


def _check_page(
    volunteer: Volunteer,
    kind: str,
    item: SafeguardingItem | None,
    form: CheckForm,
    check_kind: CheckKind | None = None,
) -> str:
    return render(
        "volunteers/check_form.html",
        volunteer=volunteer,
        kind=kind,
        item=item,
        form=form,
        label=check_kind.name if check_kind else labels()["check_kinds"][kind],
        months=validity_months(kind, check_kind),
        **labels(),
    )


@bp.route("/volunteers/<int:volunteer_id>/checks/<kind>/new", methods=["GET", "POST"])
@role_required(CHAMPION)
def add_check(volunteer_id: int, kind: str):
    volunteer = champion_volunteer(volunteer_id)
    check_kind = kind_from_key(kind)  # a service's own kind ("service-12"), or None
    form = CHECK_FORMS.get(kind, CheckForm)()
    if form.validate_on_submit():
        try:
            item = volunteers.add_safeguarding_item(volunteer, kind, form.item(), me())
        except InvalidChange as error:
            show_error(form, error, "issued_on")
        else:
            flash(f"{item.kind_label} recorded.", "success")
            return redirect_303(_checks_url(volunteer_id))
    return _check_page(volunteer, kind, None, form, check_kind)


@bp.route("/volunteers/<int:volunteer_id>/checks/<int:item_id>/edit", methods=["GET", "POST"])
@role_required(CHAMPION)
def edit_check(volunteer_id: int, item_id: int):
    volunteer = champion_volunteer(volunteer_id)
    item = volunteers.get_item(volunteer, item_id, me())
    form = showing(CHECK_FORMS.get(item.kind, CheckForm)(), item)
    if form.validate_on_submit():
        try:
            volunteers.update_safeguarding_item(item, form.item(), me(), form.version.data)
        except InvalidChange as error:
            show_error(form, error, "issued_on")
        except Conflict as error:
            return conflict_page(error, _record_url(volunteer_id))
        else:
            flash(f"{item.kind_label} saved.", "success")
            return redirect_303(_checks_url(volunteer_id))
    return _check_page(volunteer, item.kind_key, item, form, item.check_kind)


@bp.route("/volunteers/<int:volunteer_id>/checks/<int:item_id>/remove", methods=["GET", "POST"])
@role_required(CHAMPION)
def remove_check(volunteer_id: int, item_id: int):
    volunteer = champion_volunteer(volunteer_id)
    item = volunteers.get_item(volunteer, item_id, me())
    form = VersionForm.drawn({"version": item.version})
    if request.method == "POST" and form.validate_on_submit():
        label = item.kind_label
        try:
            volunteers.remove_safeguarding_item(item, me(), form.version.data)
        except Conflict as error:
            return conflict_page(error, _record_url(volunteer_id))
        flash(f"{label} removed.", "success")
        return redirect_303(_checks_url(volunteer_id))
    return render("volunteers/check_remove.html", volunteer=volunteer, item=item, form=form)


@bp.route("/volunteers/<int:volunteer_id>/meetings")
@role_required(CHAMPION)
def meetings(volunteer_id: int):
    return meetings_page(champion_scope(volunteer_id))


@bp.route("/volunteers/<int:volunteer_id>/meetings/add", methods=["GET", "POST"])
@role_required(CHAMPION)
def meeting_add(volunteer_id: int):
    return meeting_add_page(champion_scope(volunteer_id))


@bp.route("/volunteers/<int:volunteer_id>/meetings/<int:row_id>/remove", methods=["POST"])
@role_required(CHAMPION)
def meeting_remove(volunteer_id: int, row_id: int):
    scope = champion_scope(volunteer_id)
    return remove_row(scope, volunteers.remove_meeting, row_id, "meetings", "Meeting removed.")


@bp.route("/volunteers/<int:volunteer_id>/availability")
@role_required(CHAMPION)
def availability(volunteer_id: int):
    return availability_page(champion_scope(volunteer_id))


@bp.route("/volunteers/<int:volunteer_id>/availability/windows", methods=["POST"])
@role_required(CHAMPION)
def window_add(volunteer_id: int):
    return window_add_page(champion_scope(volunteer_id))


@bp.route(
    "/volunteers/<int:volunteer_id>/availability/windows/<int:row_id>/remove", methods=["POST"]
)
@role_required(CHAMPION)
def window_remove(volunteer_id: int, row_id: int):
    scope = champion_scope(volunteer_id)
    return remove_row(scope, volunteers.remove_window, row_id, "availability", "Time removed.")


@bp.route("/volunteers/<int:volunteer_id>/availability/away", methods=["POST"])
@role_required(CHAMPION)
def away_add(volunteer_id: int):
    return away_add_page(champion_scope(volunteer_id))


@bp.route("/volunteers/<int:volunteer_id>/availability/away/<int:row_id>/remove", methods=["POST"])
@role_required(CHAMPION)
def away_remove(volunteer_id: int, row_id: int):
    scope = champion_scope(volunteer_id)
    return remove_row(
        scope, volunteers.remove_time_away, row_id, "availability", "Time away removed."
    )
