"""The reports page for commissioners, and a CSV of each of its tables."""

from __future__ import annotations

from flask import Response, abort, request

from ..web import render, role_required
from . import bp
from .forms import RangeForm
from .page import ReportPage, report_page
from .services import report_table
from .tables import table_csv


@bp.route("/")
@role_required("champion", "admin")
def index():
    form = RangeForm(request.args)
    refresh = bool(request.args.get("refresh"))
    page = report_page(form.range, refresh=refresh) if form.validate() else ReportPage()
    return render("reports/index.html", block="results", form=form, **page.context())


@bp.route("/<key>.csv")
@role_required("champion", "admin")
def download(key: str):
    form = RangeForm(request.args)
    if not form.validate():
        abort(400)
    table = report_table(key, form.range)
    if table is None:
        abort(404)
    r = form.range
    response = Response("".join(table_csv(table)), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{key}-{r.start.isoformat()}-to-{r.end.isoformat()}.csv"'
    )
    return response
