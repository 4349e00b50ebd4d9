"""The request state machine in one table: for each state, the states a request may come from.

open → offered → accepted → completed (attended | client did not come | volunteer could not go);
cancelled (with a reason) from any state before completion; unfilled when the meeting passed and
nobody accepted. A declined or withdrawn offer, or a volunteer who drops out, sends the request
back to open; so does a new date (see REDATE_FROM).
"""

from __future__ import annotations

TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"offered", "accepted", "unfilled"}),
    "offered": frozenset({"open"}),
    "accepted": frozenset({"offered"}),
    "completed": frozenset({"accepted"}),
    "cancelled": frozenset({"open", "offered", "accepted"}),
    "unfilled": frozenset({"open", "offered"}),
}
# A keyworker may move the meeting date of a request in these states; it re-opens the request.
REDATE_FROM: frozenset[str] = frozenset({"open", "offered", "accepted", "unfilled"})
FINAL_STATES: frozenset[str] = frozenset({"completed", "cancelled"})

# How each state reads in a sentence, and what moving to each state is called.
STATE_WORDS = {
    "open": "waiting for a volunteer",
    "offered": "offered to a volunteer",
    "accepted": "accepted by a volunteer",
    "completed": "completed",
    "cancelled": "cancelled",
    "unfilled": "closed because nobody could go",
}
CHANGE_WORDS = {
    "open": "re-opened",
    "offered": "offered to a volunteer",
    "accepted": "accepted",
    "completed": "completed",
    "cancelled": "cancelled",
    "unfilled": "closed as unfilled",
}


def allowed(from_state: str, to_state: str) -> bool:
    """True when a request in `from_state` may move to `to_state`."""
    return from_state in TRANSITIONS.get(to_state, frozenset())


def refusal(from_state: str, to_state: str) -> str:
    """The message for a change the table does not allow."""
    now = STATE_WORDS.get(from_state, from_state)
    change = CHANGE_WORDS.get(to_state, to_state)
    return f"This request is {now}, so it cannot be {change}. Nothing was changed."
