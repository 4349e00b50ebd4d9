"""The recovery champion's pages: the queue, one request with its ranked peers, proposals."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user

from ..errors import Conflict, InvalidChange, NotAllowed, NotFound
from ..web import query_text, redirect_303, render, role_required
from . import bp
from . import coordination as champion
from . import offers as offering
from .escorts import peer_contacts
from .forms import AnswerForm, ConflictForm, OfferForm, OfferTopForm, ReleaseForm, WithdrawForm
from .looks import record_look
from .models import OFFER_STATES, STATES, WITHDRAW_CODES

CHAMPION = "champion"


def _me():
    return current_user._get_current_object()


def _conflict_page(error: Conflict):
    return render(
        "errors/error.html",
        code=409,
        title="This changed while you were looking",
        body=error.message,
    ), 409


def _back(request_id: int):
    return redirect_303(url_for("accompaniment.coordinate", request_id=request_id))


@bp.app_template_global()
def peers_for(request_ids) -> dict:
    """Who goes with each of these requests' clients (one query), for keyworkers' pages."""
    return peer_contacts(request_ids)


@bp.app_template_global()
def requests_waiting() -> dict[str, int]:
    """How many requests wait for a volunteer, for the champion's home page."""
    return champion.waiting_counts()


@bp.route("/queue")
@role_required(CHAMPION)
def queue():
    fellowship = request.args.get("fellowship", type=int)
    state = query_text("state", 10)
    filters = champion.QueueFilters(
        fellowship_id=fellowship if fellowship and 0 < fellowship < 10**9 else None,
        area=query_text("area"),
        state=state if state in champion.QUEUE_STATES else "live",
    )
    page, rows = champion.queue(filters, _me())
    fellowships, areas = champion.queue_options()
    return render(
        "accompaniment/queue.html",
        block="results",
        page=page,
        rows=rows,
        filters=filters,
        fellowships=fellowships,
        areas=areas,
        states=champion.QUEUE_STATES,
        request_states=STATES,
    )


def _board_page(request_id: int, conflict_form: ConflictForm | None = None):
    try:
        board = champion.view_board(request_id, _me())
    except NotFound:
        abort(404)
    top_form = OfferTopForm()
    top_form.count.choices = [(str(n), f"Top {n}") for n in board.top_choices]
    if conflict_form is None:
        conflict_form = ConflictForm()
    page = render(
        "accompaniment/coordinate.html",
        board=board,
        item=board.item,
        offer_form=OfferForm(),
        top_form=top_form,
        conflict_form=conflict_form,
        offer_states=OFFER_STATES,
        withdraw_codes=WITHDRAW_CODES,
        request_states=STATES,
    )
    record_look("request_viewed_by_champion", board.item.request, board.item.client.reference)
    return page


@bp.route("/<int:request_id>/coordinate")
@role_required(CHAMPION)
def coordinate(request_id: int):
    return _board_page(request_id)


def _run(request_id: int, action, success: str):
    """Call a one-button service; refusals are flashed on the request page."""
    try:
        action()
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except Conflict as error:
        return _conflict_page(error)
    except InvalidChange as error:
        flash(error.message, "error")
    else:
        flash(success, "success")
    return _back(request_id)


@bp.route("/<int:request_id>/offer", methods=["POST"])
@role_required(CHAMPION)
def offer(request_id: int):
    form = OfferForm()
    if not form.validate_on_submit():
        flash("Choose a volunteer from the list to offer this to.", "error")
        return _back(request_id)
    return _run(
        request_id,
        lambda: offering.offer_to_one(request_id, form.volunteer_id.data, _me()),
        "The offer is sent. You will hear when they answer.",
    )


@bp.route("/<int:request_id>/offer-top", methods=["POST"])
@role_required(CHAMPION)
def offer_top(request_id: int):
    try:
        board = champion.request_board(request_id, _me())
    except NotFound:
        abort(404)
    form = OfferTopForm()
    form.count.choices = [(str(n), f"Top {n}") for n in board.top_choices]
    if not form.validate_on_submit():
        flash("Choose how many volunteers to ask.", "error")
        return _back(request_id)
    count = int(form.count.data)
    return _run(
        request_id,
        lambda: offering.offer_to_top(request_id, count, _me(), board.waiting_ids),
        f"The offer is sent to {count} volunteers at once. The first to accept goes.",
    )


def _offer_and_request(offer_id: int):
    try:
        return champion.offer_row(offer_id, _me())
    except NotFound:
        abort(404)


