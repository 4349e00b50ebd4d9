"""Routes of the expenses package (see CONTRIBUTING.md): the volunteer's claims and the
champion's decisions. Finance's month pages are in finance_views.py."""

from __future__ import annotations

from flask import Response, flash, url_for

from ..form_flow import submit
from ..web import me, paginate, redirect_303, render, role_required
from . import bp
from . import services as expenses
from .forms import ClaimForm, DecideForm, DeclineForm
from .tickets import read_upload, ticket_path

VOLUNTEER, CHAMPION = "volunteer", "champion"


@bp.route("/")
@role_required(VOLUNTEER)
def mine():
    lines = expenses.own_claims(me())
    return render(
        "expenses/mine.html",
        lines=lines,
        totals=expenses.totals(lines),
        to_claim=expenses.escorts_to_claim(me()),
    )


def _make_claim(request_id: int, form: ClaimForm):
    upload = form.ticket.data
    ticket = read_upload(upload.stream) if upload and hasattr(upload, "stream") else None
    return expenses.make_claim(request_id, me(), ticket=ticket, **form.claim())


@bp.route("/escorts/<int:request_id>/claim", methods=["GET", "POST"])
@role_required(VOLUNTEER)
def claim_escort(request_id: int):
    escort = expenses.escort_to_claim(request_id, me())
    if expenses.existing_claim(request_id, me()) is not None:
        flash("You have claimed for this escort already.", "success")
        return redirect_303(url_for("expenses.mine"))
    form = ClaimForm()
    done = submit(
        form,
        lambda: _make_claim(request_id, form),
        "Claim sent. The recovery champion will look at it.",
        url_for("expenses.mine"),
    )
    rate = expenses.mileage_rate()
    return done or render("expenses/claim.html", form=form, escort=escort, rate=rate)


@bp.route("/claims/<int:claim_id>/withdraw", methods=["GET", "POST"])
@role_required(VOLUNTEER)
def withdraw(claim_id: int):
    claim = expenses.own_claim(claim_id, me())
    form = DecideForm.drawn(obj=claim)
    done = submit(
        form,
        lambda: expenses.withdraw_claim(claim, form.version.data, me()),
        "Claim withdrawn.",
        url_for("expenses.mine"),
    )
    return done or render("expenses/withdraw.html", form=form, claim=claim)


@bp.route("/claims/<int:claim_id>/ticket")
@role_required(VOLUNTEER, CHAMPION)
def ticket(claim_id: int):
    claim = expenses.ticket_of(claim_id, me())
    path = ticket_path(claim.ticket_file or "")
    if path is None:
        return render("expenses/no_ticket.html"), 404
    name = f"ticket-claim-{claim.id}{path.suffix}"
    response = Response(path.read_bytes(), mimetype=claim.ticket_type)  # 5 MB at most
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/waiting")
@role_required(CHAMPION)
def waiting():
    page = paginate(expenses.waiting_claims(), scalars=False)
    page.items = expenses.claim_lines(page.items)
    return render("expenses/waiting.html", block="results", page=page)


@bp.route("/claims/<int:claim_id>")
@role_required(CHAMPION)
def review(claim_id: int):
    line = expenses.claim_for_champion(claim_id, me())
    form = DecideForm.drawn(obj=line.claim)
    return render("expenses/review.html", line=line, form=form)


@bp.route("/claims/<int:claim_id>/approve", methods=["POST"])
@role_required(CHAMPION)
def approve(claim_id: int):
    line = expenses.claim_for_champion(claim_id, me())
    form = DecideForm()
    done = submit(
        form,
        lambda: expenses.approve_claim(line.claim, form.version.data, me()),
        "Claim approved. The volunteer has been told.",
        url_for("expenses.waiting"),
    )
    return done or render("expenses/review.html", line=line, form=form)


@bp.route("/claims/<int:claim_id>/decline", methods=["GET", "POST"])
@role_required(CHAMPION)
def decline(claim_id: int):
    line = expenses.claim_for_champion(claim_id, me())
    form = DeclineForm.drawn(obj=line.claim)
    done = submit(
        form,
        lambda: expenses.decline_claim(line.claim, form.version.data, form.reason.data, me()),
        "Claim declined. The volunteer has been told why.",
        url_for("expenses.waiting"),
    )
    return done or render("expenses/decline.html", line=line, form=form)


from . import finance_views  # noqa: E402, F401
