"""Routes of the messages package (see CONTRIBUTING.md): the champion writes, previews and
sends; the volunteer reads and replies; the champion reads the replies."""

from __future__ import annotations

from flask import abort, current_app, flash, request, url_for

from ..audit import viewing
from ..errors import InvalidChange
from ..volunteers.views._common import int_arg, list_filters
from ..web import Page, me, page_number, paginate, redirect_303, render, role_required, show_error
from . import bp, services
from .forms import MessageForm, ReplyForm, SendForm


def _audience() -> dict:
    """Who the champion is writing to, from the address (the volunteer list's filters too)."""
    to = request.args.get("to", "")
    if to == "one":
        return {"audience": "one", "volunteer_id": int_arg("volunteer")}
    if to == "filtered":
        return {"audience": "filtered", "filters": list_filters()}
    if to == "all":
        return {"audience": "all"}
    abort(404)


def _write(form: MessageForm, audience: dict, draft_id: int | None = None):
    """Save the words as a draft and go to the preview, or show the form with what is wrong."""
    mentions = None
    if form.validate_on_submit():
        try:
            message = services.save_draft(
                me(), form.body.data, form.names_checked.data, draft_id=draft_id, **audience
            )
        except services.NamesClient as error:
            show_error(form, error)
            mentions = error.mentions
        except InvalidChange as error:
            show_error(form, error, "body")
        else:
            return redirect_303(url_for("messages.preview", message_id=message.id))
    about = services.describe(me(), **audience)
    return render("messages/write.html", form=form, mentions=mentions, about=about)


@bp.route("/new", methods=["GET", "POST"])
@role_required("champion")
def write():
    if "to" not in request.args:  # who to write to is chosen on the list pages
        return redirect_303(url_for("messages.sent_list"))
    return _write(MessageForm(), _audience())


@bp.route("/drafts/<int:message_id>/edit", methods=["GET", "POST"])
@role_required("champion")
def edit(message_id: int):
    message = services.draft(message_id, me())
    form = MessageForm.drawn({"body": message.body})  # changed words need a fresh tick
    return _write(form, services.audience_of(message), draft_id=message.id)


@bp.route("/drafts/<int:message_id>")
@role_required("champion")
def preview(message_id: int):
    message = services.draft(message_id, me())
    people = services.recipients(message, me())
    per_page = current_app.config["PAGE_SIZE"]
    start = (page_number() - 1) * per_page
    page = Page(people[start : start + per_page], page_number(), per_page, len(people))
    form = SendForm(recipients=services.fingerprint(message, people))
    return render(
        "messages/preview.html",
        block="recipients",
        **services.preview_facts(message, people, me()),
        page=page,
        form=form,
    )


@bp.route("/drafts/<int:message_id>/send", methods=["POST"])
@role_required("champion")
def send(message_id: int):
    again = url_for("messages.preview", message_id=message_id)
    form = SendForm()
    try:
        if not form.validate_on_submit():
            raise InvalidChange(services.CHANGED)
        message = services.send_message(message_id, form.recipients.data, me())
    except InvalidChange as error:
        flash(error.message, "error")
        return redirect_303(again)
    count = message.recipient_count
    flash(f"Message sent to {count} {'volunteer' if count == 1 else 'volunteers'}.", "success")
    return redirect_303(url_for("messages.sent_detail", message_id=message.id))


@bp.route("/sent")
@role_required("champion")
def sent_list():
    page = paginate(services.sent_messages(me()), scalars=False)
    return render("messages/sent.html", page=page, audiences=services.AUDIENCES)


@bp.route("/sent/<int:message_id>")
@role_required("champion")
def sent_detail(message_id: int):
    message, sender, counts = services.sent_message(message_id, me())
    page = paginate(services.replies_to(message.id), scalars=False)
    viewing("message_viewed", message)  # a one-volunteer message may name a client
    return render(
        "messages/sent_detail.html",
        block="replies",
        message=message,
        sender=sender,
        counts=counts,
        page=page,
        audiences=services.AUDIENCES,
    )


@bp.route("/inbox")
@role_required("volunteer")
def inbox():
    page = paginate(services.my_messages(me()), scalars=False)
    replies = services.my_replies([row[0].id for row in page.items])
    return render("messages/inbox.html", block="thread", page=page, replies=replies)


@bp.route("/inbox/<int:recipient_id>/reply", methods=["GET", "POST"])
@role_required("volunteer")
def reply(recipient_id: int):
    recipient, message = services.my_message(recipient_id, me())
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            services.add_reply(recipient.id, form.body.data, me())
        except InvalidChange as error:
            show_error(form, error, "body")
        else:
            flash("Your reply was sent to the recovery champion.", "success")
            return redirect_303(url_for("messages.inbox"))
    replies = services.my_replies([recipient.id])[recipient.id]
    return render("messages/reply.html", form=form, message=message, replies=replies)
