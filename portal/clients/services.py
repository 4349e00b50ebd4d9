"""Clients: the caseload, least-data records, consents, FAMA sessions, outcome, goals, journal.

The rules live by topic in caseload, records, consents, sessions and goals; this module gathers
their names so callers keep one import. Every lookup is scoped to the keyworker: another
keyworker's client is NotFound (a 404).
"""

from __future__ import annotations

from ._common import CONFLICT_MESSAGE, short_day
from .caseload import (
    NEXT_ACTIONS,
    SORTS,
    CaseloadPage,
    CaseloadRow,
    ClientRecord,
    caseload_counts,
    caseload_page,
    caseload_statement,
    client_record,
    describe_next_action,
    get_client_for,
    next_action_expression,
    stage_label,
)
from .consents import (
    PHONE,
    ConsentListener,
    consent_wording,
    give_consent,
    on_consent_withdrawn,
    shared_with_volunteer,
    withdraw_consent,
)
from .goals import add_goal, add_journal_entry, get_goal_for, update_goal
from .records import (
    REFERENCE,
    TransferPage,
    add_client,
    find_client_by_reference,
    keyworkers,
    normalise_reference,
    set_client_status,
    transfer_client,
    transfer_page,
    update_client,
)
from .sessions import (
    SESSION_FIELDS,
    ClientSheet,
    allowed_session_kinds,
    client_sheet,
    committed_meeting,
    get_session_for,
    meeting_not_started,
    record_outcome,
    record_session,
    session_defaults,
    session_not_allowed,
)

__all__ = [
    "CONFLICT_MESSAGE",
    "NEXT_ACTIONS",
    "PHONE",
    "REFERENCE",
    "SESSION_FIELDS",
    "SORTS",
    "CaseloadPage",
    "CaseloadRow",
    "ClientRecord",
    "ClientSheet",
    "ConsentListener",
    "TransferPage",
    "add_client",
    "add_goal",
    "add_journal_entry",
    "allowed_session_kinds",
    "caseload_counts",
    "caseload_page",
    "caseload_statement",
    "client_record",
    "client_sheet",
    "committed_meeting",
    "consent_wording",
    "describe_next_action",
    "find_client_by_reference",
    "get_client_for",
    "get_goal_for",
    "get_session_for",
    "give_consent",
    "keyworkers",
    "meeting_not_started",
    "next_action_expression",
    "normalise_reference",
    "on_consent_withdrawn",
    "record_outcome",
    "record_session",
    "session_defaults",
    "session_not_allowed",
    "set_client_status",
    "shared_with_volunteer",
    "short_day",
    "stage_label",
    "transfer_client",
    "transfer_page",
    "update_client",
    "update_goal",
    "withdraw_consent",
]
