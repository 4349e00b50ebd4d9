"""The reports page for commissioners, and a CSV of each of its tables."""

from __future__ import annotations

from flask import Response, abort, request

from ..web import render, role_required
from . import bp
from .charts import report_charts
from .forms import RangeForm
from .services import cached_report, report_table
from .tables import table_csv


@bp.route("/")
@role_required("champion", "admin")
def index():
    form = RangeForm(request.args)
    found = (
        cached_report(form.range, refresh=bool(request.args.get("refresh")))
        if form.validate()
        else None
    )
    report = found.report if found else None
    charts = report_charts(report) if report else {}
    return render(
        "reports/index.html",
        block="results",
        form=form,
        report=report,
        charts=charts,
        computed_at=found.computed_at if found else None,
    )


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
