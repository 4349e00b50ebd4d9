"""Safety on the day of an escort: check-in, check-out, help, the Today board, and outcomes."""

from flask import Blueprint

bp = Blueprint("safety", __name__, url_prefix="/safety")

from . import rota_views, views  # noqa: E402, F401
