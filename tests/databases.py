"""Test databases: migrations run once into a template, then every test gets its own copy."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL_VARIABLE = "PORTAL_TEST_POSTGRES_URL"


def postgres_url() -> str | None:
    """The server the suite runs against instead of SQLite, when one is given."""
    return os.environ.get(POSTGRES_URL_VARIABLE) or None


def _psycopg(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def upgrade(database_url: str, instance: Path) -> None:
    from flask_migrate import upgrade as alembic_upgrade

    from portal import create_app

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "x"}
    )
    with app.app_context():
        alembic_upgrade()
        from portal.extensions import db

        db.engine.dispose()


class SQLiteTemplate:
    def __init__(self, folder: Path) -> None:
        self.path = folder / "template.sqlite3"
        upgrade(f"sqlite:///{self.path}", folder)

    def new_database(self, folder: Path) -> str:
        target = folder / "portal.sqlite3"
        shutil.copyfile(self.path, target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        return None


class PostgresTemplate:
    """CREATE DATABASE … TEMPLATE copies a migrated database in a fraction of a second."""

    def __init__(self, server_url: str, folder: Path) -> None:
        self.server = make_url(_psycopg(server_url))
        self.admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        self.name = f"portal_template_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        upgrade(self.server.set(database=self.name).render_as_string(hide_password=False), folder)

    def new_database(self, folder: Path) -> str:
        name = f"portal_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"'))
        return self.server.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()
