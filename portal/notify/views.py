from flask import abort, flash, request, url_for
from flask_login import current_user

from ..form_flow import submit
from ..web import paginate, redirect_303, render, signed_in
from . import bp, services, texts
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
        form.mobile.data = texts.shown_mobile(texts.mobile_of(current_user.id))
        by_text = texts.text_choices(current_user.id)
        form.by_text.data = [kind for kind, on in by_text.items() if on]
    saved = submit(
        form,
        lambda: texts.save_message_choices(
            current_user.id,
            set(form.by_email.data or []),
            form.mobile.data,
            set(form.by_text.data or []),
        ),
        "Your email and text choices are saved.",
        url_for("notify.email_choices"),
        stay=True,
    )
    mobile = texts.mobile_of(current_user.id)
    return saved or render(
        "notify/email_choices.html", form=form, stopped_at=texts.stopped_since(mobile)
    )
