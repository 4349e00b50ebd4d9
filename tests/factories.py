"""Small factories: each test makes exactly the data it needs."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from flask import Flask, has_app_context

from portal.auth.models import User, UserRole
from portal.auth.passwords import hash_password
from portal.extensions import db

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)
_app: Flask | None = None


def use_app(app: Flask | None) -> None:
    global _app
    _app = app


@contextmanager
def context() -> Iterator[None]:
    """An app context of its own (so a test's requests never share one with the factories)."""
    if has_app_context():
        yield
        return
    assert _app is not None, "factories need the app fixture"
    with _app.app_context():
        yield


def saved(obj):  # noqa: ANN001, ANN201
    """Commit, load every column and detach, so the test can read the object freely."""
    db.session.add(obj)
    db.session.commit()
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


def make_user(
    roles: tuple[str, ...] | list[str] = ("keyworker",),
    email: str | None = None,
    name: str | None = None,
    password: str | None = PASSWORD,
    active: bool = True,
) -> User:
    number = next(_counter)
    with context():
        return _make_user(number, roles, email, name, password, active)


def _make_user(number, roles, email, name, password, active) -> User:  # noqa: ANN001
    user = User(
        email=email or f"person{number}@example.org",
        name=name or f"Person {number}",
        password_hash=(_password_hash() if password == PASSWORD else hash_password(password))
        if password
        else None,
        active=active,
    )
    user.role_rows = [UserRole(role=role) for role in roles]
    return saved(user)