@bp.route("/offers/<int:offer_id>/answer", methods=["GET", "POST"])
@role_required(CHAMPION)
def record_answer(offer_id: int):
    row, item = _offer_and_request(offer_id)
    if not row.phone_only:
        abort(404)
    form = AnswerForm()
    if row.offer.state != "pending":
        flash("This offer is no longer waiting for an answer.", "error")
        return _back(item.request.id)
    if form.validate_on_submit():
        try:
            if form.answer.data == "accept":
                offering.accept_offer(offer_id, _me())
                message = f"{row.name}'s yes is recorded: the escort is booked."
            else:
                offering.decline_offer(offer_id, _me(), form.reason.data)
                message = f"{row.name}'s no is recorded."
        except NotFound:
            abort(404)
        except InvalidChange as error:
            if error.field and hasattr(form, error.field):
                getattr(form, error.field).errors = [error.message]
            else:
                flash(error.message, "error")
                return _back(item.request.id)
        else:
            flash(message, "success")
            return _back(item.request.id)
    return render("accompaniment/record_answer.html", row=row, item=item, form=form)


@bp.route("/offers/<int:offer_id>/withdraw", methods=["GET", "POST"])
@role_required(CHAMPION)
def withdraw_offer(offer_id: int):
    row, item = _offer_and_request(offer_id)
    form = WithdrawForm()
    if row.offer.state != "pending":
        flash("This offer was already answered or closed.", "error")
        return _back(item.request.id)
    if form.validate_on_submit():
        try:
            offering.withdraw_offer(offer_id, _me(), form.reason.data)
        except InvalidChange as error:
            flash(error.message, "error")
        else:
            flash(f"The offer to {row.name} is withdrawn.", "success")
        return _back(item.request.id)
    return render("accompaniment/withdraw_offer.html", row=row, item=item, form=form)


@bp.route("/<int:request_id>/release", methods=["GET", "POST"])
@role_required(CHAMPION)
def release(request_id: int):
    try:
        item = champion.get_loaded_request(request_id)
    except NotFound:
        abort(404)
    volunteer = champion.booked_volunteer(item)
    if volunteer is None or item.request.state != "accepted":
        flash("No volunteer is booked for this request.", "error")
        return _back(request_id)
    form = ReleaseForm()
    if form.validate_on_submit():
        try:
            offering.release_escort(request_id, _me(), form.reason.data)
        except InvalidChange as error:
            if error.field:
                form.reason.errors = [error.message]
            else:
                flash(error.message, "error")
                return _back(request_id)
        except Conflict as error:
            return _conflict_page(error)
        else:
            flash(
                "The volunteer is released and the request is open again: offer it to "
                "someone else.",
                "success",
            )
            return _back(request_id)
    return render("accompaniment/release.html", volunteer=volunteer, item=item, form=form)


@bp.route("/<int:request_id>/conflicts", methods=["POST"])
@role_required(CHAMPION)
def conflict_add(request_id: int):
    form = ConflictForm()
    if form.validate_on_submit():
        try:
            offering.record_conflict(request_id, form.volunteer_id.data, form.note.data, _me())
        except InvalidChange as error:
            field = getattr(form, error.field or "", None)
            if field is not None:
                field.errors = [error.message]
            else:
                flash(error.message, "error")
        except NotFound:
            abort(404)
        else:
            flash(
                "The conflict of interest is recorded: that volunteer will not be matched "
                "with this client.",
                "success",
            )
            return _back(request_id)
    return _board_page(request_id, form)


@bp.route("/<int:request_id>/conflicts/<int:conflict_id>/remove", methods=["POST"])
@role_required(CHAMPION)
def conflict_remove(request_id: int, conflict_id: int):
    return _run(
        request_id,
        lambda: offering.remove_conflict(request_id, conflict_id, _me()),
        "The conflict of interest is removed.",
    )


@bp.route("/proposals", methods=["GET", "POST"])
@role_required(CHAMPION)
def proposals():
    from ..forms import Form

    form = Form()
    if request.method == "POST" and form.validate_on_submit():
        pairs = champion.parse_pairs(request.form.getlist("pair"))
        try:
            result = champion.send_proposed_offers(pairs, _me())
        except InvalidChange as error:
            flash(error.message, "error")
            return redirect_303(url_for("accompaniment.proposals"))
        except Conflict as error:
            return _conflict_page(error)
        sent = f"{result.sent} {'offer' if result.sent == 1 else 'offers'} sent."
        flash(sent, "success")
        for line in result.skipped[:20]:
            flash(f"Not sent: {line}", "error")
        return redirect_303(url_for("accompaniment.queue"))
    proposal = champion.propose_pairings(_me(), refresh=bool(request.args.get("refresh")))
    return render("accompaniment/proposals.html", proposal=proposal, form=form)
