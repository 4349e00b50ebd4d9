"""The champion's tasks: things to do by a date (a volunteer's request for a chat, and others)."""

from flask import Blueprint

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

from . import views  # noqa: E402, F401
