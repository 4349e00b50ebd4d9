"""View helpers: page-or-fragment rendering, redirects, access markers, safe `next`, pages,
the current user and domain errors shown by their form field."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from htmx_flask import request
from jinja2_fragments.flask import render_block
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from .errors import DomainError
from .extensions import db
from .forms import MAX_INT, without_control

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
SIGNED_IN = "signed_in"


MAX_ID = MAX_INT  # ids are INTEGER columns


class IdConverter(IntegerConverter):
    """`<int:…>` in routes: an id no column can hold is a 404, not a database error (500)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int = MAX_ID):
        super().__init__(map, fixed_digits, min, max)


def query_text(name: str, limit: int = 100) -> str:
    """A search or filter word from the query string: trimmed, at most `limit` characters, and
    without control characters (PostgreSQL refuses NUL in text; nobody types the others)."""
    return without_control(request.args.get(name) or "").strip()[:limit]


def wants_fragment() -> bool:
    """An htmx request for part of a page (a boosted link or form wants the whole page)."""
    return bool(request.htmx) and not request.htmx.boosted


def render(template: str, block: str | None = None, **context: Any) -> str:
    """The whole page, or only `block` when htmx asks for that fragment."""
    if block and wants_fragment():
        return render_block(template, block, **context)
    return render_template(template, **context)


def me() -> Any:
    """The signed-in person as the User object itself (services keep and compare it)."""
    return current_user._get_current_object()


def show_error(form: Any, error: DomainError, default: str | None = None) -> None:
    """Put a service's refusal by the field it names, else by `default`; with neither, flash it."""
    name = error.field if error.field in form else default
    if name is None:
        flash(error.message, "error")
        return
    field = form[name]
    field.errors = [*field.errors, error.message]


def redirect_303(location: str) -> Response:
    """After a POST: the browser (and htmx) follows with a GET."""
    return redirect(location, code=303)


def _mark(view: F, access: str | frozenset[str]) -> F:
    view.access = access  # type: ignore[attr-defined]
    return view


def public(view: F) -> F:
    """Open to anyone, signed in or not."""
    return _mark(view, PUBLIC)


def signed_in(view: F) -> F:
    """Open to any signed-in person, whatever their roles."""
    return _mark(view, SIGNED_IN)


def role_required(*roles: str) -> Callable[[F], F]:
    """Open only to people holding one of `roles`; checked before the view runs."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return _mark(wrapper, frozenset(roles))

    return decorate


def access_of(endpoint: str) -> str | frozenset[str] | None:
    """The access marker of an endpoint's view; None means nobody may use it."""
    if endpoint == "static":
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def is_safe_next(target: str | None) -> bool:
    """True only for a path on this site: no scheme, no host, no backslash or control tricks."""
    if not target or len(target) > 2000:
        return False
    if any(ord(ch) < 0x20 or ch in "\\\x7f" for ch in target):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return False
    lowered = target.lower()
    return "%2f" not in lowered[:4] and "%5c" not in lowered


def next_or(default_endpoint: str) -> str:
    target = request.values.get("next")
    return target if is_safe_next(target) else url_for(default_endpoint)


def external_url(endpoint: str, **values: Any) -> str:
    """The full address of `endpoint` for an email, a text or a calendar, on the configured
    PORTAL_EXTERNAL_URL (config `EXTERNAL_URL`) only.

    Never from the request: its Host and X-Forwarded-Host are whatever the sender typed, and a
    link built on them would send a reset token to their site. Works in a request and in a job
    alike; values the route does not take become the query string, as with `url_for`.
    """
    path = current_app.url_map.bind("portal.invalid").build(endpoint, values)
    return external_link(path)


def external_link(path: str) -> str:
    """A path on this site (a notification's link, say) made absolute on PORTAL_EXTERNAL_URL;
    anything that is not such a path (another site, `//host`) is a ValueError."""
    if not is_safe_next(path):
        raise ValueError(f"not a path on this site: {path!r}")
    return current_app.config["EXTERNAL_URL"] + path


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def url_for_page(self, number: int) -> str:
        args = request.args.to_dict(flat=False)  # keeps repeated keys, e.g. two ticked features
        args["page"] = [str(number)]
        return url_for(request.endpoint, **(request.view_args or {}), **args)


def page_number() -> int:
    try:
        number = int(request.args.get("page", "1"))
    except ValueError:
        return 1
    return min(max(number, 1), 100_000)


def paginate(statement: Any, per_page: int | None = None, scalars: bool = True) -> Page:
    """One page of a select and the total, in two queries whatever the size."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    number = page_number()
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    result = db.session.execute(statement.limit(per_page).offset((number - 1) * per_page))
    items: Iterable[Any] = result.scalars() if scalars else result
    return Page(list(items), number, per_page, total or 0)
