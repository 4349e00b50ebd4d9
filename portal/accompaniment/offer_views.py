"""Volunteers' pages for offers: see one, accept or decline it, or say they can no longer go."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_login import current_user

from ..errors import Conflict, InvalidChange, NotFound
from ..web import redirect_303, render, role_required
from . import offers as offering
from . import offers_bp as bp
from .escorts import offer_page
from .forms import DeclineForm, ReleaseForm
from .looks import record_look


def _me():
    return current_user._get_current_object()


def _own_offer(offer_id: int):
    try:
        offer, _volunteer = offering.get_offer_for_volunteer(_me(), offer_id)
    except NotFound:
        abort(404)
    return offer


def _show(offer_id: int, decline_form: DeclineForm | None = None):
    offering.expire_offers_if_due()
    page = offer_page(_own_offer(offer_id))
    html = render(
        "accompaniment/offer.html",
        page=page,
        decline_form=decline_form or DeclineForm(),
        release_form=ReleaseForm(),
    )
    if page.shows_client_data:
        record_look("offer_viewed", page.offer, page.client_ref)
    return html


@bp.route("/<int:offer_id>")
@role_required("volunteer")
def show(offer_id: int):
    return _show(offer_id)


def _back(offer_id: int):
    return redirect_303(url_for("offers.show", offer_id=offer_id))


@bp.route("/<int:offer_id>/accept", methods=["POST"])
@role_required("volunteer")
def accept(offer_id: int):
    _own_offer(offer_id)
    try:
        offering.accept_offer(offer_id, _me())
    except NotFound:
        abort(404)
    except InvalidChange as error:
        flash(error.message, "error")
    else:
        flash("Thank you: you are booked for this escort. The details are below.", "success")
    return _back(offer_id)


@bp.route("/<int:offer_id>/decline", methods=["POST"])
@role_required("volunteer")
def decline(offer_id: int):
    _own_offer(offer_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _show(offer_id, form)
    try:
        offering.decline_offer(offer_id, _me(), form.reason.data)
    except NotFound:
        abort(404)
    except InvalidChange as error:
        if error.field:
            form.reason.errors = [error.message]
            return _show(offer_id, form)
        flash(error.message, "error")
    else:
        flash(
            "Thank you for letting us know. The recovery champion will ask someone else.", "success"
        )
    return _back(offer_id)


@bp.route("/<int:offer_id>/cannot-go", methods=["GET", "POST"])
@role_required("volunteer")
def cannot_go(offer_id: int):
    offer = _own_offer(offer_id)
    page = offer_page(offer)
    if not page.booked:
        flash("You are not booked for this escort.", "error")
        return _back(offer_id)
    form = ReleaseForm()
    if form.validate_on_submit():
        try:
            offering.release_escort(offer.request_id, _me(), form.reason.data)
        except InvalidChange as error:
            if error.field:
                form.reason.errors = [error.message]
            else:
                flash(error.message, "error")
                return _back(offer_id)
        except Conflict as error:
            return render(
                "errors/error.html",
                code=409,
                title="This changed while you were looking",
                body=error.message,
            ), 409
        else:
            flash(
                "Thank you for telling us. The recovery champion will find someone else.", "success"
            )
            return redirect_303(url_for("home.volunteer"))
    return render("accompaniment/cannot_go.html", page=page, form=form)
