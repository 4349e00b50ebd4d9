"""Accompaniment requests, offers, outcomes and safety checks."""

from flask import Blueprint

bp = Blueprint("accompaniment", __name__, url_prefix="/requests")
# Volunteers answer offers at /offers/<id>: a sibling blueprint registered with this one.
offers_bp = Blueprint("offers", __name__, url_prefix="/offers")


@bp.record_once
def _register_offers(state) -> None:
    state.app.register_blueprint(offers_bp)


from . import coordination_views, offer_views, views  # noqa: E402, F401
