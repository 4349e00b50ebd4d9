"""Volunteers' travel expenses: claims per escort, the champion's decision, finance's monthly file."""

from flask import Blueprint

bp = Blueprint("expenses", __name__, url_prefix="/expenses")

from . import views  # noqa: E402, F401
