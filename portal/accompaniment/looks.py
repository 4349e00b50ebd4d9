"""Recording a look at a client's data from a page that may be answering a POST."""

from __future__ import annotations

from flask import request

from ..audit import audit, audit_view
from ..database import READ_METHODS
from ..extensions import db


def record_look(action: str, obj: object, client_ref: str | None) -> None:
    """Audit a look, after the page is rendered.

    On a GET the look has a short write transaction of its own. A POST that re-renders a page
    (a form with errors) already holds SQLite's write lock in its own transaction, so a second
    connection would wait on it for ever: the row joins that transaction instead.
    """
    if request.method in READ_METHODS:
        audit_view(action, obj, client_ref=client_ref)
    else:
        audit(action, obj, client_ref=client_ref)
        db.session.commit()
