"""Keyworkers' pages: caseload, client record, consents, FAMA sessions, goals, journal, sheets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import abort, flash, request, url_for
from werkzeug.wrappers import Response

from ..accompaniment.models import STATES as REQUEST_STATES
from ..audit import utcnow, viewing
from ..errors import InvalidChange
from ..form_flow import submit
from ..forms import Form
from ..notify.texts import shown_mobile
from ..web import me, query_text, redirect_303, render, role_required, show_error, wants_fragment
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
from .models import CONSENTS, OUTCOMES, PHONE_CONSENTS, Client, FamaSession, Goal


def _to_client(
    client: Client,
    message: str | None = None,
    anchor: str | None = None,
    category: str = "success",
) -> Response:
    if message:
        flash(message, category)
    return redirect_303(_client_url(client, anchor))


def _client_url(client: Client, anchor: str | None = None) -> str:
    url = url_for("clients.show", client_id=client.id)
    return f"{url}#{anchor}" if anchor else url


@bp.route("/")
@role_required("keyworker")
def caseload():
    found = clients.caseload_page(
        me(), query_text("q", 60), query_text("action", 30), query_text("sort", 30)
    )
    return render(
        "clients/caseload.html",
        block="results",
        **vars(found),
        actions=clients.NEXT_ACTIONS,
        sorts=clients.SORTS,
        stage_label=clients.stage_label,
        states=REQUEST_STATES,
    )


def _client_form(client: Client | None = None) -> ClientForm:
    form = ClientForm.for_client(client)
    form.fellowships.choices = [(f.id, f.name) for f in picker.active_fellowships()]
    return form


@bp.route("/new", methods=["GET", "POST"])
@role_required("keyworker")
def add():
    form = _client_form()
    added = submit(
        form,
        lambda: clients.add_client(me(), **form.details()),
        "The client is on your caseload.",  # no name or reference: flashes sit in the cookie
        _client_url,
        stay=True,  # a refusal goes by its field, with what was typed kept
    )
    return added or render("clients/client_form.html", form=form, client=None)


@bp.route("/<int:client_id>")
@role_required("keyworker")
def show(client_id: int):
    client = clients.get_client_for(me(), client_id)
    record = clients.client_record(client)
    return render(
        "clients/client.html",
        record=record,
        client=client,
        fama=fama,
        consents=CONSENTS,
        phone_consents=PHONE_CONSENTS,
        phone=shown_mobile(client.phone),
        outcomes=OUTCOMES,
        stage=clients.stage_label(client),
        session_kinds=clients.allowed_session_kinds(client),
        version_form=VersionForm(data={"version": client.version}),
    )


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@role_required("keyworker")
def edit(client_id: int):
    client = clients.get_client_for(me(), client_id)
    form = _client_form(client)
    saved = submit(
        form,
        lambda: clients.update_client(client, me(), form.version.data, **form.details()),
        "The client's details are saved.",
        _client_url(client),
        stay=True,  # a refusal goes by its field, with what was typed kept
    )
    return saved or render("clients/client_form.html", form=form, client=client)


@bp.route("/<int:client_id>/close", methods=["GET", "POST"])
@role_required("keyworker")
def close(client_id: int):
    client = clients.get_client_for(me(), client_id)
    form = VersionForm(data={"version": client.version})
    if request.method == "POST" and form.validate_on_submit():
        try:
            clients.set_client_status(client, me(), "closed", form.version.data)
        except InvalidChange as error:  # a live request: said on the client's page
            return _to_client(client, error.message, category="error")
        return _to_client(client, "The case is closed. It no longer shows in your caseload.")
    return render("clients/confirm_close.html", client=client, form=form)


@bp.route("/<int:client_id>/reopen", methods=["POST"])
@role_required("keyworker")
def reopen(client_id: int):
    client = clients.get_client_for(me(), client_id)
    form = VersionForm()
    if form.validate_on_submit():
        clients.set_client_status(client, me(), "active", form.version.data)
        return _to_client(client, "The case is open again.")
    return _to_client(client)


@bp.route("/<int:client_id>/consents/<kind>", methods=["GET", "POST"])
@role_required("keyworker")
def give_consent(client_id: int, kind: str):
    client = clients.get_client_for(me(), client_id)
    consent = clients.consent_wording(kind)
    form = ConsentForm.for_kind(kind, client)
    saved = submit(
        form,
        lambda: clients.give_consent(client, me(), kind, form.version.data, form.phone.data),
        "The client's consent is recorded.",
        _client_url(client, "consents"),
        stay=True,  # a refusal goes by the phone, with what was typed kept
    )
    return saved or render(
        "clients/consent.html",
        client=client,
        form=form,
        kind=kind,
        consent=consent,
        needs_phone=kind in PHONE_CONSENTS,
    )


@bp.route("/<int:client_id>/consents/<kind>/withdraw", methods=["GET", "POST"])
@role_required("keyworker")
def withdraw_consent(client_id: int, kind: str):
    client = clients.get_client_for(me(), client_id)
    consent = clients.consent_wording(kind)
    form = VersionForm(data={"version": client.version})
    if request.method == "POST" and form.validate_on_submit():
        clients.withdraw_consent(client, me(), kind, form.version.data)
        return _to_client(client, "The withdrawal is recorded and holds from now.", "consents")
    return render(
        "clients/confirm_withdraw.html", client=client, form=form, kind=kind, consent=consent
    )


def _session_page(client: Client, kind: int, form: Form, now: datetime, defaults: dict) -> str:
    """The session's form, or only the picker's meetings when htmx asks to find some."""
    picker_context = vars(picker.meeting_picker(client, form.data, now)) if kind in (2, 3) else {}
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
        day_options=picker.DAY_OPTIONS,
        choice_value=picker.choice_value,
        **picker_context,
    )


def _after_session(client: Client, session: FamaSession) -> Response:
    """On to asking for a peer when the client wants company, else back to the client."""
    kind = session.kind
    if session.wants_company:
        flash(f"Session {kind} is recorded. Now ask for a peer to go with them.", "success")
        return redirect_303(url_for("accompaniment.new", client_id=client.id, session=session.id))
    return _to_client(client, f"Session {kind} is recorded.", "sessions")


@bp.route("/<int:client_id>/sessions/new/<int:kind>", methods=["GET", "POST"])
@role_required("keyworker")
def new_session(client_id: int, kind: int):
    client = clients.get_client_for(me(), client_id)
    if refusal := clients.session_not_allowed(client, kind):
        return _to_client(client, refusal, category="error")
    now = utcnow()
    defaults = clients.session_defaults(client, kind, now)
    form = SESSION_FORMS[kind].for_new(defaults, now)
    if not request.form.get("find") and form.validate_on_submit():
        try:
            session = clients.record_session(client, me(), kind, form.held_on.data, form.data, now)
        except InvalidChange as error:  # by its field, with every answer kept
            show_error(form, error)
        else:
            return _after_session(client, session)
    return _session_page(client, kind, form, now, defaults)


@bp.route("/<int:client_id>/sessions/<int:session_id>")
@role_required("keyworker")
def show_session(client_id: int, session_id: int):
    client = clients.get_client_for(me(), client_id)
    session = clients.get_session_for(client, session_id)
    return render("clients/session.html", client=client, session=session, fama=fama)


@bp.route("/<int:client_id>/outcome", methods=["GET", "POST"])
@role_required("keyworker")
def outcome(client_id: int):
    client = clients.get_client_for(me(), client_id)
    form = OutcomeForm(data={"outcome": client.fama_outcome or "", "version": client.version})
    saved = submit(
        form,
        lambda: clients.record_outcome(client, me(), form.outcome.data, form.version.data),
        "The outcome is recorded.",
        _client_url(client),
        stay=True,  # a refusal goes by the choices, with the answer kept
    )
    return saved or render("clients/outcome.html", client=client, form=form)


def _goal_page(
    client: Client, goal: Goal | None, form: GoalForm, action: Callable[[], Any], done: str
) -> Response | str:
    """Save the goal and go back to the client's goals; a refusal goes by its field, with what
    was typed kept."""
    saved = submit(form, action, done, _client_url(client, "goals"), stay=True)
    return saved or render("clients/goal_form.html", client=client, form=form, goal=goal)


@bp.route("/<int:client_id>/goals/new", methods=["GET", "POST"])
@role_required("keyworker")
def new_goal(client_id: int):
    client = clients.get_client_for(me(), client_id)
    form = GoalForm()
    return _goal_page(
        client,
        None,
        form,
        lambda: clients.add_goal(client, me(), **form.data_for("goal", "progress", "remaining")),
        "The goal is added.",
    )


@bp.route("/<int:client_id>/goals/<int:goal_id>", methods=["GET", "POST"])
@role_required("keyworker")
def edit_goal(client_id: int, goal_id: int):
    client = clients.get_client_for(me(), client_id)
    goal = clients.get_goal_for(client, goal_id)
    form = GoalForm.for_goal(goal)
    return _goal_page(
        client,
        goal,
        form,
        lambda: clients.update_goal(client, goal, me(), form.version.data, **form.changes()),
        "The goal is saved.",
    )


@bp.route("/<int:client_id>/journal/new", methods=["GET", "POST"])
@role_required("keyworker")
def new_journal_entry(client_id: int):
    client = clients.get_client_for(me(), client_id)
    form = JournalForm.for_new()
    saved = submit(
        form,
        lambda: clients.add_journal_entry(client, me(), **form.entry()),
        "The journal entry is added.",
        _client_url(client, "journal"),
        stay=True,  # a refusal goes by its field, with what was typed kept
    )
    return saved or render("clients/journal_form.html", client=client, form=form)


SHEETS = {
    "my-meeting": ("clients/sheet_my_meeting.html", "My meeting"),
    "support": ("clients/sheet_support.html", "Support to go to a meeting"),
    "journal": ("clients/sheet_journal.html", "My mutual aid journal"),
}


@bp.route("/<int:client_id>/sheets/<name>")
@role_required("keyworker")
def sheet(client_id: int, name: str):
    client = clients.get_client_for(me(), client_id)
    if name not in SHEETS:
        abort(404)
    template, title = SHEETS[name]
    found = clients.client_sheet(client)
    viewing("client_sheet_printed", client, client_ref=client.reference)
    return render(template, title=title, **vars(found))


def _transfer_forms() -> tuple[TransferSearchForm, TransferForm, clients.TransferPage]:
    """A move names its client in the form (none is a 404); before it, the search box does."""
    if request.method == "POST":
        form = TransferForm()
        found = clients.transfer_page(form.reference.data, required=True)
        search = TransferSearchForm(data={"reference": found.client.reference})
    else:
        search = TransferSearchForm(request.args)
        found = clients.transfer_page(search.reference.data if search.validate() else None)
        form = TransferForm.for_client(found.client)
    form.keyworker_id.choices = found.choices
    return search, form, found


def _transfer_page(
    search: TransferSearchForm, form: TransferForm, found: clients.TransferPage
) -> str:
    return render(
        "clients/transfer.html",
        search=search,
        client=found.client,
        form=form,
        current_name=found.current_name,
        searched=bool(search.reference.data),
    )


@bp.route("/transfer", methods=["GET", "POST"])
@role_required("admin")
def transfer():
    """Admins move a client between caseloads; they see the reference and keyworker only."""
    search, form, found = _transfer_forms()
    client = found.client
    moved = submit(
        form,
        lambda: clients.transfer_client(
            client, int(form.keyworker_id.data), me(), form.version.data
        ),
        "The client is on their new keyworker's caseload.",
        lambda _: url_for("clients.transfer", reference=client.reference),
        stay=True,  # a refusal goes by the list, with the choice kept
    )
    return moved or _transfer_page(search, form, found)
