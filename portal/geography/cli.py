"""`flask --app portal postcodes load PATH` and `postcodes status`."""

from __future__ import annotations

from pathlib import Path

import click

from . import bp
from .loader import DirectoryError, load_directory
from .places import directory_status

bp.cli.help = "Load the ONS postcode directory that places volunteers, clients and meetings."


@bp.cli.command("load")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--released",
    default=None,
    help='The directory\'s release, like "February 2024" (read from the file name if left out).',
)
def load_command(path: Path, released: str | None) -> None:
    """Load the NSPL or ONSPD (its CSV, or the zip it is published in), replacing the last.

    Download the National Statistics Postcode Lookup from the ONS Open Geography Portal. The
    load is all or nothing: a file that is not a directory changes nothing.
    """
    size = path.stat().st_size if path.is_file() else 0
    try:
        with click.progressbar(length=max(size, 1), label="Loading postcodes") as bar:
            record = load_directory(path, released=released, progress=bar.update)
    except DirectoryError as error:
        raise click.ClickException(f"{error.message} The directory in use is unchanged.") from None
    click.echo(
        f"Loaded {record.postcodes:,} live postcodes in {record.districts:,} districts from "
        f"{record.rows_read:,} rows in {record.seconds:.1f} s."
    )


@bp.cli.command("status")
def status_command() -> None:
    """Say which postcode directory is loaded."""
    record = directory_status()
    if record is None:
        click.echo("No postcode directory is loaded: distances are unknown.")
        return
    click.echo(
        f"{record.source_name} ({record.released or 'release not stated'}): "
        f"{record.postcodes:,} postcodes, {record.districts:,} districts, loaded "
        f"{record.loaded_at:%Y-%m-%d %H:%M} UTC."
    )
