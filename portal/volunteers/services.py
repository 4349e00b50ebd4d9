"""Volunteers' rules, one module per topic; this module gathers their public names.

- profile: applications, profile, status along the vetting workflow
- safeguarding: checks (DBS, training, references…), their expiry and the lists of checks due
- availability: meetings attended anyway, weekly free time, time away
- calendar: the iCal feed and its secret address
- facts: volunteers as matching sees them, and whether one can escort on a day
- history: the audited changes in plain words
- listing: the champion's filtered list and counts
- _common: who may do what, activity, change listeners, today's date

Callers keep importing from here (`from portal.volunteers import services`). The three names
imported `as` themselves (`add_months`, `SAFEGUARDING_KINDS`, `_set_status`) are read as
`services.<name>` by tests.
"""

from __future__ import annotations

from ..matching.model import add_months as add_months
from ._common import (
    VolunteerListener,
    is_champion,
    mark_active,
    on_volunteer_change,
    today_local,
)
from .availability import (
    add_meeting,
    add_time_away,
    add_window,
    availability_windows,
    get_active_meeting,
    remove_meeting,
    remove_time_away,
    remove_window,
    search_meetings,
    time_away,
    volunteer_meetings,
)
from .calendar import (
    CalendarEvent,
    build_calendar,
    calendar_feed,
    escort_events,
    reset_calendar_link,
    volunteer_for_calendar,
)
from .facts import (
    EscortSummary,
    escort_summary,
    min_recovery_months,
    reasons_cannot_escort,
    recovery_ready_on,
    volunteer_facts,
)
from .history import (
    AUDIT_LABELS,
    FIELD_LABELS,
    AuditLine,
    volunteer_history,
)
from .listing import (
    INACTIVE_DAYS,
    VolunteerCounts,
    VolunteerFilters,
    active_fellowships,
    known_areas,
    names_of,
    search_volunteers,
    volunteer_counts,
)
from .models import SAFEGUARDING_KINDS as SAFEGUARDING_KINDS
from .profile import (
    MAX_LANGUAGES,
    NEEDS_REASON,
    PROFILE_FIELDS,
    TRANSITIONS,
    add_phone_contact,
    allowed_next,
    can_resume_self,
    change_status,
    complete_application,
    confirm_recovery,
    get_volunteer,
    invite_volunteer,
    own_volunteer,
    pause_self,
    resume_self,
    set_conflict_notes,
    update_profile,
)
from .profile import _set_status as _set_status
from .safeguarding import (
    DEFAULT_VALIDITY_MONTHS,
    DUE_DAYS,
    ITEM_FIELDS,
    CheckState,
    add_safeguarding_item,
    checks_due,
    checks_needing_attention,
    get_item,
    needs_code_of_conduct,
    remove_safeguarding_item,
    safeguarding_record,
    soonest_expiries,
    update_safeguarding_item,
)

__all__ = [
    "VolunteerListener",
    "is_champion",
    "mark_active",
    "on_volunteer_change",
    "today_local",
    "MAX_LANGUAGES",
    "NEEDS_REASON",
    "PROFILE_FIELDS",
    "TRANSITIONS",
    "add_phone_contact",
    "allowed_next",
    "can_resume_self",
    "change_status",
    "complete_application",
    "confirm_recovery",
    "get_volunteer",
    "invite_volunteer",
    "own_volunteer",
    "pause_self",
    "resume_self",
    "set_conflict_notes",
    "update_profile",
    "CheckState",
    "DEFAULT_VALIDITY_MONTHS",
    "DUE_DAYS",
    "ITEM_FIELDS",
    "add_safeguarding_item",
    "checks_due",
    "checks_needing_attention",
    "get_item",
    "needs_code_of_conduct",
    "remove_safeguarding_item",
    "safeguarding_record",
    "soonest_expiries",
    "update_safeguarding_item",
    "add_meeting",
    "add_time_away",
    "add_window",
    "availability_windows",
    "get_active_meeting",
    "remove_meeting",
    "remove_time_away",
    "remove_window",
    "search_meetings",
    "time_away",
    "volunteer_meetings",
    "CalendarEvent",
    "build_calendar",
    "calendar_feed",
    "escort_events",
    "reset_calendar_link",
    "volunteer_for_calendar",
    "EscortSummary",
    "escort_summary",
    "min_recovery_months",
    "reasons_cannot_escort",
    "recovery_ready_on",
    "volunteer_facts",
    "AUDIT_LABELS",
    "AuditLine",
    "FIELD_LABELS",
    "volunteer_history",
    "INACTIVE_DAYS",
    "VolunteerCounts",
    "VolunteerFilters",
    "active_fellowships",
    "known_areas",
    "names_of",
    "search_volunteers",
    "volunteer_counts",
]
