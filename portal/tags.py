"""Status tags: the words and the colour of every state a page shows as a tag, in one place.

Each family pairs a state's label (taken from the domain that names the state, where it has a
module-level table) with its tag colour. Templates call `tag_for(family, state)` through the
`tag` macro in templates/_macros/tags.html; the colours are the `portal-tag--*` modifiers in
static/css/portal.css.
"""

from __future__ import annotations

from dataclasses import dataclass

from .accompaniment.models import OFFER_STATES
from .accompaniment.models import STATES as REQUEST_STATES
from .auth.models import ACCOUNT_STATES
from .safety.board import BOARD_STATES
from .volunteers.models import STATUSES as VOLUNTEER_STATUSES
from .volunteers.safeguarding import CHECK_STATES

COLOURS = ("grey", "green", "red", "blue")


@dataclass(frozen=True)
class Tag:
    label: str
    colour: str


def _family(labels: dict[str, str], colours: dict[str, str]) -> dict[str, Tag]:
    """Pair each state's label with its colour; a state without a colour is a mistake."""
    return {state: Tag(label, colours[state]) for state, label in labels.items()}


# One-off notices beside a record; {names} are filled from the template's arguments.
NOTICES = {
    "urgent": Tag("Urgent", "red"),
    "urgent_48h": Tag("Urgent: within 48 hours", "red"),
    "started": Tag("Meeting has started", "grey"),
    "time_passed": Tag("Meeting time has passed", "grey"),
    "no_one_fits": Tag("No one fits", "red"),
    "offer_sent": Tag("Offer sent", "blue"),
    "deactivated": Tag("Deactivated", "grey"),
    "venue_closed": Tag("Venue temporarily closed", "red"),
    "not_checked": Tag("Not checked for over {days} days", "red"),
    "case_closed": Tag("Case closed", "grey"),
    "reached": Tag("Reached", "green"),
    "expired": Tag("Expired", "red"),
    "new": Tag("New", "blue"),
    "overdue": Tag("Overdue", "red"),  # a task past its due date (portal/tasks)
}

TAGS: dict[str, dict[str, Tag]] = {
    "request": _family(
        REQUEST_STATES,
        {
            "open": "blue",
            "offered": "blue",
            "accepted": "green",
            "completed": "grey",
            "cancelled": "red",
            "unfilled": "red",
        },
    ),
    "offer": _family(
        OFFER_STATES,
        {
            "pending": "blue",
            "accepted": "green",
            "declined": "grey",
            "expired": "grey",
            "withdrawn": "grey",
        },
    ),
    "volunteer": _family(
        VOLUNTEER_STATUSES,
        {"applied": "blue", "approved": "green", "paused": "grey", "withdrawn": "red"},
    ),
    "check": _family(
        CHECK_STATES,
        {
            "valid": "green",
            "expiring": "blue",
            "expired": "red",
            "missing": "grey",
            "incomplete": "grey",
        },
    ),
    "escort": _family(
        BOARD_STATES,
        {
            "not_started": "grey",
            "met": "blue",
            "finished": "green",
            "overdue": "red",
            "help": "red",
        },
    ),
    "account": _family(
        ACCOUNT_STATES, {"active": "green", "invited": "blue", "deactivated": "grey"}
    ),
    "notice": NOTICES,
}


def tag_for(family: str, state: str, **values: object) -> Tag:
    """The tag for a state; an unknown state shows its own name in grey rather than a 500."""
    tag = TAGS[family].get(state) or Tag(str(state), "grey")
    return Tag(tag.label.format(**values), tag.colour) if values else tag
