"""Volunteers' routes by audience.

- volunteer: the volunteer's own pages (application, pause and resume, meetings, free time,
  calendar) and the calendar feed
- champion: the pool, a volunteer's record, vetting, safeguarding checks, phone-only contacts,
  and a volunteer's meetings and free time kept on their behalf
- applications: the public "Volunteer with us" form, its confirmation link, and the champion's
  list of applications to invite or decline
- _availability: the meetings and free-time pages both audiences share
- _common: small helpers and the date filters the volunteers' templates use

`home_context` stays importable from here for the home page.
"""

from . import applications, champion, supervision, volunteer
from .volunteer import home_context

__all__ = ["applications", "champion", "home_context", "supervision", "volunteer"]
