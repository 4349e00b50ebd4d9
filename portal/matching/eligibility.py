"""Hard rules: each a named check that passes (None) or says, in plain English, why not."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from portal.dates import clock, date_words
from portal.matching.distance import haversine_km
from portal.matching.model import (
    LONDON,
    SAFEGUARDING_LABELS,
    RequestFacts,
    Rules,
    VolunteerFacts,
    add_months,
)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a volunteer cannot take a request: a stable code and a sentence for the champion."""

    code: str
    message: str


Check = Callable[[VolunteerFacts, RequestFacts, Rules], "Reason | None"]

_STATUS_MESSAGES = {
    "applied": "Not approved yet: their application is still being checked",
    "paused": "Paused: not taking escorts at the moment",
    "withdrawn": "Withdrawn: no longer volunteering",
}


_GENDER_WORDS = {"woman": "a woman", "man": "a man", "non-binary": "non-binary"}


def check_approved(volunteer: VolunteerFacts, request: RequestFacts, rules: Rules) -> Reason | None:
    """The volunteer must be approved (not applied, paused or withdrawn)."""
    if volunteer.status == "approved":
        return None
    message = _STATUS_MESSAGES.get(volunteer.status, f"Status is {volunteer.status!r}")
    return Reason("not_approved", message)


def _safeguarding_check(item: str) -> Check:
    label = SAFEGUARDING_LABELS[item]

    def check(volunteer: VolunteerFacts, request: RequestFacts, rules: Rules) -> Reason | None:
        expiry = volunteer.safeguarding.get(item)
        if expiry is None:
            return Reason(f"{item}_missing", f"{label}: none on record")
        # An item is valid up to and including its expiry date.
        if expiry < request.meeting_date:
            return Reason(
                f"{item}_expired",
                f"{label} expires before the meeting (expires {date_words(expiry)}; "
                f"meeting {date_words(request.meeting_date)})",
            )
        return None

    check.__name__ = f"check_{item}"
    check.__qualname__ = check.__name__
    check.__doc__ = f"The volunteer's {label.lower()} must be on record and valid that day."
    return check


check_dbs = _safeguarding_check("dbs")
check_training = _safeguarding_check("training")
check_references = _safeguarding_check("references")
check_lone_working = _safeguarding_check("lone_working")
check_code_of_conduct = _safeguarding_check("code_of_conduct")


def check_required_kinds(
    volunteer: VolunteerFacts, request: RequestFacts, rules: Rules
) -> Reason | None:
    """The volunteer must hold, in date on the meeting day, each check the service requires.

    One reason names the first kind missing; the champion's record page lists them all.
    """
    for required in rules.required_checks:
        expiry = volunteer.checks.get(required.id)
        if expiry is None:
            return Reason(f"check_{required.id}_missing", f"No current {required.name}")
        if expiry < request.meeting_date:
            return Reason(
                f"check_{required.id}_expired",
                f"No current {required.name} on the day of the meeting "
                f"(expires {date_words(expiry)}; meeting {date_words(request.meeting_date)})",
            )
    return None


def check_recovery_time(
    volunteer: VolunteerFacts, request: RequestFacts, rules: Rules
) -> Reason | None:
    """The volunteer's confirmed recovery time must reach the minimum by the meeting date."""
    months = rules.min_recovery_months
    recovered = volunteer.recovery_date
    if recovered is None:
        return Reason("recovery_unconfirmed", "Recovery date not confirmed yet")
    # No month is longer than 31 days, so this settles most volunteers without calendar work.
    if recovered.toordinal() + 31 * months <= request.meeting_ordinal:
        return None
    ready = add_months(recovered, months)
    if ready > request.meeting_date:
        return Reason(
            "recovery_too_recent",
            f"Less than {months} months in recovery at the meeting "
            f"(reaches {months} months on {date_words(ready)})",
        )
    return None


def attends_that_week(volunteer: VolunteerFacts, request: RequestFacts) -> bool:
    """True when the volunteer goes to this meeting on the week of the month it falls in."""
    pattern = volunteer.meetings.get(request.meeting_id)
    if pattern is None:
        return False
    return pattern == "every" or request.week_of_month in pattern


def window_covers(volunteer: VolunteerFacts, request: RequestFacts) -> bool:
    """True when one weekly window covers the whole escort in Europe/London wall-clock time."""
    span = request.window_span
    if span is None:
        return False
    weekday = request.local_weekday
    start, end = span
    for w in volunteer.windows:
        if w.weekday == weekday and w.start_seconds <= start and end <= w.end_seconds:
            return True
    return False


