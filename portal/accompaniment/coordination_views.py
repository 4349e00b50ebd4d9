"""The recovery champion's pages: the queue, one request with its ranked peers, proposals."""

from __future__ import annotations

from flask import flash, request, url_for

from ..audit import viewing
from ..errors import InvalidChange
from ..form_flow import refuse, run, submit
from ..forms import Form
from ..web import me, query_text, redirect_303, render, role_required
from . import bp
from . import coordination as champion
from . import offers as offering
from .escorts import peer_contacts
from .forms import AnswerForm, ConflictForm, OfferForm, OfferTopForm, ReleaseForm, WithdrawForm
from .models import OFFER_STATES, STATES, WITHDRAW_CODES

CHAMPION = "champion"
RELEASED = "The volunteer is released and the request is open again: offer it to someone else."
CONFLICT_RECORDED = (
    "The conflict of interest is recorded: that volunteer will not be matched with this client."
)


def _board_url(request_id: int) -> str:
    return url_for("accompaniment.coordinate", request_id=request_id)


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
    filters = champion.QueueFilters.from_query(
        request.args.get("fellowship", type=int), query_text("area"), query_text("state", 10)
    )
    page = champion.queue_page(filters, me())
    return render("accompaniment/queue.html", block="results", **page.context())


def _board_page(request_id: int, conflict_form: ConflictForm | None = None) -> str:
    board = champion.view_board(request_id, me())
    viewing(
        "request_viewed_by_champion", board.item.request, client_ref=board.item.client.reference
    )
    return render(
        "accompaniment/coordinate.html",
        board=board,
        item=board.item,
        offer_form=OfferForm(),
        top_form=OfferTopForm.for_board(board),
        conflict_form=conflict_form or ConflictForm(),
        offer_states=OFFER_STATES,
        withdraw_codes=WITHDRAW_CODES,
        request_states=STATES,
    )


@bp.route("/<int:request_id>/coordinate")
@role_required(CHAMPION)
def coordinate(request_id: int):
    return _board_page(request_id)


@bp.route("/<int:request_id>/offer", methods=["POST"])
@role_required(CHAMPION)
def offer(request_id: int):
    form = OfferForm()
    if not form.validate_on_submit():
        return refuse("Choose a volunteer from the list to offer this to.", _board_url(request_id))
    return run(
        lambda: offering.offer_to_one(request_id, form.volunteer_id.data, me()),
        "The offer is sent. You will hear when they answer.",
        _board_url(request_id),
    )


@bp.route("/<int:request_id>/offer-top", methods=["POST"])
@role_required(CHAMPION)
def offer_top(request_id: int):
    board = champion.request_board(request_id, me())
    form = OfferTopForm.for_board(board)
    if not form.validate_on_submit():
        return refuse("Choose how many volunteers to ask.", _board_url(request_id))
    count = int(form.count.data)
    return run(
        lambda: offering.offer_to_top(request_id, count, me(), board.waiting_ids),
        f"The offer is sent to {count} volunteers at once. The first to accept goes.",
        _board_url(request_id),
    )


@bp.route("/offers/<int:offer_id>/answer", methods=["GET", "POST"])
@role_required(CHAMPION)
def record_answer(offer_id: int):
    row, item = champion.phone_offer_row(offer_id, me())
    form = AnswerForm()
    if row.offer.state != "pending":
        return refuse("This offer is no longer waiting for an answer.", _board_url(item.request.id))
    answered = submit(
        form,
        lambda: offering.record_phone_answer(offer_id, me(), form.answer.data, form.reason.data),
        form.recorded(),
        _board_url(item.request.id),
    )
    return answered or render("accompaniment/record_answer.html", row=row, item=item, form=form)


@bp.route("/offers/<int:offer_id>/withdraw", methods=["GET", "POST"])
@role_required(CHAMPION)
def withdraw_offer(offer_id: int):
    row, item = champion.offer_row(offer_id, me())
    form = WithdrawForm()
    if row.offer.state != "pending":
        return refuse("This offer was already answered or closed.", _board_url(item.request.id))
    if form.validate_on_submit():
        return run(
            lambda: offering.withdraw_offer(offer_id, me(), form.reason.data),
            "The offer is withdrawn.",
            _board_url(item.request.id),
        )
    return render("accompaniment/withdraw_offer.html", row=row, item=item, form=form)


@bp.route("/<int:request_id>/release", methods=["GET", "POST"])
@role_required(CHAMPION)
def release(request_id: int):
    item = champion.get_loaded_request(request_id)
    volunteer = champion.booked_volunteer(item)
    if volunteer is None or item.request.state != "accepted":
        return refuse("No volunteer is booked for this request.", _board_url(request_id))
    form = ReleaseForm()
    released = submit(
        form,
        lambda: offering.release_escort(request_id, me(), form.reason.data),
        RELEASED,
        _board_url(request_id),
    )
    return released or render(
        "accompaniment/release.html", volunteer=volunteer, item=item, form=form
    )


@bp.route("/<int:request_id>/conflicts", methods=["POST"])
@role_required(CHAMPION)
def conflict_add(request_id: int):
    form = ConflictForm()
    recorded = submit(
        form,
        lambda: offering.record_conflict(request_id, form.volunteer_id.data, form.note.data, me()),
        CONFLICT_RECORDED,
        _board_url(request_id),
        stay=True,  # the board is drawn again with the champion's choice and note kept
    )
    return recorded or _board_page(request_id, form)


@bp.route("/<int:request_id>/conflicts/<int:conflict_id>/remove", methods=["POST"])
@role_required(CHAMPION)
def conflict_remove(request_id: int, conflict_id: int):
    return run(
        lambda: offering.remove_conflict(request_id, conflict_id, me()),
        "The conflict of interest is removed.",
        _board_url(request_id),
    )


@bp.route("/proposals", methods=["GET", "POST"])
@role_required(CHAMPION)
def proposals():
    form = Form()
    if form.validate_on_submit():
        pairs = champion.parse_pairs(request.form.getlist("pair"))
        try:
            result = champion.send_proposed_offers(pairs, me())
        except InvalidChange as error:
            return refuse(error.message, url_for("accompaniment.proposals"))
        for text, category in result.messages():
            flash(text, category)
        return redirect_303(url_for("accompaniment.queue"))
    proposal = champion.propose_pairings(me(), refresh=bool(request.args.get("refresh")))
    return render("accompaniment/proposals.html", proposal=proposal, form=form)
