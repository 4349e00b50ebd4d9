"""Command-line tasks: `flask --app portal user create`, `demo`, `worker`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from .errors import InvalidChange
from .extensions import db

user_cli = AppGroup("user", help="Manage accounts.")


@user_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(["admin", "champion", "keyworker", "volunteer"]),
    help="A role to give; repeat for several.",
)
@click.option("--name", default=None, help="Display name (defaults to the email's first part).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(
    email: str, roles: tuple[str, ...], name: str | None, password_stdin: bool
) -> None:
    """Create an account with a password, for example the first admin."""
    from .auth.services import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, name or email.split("@")[0], list(roles), password)
    except InvalidChange as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"Created {user.email} with roles: {', '.join(sorted(user.roles))}")


@click.command("demo")
@with_appcontext
@click.option(
    "--scale",
    type=click.Choice(["demo", "large"]),
    default="demo",
    show_default=True,
    help=(
        "demo: the small demo, safe to run again. large: the demo plus a whole made-up region "
        "(5,000 meetings, 3,000 volunteers, 20,000 clients, 100,000 past requests); refused on "
        "a database that already holds it, so build it on a new, empty database."
    ),
)
@click.option("--factor", type=float, default=1.0, hidden=True, help="Multiplies large counts.")
@click.option("--seed", type=int, default=1, hidden=True, help="Random seed for large data.")
def demo_command(scale: str, factor: float, seed: int) -> None:
    """(Re)create the demo data and print the sign-in details; refused in production."""
    from .demo import DEMO_ACCOUNTS, DemoRefused, build_demo, refuse_in_production

    try:
        refuse_in_production()
    except DemoRefused as error:
        raise click.ClickException(str(error)) from None
    if scale == "large":
        from .demo.large import LargeDataExists, build_demo_large

        started = time.perf_counter()
        try:
            counts = build_demo_large(scale=factor, seed=seed)
        except LargeDataExists as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None
        click.echo(f"Large demo data built in {time.perf_counter() - started:.1f} s:")
        for table, count in counts.items():
            click.echo(f"  {table:<28} {count:>9,}")
        accounts = list(DEMO_ACCOUNTS)
    else:
        accounts = build_demo()
    click.echo("Demo accounts (email / password / authenticator app key):")
    for account in accounts:
        click.echo(
            f"  {', '.join(account.roles):<10} {account.email:<26} {account.password:<31}"
            f" {account.app_key or '-'}"
        )
    click.echo(
        "Staff accounts then ask for a code: add the key to an authenticator app, or run "
        "`flask --app portal demo-code ROLE` for the code it would show now."
    )


@click.command("demo-code")
@with_appcontext
@click.argument("role", type=click.Choice(["admin", "champion", "keyworker"]))
def demo_code_command(role: str) -> None:
    """The code a demo account's authenticator app would show now; refused in production."""
    import pyotp

    from .demo import DEMO_ACCOUNTS, DemoRefused, refuse_in_production

    try:
        refuse_in_production()
    except DemoRefused as error:
        raise click.ClickException(str(error)) from None
    account = next(a for a in DEMO_ACCOUNTS if role in a.roles)
    click.echo(pyotp.TOTP(account.app_key).now())


WORKER_BATCH = 10  # messages the mail worker sends between looks at a stop signal


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Send what is due, then exit (for cron).")
@click.option("--interval", default=10.0, show_default=True, help="Seconds between rounds.")
def worker_command(once: bool, interval: float) -> None:
    """Deliver queued email and texts, retrying failures with growing back-off.

    SIGTERM (systemd stopping the service, a deploy) or Ctrl-C lets the message being sent
    finish and be marked sent, then stops: dying between the server's acceptance and our commit
    would send that message again. Only a hard kill (SIGKILL) can still leave such a message.
    """
    import signal
    import threading

    from .notify.services import deliver_due
    from .notify.text_delivery import deliver_due_texts

    stopping = threading.Event()
    previous = []
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous.append((signum, signal.signal(signum, lambda *_: stopping.set())))
    try:
        while not stopping.is_set():
            # Small rounds, so a stop waits for a few messages at most.
            sent, failed = deliver_due(limit=WORKER_BATCH)
            if sent or failed:
                click.echo(f"sent {sent}, failed {failed}")
            texts_sent, texts_failed = deliver_due_texts(limit=WORKER_BATCH)
            if texts_sent or texts_failed:
                click.echo(f"texts sent {texts_sent}, not sent {texts_failed}")
            if max(sent + failed, texts_sent + texts_failed) >= WORKER_BATCH:
                continue  # more may be due now
            if once:
                return
            stopping.wait(interval)
    finally:
        for signum, handler in previous:
            signal.signal(signum, handler)


@click.command("tick")
@with_appcontext
def tick_command() -> None:
    """Do all due time-based work once: alerts, digests, expiries, mail. Safe to run again."""
    from .jobs import run_tick

    report = run_tick()
    for name, count in report.counts.items():
        if count:
            click.echo(f"{name}: {count}")


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Copy the live SQLite database to PATH, consistently, while the portal keeps running."""
    from .backup import backup_sqlite

    try:
        pages = backup_sqlite(path)
    except (RuntimeError, FileExistsError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up {pages} pages to {path.resolve()}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(user_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(demo_code_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(backup_command)
    from .governance.cli import retention_cli

    app.cli.add_command(retention_cli)
    app.cli.add_command(tick_command)
