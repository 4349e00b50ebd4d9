"""Soft preferences: a score made of named, weighted parts, and the ranked candidate list."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from portal.matching.distance import EARTH_RADIUS_KM, haversine_km  # noqa: F401 (re-exported)
from portal.matching.eligibility import (
    Reason,
    attends_that_week,
    check_eligibility,
    distance_km,
    distances_known,
)
from portal.matching.model import RequestFacts, Rules, VolunteerFacts

PART_NAMES: tuple[str, ...] = (
    "attends_meeting",
    "knows_fellowship",
    "distance",
    "load",
    "reliability",
)


@dataclass(frozen=True, slots=True)
class ScorePart:
    """One named part of a score, in hundredths of a point, with why it scored that."""

    name: str
    centipoints: int
    explanation: str

    @property
    def points(self) -> float:
        """The part's points (two decimal places)."""
        return self.centipoints / 100


@dataclass(frozen=True, slots=True)
class Score:
    """A volunteer's score for one request: the sum of its parts."""

    parts: tuple[ScorePart, ...]

    @property
    def centipoints(self) -> int:
        """Total in hundredths of a point: integers keep batch optimisation exact."""
        return sum(part.centipoints for part in self.parts)

    @property
    def total(self) -> float:
        """Total points (two decimal places)."""
        return self.centipoints / 100

    def part(self, name: str) -> ScorePart:
        """The part with that name."""
        for part in self.parts:
            if part.name == name:
                return part
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An eligible volunteer and their score for the request."""

    volunteer: VolunteerFacts
    score: Score


class Excluded(NamedTuple):
    """An ineligible volunteer and every rule that excluded them."""

    volunteer: VolunteerFacts
    reasons: list[Reason]


@dataclass(frozen=True, slots=True)
class Ranking:
    """Eligible volunteers best first, and the excluded ones with their reasons."""

    eligible: list[Candidate]
    excluded: list[Excluded]


def centipoints(weight: float, fraction: float) -> int:
    """Weight times fraction in hundredths of a point, rounded half to even like NumPy's rint."""
    return round(weight * fraction * 100.0)


def load_fraction(escorts_last_30_days: int) -> float:
    """Share of the load weight: 1 with no recent escorts, halving-ish as they pile up."""
    return 1.0 / (1.0 + max(0, escorts_last_30_days))


def reliability_fraction(volunteer: VolunteerFacts, rules: Rules) -> float:
    """Completed share of accepted escorts, pulled towards the usual rate when there are few."""
    accepted = max(0, volunteer.accepted_count)
    completed = min(max(0, volunteer.completed_count), accepted)
    prior_weight = rules.reliability_prior_weight
    return (completed + rules.reliability_prior * prior_weight) / (accepted + prior_weight)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _attends_part(volunteer: VolunteerFacts, request: RequestFacts, weight: float) -> ScorePart:
    if attends_that_week(volunteer, request):
        return ScorePart(
            "attends_meeting", centipoints(weight, 1.0), "Already goes to this very meeting"
        )
    if request.meeting_id in volunteer.meetings:
        return ScorePart(
            "attends_meeting",
            centipoints(weight, 0.5),
            "Goes to this meeting, though not usually in that week of the month",
        )
    return ScorePart("attends_meeting", 0, "Does not go to this meeting")


def _fellowship_part(volunteer: VolunteerFacts, request: RequestFacts, weight: float) -> ScorePart:
    if request.fellowship in volunteer.fellowships:
        return ScorePart(
            "knows_fellowship", centipoints(weight, 1.0), f"Knows {request.fellowship}"
        )
    return ScorePart("knows_fellowship", 0, f"Has not said they know {request.fellowship}")


def _distance_part(
    volunteer: VolunteerFacts, request: RequestFacts, weight: float, rules: Rules
) -> ScorePart:
    km = distance_km(volunteer, request)
    if km is not None:
        fraction = max(0.0, 1.0 - km / rules.max_travel_km)
        if fraction == 0.0:
            text = f"About {km:.1f} km from the venue (more than {rules.max_travel_km:g} km)"
        else:
            text = f"About {km:.1f} km from the venue"
        return ScorePart("distance", centipoints(weight, fraction), text)
    if same_area(volunteer.home_area, request.area):
        return ScorePart(
            "distance",
            centipoints(weight, rules.same_area_fraction),
            f"Lives in the same area ({request.area}); exact distance unknown",
        )
    where = volunteer.home_area or "an unknown area"
    return ScorePart("distance", 0, f"Lives in a different area ({where}); exact distance unknown")


def same_area(home_area: str, meeting_area: str) -> bool:
    """Areas match when equal ignoring case and surrounding spaces (and not blank)."""
    home = home_area.strip().casefold()
    return bool(home) and home == meeting_area.strip().casefold()


def _load_part(volunteer: VolunteerFacts, weight: float) -> ScorePart:
    n = volunteer.escorts_last_30_days
    text = (
        "No escorts in the last 30 days"
        if n <= 0
        else f"{_plural(n, 'escort')} in the last 30 days"
    )
    return ScorePart("load", centipoints(weight, load_fraction(n)), text)


def _reliability_part(volunteer: VolunteerFacts, weight: float, rules: Rules) -> ScorePart:
    fraction = reliability_fraction(volunteer, rules)
    if volunteer.accepted_count <= 0:
        text = f"No escorts accepted yet, so counted as the usual {rules.reliability_prior:.0%}"
    else:
        completed = min(max(0, volunteer.completed_count), volunteer.accepted_count)
        text = f"Completed {completed} of {_plural(volunteer.accepted_count, 'accepted escort')}"
    return ScorePart("reliability", centipoints(weight, fraction), text)


def score(volunteer: VolunteerFacts, request: RequestFacts, rules: Rules) -> Score:
    """Score a volunteer for a request; meaningful only when they are eligible."""
    w = rules.weights
    return Score(
        (
            _attends_part(volunteer, request, w["attends_meeting"]),
            _fellowship_part(volunteer, request, w["knows_fellowship"]),
            _distance_part(volunteer, request, w["distance"], rules),
            _load_part(volunteer, w["load"]),
            _reliability_part(volunteer, w["reliability"], rules),
        )
    )


def candidate_order(candidate: Candidate) -> tuple[int, int]:
    """Sort key: highest score first, then lowest volunteer id."""
    return (-candidate.score.centipoints, candidate.volunteer.id)


def rank(volunteers: Iterable[VolunteerFacts], request: RequestFacts, rules: Rules) -> Ranking:
    """Eligible volunteers by score (ties to the lower id), and the excluded with reasons."""
    eligible: list[Candidate] = []
    excluded: list[Excluded] = []
    ordered = sorted(volunteers, key=lambda v: v.id)
    with distances_known(ordered, request):
        for volunteer in ordered:
            reasons = check_eligibility(volunteer, request, rules)
            if reasons:
                excluded.append(Excluded(volunteer, reasons))
            else:
                eligible.append(Candidate(volunteer, score(volunteer, request, rules)))
    eligible.sort(key=candidate_order)
    return Ranking(eligible, excluded)
