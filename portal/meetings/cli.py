"""`flask --app portal meetings import PATH_OR_URL [--fellowship AA] [--dry-run]`."""

from __future__ import annotations

import click
from flask import current_app

from ..extensions import db
from . import bp, services
from .feed import FeedError

# Below this many steps a progress bar only flickers; above it, it reassures.
LARGE_FEED = 200
SHOWN = 50

bp.cli.help = "Manage the local meetings directory."


def _progress(label: str, length: int):
    if length < LARGE_FEED:
        return services._NoBar()
    return click.progressbar(length=length, label=label)


def _show(plan: services.ImportPlan) -> None:
    summary = plan.summary()
    counts = summary["counts"]
    click.echo(
        f"{counts['records']} records read from the feed:\n"
        f"  {counts['created']:>6} to add\n"
        f"  {counts['updated']:>6} to update\n"
        f"  {counts['deactivated']:>6} to deactivate (no longer in this source's feed)\n"
        f"  {counts['unchanged']:>6} unchanged\n"
        f"  {counts['skipped']:>6} skipped"
    )
    for row in summary["skipped"][:SHOWN]:
        label = row["name"] or row["slug"] or "no name"
        click.echo(f"  skipped record {row['record']} ({label}): {row['reason']}")
    if counts["skipped"] > SHOWN:
        click.echo(f"  … and {counts['skipped'] - SHOWN} more skipped")
    for row in summary["warnings"][:SHOWN]:
        click.echo(f"  note on record {row['record']} ({row['name']}): {row['warning']}")
    if summary["warning_count"] > SHOWN:
        click.echo(f"  … and {summary['warning_count'] - SHOWN} more notes")


@bp.cli.command("import")
@click.argument("location", metavar="PATH_OR_URL")
@click.option(
    "--fellowship",
    default="AA",
    show_default=True,
    help="The fellowship the feed's meetings belong to (its short code).",
)
@click.option(
    "--source",
    default=None,
    help="A name for where the feed comes from; re-imports from it update, not duplicate. "
    "Defaults to the URL, or the file's name.",
)
@click.option("--dry-run", is_flag=True, help="Show what would change, and change nothing.")
@click.option("--yes", is_flag=True, help="Apply without asking (for scheduled imports).")
def import_command(
    location: str, fellowship: str, source: str | None, dry_run: bool, yes: bool
) -> None:
    """Import a Meeting Guide JSON feed from a file or a web address."""
    chosen = services.fellowship_by_code(fellowship)
    if chosen is None:
        raise click.ClickException(f"There is no fellowship with the code {fellowship!r}.")
    if not chosen.active:
        raise click.ClickException(f"{chosen.name} is deactivated; reactivate it first.")
    config = current_app.config
    try:
        payload, name = services.fetch_feed(
            location, config["MEETING_IMPORT_MAX_BYTES"], config["MEETING_IMPORT_URL_TIMEOUT"]
        )
    except FeedError as error:
        raise click.ClickException(str(error)) from None

    def confirm(plan: services.ImportPlan) -> bool:
        _show(plan)
        if dry_run or not plan.changes_anything:
            return False
        return yes or click.confirm("Apply these changes?", default=False)

    try:
        outcome = services.import_from_command(
            payload, (source or name)[:255], chosen, confirm, _progress
        )
    except FeedError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    if outcome.applied:
        click.echo("Done: the changes are saved.")
    elif not outcome.plan.changes_anything:
        click.echo("Nothing to change: the directory already matches this feed.")
    elif dry_run:
        click.echo("Dry run: nothing was changed.")
    else:
        click.echo("Nothing was changed.")
