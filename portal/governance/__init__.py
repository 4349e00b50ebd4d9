"""Data protection: subject access exports, retention and erasure (UK GDPR Articles 15 and 17)."""

from flask import Blueprint

# The admin's data-protection pages keep their /admin/data-protection addresses.
bp = Blueprint("governance", __name__, url_prefix="/admin")

from . import views  # noqa: E402, F401
