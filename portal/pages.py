"""Error pages in the site's own style (domain errors included), the template context, and
htmx-aware CSRF failures. Every refusal (403, 404, an expired form) is recorded in the audit
trail here, by `portal.refusals.record_refusal`; the audit's view hook is installed here too."""

from __future__ import annotations

import logging

from flask import Flask, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import dates, tags
from .audit import forget_viewing, init_audit
from .errors import Conflict, DomainError
from .extensions import db
from .refusals import record_refusal
from .web import render

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        "Something in that request was not right",
        "Go back, check what you entered and try again.",
    ),
    403: (
        "You do not have access to this page",
        "If you think you should, ask your service's admin.",
    ),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. "
        "If you pasted it, check you copied all of it.",
    ),
    405: ("That cannot be done here", "Go back and use the buttons on the page."),
    409: (
        "Someone else changed this first",
        "Reload the page to see the latest version, then try again.",
    ),
    410: ("This link has expired", "Ask for a new one."),
    413: ("That file is too large", "Choose a smaller file and try again."),
    429: (
        "Too many requests",
        "You asked for a lot of pages in a short time. Wait a minute, then try again.",
    ),
    500: (
        "Sorry, there is a problem with the service",
        "Try again later. Nothing you entered has been lost from before this step.",
    ),
}


REFUSED = frozenset({403, 404})  # and an expired form (CSRF)


def _error_page(code: int, title: str | None = None, body: str | None = None):
    forget_viewing()  # an error page shows none of what the view had loaded
    default_title, default_body = MESSAGES.get(code, MESSAGES[400])
    return render(
        "errors/error.html", code=code, title=title or default_title, body=body or default_body
    ), code


def init_pages(app: Flask) -> None:
    app.jinja_env.filters.update(dates.FILTERS)  # every date and time filter, from one module
    app.jinja_env.globals["tag_for"] = tags.tag_for  # status tag words and colours
    init_audit(app)  # one view event for each page that shows client data

    @app.context_processor
    def navigation() -> dict:
        return {
            "nav_items": _nav_items(),
            "unread_messages": _unread_messages,
            "public_page": False,
        }

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        record_refusal(400)
        return _error_page(
            400,
            "This form has expired",
            "For your security, forms stop working after a while. "
            "Go back, reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if error.code in REFUSED:
            record_refusal(error.code)
        return _error_page(error.code)

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        """A service's refusal no view caught: its own page and status, never a 500."""
        db.session.rollback()
        if error.status in REFUSED:
            record_refusal(error.status)
        if isinstance(error, Conflict):
            return _error_page(409, "This changed while you were looking", error.message)
        # 404 and 403 keep the standard wording: a 404 must not say more than any unknown address.
        return _error_page(error.status, body=error.message if error.status == 400 else None)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _error_page(500)


def _unread_messages() -> int:
    """Called by the header only when it renders, so fragments pay nothing for it."""
    from .notify.services import unread_count

    return unread_count(current_user.id) if _signed_in() else 0


def _signed_in() -> bool:
    # templates also render outside requests (emails from jobs), where there is no user
    return bool(getattr(current_user, "is_authenticated", False))


# The header's links in their order: (roles that see it, none meaning everyone signed in;
# endpoint; label).
NAV: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("champion",), "home.champion", "Champion home"),
    (("keyworker",), "clients.caseload", "Caseload"),
    (("champion",), "accompaniment.queue", "Requests"),
    (("champion",), "safety.today", "Today"),
    (("champion",), "safety.rota", "Week rota"),
    (("champion",), "tasks.task_list", "Tasks"),
    (("champion",), "volunteers.volunteer_list", "Volunteers"),
    (("champion",), "volunteers.checks_due", "Checks due"),
    (("champion",), "messages.sent_list", "Volunteer messages"),
    (("volunteer",), "home.volunteer", "My escorts"),
    (("volunteer",), "volunteers.my_meetings", "My meetings"),
    (("volunteer",), "volunteers.my_availability", "When I'm free"),
    (("volunteer",), "volunteers.my_calendar", "Calendar"),
    (("volunteer",), "messages.inbox", "Champion messages"),
    (("volunteer",), "expenses.mine", "My expenses"),
    ((), "meetings.search", "Meetings"),
    (("champion",), "expenses.waiting", "Expenses"),
    (("champion", "admin"), "reports.index", "Reports"),
    (("admin",), "admin.accounts_list", "Accounts"),
    (("admin",), "admin.audit_trail", "Audit trail"),
    (("admin",), "admin.settings", "Settings"),
    (("admin",), "governance.data_protection", "Data protection"),
    (("admin",), "clients.transfer", "Move clients"),
)


def _nav_items() -> list[tuple[str, str]]:
    """(endpoint, label) for what the signed-in person's roles may do."""
    if not _signed_in():
        return []
    return [
        (endpoint, label)
        for roles, endpoint, label in NAV
        if not roles or current_user.has_role(*roles)
    ]
