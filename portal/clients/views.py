"""Keyworkers' pages: caseload, client record, consents, FAMA sessions, goals, journal, sheets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort, flash, request, url_for
from flask_login import current_user

from ..accompaniment import services as requests_service
from ..accompaniment.models import STATES as REQUEST_STATES
from ..accompaniment.models import AccompanimentRequest
from ..audit import audit_view, utcnow
from ..dates import clock
from ..errors import Conflict, DomainError, InvalidChange, NotFound
from ..meetings.models import WEEKDAYS
from ..web import MAX_ID, paginate, redirect_303, render, role_required, wants_fragment
from . import bp, fama, picker
from . import services as clients
from .forms import (
    SESSION_FORMS,
    ClientForm,
    ConsentForm,
    GoalForm,
    JournalForm,
    OutcomeForm,
    TransferForm,
    TransferSearchForm,
    VersionForm,
)
from .models import CONSENTS, OUTCOMES, Client

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Meeting Guide numbers days from 0 = Sunday; show Monday first.
DAY_OPTIONS = [(str(n), WEEKDAYS[n]) for n in (1, 2, 3, 4, 5, 6, 0)]


def _me():
    return current_user._get_current_object()


def _arg(name: str, limit: int = 60) -> str:
    return _CONTROL.sub("", request.args.get(name, ""))[:limit]


def _client_or_404(client_id: int) -> Client:
    try:
        return clients.get_client_for(_me(), client_id)
    except NotFound:
        abort(404)


def _show_error(form, error: DomainError) -> None:
    """Put a service's message by its field, or at the top of the page when it has none."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def _to_client(client: Client, message: str | None = None, anchor: str | None = None):
    if message:
        flash(message, "success")
    url = url_for("clients.show", client_id=client.id)
    return redirect_303(f"{url}#{anchor}" if anchor else url)


def _conflict(client: Client, error: Conflict):
    return render(
        "errors/error.html",
        code=409,
        title="This changed while you were looking",
        body=error.message,
    ), 409


# --- caseload -------------------------------------------------------------------------------


@dataclass
class CaseloadRow:
    client: Client
    request_id: int | None
    request_state: str | None
    action_code: str
    next_action: str


@bp.route("/")
@role_required("keyworker")
def caseload():
    query, action, sort = _arg("q"), _arg("action", 30), _arg("sort", 30)
    sort = sort if sort in clients.SORTS else "next_action"
    now = utcnow()
    page = paginate(clients.caseload_statement(_me(), query, action, sort, now), scalars=False)
    rows = [
        CaseloadRow(
            client,
            request_id,
            state,
            code,
            clients.describe_next_action(code, client.commitment_at, now),
        )
        for client, request_id, state, code in page.items
    ]
    return render(
        "clients/caseload.html",
        block="results",
        page=page,
        rows=rows,
        query=query,
        action=action,
        sort=sort,
        counts=clients.caseload_counts(_me(), now),
        actions=clients.NEXT_ACTIONS,
        sorts=clients.SORTS,
        stage_label=clients.stage_label,
        states=REQUEST_STATES,
    )


# --- the client -----------------------------------------------------------------------------


def _fellowship_choices() -> list[tuple[int, str]]:
    return [(f.id, f.name) for f in picker.active_fellowships()]


def _details(form: ClientForm) -> dict:
    return {
        "reference": form.reference.data,
        "first_name": form.first_name.data,
        "gender": form.gender.data,
        "pronouns": form.pronouns.data,
        "languages": form.languages.data,
        "access_needs": form.access_needs.data,
        "literacy_support": form.literacy_support.data,
        "fellowship_ids": form.fellowships.data or [],
    }


@bp.route("/new", methods=["GET", "POST"])
@role_required("keyworker")
def add():
    form = ClientForm()
    form.fellowships.choices = _fellowship_choices()
    if form.validate_on_submit():
        try:
            client = clients.add_client(_me(), **_details(form))
        except InvalidChange as error:
            _show_error(form, error)
        else:
            return _to_client(
                client, f"{client.first_name} ({client.reference}) is on your caseload."
            )
    return render("clients/client_form.html", form=form, client=None)


