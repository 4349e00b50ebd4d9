"""The optimistic version check: a save goes through only if nobody saved since the page was drawn.

Records two people edit carry a `version` column. A save is one conditional
`UPDATE … SET version = version + 1 WHERE id = ? AND version = ?`; when no row changes, someone
else saved first and the person gets a Conflict (409, "this changed, reload") instead of
overwriting their work. The form half (the hidden field) is `VersionField` in portal/forms.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, update

from .errors import Conflict
from .extensions import db


def claim_version(
    obj: Any,
    version: int | None,
    message: str,
    *,
    where: Iterable[ColumnElement[bool]] = (),
    **values: Any,
) -> None:
    """Advance `obj`'s version (setting `values` too) only if it is still at `version` and every
    `where` clause holds; otherwise roll back and raise Conflict(message). `version=None` means
    the version already loaded."""
    model = type(obj)
    expected = obj.version if version is None else version
    result = db.session.execute(
        update(model)
        .where(model.id == obj.id, model.version == expected, *where)
        .values(version=model.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(message)
    db.session.refresh(obj, ["version", *values])
