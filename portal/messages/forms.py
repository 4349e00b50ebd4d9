"""Forms of the messages package."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField
from wtforms.validators import Length

from ..forms import Form, box
from .models import MAX_BODY


def _one_line_ending(value: object) -> object:
    """A browser sends CRLF; count and keep a line break as one character."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class MessageForm(Form):
    body = box(
        "Your message",
        MAX_BODY,
        "Write your message",
        description=f"Plain text, up to {MAX_BODY:,} characters. Do not name clients.",
        filters=[_one_line_ending],
    )
    names_checked = BooleanField("I have checked: no client can be identified from this message")


class SendForm(Form):
    # the preview's fingerprint of who gets it (services.fingerprint)
    recipients = HiddenField(validators=[Length(max=64)])


class ReplyForm(Form):
    body = box(
        "Your reply",
        MAX_BODY,
        "Write your reply",
        description=f"Up to {MAX_BODY:,} characters. Only recovery champions see it.",
        filters=[_one_line_ending],
    )
