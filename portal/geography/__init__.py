"""Geography: the postcode directory the service loads itself, and distances drawn from it.

`flask --app portal postcodes load PATH` reads the ONS Postcode Directory or the National
Statistics Postcode Lookup (CSV, or the zip it is published in) and keeps each live postcode's
point and each postcode district's centre. People are placed by district only (volunteers'
and clients' "LS6"); meetings by their public venue postcode. Without a directory everything
works as before, by area names, and pages say that distances are unknown.
"""

from flask import Blueprint

bp = Blueprint("geography", __name__, cli_group="postcodes")

from . import cli, views  # noqa: E402, F401
