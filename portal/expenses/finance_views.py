"""Finance's pages: pick a month, see its approved claims, download them, mark them paid."""

from __future__ import annotations

from flask import Response, request, stream_with_context, url_for

from ..audit import audit
from ..extensions import db
from ..form_flow import submit
from ..web import me, paginate, redirect_303, render, role_required
from . import bp, finance
from .forms import PaidForm

FINANCE = ("champion", "admin")
MONTH = "/<int(fixed_digits=4):year>-<int(fixed_digits=2):month>"


@bp.route("/months")
@role_required(*FINANCE)
def months():
    choices = finance.recent_months()
    chosen = request.args.get("month", "")
    for month in choices:
        if month.key == chosen:
            return redirect_303(url_for("expenses.month", year=month.year, month=month.month))
    error = "Select a month from the list" if chosen else None
    return render("expenses/months.html", choices=choices, error=error)


@bp.route(MONTH)
@role_required(*FINANCE)
def month(year: int, month: int):
    chosen = finance.month_of(year, month)
    page = paginate(finance.month_rows(chosen), scalars=False)
    totals = finance.month_totals(chosen)
    return render("expenses/month.html", month=chosen, page=page, totals=totals)


@bp.route(MONTH + ".csv")
@role_required(*FINANCE)
def month_csv(year: int, month: int):
    chosen = finance.month_of(year, month)
    audit("expenses_exported", detail={"month": chosen.key})
    db.session.commit()
    response = Response(stream_with_context(finance.month_csv(chosen)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="expenses-{chosen.key}.csv"'
    return response


@bp.route(MONTH + "/paid", methods=["GET", "POST"])
@role_required(*FINANCE)
def mark_paid(year: int, month: int):
    chosen = finance.month_of(year, month)
    totals = finance.month_totals(chosen)
    form = PaidForm.drawn({"seen": totals.seen})
    back = url_for("expenses.month", year=year, month=month)
    done = submit(
        form,
        lambda: finance.mark_month_paid(chosen, form.seen.data, me()),
        lambda count: f"{count} {'claim' if count == 1 else 'claims'} marked as paid.",
        back,
    )
    return done or render("expenses/paid.html", month=chosen, totals=totals, form=form)
