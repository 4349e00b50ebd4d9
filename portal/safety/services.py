"""Safety on the day of an escort, the champion's Today board, and outcomes after the meeting.

One module per topic; this module gathers their public names:

- times: when check-in, check-out and "what happened" open (`NotOpen` says the rule), London dates
- escorts: the volunteer's escorts, check-in, check-out and "I need help now"
- board: the champion's Today board, and checks a champion records after the fact
- outcomes: what happened at the meeting, completing the request
- reminders: the time-based work jobs.py runs (reminders, overdue check-outs)
- client_reminders: text reminders to clients who consent, and a text when the plan changes
- text_words: the words of safety's texts (no client's name, no meeting's name by default)
- _common: who the champions are, the volunteer behind a user, links in messages

Callers keep importing from here (`from portal.safety import services`). `utcnow` and `LONDON`
are imported `as` themselves because views and tests read them as `services.<name>`.
"""

from __future__ import annotations

from ..audit import utcnow as utcnow
from ..auth.services import champions
from ..meetings.occurrences import LONDON as LONDON
from ._common import is_champion, volunteer_of
from .board import (
    BOARD_STATES,
    RECORDABLE,
    BoardRow,
    get_board_escort,
    record_check_for,
    today_board,
)
from .client_reminders import send_client_reminders
from .escorts import (
    Escort,
    MyEscorts,
    board_state,
    emergency_numbers,
    get_escort,
    my_escorts,
    record_check,
)
from .outcomes import (
    NOTE_LIMIT,
    OutcomePage,
    get_outcome_request,
    outcome_of,
    outcome_page,
    record_outcome,
)
from .reminders import REMINDER_AHEAD, alert_overdue, send_reminders, send_soon_reminders
from .times import (
    CHECK_IN_FIRST,
    OPEN,
    OVERDUE_LOOKBACK,
    Action,
    NotOpen,
    checkin_action,
    checkin_closes_at,
    checkin_opens_at,
    checkin_opens_minutes,
    checkout_action,
    escort_days,
    grace,
    local_midnight,
    london_today,
    outcome_action,
)

__all__ = [
    "BOARD_STATES",
    "CHECK_IN_FIRST",
    "LONDON",
    "NOTE_LIMIT",
    "OPEN",
    "OVERDUE_LOOKBACK",
    "RECORDABLE",
    "REMINDER_AHEAD",
    "Action",
    "BoardRow",
    "Escort",
    "MyEscorts",
    "NotOpen",
    "OutcomePage",
    "alert_overdue",
    "board_state",
    "champions",
    "checkin_action",
    "checkin_closes_at",
    "checkin_opens_at",
    "checkin_opens_minutes",
    "checkout_action",
    "emergency_numbers",
    "escort_days",
    "get_board_escort",
    "get_escort",
    "get_outcome_request",
    "grace",
    "is_champion",
    "local_midnight",
    "london_today",
    "my_escorts",
    "outcome_action",
    "outcome_of",
    "outcome_page",
    "record_check",
    "record_check_for",
    "record_outcome",
    "send_client_reminders",
    "send_reminders",
    "send_soon_reminders",
    "today_board",
    "utcnow",
    "volunteer_of",
]
