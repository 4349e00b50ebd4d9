"""Volunteers' pages for offers: see one, accept or decline it, or say they can no longer go."""

from __future__ import annotations

from flask import url_for

from ..audit import viewing
from ..form_flow import refuse, run, submit
from ..web import me, render, role_required
from . import offers as offering
from . import offers_bp as bp
from .escorts import offer_page
from .forms import DeclineForm, ReleaseForm
from .models import Offer

DECLINED = "Thank you for letting us know. The recovery champion will ask someone else."
RELEASED = "Thank you for telling us. The recovery champion will find someone else."


def _own_offer(offer_id: int) -> Offer:
    offer, _volunteer = offering.get_offer_for_volunteer(me(), offer_id)
    return offer


def _offer_url(offer_id: int) -> str:
    return url_for("offers.show", offer_id=offer_id)


def _show(offer_id: int, decline_form: DeclineForm | None = None) -> str:
    offering.expire_offers_if_due()
    page = offer_page(_own_offer(offer_id))
    if page.shows_client_data:
        viewing("offer_viewed", page.offer, client_ref=page.client_ref)
    return render(
        "accompaniment/offer.html",
        page=page,
        decline_form=decline_form or DeclineForm(),
        release_form=ReleaseForm(),
    )


@bp.route("/<int:offer_id>")
@role_required("volunteer")
def show(offer_id: int):
    return _show(offer_id)


@bp.route("/<int:offer_id>/accept", methods=["POST"])
@role_required("volunteer")
def accept(offer_id: int):
    _own_offer(offer_id)
    return run(
        lambda: offering.accept_offer(offer_id, me()),
        "Thank you: you are booked for this escort. The details are below.",
        _offer_url(offer_id),
    )


@bp.route("/<int:offer_id>/decline", methods=["POST"])
@role_required("volunteer")
def decline(offer_id: int):
    _own_offer(offer_id)
    form = DeclineForm()
    declined = submit(
        form,
        lambda: offering.decline_offer(offer_id, me(), form.reason.data),
        DECLINED,
        _offer_url(offer_id),
    )
    return declined or _show(offer_id, form)


@bp.route("/<int:offer_id>/cannot-go", methods=["GET", "POST"])
@role_required("volunteer")
def cannot_go(offer_id: int):
    page = offer_page(_own_offer(offer_id))
    if not page.booked:
        return refuse("You are not booked for this escort.", _offer_url(offer_id))
    form = ReleaseForm()
    released = submit(
        form,
        lambda: offering.release_escort(page.offer.request_id, me(), form.reason.data),
        RELEASED,
        url_for("home.volunteer"),
        back=_offer_url(offer_id),
    )
    return released or render("accompaniment/cannot_go.html", page=page, form=form)
