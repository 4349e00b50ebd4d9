"""The champion's week rota page, and its print-friendly view (`?print=1`)."""

from __future__ import annotations

from flask import request

from ..web import me, query_text, render, role_required
from . import bp
from .rota import RotaFilters, rota_page


@bp.route("/rota")
@role_required("champion")
def rota():
    filters = RotaFilters.from_query(
        request.args.get("fellowship", type=int),
        request.args.get("volunteer", type=int),
        query_text("area"),
    )
    printing = request.args.get("print") == "1"
    page = rota_page(me(), filters)
    return render("safety/rota.html", block="results", rota=page, printing=printing)