@bp.route("/<int:client_id>")
@role_required("keyworker")
def show(client_id: int):
    client = _client_or_404(client_id)
    record = clients.client_record(client)
    audit_view("client_viewed", client, client_ref=client.reference)
    return render(
        "clients/client.html",
        record=record,
        client=client,
        fama=fama,
        consents=CONSENTS,
        outcomes=OUTCOMES,
        stage=clients.stage_label(client),
        session_kinds=clients.allowed_session_kinds(client),
        version_form=VersionForm(data={"version": client.version}),
    )


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@role_required("keyworker")
def edit(client_id: int):
    client = _client_or_404(client_id)
    if request.method == "GET":
        fields = ("reference", "first_name", "gender", "pronouns", "languages", "access_needs")
        form = ClientForm(
            data={
                **{name: getattr(client, name) for name in fields},
                "literacy_support": client.literacy_support,
                "fellowships": [f.id for f in client.fellowships],
                "version": client.version,
            }
        )
    else:
        form = ClientForm()
    form.fellowships.choices = _fellowship_choices()
    if form.validate_on_submit():
        try:
            clients.update_client(client, _me(), form.version.data, **_details(form))
        except InvalidChange as error:
            _show_error(form, error)
        except Conflict as error:
            return _conflict(client, error)
        else:
            return _to_client(client, "The client's details are saved.")
    return render("clients/client_form.html", form=form, client=client)


@bp.route("/<int:client_id>/close", methods=["GET", "POST"])
@role_required("keyworker")
def close(client_id: int):
    client = _client_or_404(client_id)
    form = VersionForm(data={"version": client.version})
    if request.method == "POST" and form.validate_on_submit():
        try:
            clients.set_client_status(client, _me(), "closed", form.version.data)
        except InvalidChange as error:
            flash(error.message, "error")
            return _to_client(client)
        except Conflict as error:
            return _conflict(client, error)
        return _to_client(
            client, f"{client.reference} is closed. It no longer shows in your caseload."
        )
    return render("clients/confirm_close.html", client=client, form=form)


@bp.route("/<int:client_id>/reopen", methods=["POST"])
@role_required("keyworker")
def reopen(client_id: int):
    client = _client_or_404(client_id)
    form = VersionForm()
    if form.validate_on_submit():
        try:
            clients.set_client_status(client, _me(), "active", form.version.data)
        except Conflict as error:
            return _conflict(client, error)
        return _to_client(client, f"{client.reference} is open again.")
    return _to_client(client)


# --- consents -------------------------------------------------------------------------------


@bp.route("/<int:client_id>/consents/<kind>", methods=["GET", "POST"])
@role_required("keyworker")
def give_consent(client_id: int, kind: str):
    client = _client_or_404(client_id)
    if kind not in CONSENTS:
        abort(404)
    form = ConsentForm(data={"version": client.version, "phone": client.phone})
    if form.validate_on_submit():
        try:
            clients.give_consent(client, _me(), kind, form.version.data, form.phone.data)
        except InvalidChange as error:
            _show_error(form, error)
        except Conflict as error:
            return _conflict(client, error)
        else:
            return _to_client(client, "The client's consent is recorded.", "consents")
    return render(
        "clients/consent.html", client=client, form=form, kind=kind, consent=CONSENTS[kind]
    )


@bp.route("/<int:client_id>/consents/<kind>/withdraw", methods=["GET", "POST"])
@role_required("keyworker")
def withdraw_consent(client_id: int, kind: str):
    client = _client_or_404(client_id)
    if kind not in CONSENTS:
        abort(404)
    form = VersionForm(data={"version": client.version})
    if request.method == "POST" and form.validate_on_submit():
        try:
            clients.withdraw_consent(client, _me(), kind, form.version.data)
        except Conflict as error:
            return _conflict(client, error)
        return _to_client(client, "The withdrawal is recorded and holds from now.", "consents")
    return render(
        "clients/confirm_withdraw.html", client=client, form=form, kind=kind, consent=CONSENTS[kind]
    )


# --- FAMA sessions --------------------------------------------------------------------------


def _int_or_none(value: str | None) -> int | None:
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return None if number is None or abs(number) > MAX_ID else number  # no id is that big


