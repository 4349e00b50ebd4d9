"""Keyworkers' pages for requests: raise one, follow its timeline, cancel it or change its date."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import url_for
from werkzeug.wrappers import Response

from ..errors import InvalidChange
from ..form_flow import refuse, submit
from ..web import me, render, role_required
from . import bp
from .forms import CancelForm, DateForm, RequestForm
from .request_pages import request_form_page, request_page
from .services import cancel_request, change_request_date, raise_request


@dataclass(frozen=True)
class _Change:
    """A keyworker's change to a request: its form, its page, the service call, what to say."""

    form: type[CancelForm] | type[DateForm]
    template: str
    action: Callable[[Any, Any], Any]  # (the request, the valid form) -> the service's answer
    done: str


CHANGES = {
    "cancel": _Change(
        CancelForm,
        "accompaniment/confirm_cancel.html",
        lambda item, form: cancel_request(item, me(), form.reason.data, form.version.data),
        "The request is cancelled.",
    ),
    "date": _Change(
        DateForm,
        "accompaniment/change_date.html",
        lambda item, form: change_request_date(
            item, me(), form.meeting_date.day, form.version.data
        ),
        "The date is changed and the request is open for volunteers again.",
    ),
}


def _show_url(request_id: int) -> str:
    return url_for("accompaniment.show", request_id=request_id)


def _change(request_id: int, change: str) -> Response | str:
    """Save a keyworker's change to the request, or say why it cannot be made now (checked after
    the form, so a stale page still gets its 409), or show the form (again)."""
    page = request_page(me(), request_id)
    how = CHANGES[change]
    form = how.form.for_request(page)
    back = _show_url(page.item.id)
    answer = submit(form, lambda: how.action(page.item, form), how.done, back)
    if answer is None and (refusal := page.refusal(change)):
        answer = refuse(refusal, back)
    return answer or render(how.template, form=form, **page.about())


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
    return render("accompaniment/request.html", block="timeline", **page.context())


@bp.route("/<int:request_id>/cancel", methods=["GET", "POST"])
@role_required("keyworker")
def cancel(request_id: int):
    return _change(request_id, "cancel")


@bp.route("/<int:request_id>/date", methods=["GET", "POST"])
@role_required("keyworker")
def change_date(request_id: int):
    return _change(request_id, "date")
