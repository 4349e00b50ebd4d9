"""Reports for commissioners: what the service's work achieves, aggregated in SQL."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from . import views  # noqa: E402, F401
