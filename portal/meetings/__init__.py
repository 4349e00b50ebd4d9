"""The local mutual aid meetings directory.

Everyone signed in finds meetings (search, meeting pages, calendar files, the printed sheet,
CSV and the Meeting Guide feed at /meetings.json); champions and admins add, change,
deactivate (never delete) and check them, look after fellowships, and import Meeting Guide
feeds (browser upload with a preview, or `flask --app portal meetings import`; a large upload
is read and applied by `flask --app portal tick`, its page showing the progress).

/meetings.json needs a sign-in like every other page: the directory is the service's working
list (it includes last-checked dates and directions written for clients), and the access table
reviewed in tests/test_permissions.py has no public data endpoints. A partner who needs the
feed gets an account, or a later change can publish it deliberately behind its own endpoint.
Contacts' names and phone numbers are never written to the feed.
"""

from flask import Blueprint

bp = Blueprint("meetings", __name__)

# places places meetings again whenever a new postcode directory loads.
from . import cli, places, views  # noqa: E402, F401
