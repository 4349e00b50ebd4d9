"""Volunteers' travel expenses: claims per escort, the champion's decision, the monthly file."""

from flask import Blueprint

bp = Blueprint("expenses", __name__, url_prefix="/expenses")


@bp.context_processor
def _money() -> dict:
    from .models import pounds

    return {"pounds": pounds}


from . import erasure, views  # noqa: E402, F401
