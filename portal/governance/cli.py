"""`flask --app portal retention run [--dry-run]`: the retention job, for cron or by hand."""

from __future__ import annotations

import click
from flask.cli import AppGroup

retention_cli = AppGroup("retention", help="Anonymise personal details kept past their time.")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="List who would be anonymised; change nothing.")
def run_command(dry_run: bool) -> None:
    """Anonymise closed clients and withdrawn volunteers past the retention periods."""
    from ..settings import get_setting
    from .retention import run_retention

    result = run_retention(dry_run=dry_run)
    client_months = get_setting("client_retention_months")
    volunteer_months = get_setting("volunteer_retention_months")
    verb = "Would anonymise" if dry_run else "Anonymised"
    click.echo(
        f"{verb} {len(result.clients)} clients closed over {client_months} months ago "
        f"and {len(result.volunteers)} volunteers withdrawn over {volunteer_months} months ago."
    )
    for due in [*result.clients, *result.volunteers]:
        happened = "closed" if due.kind == "client" else "withdrew"
        click.echo(f"  {due.kind} {due.label}: {happened} {due.since:%Y-%m-%d}")
    for due, reason in result.skipped:
        click.echo(f"  skipped {due.kind} {due.label}: {reason}", err=True)
    if dry_run:
        click.echo("Dry run: nothing was changed.")
