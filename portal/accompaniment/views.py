"""Keyworkers' pages for requests: raise one, follow its timeline, cancel it or change its date."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, request, url_for
from flask_login import current_user

from ..audit import audit_view, utcnow
from ..clients import picker
from ..clients import services as clients
from ..dates import london_today, when_with_year
from ..errors import Conflict, DomainError, InvalidChange, NotFound
from ..meetings.models import Meeting
from ..web import redirect_303, render, role_required
from . import bp
from . import services as requests_service
from .escorts import peer_contacts
from .forms import CancelForm, DateForm, RequestForm
from .models import PEER_GENDERS, STATES, AccompanimentRequest
from .states import FINAL_STATES, REDATE_FROM, TRANSITIONS

DATE_WEEKS = 8


def _me():
    return current_user._get_current_object()


def _request_or_404(request_id: int) -> AccompanimentRequest:
    try:
        return requests_service.get_request_for(_me(), request_id)
    except NotFound:
        abort(404)


def _date_choices(meeting: Meeting, now: datetime) -> list[tuple[str, str]]:
    """The meeting's dates in the coming weeks as select options."""
    return [
        (london_today(start).isoformat(), when_with_year(start))
        for start, _end in picker.upcoming_dates(meeting, now, DATE_WEEKS)
    ]


def _show_error(form, error: DomainError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def _conflict(error: Conflict):
    return render(
        "errors/error.html",
        code=409,
        title="This changed while you were looking",
        body=error.message,
    ), 409


@bp.route("/for/<int:client_id>/new", methods=["GET", "POST"])
@role_required("keyworker")
def new(client_id: int):
    try:
        client = clients.get_client_for(_me(), client_id)
    except NotFound:
        abort(404)
    form = RequestForm()
    session_id = form.session.data if request.method == "POST" else None
    if session_id is None:
        session_id = request.args.get("session", type=int)
    try:
        session = requests_service.session_for_request(client, session_id)
    except InvalidChange as error:
        flash(error.message, "error")
        return redirect_303(url_for("clients.show", client_id=client.id))
    meeting = session.commitment_meeting
    now = utcnow()
    form.meeting_date.choices = _date_choices(meeting, now)
    if request.method == "GET":
        committed_at = session.commitment_at
        if client.commitment_at and client.commitment_meeting_id == session.commitment_meeting_id:
            committed_at = client.commitment_at
        committed = london_today(committed_at).isoformat()
        form.session.data = session.id
        if any(value == committed for value, _ in form.meeting_date.choices):
            form.meeting_date.data = committed
        form.fellowship_experience.data = True
    if form.validate_on_submit():
        try:
            raised = requests_service.raise_request(
                client,
                _me(),
                session=session,
                meeting_date=form.meeting_date.day,
                meeting_point=form.meeting_point.data,
                minutes_before=form.minutes_before.data,
                peer_gender=form.peer_gender.data,
                language=form.language.data,
                fellowship_experience=form.fellowship_experience.data,
                note_for_champion=form.note_for_champion.data,
                note_for_volunteer=form.note_for_volunteer.data,
                now=now,
            )
        except InvalidChange as error:
            _show_error(form, error)
        except Conflict as error:
            return _conflict(error)
        else:
            flash("Your request for a peer is sent to the recovery champion.", "success")
            return redirect_303(url_for("accompaniment.show", request_id=raised.id))
    return render(
        "accompaniment/request_form.html",
        client=client,
        session=session,
        meeting=meeting,
        form=form,
        peer_genders=PEER_GENDERS,
    )


@bp.route("/<int:request_id>")
@role_required("keyworker")
def show(request_id: int):
    item = _request_or_404(request_id)
    client = clients.get_client_for(_me(), item.client_id)
    audit_view("request_viewed", item, client_ref=client.reference)
    return render(
        "accompaniment/request.html",
        block="timeline",
        item=item,
        client=client,
        timeline=requests_service.request_with_events(item),
        can_cancel=item.state in TRANSITIONS["cancelled"],
        can_redate=item.state in REDATE_FROM,
        final=item.state in FINAL_STATES,
        states=STATES,
        peer=peer_contacts([item.id]).get(item.id),
    )


@bp.route("/<int:request_id>/cancel", methods=["GET", "POST"])
@role_required("keyworker")
def cancel(request_id: int):
    item = _request_or_404(request_id)
    client = clients.get_client_for(_me(), item.client_id)
    form = CancelForm(data={"version": item.version})
    if request.method == "POST" and form.validate_on_submit():
        try:
            requests_service.cancel_request(item, _me(), form.reason.data, form.version.data)
        except InvalidChange as error:
            if error.field:
                _show_error(form, error)
            else:
                flash(error.message, "error")
                return redirect_303(url_for("accompaniment.show", request_id=item.id))
        except Conflict as error:
            return _conflict(error)
        else:
            flash("The request is cancelled.", "success")
            return redirect_303(url_for("accompaniment.show", request_id=item.id))
    elif item.state not in TRANSITIONS["cancelled"]:
        flash(f"This request is {item.state_label.lower()}, so it cannot be cancelled.", "error")
        return redirect_303(url_for("accompaniment.show", request_id=item.id))
    return render("accompaniment/confirm_cancel.html", item=item, client=client, form=form)


@bp.route("/<int:request_id>/date", methods=["GET", "POST"])
@role_required("keyworker")
def change_date(request_id: int):
    item = _request_or_404(request_id)
    client = clients.get_client_for(_me(), item.client_id)
    now = utcnow()
    form = DateForm(data={"version": item.version})
    form.meeting_date.choices = _date_choices(item.meeting, now)
    if request.method == "POST" and form.validate_on_submit():
        try:
            requests_service.change_request_date(
                item, _me(), form.meeting_date.day, form.version.data
            )
        except InvalidChange as error:
            if error.field:
                _show_error(form, error)
            else:
                flash(error.message, "error")
                return redirect_303(url_for("accompaniment.show", request_id=item.id))
        except Conflict as error:
            return _conflict(error)
        else:
            flash("The date is changed and the request is open for volunteers again.", "success")
            return redirect_303(url_for("accompaniment.show", request_id=item.id))
    elif item.state not in REDATE_FROM:
        flash(
            f"This request is {item.state_label.lower()}, so its date cannot be changed.", "error"
        )
        return redirect_303(url_for("accompaniment.show", request_id=item.id))
    return render("accompaniment/change_date.html", item=item, client=client, form=form)