def _picker_context(form, client: Client, now: datetime) -> dict:
    """Meetings matching the picker's search, each with its dates in the coming weeks; before
    any search, a few of the fellowships the client is interested in."""
    fellowship_id = _int_or_none(form.meeting_fellowship.data)
    weekday = _int_or_none(form.meeting_day.data)
    searched = bool(form.meeting_q.data) or fellowship_id is not None or weekday is not None
    if searched:
        meetings = picker.search_meetings(form.meeting_q.data or "", fellowship_id, weekday)
    else:
        interests = [f.id for f in client.fellowships]
        meetings = picker.search_meetings(
            fellowship_ids=interests,
            exclude_kinds=() if interests else ("family",),  # groups for relatives, not clients
            limit=picker.SUGGESTED_LIMIT,
        )
    chosen = None
    try:
        resolved = picker.resolve_choice(form.commitment.data, now)
    except InvalidChange:
        resolved = None
    if resolved is not None:
        meeting, start, _end = resolved
        chosen = (meeting, start, picker.choice_value(meeting.id, start))
    return {
        "meeting_choices": picker.choices_for(meetings, now),
        "chosen": chosen,
        "fellowships": picker.active_fellowships(),
        "day_options": DAY_OPTIONS,
        "choice_value": picker.choice_value,
        "picker_fellowship": fellowship_id,
        "picker_day": weekday,
        "searched": searched,
    }


def _session_page(client: Client, kind: int, form, now: datetime, defaults: dict):
    context = _picker_context(form, client, now) if kind in (2, 3) else {}
    fragment = request.form.get("find") and wants_fragment()
    return render(
        "clients/_picker.html" if fragment else "clients/session_form.html",
        block="meeting_choices" if fragment else None,
        client=client,
        kind=kind,
        form=form,
        fama=fama,
        defaults=defaults,
        title=fama.SESSION_NAMES[kind],
        **context,
    )


@bp.route("/<int:client_id>/sessions/new/<int:kind>", methods=["GET", "POST"])
@role_required("keyworker")
def new_session(client_id: int, kind: int):
    client = _client_or_404(client_id)
    if kind not in SESSION_FORMS:
        abort(404)
    if kind not in clients.allowed_session_kinds(client) or client.status != "active":
        first = clients.allowed_session_kinds(client)[0]
        flash(f"Session {kind} cannot be recorded yet: record session {first} first.", "error")
        return _to_client(client)
    now = utcnow()
    defaults = clients.session_defaults(client, kind, now)
    form_class = SESSION_FORMS[kind]
    if request.method == "GET":
        form = form_class(data={"held_on": picker.today_in_london(now), **defaults})
    else:
        form = form_class()
    if request.method == "POST" and request.form.get("find"):
        return _session_page(client, kind, form, now, defaults)
    if form.validate_on_submit():
        answers = {name: field.data for name, field in form._fields.items()}
        try:
            session = clients.record_session(client, _me(), kind, form.held_on.data, answers, now)
        except InvalidChange as error:
            _show_error(form, error)
        else:
            if session.wants_company:
                flash(f"Session {kind} is recorded. Now ask for a peer to go with them.", "success")
                return redirect_303(
                    url_for("accompaniment.new", client_id=client.id, session=session.id)
                )
            return _to_client(client, f"Session {kind} is recorded.", "sessions")
    return _session_page(client, kind, form, now, defaults)


@bp.route("/<int:client_id>/sessions/<int:session_id>")
@role_required("keyworker")
def show_session(client_id: int, session_id: int):
    client = _client_or_404(client_id)
    try:
        session = clients.get_session_for(client, session_id)
    except NotFound:
        abort(404)
    audit_view("fama_session_viewed", session, client_ref=client.reference)
    return render("clients/session.html", client=client, session=session, fama=fama)


@bp.route("/<int:client_id>/outcome", methods=["GET", "POST"])
@role_required("keyworker")
def outcome(client_id: int):
    client = _client_or_404(client_id)
    form = OutcomeForm(data={"outcome": client.fama_outcome or "", "version": client.version})
    if form.validate_on_submit():
        try:
            clients.record_outcome(client, _me(), form.outcome.data, form.version.data)
        except InvalidChange as error:
            _show_error(form, error)
        except Conflict as error:
            return _conflict(client, error)
        else:
            return _to_client(client, "The outcome is recorded.")
    return render("clients/outcome.html", client=client, form=form)


# --- goals and journal ----------------------------------------------------------------------


@bp.route("/<int:client_id>/goals/new", methods=["GET", "POST"])
@role_required("keyworker")
def new_goal(client_id: int):
    client = _client_or_404(client_id)
    form = GoalForm()
    if form.validate_on_submit():
        try:
            clients.add_goal(client, _me(), form.goal.data, form.progress.data, form.remaining.data)
        except InvalidChange as error:
            _show_error(form, error)
        else:
            return _to_client(client, "The goal is added.", "goals")
    return render("clients/goal_form.html", client=client, form=form, goal=None)


