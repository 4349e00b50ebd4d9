"""Can this volunteer escort on a given day? Plain data in, every reason why not out.

The facts are matching's own `VolunteerFacts` (built from the database by
`services.volunteer_facts`), so the champion's screens and the matching engine judge a
volunteer on the same data. Reason codes are the ones matching uses for the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from portal.dates import date_words
from portal.matching.eligibility import Reason
from portal.matching.model import (
    SAFEGUARDING_ITEMS,
    RequiredCheck,
    VolunteerFacts,
    add_months,
)

ITEM_NAMES = {
    "dbs": "DBS check",
    "training": "Safeguarding and confidentiality training",
    "references": "References",
    "lone_working": "Lone-working briefing",
    "code_of_conduct": "Code of conduct agreement",
}
MISSING = {
    "dbs": "DBS check: none on record",
    "training": "Safeguarding and confidentiality training: none on record",
    "references": "References: two references not received yet",
    "lone_working": "Lone-working briefing: not given yet",
    "code_of_conduct": "Code of conduct: not agreed yet",
}
STATUS_REASONS = {
    "applied": "Not approved yet: their application is still being checked",
    "paused": "Paused: not taking escorts at the moment",
    "withdrawn": "Withdrawn: no longer volunteering",
}


def escort_reasons(
    facts: VolunteerFacts,
    day: date,
    min_recovery_months: int,
    required: Sequence[RequiredCheck] = (),
) -> list[Reason]:
    """Every reason the volunteer cannot escort on `day`; an empty list means they can.

    Each safeguarding item is valid up to and including its expiry date; `required` are the
    service's own checks needed before escorting. Time of day, the weekly cap's bookings and
    the client's wishes are matching's business, not this function's.
    """
    reasons: list[Reason] = []
    if facts.status != "approved":
        message = STATUS_REASONS.get(facts.status, f"Status is {facts.status}")
        reasons.append(Reason("not_approved", message))
    for item in SAFEGUARDING_ITEMS:
        expiry = facts.safeguarding.get(item)
        if expiry is None:
            reasons.append(Reason(f"{item}_missing", MISSING[item]))
        elif expiry < day:
            reasons.append(
                Reason(
                    f"{item}_expired",
                    f"{ITEM_NAMES[item]}: expired on {date_words(expiry)}",
                )
            )
    for check in required:
        expiry = facts.checks.get(check.id)
        if expiry is None:
            reasons.append(Reason(f"check_{check.id}_missing", f"No current {check.name}"))
        elif expiry < day:
            reasons.append(
                Reason(
                    f"check_{check.id}_expired",
                    f"No current {check.name}: expired on {date_words(expiry)}",
                )
            )
    if facts.recovery_date is None:
        reasons.append(
            Reason("recovery_unconfirmed", "Recovery date not confirmed by the champion yet")
        )
    else:
        ready = add_months(facts.recovery_date, min_recovery_months)
        if ready > day:
            reasons.append(
                Reason(
                    "recovery_too_recent",
                    f"Less than {min_recovery_months} months in recovery "
                    f"(reaches {min_recovery_months} months on {date_words(ready)})",
                )
            )
    for away in facts.away:
        if away.contains(day):
            reasons.append(
                Reason(
                    "away",
                    f"Away from {date_words(away.first)} to {date_words(away.last)}",
                )
            )
            break
    if facts.weekly_cap == 0:
        reasons.append(Reason("weekly_cap", "Takes no escorts: their weekly limit is 0"))
    return reasons


def can_escort_on(
    facts: VolunteerFacts,
    day: date,
    min_recovery_months: int,
    required: Sequence[RequiredCheck] = (),
) -> bool:
    """True when nothing stops the volunteer escorting on `day`."""
    return not escort_reasons(facts, day, min_recovery_months, required)
