from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import check_kinds, handouts, imports, views  # noqa: E402, F401
