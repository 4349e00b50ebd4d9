"""Keyworkers' clients with the least data, their FAMA sessions, goals and journal."""

from flask import Blueprint

bp = Blueprint("clients", __name__, url_prefix="/clients")

from . import views  # noqa: E402, F401
from .handout_views import blank_bp  # noqa: E402, F401  (after views: its imports go first)
