"""Safety pages: the volunteer's escort page on the day, the champion's Today board, outcomes."""

from __future__ import annotations

from dataclasses import replace

from flask import abort, flash, url_for

from ..errors import InvalidChange
from ..web import me, redirect_303, render, role_required, show_error
from . import bp, services
from .forms import ActionForm, OutcomeForm, RecordCheckForm

CHECK_MESSAGES = {
    "checkin": ('Thank you: you have met them. Press "I\'m safe" when you finish.', None),
    "checkout": ("Thank you: you are safe and the escort is finished.", "Already recorded."),
}
OUTCOME_SAVED = "Thank you. What happened is recorded and the keyworker has been told."


@bp.route("/escorts")
@role_required("volunteer")
def my_escorts():
    return render(
        "safety/my_escorts.html",
        escorts=services.my_escorts(me()),
        form=ActionForm(),
        today=services.london_today(services.utcnow()),
    )


@bp.route("/escorts/<int:request_id>")
@role_required("volunteer")
def escort(request_id: int):
    return _escort_page(services.get_escort(request_id, me()), help_asked=False)


def _escort_page(item: services.Escort, help_asked: bool) -> str:
    return render(
        "safety/escort.html",
        escort=item,
        form=ActionForm(),
        numbers=services.emergency_numbers(),
        help_asked=help_asked,
    )


def _check(request_id: int, kind: str):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        new = services.record_check(request_id, me(), kind)
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
    services.record_check(request_id, me(), "help")
    # Shown straight away (not after a redirect): the numbers matter more than a clean URL.
    return _escort_page(services.get_escort(request_id, me()), help_asked=True)


@bp.route("/today")
@role_required("champion")
def today():
    now = services.utcnow()
    rows = services.today_board(me(), now)
    return render("safety/today.html", block="board", rows=rows, now=now)


@bp.route("/escorts/<int:request_id>/record", methods=["GET", "POST"])
@role_required("champion")
def record_check(request_id: int):
    """A champion records a check-in or check-out that happened earlier, at its real time."""
    item = services.get_board_escort(request_id, me())
    form = RecordCheckForm.for_escort(item.days[0])
    if form.validate_on_submit():
        when = form.happened_on.data, form.happened_time.data
        try:
            check = services.record_check_for(request_id, me(), form.kind.data, *when)
        except InvalidChange as error:  # by its field, with the champion's answers kept
            show_error(form, error, "kind")
        else:
            label = services.RECORDABLE[check.kind]
            flash(f"{label} recorded.", "success")  # no name: flashes sit in the cookie
            return redirect_303(url_for("safety.today"))
    return render("safety/record_check.html", form=form, escort=item)


def _outcome_page(page: services.OutcomePage, form: OutcomeForm) -> str:
    """The outcome form, or the rule saying when it opens, with the way back."""
    if page.for_someone:
        back, back_label = url_for("safety.today"), "Back to today's escorts"
    else:
        back = url_for("safety.escort", request_id=page.request_row.id)
        back_label = "Back to your escort"
    return render(
        "safety/outcome.html",
        **({"form": form} if page.open else {}),
        request_row=page.request_row,
        volunteer=page.volunteer,
        rule=page.rule,
        back=back,
        back_label=back_label,
    )


@bp.route("/escorts/<int:request_id>/outcome", methods=["GET", "POST"])
@role_required("volunteer", "champion")
def outcome(request_id: int):
    page = services.outcome_page(request_id, me())
    form = OutcomeForm.for_request(page.request_row)
    if page.open and form.validate_on_submit():  # before the meeting starts a post is refused
        try:
            services.record_outcome(request_id, me(), version=form.version.data, **form.answers())
        except services.NotOpen as error:  # the meeting has not started after all
            page = replace(page, rule=error.message)
        except InvalidChange as error:  # by its field, with the answers kept
            show_error(form, error, "came")
        else:
            flash(OUTCOME_SAVED, "success")
            return redirect_303(_after_outcome(page))
    return _outcome_page(page, form)


def _after_outcome(page: services.OutcomePage) -> str:
    """A champion goes back to the Today board, a volunteer to their escorts."""
    return url_for("safety.today" if page.for_someone else "safety.my_escorts")