@bp.route("/<int:client_id>/goals/<int:goal_id>", methods=["GET", "POST"])
@role_required("keyworker")
def edit_goal(client_id: int, goal_id: int):
    client = _client_or_404(client_id)
    try:
        goal = clients.get_goal_for(client, goal_id)
    except NotFound:
        abort(404)
    form = GoalForm(obj=goal) if request.method == "GET" else GoalForm()
    if form.validate_on_submit():
        try:
            clients.update_goal(
                client,
                goal,
                _me(),
                form.version.data,
                goal_text=form.goal.data,
                progress=form.progress.data,
                remaining=form.remaining.data,
                achieved=form.achieved.data,
            )
        except InvalidChange as error:
            _show_error(form, error)
        except Conflict as error:
            return _conflict(client, error)
        else:
            return _to_client(client, "The goal is saved.", "goals")
    return render("clients/goal_form.html", client=client, form=form, goal=goal)


@bp.route("/<int:client_id>/journal/new", methods=["GET", "POST"])
@role_required("keyworker")
def new_journal_entry(client_id: int):
    client = _client_or_404(client_id)
    form = (
        JournalForm(data={"attended_on": picker.today_in_london()})
        if request.method == "GET"
        else JournalForm()
    )
    if form.validate_on_submit():
        try:
            clients.add_journal_entry(
                client,
                _me(),
                attended_on=form.attended_on.data,
                meeting_name=form.meeting_name.data,
                reactions=form.reactions.data,
                benefits=form.benefits.data,
                drawbacks=form.drawbacks.data,
            )
        except InvalidChange as error:
            _show_error(form, error)
        else:
            return _to_client(client, "The journal entry is added.", "journal")
    return render("clients/journal_form.html", client=client, form=form)


# --- printable sheets -----------------------------------------------------------------------

SHEETS = {
    "my-meeting": ("clients/sheet_my_meeting.html", "My meeting"),
    "support": ("clients/sheet_support.html", "Support to go to a meeting"),
    "journal": ("clients/sheet_journal.html", "My mutual aid journal"),
}


@bp.route("/<int:client_id>/sheets/<name>")
@role_required("keyworker")
def sheet(client_id: int, name: str):
    client = _client_or_404(client_id)
    if name not in SHEETS:
        abort(404)
    template, title = SHEETS[name]
    meeting = clients.committed_meeting(client)
    current: AccompanimentRequest | None = requests_service.current_request(client)
    meet_at = None
    if current is not None:
        meet_at = clock(current.starts_at - timedelta(minutes=current.minutes_before))
    audit_view("client_sheet_printed", client, client_ref=client.reference)
    return render(
        template,
        client=client,
        title=title,
        meeting=meeting,
        request_=current,
        meet_at=meet_at,
        ends_at=clock(meeting.end_time) if meeting else None,
    )


# --- admin: move a client to another keyworker ----------------------------------------------


@bp.route("/transfer", methods=["GET", "POST"])
@role_required("admin")
def transfer():
    """Admins move a client between caseloads; they see the reference and keyworker only."""
    if request.method == "POST":
        form = TransferForm()
        client = clients.find_client_by_reference(form.reference.data or "")
        if client is None:
            abort(404)
        search = TransferSearchForm(data={"reference": client.reference})
    else:
        search = TransferSearchForm(request.args)
        reference = search.reference.data if search.validate() else ""
        client = clients.find_client_by_reference(reference or "")
        form = TransferForm(
            data={"reference": client.reference, "version": client.version} if client else {}
        )
    keyworkers = clients.keyworkers()
    names = {k.id: k.name for k in keyworkers}
    if client is not None:
        form.keyworker_id.choices = [
            (str(k.id), k.name) for k in keyworkers if k.id != client.keyworker_id
        ]
    if client is not None and request.method == "POST" and form.validate_on_submit():
        try:
            clients.transfer_client(client, int(form.keyworker_id.data), _me(), form.version.data)
        except InvalidChange as error:
            _show_error(form, error)
        except Conflict as error:
            return _conflict(client, error)
        else:
            flash(
                f"{client.reference} is now on {names.get(client.keyworker_id, 'the')}'s caseload.",
                "success",
            )
            return redirect_303(url_for("clients.transfer", reference=client.reference))
    return render(
        "clients/transfer.html",
        search=search,
        client=client,
        form=form,
        current_name=names.get(client.keyworker_id, "a keyworker who has left") if client else None,
        searched=bool(search.reference.data),
    )
