"""Data protection for the admin: find a person, export their record, erase it; retention."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, flash, request, url_for

from ..errors import Conflict, InvalidChange
from ..web import me, redirect_303, render, role_required, show_error
from . import bp
from .erasure import anonymised_on, erase_subject, erasure_page
from .export import export_json, export_subject
from .forms import EraseForm, PersonSearchForm, RetentionRunForm
from .people import find_people, get_subject
from .retention import due_for_retention, retention_page, run_retention

SUBJECT = "/data-protection/<any(client, volunteer):kind>/<int:subject_id>"
# No name or reference: flashes sit in the session cookie.
ERASED = "Personal details erased. The records that must stay were kept."


def show_value(value: Any) -> str:
    """A stored value as a person reads it on the printable page."""
    if value is None or value == "" or value == []:
        return "–"
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@bp.route("/data-protection")
@role_required("admin")
def data_protection():
    form = PersonSearchForm(request.args)
    results = None
    if "q" in request.args and form.validate():
        results = find_people(form.kind.data, form.q.data)
    clients, volunteers = due_for_retention()
    return render(
        "governance/index.html",
        block="results",
        form=form,
        results=results,
        due=len(clients) + len(volunteers),
    )


@bp.route("/data-protection/retention", methods=["GET", "POST"])
@role_required("admin")
def retention():
    form = RetentionRunForm()
    if form.validate_on_submit():
        flash(run_retention(actor=me()).summary(), "success")
        return redirect_303(url_for("governance.retention"))
    return render("governance/retention.html", form=form, **retention_page())


@bp.route(SUBJECT)
@role_required("admin")
def subject_access(kind: str, subject_id: int):
    subject = get_subject(kind, subject_id)
    export = export_subject(kind, subject, "page")
    return render(
        "governance/subject_access.html",
        export=export,
        kind=kind,
        subject=subject,
        anonymised=anonymised_on(kind, subject.id),
        show_value=show_value,
    )


@bp.route(SUBJECT + ".json")
@role_required("admin")
def subject_access_json(kind: str, subject_id: int):
    subject = get_subject(kind, subject_id)
    export = export_subject(kind, subject, "json")
    response = Response(export_json(export), mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="subject-access-{kind}-{subject.id}.json"'
    )
    return response


@bp.route(SUBJECT + "/erase", methods=["GET", "POST"])
@role_required("admin")
def erase(kind: str, subject_id: int):
    page = erasure_page(kind, subject_id)
    form = EraseForm()
    if page.anonymised is None and form.validate_on_submit():
        try:
            erase_subject(kind, page.subject, me(), form.confirmation.data)
        except InvalidChange as error:
            show_error(form, error)
        except Conflict as error:  # the erase page again, the typed confirmation kept, and a 409
            flash(error.message, "error")
            return render("governance/erase.html", form=form, **page.context()), 409
        else:
            flash(ERASED, "success")
            return redirect_303(url_for("governance.data_protection"))
    return render("governance/erase.html", form=form, **page.context())
