"""The exact solver's input and output as plain arrays, and a check that an answer keeps the rules.

Candidate pairs (request, volunteer) carry integer scores (hundredths of a point). An answer
gives each request at most one volunteer, each volunteer at most their remaining cap in each ISO
week, and no volunteer two chosen escorts at overlapping times.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AssignmentProblem:
    """The solver's whole input as arrays; volunteer index order is the tie-break order.

    ``pair_capacity`` is the volunteer's remaining cap in the ISO week of the pair's request;
    times are integer microseconds; weeks are any integer labels.
    """

    n_requests: int
    pair_request: np.ndarray
    pair_volunteer: np.ndarray
    pair_score: np.ndarray
    pair_capacity: np.ndarray
    request_start: np.ndarray
    request_end: np.ndarray
    request_week: np.ndarray

    def __post_init__(self) -> None:
        # Solvers index with these; coerce once so callers may pass lists.
        for name in (
            "pair_request",
            "pair_volunteer",
            "pair_score",
            "pair_capacity",
            "request_start",
            "request_end",
            "request_week",
        ):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.int64))
        n = len(self.pair_request)
        if any(len(a) != n for a in (self.pair_volunteer, self.pair_score, self.pair_capacity)):
            raise ValueError("pair arrays must have the same length")
        if any(
            len(a) != self.n_requests
            for a in (self.request_start, self.request_end, self.request_week)
        ):
            raise ValueError("request arrays must have n_requests entries")
        if n and (self.pair_score.min() < 0 or self.pair_capacity.min() < 0):
            raise ValueError("scores and capacities must not be negative")
        if n and (self.pair_request.min() < 0 or self.pair_request.max() >= self.n_requests):
            raise ValueError("pair_request out of range")
        if np.any(self.request_end <= self.request_start):
            raise ValueError("every request must end after it starts")

    @property
    def n_pairs(self) -> int:
        """Number of candidate pairs."""
        return len(self.pair_request)


@dataclass(frozen=True)
class Solution:
    """Chosen pair indices (ascending), their total score, and how it was found."""

    chosen: np.ndarray
    total: int
    method: str


def is_feasible(problem: AssignmentProblem, chosen: np.ndarray) -> bool:
    """True when the chosen pairs break no rule: one per request, caps, no overlaps."""
    chosen = np.asarray(chosen, dtype=np.int64)
    if len(np.unique(chosen)) != len(chosen):
        return False
    req = problem.pair_request[chosen]
    if len(np.unique(req)) != len(req):
        return False
    vol = problem.pair_volunteer[chosen]
    week = problem.request_week[req]
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for v, w in zip(vol.tolist(), week.tolist(), strict=True):
        counts[(v, w)] += 1
    caps = {
        (v, w): c
        for v, w, c in zip(
            vol.tolist(), week.tolist(), problem.pair_capacity[chosen].tolist(), strict=True
        )
    }
    if any(n > caps[k] for k, n in counts.items()):
        return False
    s, e = problem.request_start[req], problem.request_end[req]
    order = np.lexsort((s, vol))
    vol, s, e = vol[order], s[order], e[order]
    # Sorted by start, one volunteer's escorts are disjoint iff each starts after the last ends.
    return not bool(np.any((vol[1:] == vol[:-1]) & (s[1:] < e[:-1])))
