"""Accompaniment requests, offers, outcomes and safety checks."""

from flask import Blueprint

bp = Blueprint("accompaniment", __name__, url_prefix="/requests")
# Volunteers answer offers at /offers/<id>: a sibling blueprint registered with this one.
offers_bp = Blueprint("offers", __name__, url_prefix="/offers")


@bp.record_once
def _register_offers(state) -> None:
    state.app.register_blueprint(offers_bp)


# text_replies registers the handler for "YES 4821" / "NO 4821" texts with the channel.
from . import coordination_views, offer_views, text_replies, views  # noqa: E402, F401
