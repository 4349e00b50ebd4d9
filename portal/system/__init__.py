from flask import Blueprint

bp = Blueprint("system", __name__)

from . import views  # noqa: E402, F401
