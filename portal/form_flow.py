"""How a page answers a form or a button: run one service call, then say what happened and
redirect (303), or show the form again with the person's input kept.

NotFound, NotAllowed and Conflict are left to the app's one error handler (404, 403, 409 pages);
only InvalidChange, the refusal a person can put right, is caught here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash
from werkzeug.wrappers import Response

from .errors import InvalidChange
from .forms import Form
from .web import redirect_303, show_error


def refuse(message: str, to: str) -> Response:
    """Say why nothing was done, on the page at `to`."""
    flash(message, "error")
    return redirect_303(to)


def run(action: Callable[[], Any], done: str, to: str) -> Response:
    """A one-button change: do it and say so, or say why not; either way go to `to`."""
    try:
        action()
    except InvalidChange as error:
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect_303(to)


def submit(
    form: Form,
    action: Callable[[], Any],
    done: str | Callable[[Any], str],
    to: str | Callable[[Any], str],
    back: str | None = None,
    *,
    stay: bool = False,
    by: str | None = None,
) -> Response | None:
    """For a valid posted form, do `action`, say `done` and go to `to` (either may be made from
    what the action returned). A refusal naming one of the form's fields goes by that field, else
    by the field `by` when given; any other is flashed, then the browser goes `back` (by default
    `to`), or with `stay` sees the form again. None means: show the form (again), the person's
    input kept."""
    if not form.validate_on_submit():
        return None
    try:
        result = action()
    except InvalidChange as error:
        show_error(form, error, by)
        if stay or by or error.field in form:
            return None
        return redirect_303(back or to)
    flash(done(result) if callable(done) else done, "success")
    return redirect_303(to(result) if callable(to) else to)
