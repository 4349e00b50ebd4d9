"""The local mutual aid meetings directory.

Everyone signed in finds meetings (search, meeting pages, calendar files, the printed sheet,
CSV); champions and admins add, change, deactivate (never delete) and check them, look after
fellowships, and import Meeting Guide feeds (browser upload with a preview, or `flask --app
portal meetings import`; a large upload is read and applied by `flask --app portal tick`, its
page showing the progress).

The public sees the list too, without signing in (public_views.py): the finder at /find,
meeting pages with directions and a calendar file, and the feed at /meetings.json, with only
what a meeting list publishes (public.py): never contacts, the service's notes or upkeep dates.
"""

from flask import Blueprint

bp = Blueprint("meetings", __name__)

# places places meetings again whenever a new postcode directory loads.
from . import cli, places, public_views, views, visit_views  # noqa: E402, F401
