"""Access logs without secret tokens: reset, invitation and calendar links carry a token in the
path, and whoever reads the log (a host admin, a log service) must not be able to use it.

The paths stay as they are (links already emailed keep working); only what is logged changes.
Both servers the project runs go through `redact`: gunicorn through `RedactingLogger`
(`logger_class` in gunicorn.conf.py) and the development server through the filter that
`init_access_log` puts on the "werkzeug" logger.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask
from gunicorn.glogging import Logger

# One place: the routes whose path carries a token (tests/attacks/test_links_and_files.py checks
# that every route with a `<token>` is here). The lookbehind is the fixed text before the token.
_SEGMENT = r"[^/?#\s\"'<>]+"
TOKEN_PATHS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"(?<=/password/reset/){_SEGMENT}"),  # auth.reset_password
    re.compile(rf"(?<=/invitation/){_SEGMENT}"),  # auth.accept_invitation
    re.compile(rf"(?<=/calendar/){_SEGMENT}(?=\.ics)"),  # volunteers.calendar_feed
    re.compile(rf"(?<=/volunteer-with-us/confirm/){_SEGMENT}"),  # volunteers.apply_confirm
)
HIDDEN = "[token]"


def redact(text: str) -> str:
    """`text` (a path, a request line, a whole URL) with every token in it replaced."""
    for pattern in TOKEN_PATHS:
        text = pattern.sub(HIDDEN, text)
    return text


class RedactingLogger(Logger):
    """gunicorn's logger, with tokens taken out of every access-log field (request line, path,
    referrer, headers) whatever `access_log_format` asks for."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(v) if isinstance(v, str) else v for key, v in atoms.items()}


class TokenFilter(logging.Filter):
    """For the development server's request lines (the "werkzeug" logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


TOKEN_FILTER = TokenFilter()


def init_access_log(app: Flask) -> None:
    """Keep tokens out of the development server's log (adding the filter twice is a no-op)."""
    logging.getLogger("werkzeug").addFilter(TOKEN_FILTER)