def check_free_then(
    volunteer: VolunteerFacts, request: RequestFacts, rules: Rules
) -> Reason | None:
    """The volunteer goes to that meeting that week, or a weekly window covers the escort."""
    if attends_that_week(volunteer, request) or window_covers(volunteer, request):
        return None
    return _not_free(request.when_text)


# Most of a ranking's pool fails the same way for one request: one Reason each, not thousands.
@lru_cache(maxsize=256)
def _not_free(when: str) -> Reason:
    return Reason(
        "not_free",
        f"Not free then: does not go to this meeting that week and no weekly availability "
        f"covers {when}",
    )


def check_not_away(volunteer: VolunteerFacts, request: RequestFacts, rules: Rules) -> Reason | None:
    """The volunteer must not be away on the day of the escort."""
    for away in volunteer.away:
        for day in request.local_dates:
            if away.contains(day):
                return Reason(
                    "away",
                    f"Away on {date_words(day)} (away {date_words(away.first)} "
                    f"to {date_words(away.last)})",
                )
    return None


def check_no_overlap(
    volunteer: VolunteerFacts, request: RequestFacts, rules: Rules
) -> Reason | None:
    """The volunteer must not already be escorting at an overlapping time."""
    for slot in volunteer.escorts:
        if slot.start < request.end and request.start < slot.end:
            start, end = slot.start.astimezone(LONDON), slot.end.astimezone(LONDON)
            return Reason(
                "overlapping_escort",
                f"Already escorting someone at an overlapping time "
                f"({date_words(start.date())}, {clock(start)} to "
                f"{clock(end)})",
            )
    return None


def check_weekly_cap(
    volunteer: VolunteerFacts, request: RequestFacts, rules: Rules
) -> Reason | None:
    """The volunteer must be under their weekly cap in the ISO week of the meeting."""
    if volunteer.remaining_in_week(request.week) > 0:
        return None
    booked = volunteer.booked_per_week.get(request.week, 0)
    monday = date.fromisocalendar(*request.week, 1)
    return Reason(
        "weekly_cap",
        f"Weekly limit reached: {booked} of {volunteer.weekly_cap} escorts already booked "
        f"in the week of {date_words(monday)}",
    )


def check_gender_wish(
    volunteer: VolunteerFacts, request: RequestFacts, rules: Rules
) -> Reason | None:
    """The client's wish about the peer's gender must be met."""
    wish = request.peer_gender
    if wish == "any" or volunteer.gender == wish:
        return None
    return Reason(
        "gender_wish", f"The client asked for a peer who is {_GENDER_WORDS.get(wish, wish)}"
    )


def check_language_wish(
    volunteer: VolunteerFacts, request: RequestFacts, rules: Rules
) -> Reason | None:
    """The client's wish for a language must be met."""
    wanted = request.folded_language
    if wanted is None or wanted in volunteer.languages_folded:
        return None
    return Reason("language_wish", f"The client asked for someone who speaks {request.language}")


def check_fellowship_wish(
    volunteer: VolunteerFacts, request: RequestFacts, rules: Rules
) -> Reason | None:
    """When the client asked for fellowship experience, the volunteer must know it."""
    if not request.wants_fellowship_experience or request.fellowship in volunteer.fellowships:
        return None
    return _fellowship_wish(request.fellowship)


@lru_cache(maxsize=64)
def _fellowship_wish(fellowship: str) -> Reason:
    return Reason(
        "fellowship_wish", f"The client asked for someone with experience of {fellowship}"
    )


def check_accompany_rule(
    volunteer: VolunteerFacts, request: RequestFacts, rules: Rules
) -> Reason | None:
    """The volunteer's own rule on whom they accompany must hold."""
    if volunteer.accompanies != "same_gender":
        return None
    if request.client_gender is None:
        return Reason(
            "accompany_rule",
            "Only accompanies people of their own gender, and the client's gender is not recorded",
        )
    if request.client_gender != volunteer.gender:
        return Reason("accompany_rule", "Only accompanies people of their own gender")
    return None


TOO_FAR_WORDS = {
    "walk": "Too far to walk",
    "public_transport": "Too far by public transport",
    "car": "Too far to drive",
}


# Distances worked out for a whole ranking at once: (the request, km by id() of each volunteer).
_KNOWN: ContextVar[tuple[RequestFacts, dict[int, float]] | None] = ContextVar(
    "known_distances", default=None
)


