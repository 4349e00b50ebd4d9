"""Command-line tasks: creating the first admin, and the demo data."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.auth.models import User
from portal.demo import DEMO_ACCOUNTS
from portal.extensions import db

from .conftest import Browserless


def test_user_create_reads_the_password_from_stdin(app, runner):
    result = runner.invoke(
        args=["user", "create", "boss@example.org", "--role", "admin", "--password-stdin"],
        input="a long admin passphrase here\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created boss@example.org" in result.output
    assert (
        Browserless(app.test_client())
        .sign_in("boss@example.org", "a long admin passphrase here")
        .status_code
        == 303
    )


def test_user_create_prompts_for_the_password(app, runner):
    result = runner.invoke(
        args=["user", "create", "boss@example.org", "--role", "admin"],
        input="a long admin passphrase here\na long admin passphrase here\n",
    )
    assert result.exit_code == 0, result.output


def test_user_create_refuses_a_weak_password_and_duplicates(app, runner):
    weak = runner.invoke(
        args=["user", "create", "boss@example.org", "--role", "admin", "--password-stdin"],
        input="password\n",
    )
    assert weak.exit_code != 0 and "at least 12 characters" in weak.output
    args = ["user", "create", "boss@example.org", "--role", "admin", "--password-stdin"]
    runner.invoke(args=args, input="a long admin passphrase here\n")
    again = runner.invoke(args=args, input="a long admin passphrase here\n")
    assert again.exit_code != 0 and "already exists" in again.output


def test_demo_prints_sign_in_details_and_is_idempotent(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    for account in DEMO_ACCOUNTS:
        assert account.email in first.output and account.password in first.output
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(User))
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == count
    for account in DEMO_ACCOUNTS:
        assert (
            Browserless(app.test_client()).sign_in(account.email, account.password).status_code
            == 303
        )


def test_worker_once_sends_queued_mail(app, runner, smtp_server, browser):
    runner.invoke(args=["demo"])
    browser.post("/password/forgot", {"email": "admin@demo.example.org"})
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert len(smtp_server.to("admin@demo.example.org")) == 1
