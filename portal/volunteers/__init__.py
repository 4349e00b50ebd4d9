"""Volunteers: recruitment, vetting, safeguarding records, availability, their own space."""

from flask import Blueprint

bp = Blueprint("volunteers", __name__)

from . import views  # noqa: E402, F401
