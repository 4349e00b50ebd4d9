"""Accompaniment requests, offers, outcomes and safety checks."""

from flask import Blueprint

bp = Blueprint("accompaniment", __name__)

from . import views  # noqa: E402,F401
