"""Accounts, their roles, one-time links and the sign-in throttle."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..dbtypes import UTCDateTime, parent_key
from ..extensions import db

ROLES: dict[str, str] = {
    "keyworker": "Keyworker",
    "volunteer": "Volunteer",
    "champion": "Recovery champion",
    "admin": "Admin",
}
# Where a person with several roles lands first: the work they most often come to do.
ACCOUNT_STATES = {"active": "Active", "invited": "Invited", "deactivated": "Deactivated"}
ROLE_PRIORITY = ("champion", "keyworker", "volunteer", "admin")


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rotated on sign-out, password change and deactivation: every old cookie stops working.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The second factor: an authenticator app's shared secret (base32). A new app's secret waits
    # in totp_new_secret until a first code proves the app holds it.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_new_secret: Mapped[str | None] = mapped_column(String(64))  # an app being set up
    second_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last 30-second step a code was accepted for: a code is good once, never replayed.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # A keyworker's team, a free-text name for reports by team (None: no team).
    team: Mapped[str | None] = mapped_column(String(100))

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> set[str]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    @property
    def has_second_factor(self) -> bool:
        return self.second_factor_at is not None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def primary_role(self) -> str | None:
        return next((role for role in ROLE_PRIORITY if role in self.roles), None)

    @property
    def role_labels(self) -> list[str]:
        return [ROLES[role] for role in ROLES if role in self.roles]


class UserRole(db.Model):
    __tablename__ = "user_roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = parent_key("users.id")
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="role_rows")

    __table_args__ = (UniqueConstraint("user_id", "role", name="uq_user_roles_user_role"),)


class AuthToken(db.Model):
    """A one-time link (invitation or password reset); only a hash of the secret is kept."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = parent_key("users.id")
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(db.Model):
    """A one-use code for signing in without the authenticator app; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = parent_key("users.id")
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInFailure(db.Model):
    """One failed sign-in: the email typed (known account or not) and the address it came
    from, in the database so every worker sees it. The throttle counts them per (email,
    address) pair, per address and per email (portal/auth/services.py). `email` is emptied
    once it no longer matters for the account (the right password from that address, or a new
    password): the row still counts against its address."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (
        db.Index("ix_sign_in_failures_email_at", "email", "at"),
        db.Index("ix_sign_in_failures_address_at", "address", "at"),
    )
