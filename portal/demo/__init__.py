"""Demo data for trying the portal: one account per role, recreated the same way every time."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from ..audit import audit, utcnow
from ..auth.models import User, UserRole, new_session_token
from ..auth.passwords import hash_password
from ..extensions import db


# Demo people live under example.org (reserved for examples, never a real mailbox) so that every
# flow, password reset included, can be tried with them.
@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    roles: tuple[str, ...]
    password: str
    # Staff sign in with a code from an authenticator app: the demo's keys are published like
    # its passwords (add one to any app, or `flask --app portal demo-code ROLE`).
    app_key: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount(
        "admin@demo.example.org",
        "Alex (admin)",
        ("admin",),
        "demo admin harbour lantern",
        "DEMOADMINHARBOURLANTERN234567AAA",
    ),
    DemoAccount(
        "champion@demo.example.org",
        "Chris (champion)",
        ("champion",),
        "demo champion meadow kettle",
        "DEMOCHAMPIONMEADOWKETTLE23456AAA",
    ),
    DemoAccount(
        "keyworker@demo.example.org",
        "Kim (keyworker)",
        ("keyworker",),
        "demo keyworker orchard bicycle",
        "DEMOKEYWORKERORCHARDBICYCLE2AAAA",
    ),
    DemoAccount(
        "volunteer@demo.example.org",
        "Sam (volunteer)",
        ("volunteer",),
        "demo volunteer river compass",
    ),
)


# Each domain builds its own demo data, in this order: later steps hang off earlier ones
# (volunteers attend the demo meetings; requests need clients and volunteers).
DEMO_STEPS: tuple[tuple[str, str], ...] = (
    ("..meetings.demo", "build_demo_meetings"),
    ("..volunteers.demo", "build_demo_volunteers"),
    ("..volunteers.support_demo", "build_demo_support"),
    ("..clients.demo", "build_demo_clients"),
    ("..geography.demo", "build_demo_geography"),
    ("..accompaniment.demo", "build_demo_accompaniment"),
    ("..reports.demo", "build_demo_reports"),
    ("..safety.demo", "build_demo_safety"),
    ("..tasks.demo", "build_demo_tasks"),
    ("..notify.demo", "build_demo_texts"),
    ("..expenses.demo", "build_demo_expenses"),
    ("..messages.demo", "build_demo_messages"),
)


class DemoRefused(RuntimeError):
    """Demo data asked for in production."""


def refuse_in_production() -> None:
    """Demo accounts have published passwords: they never exist in production, at any scale."""
    if current_app.config["PORTAL_ENV"] == "production":
        raise DemoRefused(
            "Demo data is never created in production (PORTAL_ENV=production): the demo "
            "accounts' passwords are published. Nothing was changed. Create real accounts "
            "with `flask --app portal user create`."
        )


def build_demo() -> list[DemoAccount]:
    """Create or reset the demo accounts; running it twice leaves the same state."""
    refuse_in_production()
    for account in DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).where(User.email == account.email))
        if user is None:
            user = User(email=account.email, name=account.name)
            db.session.add(user)
        user.name = account.name
        user.active = True
        user.password_hash = hash_password(account.password)
        user.session_token = new_session_token()
        user.totp_secret, user.totp_new_secret = account.app_key, None
        user.second_factor_at = utcnow() if account.app_key else None
        user.totp_last_step = None
        wanted = set(account.roles)
        user.role_rows = [row for row in user.role_rows if row.role in wanted] + [
            UserRole(role=role) for role in sorted(wanted - user.roles)
        ]
        db.session.flush()
        audit("demo_account_reset", user)
    for module, builder in DEMO_STEPS:
        getattr(importlib.import_module(module, __package__), builder)()
    db.session.commit()
    return list(DEMO_ACCOUNTS)


def demo_user(role: str) -> User:
    """The demo account of one role, for other domains' demo data to hang off."""
    email = next(a.email for a in DEMO_ACCOUNTS if role in a.roles)
    return db.session.scalar(select(User).where(User.email == email))
