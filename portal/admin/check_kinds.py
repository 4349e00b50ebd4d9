"""The admin's kinds of check and training ("Naloxone training", "First aid"): add, change,
retire (after a confirmation; the kind and its history are kept) and bring back."""

from __future__ import annotations

from functools import partial

from flask import url_for
from werkzeug.wrappers import Response

from ..form_flow import refuse, run, submit
from ..volunteers import check_kinds as kinds
from ..volunteers.support_forms import CheckKindForm
from ..web import me, paginate, render, role_required
from . import bp
from .forms import VersionedActionForm


def _list_url() -> str:
    return url_for("admin.check_kinds")


@bp.route("/check-kinds")
@role_required("admin")
def check_kinds():
    page = paginate(kinds.check_kinds_statement(me()))
    return render("admin/check_kinds.html", page=page)


@bp.route("/check-kinds/new", methods=["GET", "POST"])
@role_required("admin")
def add_check_kind() -> Response | str:
    form = CheckKindForm()
    done = submit(
        form,
        lambda: kinds.add_check_kind(form.kind(), me()),
        lambda kind: f"{kind.name} added. Champions can record it now.",
        _list_url(),
        by="name",
    )
    return done or render("admin/check_kind_form.html", form=form, kind=None)


@bp.route("/check-kinds/<int:kind_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_check_kind(kind_id: int) -> Response | str:
    kind = kinds.get_check_kind(kind_id, me())
    form = CheckKindForm()
    if form.first_draw:
        form.fill_from(kind)
    change = partial(kinds.update_check_kind, kind, form.kind(), me(), form.version.data)
    done = submit(form, change, "Saved.", _list_url(), by="name")
    return done or render("admin/check_kind_form.html", form=form, kind=kind)


@bp.route("/check-kinds/<int:kind_id>/retire", methods=["GET", "POST"])
@role_required("admin")
def retire_check_kind(kind_id: int) -> Response | str:
    kind = kinds.get_check_kind(kind_id, me())
    form = VersionedActionForm.drawn({"version": kind.version})
    if form.validate_on_submit():
        retire = partial(kinds.retire_check_kind, kind, me(), form.version.data)
        return run(retire, f"{kind.name} retired. Its records are kept.", _list_url())
    return render("admin/check_kind_retire.html", kind=kind, form=form)


@bp.route("/check-kinds/<int:kind_id>/restore", methods=["POST"])
@role_required("admin")
def restore_check_kind(kind_id: int) -> Response:
    kind = kinds.get_check_kind(kind_id, me())
    form = VersionedActionForm()
    if not form.validate_on_submit():
        return refuse("Nothing changed: reload the page and try again.", _list_url())
    restore = partial(kinds.restore_check_kind, kind, me(), form.version.data)
    return run(restore, f"{kind.name} is in use again.", _list_url())
