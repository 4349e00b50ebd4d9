"""Messages to people: in the portal, and by email through an outbox that a worker drains."""

from flask import Blueprint

bp = Blueprint("notify", __name__, url_prefix="/messages")

from . import text_views, views  # noqa: E402, F401