@contextmanager
def distances_known(volunteers: Sequence[VolunteerFacts], request: RequestFacts) -> Iterator[None]:
    """Work out every volunteer's distance to the venue in one NumPy call for the checks and
    scores made inside; one call per volunteer would cost more than the rest of a ranking."""
    known: dict[int, float] = {}
    if request.lat is not None and request.lon is not None:
        located = [v for v in volunteers if v.lat is not None and v.lon is not None]
        if located:
            n = len(located)
            km = haversine_km(
                np.array([v.lat for v in located], dtype=np.float64),
                np.array([v.lon for v in located], dtype=np.float64),
                np.full(n, request.lat, dtype=np.float64),
                np.full(n, request.lon, dtype=np.float64),
            )
            known = {id(v): k for v, k in zip(located, km.tolist(), strict=True)}
    token = _KNOWN.set((request, known))
    try:
        yield
    finally:
        _KNOWN.reset(token)


def distance_km(volunteer: VolunteerFacts, request: RequestFacts) -> float | None:
    """Kilometres from the volunteer's home district's centre to the venue; None if unknown.

    NumPy's haversine, the very sums the pool does on a whole column (element by element, so
    one volunteer's figure is the same whichever way it is worked out).
    """
    if volunteer.lat is None or volunteer.lon is None or request.lat is None or request.lon is None:
        return None
    entry = _KNOWN.get()
    if entry is not None and entry[0] is request:
        known = entry[1].get(id(volunteer))
        if known is not None:
            return known
    coords = (volunteer.lat, volunteer.lon, request.lat, request.lon)
    return float(haversine_km(*(np.array([c], dtype=np.float64) for c in coords))[0])


def check_travel_distance(
    volunteer: VolunteerFacts, request: RequestFacts, rules: Rules
) -> Reason | None:
    """The venue must be within reach of how the volunteer travels (their furthest way)."""
    if volunteer.lat is None or not volunteer.travel_modes:
        return None
    limit = rules.travel_limit(volunteer.travel_modes)
    if limit is None:
        return None
    km = distance_km(volunteer, request)
    if km is None or km <= limit[1]:
        return None
    mode, most = limit
    return Reason(
        "too_far",
        f"{TOO_FAR_WORDS.get(mode, 'Too far')}: about {km:.1f} km (more than {most:g} km)",
    )


def check_not_declined(
    volunteer: VolunteerFacts, request: RequestFacts, rules: Rules
) -> Reason | None:
    """The volunteer must not have declined this request before."""
    if request.id in volunteer.declined_requests:
        return Reason("declined_before", "Declined this request before")
    return None


def check_no_conflict(
    volunteer: VolunteerFacts, request: RequestFacts, rules: Rules
) -> Reason | None:
    """There must be no recorded conflict of interest between the volunteer and the client."""
    if request.client_id in volunteer.conflict_clients:
        return Reason(
            "conflict_of_interest", "Has a recorded conflict of interest with this client"
        )
    return None


# Order is the order a champion reads the reasons in: status first, then vetting, then time.
CHECKS: tuple[Check, ...] = (
    check_approved,
    check_dbs,
    check_training,
    check_references,
    check_lone_working,
    check_code_of_conduct,
    check_required_kinds,
    check_recovery_time,
    check_free_then,
    check_not_away,
    check_no_overlap,
    check_weekly_cap,
    check_gender_wish,
    check_language_wish,
    check_fellowship_wish,
    check_accompany_rule,
    check_travel_distance,
    check_not_declined,
    check_no_conflict,
)


_VETTING = frozenset(
    (check_dbs, check_training, check_references, check_lone_working, check_code_of_conduct)
)
# The rules left once a volunteer's vetting is known to hold on the day: a ranking over
# thousands of volunteers skips five calls for nearly every one of them, in the same order.
_AFTER_VETTING: tuple[Check, ...] = tuple(check for check in CHECKS if check not in _VETTING)


def check_eligibility(
    volunteer: VolunteerFacts, request: RequestFacts, rules: Rules
) -> list[Reason]:
    """Every hard rule the volunteer fails for this request; empty means eligible."""
    vetted = volunteer.vetted_until
    checks = CHECKS if vetted is None or vetted < request.meeting_date else _AFTER_VETTING
    return [reason for check in checks if (reason := check(volunteer, request, rules)) is not None]


def is_eligible(volunteer: VolunteerFacts, request: RequestFacts, rules: Rules) -> bool:
    """True when the volunteer passes every hard rule (stops at the first failure)."""
    return all(check(volunteer, request, rules) is None for check in CHECKS)
