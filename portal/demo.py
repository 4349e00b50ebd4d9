"""Demo data for trying the portal: one account per role, recreated the same way every time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from .audit import audit
from .auth.models import User, UserRole, new_session_token
from .auth.passwords import hash_password
from .extensions import db


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    roles: tuple[str, ...]
    password: str


DEMO_ACCOUNTS = (
    DemoAccount("admin@demo.invalid", "Alex (admin)", ("admin",), "demo admin harbour lantern"),
    DemoAccount(
        "champion@demo.invalid", "Chris (champion)", ("champion",), "demo champion meadow kettle"
    ),
    DemoAccount(
        "keyworker@demo.invalid",
        "Kim (keyworker)",
        ("keyworker",),
        "demo keyworker orchard bicycle",
    ),
    DemoAccount(
        "volunteer@demo.invalid", "Sam (volunteer)", ("volunteer",), "demo volunteer river compass"
    ),
)


def build_demo() -> list[DemoAccount]:
    """Create or reset the demo accounts; running it twice leaves the same state."""
    for account in DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).where(User.email == account.email))
        if user is None:
            user = User(email=account.email, name=account.name)
            db.session.add(user)
        user.name = account.name
        user.active = True
        user.password_hash = hash_password(account.password)
        user.session_token = new_session_token()
        wanted = set(account.roles)
        user.role_rows = [row for row in user.role_rows if row.role in wanted] + [
            UserRole(role=role) for role in sorted(wanted - user.roles)
        ]
        db.session.flush()
        audit("demo_account_reset", user)
    db.session.commit()
    return list(DEMO_ACCOUNTS)
