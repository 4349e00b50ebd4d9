"""Accompaniment requests, offers, outcomes and safety checks."""

from flask import Blueprint

bp = Blueprint("accompaniment", __name__, url_prefix="/requests")

from . import views  # noqa: E402,F401
