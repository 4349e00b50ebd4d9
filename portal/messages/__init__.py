"""Messages from the champion to volunteers, and the volunteers' replies."""

from flask import Blueprint

bp = Blueprint("messages", __name__, url_prefix="/messages")

from . import views  # noqa: E402, F401
