"""Vectorised eligibility and scoring of a whole volunteer pool against one request at a time.

The batch path needs eligibility and scores for millions of volunteer-request pairs; the named
checks in ``eligibility`` cost microseconds each in Python, so this module holds the pool as
NumPy arrays indexed by volunteer and evaluates every rule as one array operation. It encodes
exactly the same rules; the property tests hold it to ``check_eligibility`` and ``score``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from portal.matching.model import (
    SAFEGUARDING_ITEMS,
    RequestFacts,
    Rules,
    VolunteerFacts,
    add_months,
    week_of_month,
)
from portal.matching.scoring import (
    centipoints,
    haversine_km,
    load_fraction,
    reliability_fraction,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NEVER = np.iinfo(np.int64).max // 2
_MICROSECOND = timedelta(microseconds=1)

# Summary wording when nobody fits: code -> label ahead of the count.
SUMMARY_LABELS = {
    "not_approved": "Not approved, paused or withdrawn",
    "safeguarding": "A safeguarding item missing or out of date on the meeting day",
    "recovery": "Recovery time too short or not confirmed",
    "not_free": "Not free then",
    "away": "Away that day",
    "overlapping_escort": "Already escorting at that time",
    "weekly_cap": "Weekly limit reached",
    "gender_wish": "Not the gender the client asked for",
    "language_wish": "Do not speak the language the client asked for",
    "fellowship_wish": "No experience of the fellowship the client asked for",
    "accompany_rule": "Only accompany people of their own gender",
    "too_far": "Live too far from the venue for how they travel",
    "declined_before": "Declined this request before",
    "conflict_of_interest": "Conflict of interest with this client",
}


def to_micros(moment: datetime) -> int:
    """Exact integer microseconds since the epoch (floats would blur back-to-back slots)."""
    return (moment - _EPOCH) // _MICROSECOND


def _index_sets(
    values: Iterable[tuple[int, Iterable[object]]], size: int
) -> dict[object, np.ndarray]:
    """Map each value to a boolean mask of the volunteers that have it."""
    masks: dict[object, np.ndarray] = {}
    for i, items in values:
        for item in items:
            mask = masks.get(item)
            if mask is None:
                mask = masks[item] = np.zeros(size, dtype=bool)
            mask[i] = True
    return masks


class VolunteerPool:
    """A volunteer pool prepared for fast evaluation against many requests."""

    def __init__(self, volunteers: Iterable[VolunteerFacts], rules: Rules) -> None:
        self.rules = rules
        self.volunteers: list[VolunteerFacts] = sorted(volunteers, key=lambda v: v.id)
        vols = self.volunteers
        n = self.size = len(vols)
        if len({v.id for v in vols}) != n:
            raise ValueError("volunteer ids must be unique")
        self.ids = np.array([v.id for v in vols], dtype=np.int64)
        self._none = np.zeros(n, dtype=bool)

        self.approved = np.array([v.status == "approved" for v in vols], dtype=bool)
        self.genders = _index_sets(((i, [v.gender]) for i, v in enumerate(vols)), n)
        self.same_gender_only = np.array([v.accompanies == "same_gender" for v in vols], bool)
        self.languages = _index_sets(((i, v.languages_folded) for i, v in enumerate(vols)), n)
        self.fellowships = _index_sets(((i, v.fellowships) for i, v in enumerate(vols)), n)

        # Earliest expiry over the required items; -1 when any is missing, so it always fails.
        required = [check.id for check in rules.required_checks]

        def min_expiry(v: VolunteerFacts) -> int:
            expiries = [v.safeguarding.get(item) for item in SAFEGUARDING_ITEMS]
            expiries += [v.checks.get(kind) for kind in required]
            if any(e is None for e in expiries):
                return -1
            return min(e.toordinal() for e in expiries if e is not None)

        self.safeguarding_until = np.array([min_expiry(v) for v in vols], dtype=np.int64)

        def ready_from(v: VolunteerFacts) -> int:
            if v.recovery_date is None:
                return _NEVER
            try:
                return add_months(v.recovery_date, rules.min_recovery_months).toordinal()
            except ValueError:  # beyond year 9999: never ready in practice
                return _NEVER

        self.recovery_ready = np.array([ready_from(v) for v in vols], dtype=np.int64)

        # Weekly windows per weekday, as flat arrays to test all at once.
        by_day: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for i, v in enumerate(vols):
            for w in v.windows:
                by_day[w.weekday].append((w.start_seconds, w.end_seconds, i))
        self.windows = {
            day: tuple(np.array(col, dtype=np.int64) for col in zip(*rows, strict=True))
            for day, rows in by_day.items()
        }

        # Meetings attended: meeting id -> (volunteer index, allowed-week matrix [k, 6]).
        attend: dict[int, list[tuple[int, list[bool]]]] = defaultdict(list)
        for i, v in enumerate(vols):
            for meeting_id, pattern in v.meetings.items():
                weeks = [pattern == "every" or w in pattern for w in range(6)]
                attend[meeting_id].append((i, weeks))
        self.attendance = {
            m: (
                np.array([i for i, _ in rows], dtype=np.int64),
                np.array([w for _, w in rows], dtype=bool).reshape(len(rows), 6),
            )
            for m, rows in attend.items()
        }

        away = [
            (i, r.first.toordinal(), r.last.toordinal()) for i, v in enumerate(vols) for r in v.away
        ]
        self.away = (
            tuple(np.array(col, dtype=np.int64) for col in zip(*away, strict=True))
            if away
            else None
        )

        escorts = [
            (i, to_micros(s.start), to_micros(s.end)) for i, v in enumerate(vols) for s in v.escorts
        ]
        self.escorts = (
            tuple(np.array(col, dtype=np.int64) for col in zip(*escorts, strict=True))
            if escorts
            else None
        )

        self.caps = np.array([v.weekly_cap for v in vols], dtype=np.int64)
        booked: dict[tuple[int, int], np.ndarray] = {}
        for i, v in enumerate(vols):
            for key, count in v.booked_per_week.items():
                booked.setdefault(key, np.zeros(n, dtype=np.int64))[i] = count
        self._booked = booked

        self.declined = _index_sets(((i, v.declined_requests) for i, v in enumerate(vols)), n)
        self.conflicts = _index_sets(((i, v.conflict_clients) for i, v in enumerate(vols)), n)

        # Scoring inputs; parts that depend only on the volunteer are computed once with the
        # same scalar functions the single-request path uses.
        w = rules.weights
        self.static_centi = np.array(
            [
                centipoints(w["load"], load_fraction(v.escorts_last_30_days))
                + centipoints(w["reliability"], reliability_fraction(v, rules))
                for v in vols
            ],
            dtype=np.int64,
        )
        self.lat = np.array([np.nan if v.lat is None else v.lat for v in vols], dtype=np.float64)
        self.lon = np.array([np.nan if v.lon is None else v.lon for v in vols], dtype=np.float64)
        self.has_coords = ~(np.isnan(self.lat) | np.isnan(self.lon))
        limits = [rules.travel_limit(v.travel_modes) for v in vols]
        self.travel_limit = np.array(
            [np.inf if limit is None else limit[1] for limit in limits], dtype=np.float64
        )
        self._limited = bool(np.any(self.has_coords & np.isfinite(self.travel_limit)))
        self._km: dict[tuple[float, float], np.ndarray] = {}
        area_codes: dict[str, int] = {}
        self.area = np.array(
            [
                area_codes.setdefault(a, len(area_codes))
                if (a := v.home_area.strip().casefold())
                else -1
                for v in vols
            ],
            dtype=np.int64,
        )
        self._area_codes = area_codes
        self._attend_full = centipoints(w["attends_meeting"], 1.0)
        self._attend_half = centipoints(w["attends_meeting"], 0.5)
        self._fellowship_centi = centipoints(w["knows_fellowship"], 1.0)
        self._same_area_centi = centipoints(w["distance"], rules.same_area_fraction)
        self._distance_weight = w["distance"]

    def booked_in(self, week: tuple[int, int]) -> np.ndarray | None:
        """Escorts already booked per volunteer in that ISO week (None when nobody has any)."""
        return self._booked.get(week)

    def _mask(self, table: dict[object, np.ndarray], key: object) -> np.ndarray:
        return table.get(key, self._none)

    def _marked(self, index: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        mask[index] = True
        return mask

    def attends(self, request: RequestFacts) -> tuple[np.ndarray, np.ndarray]:
        """Masks: goes to this meeting that week; goes to it at all."""
        entry = self.attendance.get(request.meeting_id)
        if entry is None:
            return self._none, self._none
        index, weeks = entry
        week = week_of_month(request.meeting_date)
        return self._marked(index[weeks[:, week]]), self._marked(index)

    def _window_covers(self, request: RequestFacts) -> np.ndarray:
        span = request.window_span
        entry = self.windows.get(request.local_start.weekday())
        if span is None or entry is None:
            return self._none
        starts, ends, index = entry
        return self._marked(index[(starts <= span[0]) & (ends >= span[1])])

    def distances(self, request: RequestFacts) -> np.ndarray | None:
        """Km from every volunteer's district centre to the venue (NaN where unknown); None
        when the venue has no point. Kept per venue point: a batch has many requests per venue.
        """
        if request.lat is None or request.lon is None:
            return None
        key = (request.lat, request.lon)
        km = self._km.get(key)
        if km is None:
            if len(self._km) >= 4096:
                self._km.clear()
            km = self._km[key] = haversine_km(
                self.lat,
                self.lon,
                np.full(self.size, request.lat, dtype=np.float64),
                np.full(self.size, request.lon, dtype=np.float64),
            )
        return km

    def rule_masks(self, request: RequestFacts) -> list[tuple[str, np.ndarray]]:
        """For each hard rule, the mask of volunteers who pass it."""
        day = request.meeting_date.toordinal()
        attends_week, _ = self.attends(request)
        masks = [
            ("not_approved", self.approved),
            ("safeguarding", self.safeguarding_until >= day),
            ("recovery", self.recovery_ready <= day),
            ("not_free", attends_week | self._window_covers(request)),
        ]
        if self.away is not None:
            index, first, last = self.away
            days = [d.toordinal() for d in request.local_dates]
            hit = (first <= days[-1]) & (last >= days[0])
            masks.append(("away", ~self._marked(index[hit])))
        if self.escorts is not None:
            index, starts, ends = self.escorts
            hit = (starts < to_micros(request.end)) & (ends > to_micros(request.start))
            masks.append(("overlapping_escort", ~self._marked(index[hit])))
        booked = self._booked.get(request.week)
        masks.append(("weekly_cap", self.caps > (0 if booked is None else booked)))
        if request.peer_gender != "any":
            masks.append(("gender_wish", self._mask(self.genders, request.peer_gender)))
        if request.folded_language is not None:
            masks.append(("language_wish", self._mask(self.languages, request.folded_language)))
        if request.wants_fellowship_experience:
            masks.append(("fellowship_wish", self._mask(self.fellowships, request.fellowship)))
        if request.client_gender is None:
            masks.append(("accompany_rule", ~self.same_gender_only))
        else:
            own = self._mask(self.genders, request.client_gender)
            masks.append(("accompany_rule", ~self.same_gender_only | own))
        if self._limited:
            km = self.distances(request)
            if km is not None:
                within = np.ones(self.size, dtype=bool)
                known = self.has_coords
                within[known] = km[known] <= self.travel_limit[known]
                masks.append(("too_far", within))
        if request.id in self.declined:
            masks.append(("declined_before", ~self.declined[request.id]))
        if request.client_id in self.conflicts:
            masks.append(("conflict_of_interest", ~self.conflicts[request.client_id]))
        return masks

    def eligible(self, request: RequestFacts) -> np.ndarray:
        """Indices (into ``volunteers``, ascending id) of volunteers passing every rule."""
        masks = self.rule_masks(request)
        combined = masks[0][1].copy()
        for _, mask in masks[1:]:
            combined &= mask
        return np.flatnonzero(combined)

    def scores(self, request: RequestFacts, index: np.ndarray) -> np.ndarray:
        """Score in centipoints of the volunteers at ``index`` (equal to ``score()``)."""
        attends_week, attends_any = self.attends(request)
        total = self.static_centi[index].copy()
        total += np.where(
            attends_week[index],
            self._attend_full,
            np.where(attends_any[index], self._attend_half, 0),
        )
        fellows = self.fellowships.get(request.fellowship)
        if fellows is not None:
            total += np.where(fellows[index], self._fellowship_centi, 0)
        total += self._distance_centi(request, index)
        return total

    def _distance_centi(self, request: RequestFacts, index: np.ndarray) -> np.ndarray:
        result = np.zeros(len(index), dtype=np.int64)
        distances = self.distances(request)
        if distances is not None:
            known = self.has_coords[index]
            km = distances[index[known]]
            fraction = np.maximum(0.0, 1.0 - km / self.rules.max_travel_km)
            result[known] = np.rint(self._distance_weight * fraction * 100.0).astype(np.int64)
            unknown = ~known
        else:
            unknown = np.ones(len(index), dtype=bool)
        code = self._area_codes.get(request.area.strip().casefold())
        if code is not None:
            same = unknown & (self.area[index] == code)
            result[same] = self._same_area_centi
        return result

    def summarise_exclusions(self, request: RequestFacts) -> list[tuple[str, int]]:
        """How many volunteers fail each rule (a volunteer may fail several), most first."""
        counts = [
            (code, int(self.size - np.count_nonzero(mask)))
            for code, mask in self.rule_masks(request)
        ]
        return sorted(((c, n) for c, n in counts if n), key=lambda item: (-item[1], item[0]))


def pool_of(volunteers: Sequence[VolunteerFacts] | VolunteerPool, rules: Rules) -> VolunteerPool:
    """Reuse a prepared pool, or prepare one."""
    if isinstance(volunteers, VolunteerPool):
        return volunteers
    return VolunteerPool(volunteers, rules)
