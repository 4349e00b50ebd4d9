"""Safety pages: the volunteer's escort page on the day, the champion's Today board, outcomes."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_login import current_user

from ..errors import Conflict, InvalidChange, NotFound
from ..web import redirect_303, render, role_required
from . import bp, services
from .forms import ActionForm, OutcomeForm, RecordCheckForm

CHECK_MESSAGES = {
    "checkin": ('Thank you: you have met them. Press "I\'m safe" when you finish.', None),
    "checkout": ("Thank you: you are safe and the escort is finished.", "Already recorded."),
}


def _me():
    return current_user._get_current_object()


@bp.route("/escorts")
@role_required("volunteer")
def my_escorts():
    return render(
        "safety/my_escorts.html",
        escorts=services.my_escorts(_me()),
        form=ActionForm(),
        today=services.london_today(services.utcnow()),
    )


@bp.route("/escorts/<int:request_id>")
@role_required("volunteer")
def escort(request_id: int):
    try:
        item = services.get_escort(request_id, _me())
    except NotFound:
        abort(404)
    return render(
        "safety/escort.html",
        escort=item,
        form=ActionForm(),
        numbers=services.emergency_numbers(),
        help_asked=False,
    )


def _check(request_id: int, kind: str):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        new = services.record_check(request_id, _me(), kind)
    except NotFound:
        abort(404)
    except InvalidChange as error:  # not open now: the message says when it opens
        flash(error.message, "error")
        return redirect_303(url_for("safety.escort", request_id=request_id))
    done, again = CHECK_MESSAGES[kind]
    flash(done if new else (again or done), "success")
    return redirect_303(url_for("safety.escort", request_id=request_id))


@bp.route("/escorts/<int:request_id>/met", methods=["POST"])
@role_required("volunteer")
def check_in(request_id: int):
    return _check(request_id, "checkin")


@bp.route("/escorts/<int:request_id>/safe", methods=["POST"])
@role_required("volunteer")
def check_out(request_id: int):
    return _check(request_id, "checkout")


@bp.route("/escorts/<int:request_id>/help", methods=["POST"])
@role_required("volunteer")
def ask_help(request_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.record_check(request_id, _me(), "help")
        item = services.get_escort(request_id, _me())
    except NotFound:
        abort(404)
    # Shown straight away (not after a redirect): the numbers matter more than a clean URL.
    return render(
        "safety/escort.html",
        escort=item,
        form=ActionForm(),
        numbers=services.emergency_numbers(),
        help_asked=True,
    )


@bp.route("/today")
@role_required("champion")
def today():
    now = services.utcnow()
    rows = services.today_board(_me(), now)
    return render("safety/today.html", block="board", rows=rows, now=now)


@bp.route("/escorts/<int:request_id>/record", methods=["GET", "POST"])
@role_required("champion")
def record_check(request_id: int):
    """A champion records a check-in or check-out that happened earlier, at its real time."""
    try:
        item = services.get_board_escort(request_id, _me())
    except NotFound:
        abort(404)
    form = RecordCheckForm()
    if not form.is_submitted():
        form.happened_on.data = item.days[0]
    if form.validate_on_submit():
        try:
            check = services.record_check_for(
                request_id,
                _me(),
                form.kind.data,
                form.happened_on.data,
                form.happened_time.data,
            )
        except NotFound:
            abort(404)
        except InvalidChange as error:
            field = getattr(form, error.field or "", None) or form.kind
            field.errors = [*field.errors, error.message]
        else:
            label = services.RECORDABLE[check.kind]
            flash(f"{label} recorded for {item.volunteer.preferred_name}.", "success")
            return redirect_303(url_for("safety.today"))
    return render("safety/record_check.html", form=form, escort=item)


@bp.route("/escorts/<int:request_id>/outcome", methods=["GET", "POST"])
@role_required("volunteer", "champion")
def outcome(request_id: int):
    try:
        request_row, volunteer = services.get_outcome_request(request_id, _me())
    except NotFound:
        abort(404)
    for_someone = services.is_champion(_me()) and volunteer.user_id != _me().id

    def page(form: OutcomeForm | None, rule: str | None = None):
        if for_someone:
            back, back_label = url_for("safety.today"), "Back to today's escorts"
        else:
            back = url_for("safety.escort", request_id=request_id)
            back_label = "Back to your escort"
        return render(
            "safety/outcome.html",
            **({"form": form} if form is not None else {}),
            request_row=request_row,
            volunteer=volunteer,
            rule=rule,
            back=back,
            back_label=back_label,
        )

    not_yet = services.outcome_action(request_row, services.utcnow())
    if not not_yet.open:  # the form opens when the meeting starts; a post is refused too
        return page(None, not_yet.rule)
    form = OutcomeForm()
    if not form.is_submitted():
        form.version.data = request_row.version
    if form.validate_on_submit():
        try:
            services.record_outcome(
                request_id,
                _me(),
                came=form.came.data,
                together=form.together.data,
                again=form.again.data,
                note=form.note.data,
                version=form.version.data,
            )
        except NotFound:
            abort(404)
        except Conflict as error:
            return render(
                "errors/error.html",
                code=409,
                title="This changed while you were looking",
                body=error.message,
            ), 409
        except services.NotOpen as error:  # the meeting has not started after all
            return page(None, error.message)
        except InvalidChange as error:
            name = {"outcome": "came"}.get(error.field or "", error.field or "came")
            field = getattr(form, name, form.came)
            field.errors = [*field.errors, error.message]
        else:
            flash(
                "Thank you. What happened is recorded and the keyworker has been told.", "success"
            )
            if for_someone:
                return redirect_303(url_for("safety.today"))
            return redirect_303(url_for("safety.my_escorts"))
    return page(form)
