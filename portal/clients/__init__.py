"""Keyworkers' clients with the least data, their FAMA sessions, goals and journal."""

from flask import Blueprint

bp = Blueprint("clients", __name__, url_prefix="/clients")

from . import views  # noqa: E402, F401
