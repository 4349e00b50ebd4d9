"""Keyworkers' pages for requests: raise one, follow its timeline, cancel it or change its date."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import url_for
from werkzeug.wrappers import Response

from ..audit import audit_view
from ..errors import InvalidChange
from ..forms import Form
from ..web import me, render, role_required
from . import bp
from .form_flow import refuse, submit
from .forms import CancelForm, DateForm, RequestForm
from .request_pages import RequestPage, request_form_page, request_page
from .services import cancel_request, change_request_date, raise_request

TEMPLATES = {
    "cancel": "accompaniment/confirm_cancel.html",
    "date": "accompaniment/change_date.html",
}


def _show_url(request_id: int) -> str:
    return url_for("accompaniment.show", request_id=request_id)


def _change(
    page: RequestPage, change: str, form: Form, action: Callable[[], Any], done: str
) -> Response | str:
    """Save a keyworker's change to the request, or say why it cannot be made now (checked after
    the form, so a stale page still gets its 409), or show the form (again)."""
    back = _show_url(page.item.id)
    answer = submit(form, action, done, back)
    if answer is None and (refusal := page.refusal(change)):
        answer = refuse(refusal, back)
    return answer or render(TEMPLATES[change], form=form, **page.about())


@bp.route("/for/<int:client_id>/new", methods=["GET", "POST"])
@role_required("keyworker")
def new(client_id: int):
    form = RequestForm()
    try:
        page = request_form_page(me(), client_id, form.chosen_session())
    except InvalidChange as error:  # nothing committed to yet: the client's page says what to do
        return refuse(error.message, url_for("clients.show", client_id=client_id))
    form.fit(page)
    answer = submit(
        form,
        lambda: raise_request(page.client, me(), **form.details(page)),
        "Your request for a peer is sent to the recovery champion.",
        lambda raised: _show_url(raised.id),
        stay=True,  # a refusal such as "already has a request" keeps what the keyworker wrote
    )
    return answer or render("accompaniment/request_form.html", form=form, **page.context())


@bp.route("/<int:request_id>")
@role_required("keyworker")
def show(request_id: int):
    page = request_page(me(), request_id)
    audit_view("request_viewed", page.item, client_ref=page.client.reference)
    return render("accompaniment/request.html", block="timeline", **page.context())


@bp.route("/<int:request_id>/cancel", methods=["GET", "POST"])
@role_required("keyworker")
def cancel(request_id: int):
    page = request_page(me(), request_id)
    form = CancelForm.for_request(page)
    return _change(
        page,
        "cancel",
        form,
        lambda: cancel_request(page.item, me(), form.reason.data, form.version.data),
        "The request is cancelled.",
    )


@bp.route("/<int:request_id>/date", methods=["GET", "POST"])
@role_required("keyworker")
def change_date(request_id: int):
    page = request_page(me(), request_id)
    form = DateForm.for_request(page)
    return _change(
        page,
        "date",
        form,
        lambda: change_request_date(page.item, me(), form.meeting_date.day, form.version.data),
        "The date is changed and the request is open for volunteers again.",
    )
