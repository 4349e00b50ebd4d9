"""Printing the hand-outs: filled in for one of a keyworker's clients, or blank for anyone.

A4 by default; `?large=1` gives the large-print version (bigger type, one column).
"""

from __future__ import annotations

from flask import Blueprint, request

from ..audit import viewing
from ..web import me, render, role_required
from . import bp
from . import services as clients
from .handouts import WORKSHEETS, check_key, current_handout, fill_for, library
from .models import Client

# Blank copies show no one's data, so they live outside /clients, at /handouts.
blank_bp = Blueprint("handouts", __name__, url_prefix="/handouts")
bp.record_once(lambda state: state.app.register_blueprint(blank_bp))

STAFF = ("keyworker", "champion", "admin")


def _printed(key: str, client: Client | None) -> str:
    """Hand-out `key` (or a worksheet) ready to print, for `client` or blank."""
    large = request.args.get("large") == "1"
    if key in WORKSHEETS:
        filled = fill_for(key, client)
        return render(WORKSHEETS[key], filled=filled, client=client, large=large)
    handout = current_handout(check_key(key))
    filled = fill_for(key, client)
    return render(
        "clients/handout.html", handout=handout, filled=filled, client=client, large=large
    )


@bp.route("/<int:client_id>/handouts")
@role_required("keyworker")
def handouts(client_id: int):
    client = clients.get_client_for(me(), client_id)
    return render("clients/handout_library.html", client=client, handouts=library())


@bp.route("/<int:client_id>/handouts/<key>")
@role_required("keyworker")
def handout(client_id: int, key: str):
    client = clients.get_client_for(me(), client_id)
    page = _printed(key, client)
    viewing("client_handout_printed", client, client_ref=client.reference)
    return page


@blank_bp.route("/")
@role_required(*STAFF)
def library_page():
    return render("clients/handout_library.html", client=None, handouts=library())


@blank_bp.route("/<key>")
@role_required(*STAFF)
def blank(key: str):
    return _printed(key, None)
