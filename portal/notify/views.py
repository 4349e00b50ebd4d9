from flask import abort, flash, request, url_for
from flask_login import current_user

from ..web import paginate, redirect_303, render, signed_in
from . import bp, services
from .forms import EmailChoicesForm


@bp.route("/")
@signed_in
def inbox():
    page = paginate(services.inbox_query(current_user.id))
    return render("notify/inbox.html", page=page)


@bp.route("/count")
@signed_in
def count():
    """The header's unread count, which htmx refreshes every minute (a fragment either way)."""
    from flask import render_template

    return render_template("notify/_badge.html")


@bp.route("/<int:notification_id>/read", methods=["POST"])
@signed_in
def read(notification_id: int):
    if not services.mark_read(current_user.id, notification_id):
        abort(404)
    target = request.form.get("next", "")
    from ..web import is_safe_next

    return redirect_303(target if is_safe_next(target) else url_for("notify.inbox"))


@bp.route("/read-all", methods=["POST"])
@signed_in
def read_all():
    marked = services.mark_read(current_user.id)
    flash(f"{marked} {'message' if marked == 1 else 'messages'} marked as read.", "success")
    return redirect_303(url_for("notify.inbox"))


@bp.route("/email", methods=["GET", "POST"])
@signed_in
def email_choices():
    form = EmailChoicesForm()
    if form.first_draw:
        saved = services.email_choices(current_user.id)
        form.by_email.data = [kind for kind, on in saved.items() if on]
    elif form.validate_on_submit():
        services.save_email_choices(current_user.id, set(form.by_email.data or []))
        flash("Your email choices are saved.", "success")
        return redirect_303(url_for("notify.email_choices"))
    return render("notify/email_choices.html", form=form)
