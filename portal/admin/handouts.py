"""The admin's hand-outs: each one's wording for this service, its earlier versions, and the
way back to the portal's standard wording (after a confirmation)."""

from __future__ import annotations

from functools import partial

from flask import flash, url_for
from werkzeug.wrappers import Response

from ..clients import handouts as library
from ..clients.handouts import HEADING_LIMIT, MAX_SECTIONS, TEXT_LIMIT, Handout
from ..errors import Conflict
from ..form_flow import submit
from ..forms import Form, VersionField, box, line
from ..web import me, paginate, redirect_303, render, role_required
from . import bp
from .forms import VersionedActionForm

SPARE_SECTIONS = 2  # empty sections under the last one, to add to the hand-out


def _handout_form_class() -> type[Form]:
    """A heading and a box of words for each of up to MAX_SECTIONS sections."""
    fields: dict[str, object] = {"version": VersionField(required=True)}
    for number in range(1, MAX_SECTIONS + 1):
        what = f"Section {number}"
        fields[f"heading_{number}"] = line(
            f"{what} heading",
            HEADING_LIMIT,
            too_long=f"{what} heading: enter {HEADING_LIMIT} characters or fewer",
        )
        fields[f"text_{number}"] = box(
            f"{what} words",
            TEXT_LIMIT,
            too_long=f"{what} words: enter {TEXT_LIMIT} characters or fewer",
        )
    return type("HandoutForm", (Form,), fields)


HandoutForm = _handout_form_class()


def _drawn(handout: Handout) -> Form:
    """The form as sent, or showing the wording in force when first drawn."""
    data: dict[str, object] = {"version": handout.version}
    for number, section in enumerate(handout.sections, start=1):
        data[f"heading_{number}"] = section["heading"]
        data[f"text_{number}"] = library.to_text(section["blocks"])
    return HandoutForm.drawn(data)


def _parts(form: Form) -> list[tuple[object, object]]:
    return [(form[f"heading_{n}"].data, form[f"text_{n}"].data) for n in range(1, MAX_SECTIONS + 1)]


def _shown(form: Form, handout: Handout) -> int:
    """How many sections the form shows: every one with words in, and two spare."""
    used = [n for n, part in enumerate(_parts(form), start=1) if any(part)]
    return min(MAX_SECTIONS, max([len(handout.sections), *used]) + SPARE_SECTIONS)


def _edit_page(handout: Handout, form: Form, conflict: str | None = None) -> str:
    return render(
        "admin/handout_form.html",
        handout=handout,
        form=form,
        shown=_shown(form, handout),
        conflict=conflict,
    )


def _saved(version: int | None) -> str:
    if version is None:
        return "Nothing changed: the hand-out already says this."
    return f"Saved as version {version}. It prints from now on."


@bp.route("/handouts")
@role_required("admin")
def handouts():
    return render("admin/handouts.html", handouts=library.library())


def _drawn_over_latest(key: str, form: Form) -> Handout:
    """After a clash, the admin's words are kept and drawn over the version now in force."""
    handout = library.current_handout(key)
    form.version.data, form.version.raw_data = handout.version, None
    return handout


@bp.route("/handouts/<key>", methods=["GET", "POST"])
@role_required("admin")
def edit_handout(key: str) -> Response | str | tuple[str, int]:
    handout = library.current_handout(key)
    form = _drawn(handout)
    save = partial(library.save_handout, key, me(), form.version.data)
    try:  # a refusal goes by its section, with every word kept
        saved = submit(
            form, lambda: save(_parts(form)), _saved, url_for("admin.handouts"), stay=True
        )
    except Conflict as error:
        return _edit_page(_drawn_over_latest(key, form), form, error.message), 409
    return saved or _edit_page(handout, form)


@bp.route("/handouts/<key>/versions")
@role_required("admin")
def handout_versions(key: str):
    handout = library.current_handout(key)
    page = paginate(library.versions_statement(key), scalars=False)
    return render("admin/handout_versions.html", handout=handout, page=page)


@bp.route("/handouts/<key>/versions/<int:number>")
@role_required("admin")
def handout_version(key: str, number: int):
    shown = library.handout_version(key, number)
    current = library.current_handout(key)
    return render("admin/handout_version.html", handout=shown, current=current)


@bp.route("/handouts/<key>/standard", methods=["GET", "POST"])
@role_required("admin")
def restore_handout(key: str) -> Response | str:
    handout = library.current_handout(key)
    form = VersionedActionForm.drawn({"version": handout.version})
    if form.validate_on_submit():
        version = library.restore_standard(key, me(), form.version.data)
        done = f"Back to the standard wording, saved as version {version}." if version else None
        flash(done or "It already uses the standard wording.", "success")
        return redirect_303(url_for("admin.handouts"))
    return render("admin/handout_restore.html", handout=handout, form=form)
