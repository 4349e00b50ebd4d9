"""The admin's CSV import of volunteers and keyworkers: upload, preview, confirm.
The rules are in import_rules.py."""

from flask import Response, abort, flash, request, url_for
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import Conflict, InvalidChange
from ..forms import Form
from ..web import me, paginate, redirect_303, render, role_required, show_error
from . import bp
from . import import_rules as rules
from .models import ROW_OUTCOMES

UPLOAD_OVERHEAD = 64 * 1024  # the form's other fields and the multipart boundaries


class ImportForm(Form):
    file = FileField("CSV file", validators=[FileRequired("Choose the CSV file to upload")])


class ConfirmImportForm(Form):
    """The confirm button: nothing but the CSRF token."""


@bp.url_value_preprocessor
def _upload_size_limit(endpoint: str | None, values: dict | None) -> None:
    """A larger body is refused before anything reads it (CSRF included)."""
    if endpoint == "admin.import_accounts":
        request.max_content_length = rules.MAX_BYTES + UPLOAD_OVERHEAD


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    if request.endpoint != "admin.import_accounts":
        title, body = "That is too large", "Send less and try again."
        return render("errors/error.html", code=413, title=title, body=body), 413
    form = ImportForm(formdata=None)
    form.file.errors = [f"The file is larger than {rules.max_bytes_text()}. Split it."]
    return _upload_page(form), 413


def _upload_page(form: ImportForm):
    return render(
        "admin/import.html",
        form=form,
        limit=rules.max_bytes_text(),
        max_rows=rules.MAX_ROWS,
        recent=rules.recent_imports(),
    )


@bp.route("/imports", methods=["GET", "POST"])
@role_required("admin")
def import_accounts():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        with upload.stream:  # a large upload waits in a temporary file: let it go at once
            payload = upload.stream.read(rules.MAX_BYTES + 1)
        try:
            batch = rules.preview_import(payload, upload.filename, me())
        except InvalidChange as error:
            show_error(form, error, "file")
        else:
            return redirect_303(url_for("admin.import_preview", import_id=batch.id))
    return _upload_page(form)


@bp.route("/imports/template.csv")
@role_required("admin")
def import_template():
    response = Response(rules.SAMPLE, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="people-to-import.csv"'
    return response


@bp.route("/imports/<int:import_id>")
@role_required("admin")
def import_preview(import_id: int):
    batch = rules.get_import(import_id)
    only_problems = request.args.get("show") == "problems"
    return render(
        "admin/import_preview.html",
        batch=batch,
        page=paginate(rules.import_rows(batch, only_problems)),
        only_problems=only_problems,
        outcomes=ROW_OUTCOMES,
        earlier=rules.earlier_import(batch),
        form=ConfirmImportForm(),
    )


@bp.route("/imports/<int:import_id>/confirm", methods=["POST"])
@role_required("admin")
def import_confirm(import_id: int):
    batch = rules.get_import(import_id)
    if not ConfirmImportForm().validate_on_submit():
        abort(400)
    try:
        counts = rules.confirm_import(batch, me())
    except (Conflict, InvalidChange) as error:  # e.g. the other tab's import happened
        flash(error.message, "error")
    else:
        flash(f"Import done: {counts['invited']:,} invited.", "success")
    return redirect_303(url_for("admin.import_preview", import_id=import_id))
