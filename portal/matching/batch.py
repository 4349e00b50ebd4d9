"""Batch proposal: every open request assigned at once, maximising the total score exactly.

Eligibility and scores come from the vectorised pool; the solving (and why it is exact) lives in
``portal.matching.solver``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from portal.matching.eligibility import Reason
from portal.matching.model import RequestFacts, Rules, VolunteerFacts, WeekKey
from portal.matching.pool import SUMMARY_LABELS, VolunteerPool, to_micros
from portal.matching.scoring import Score, score
from portal.matching.solver import AssignmentProblem, Solution, solve_exact, solve_greedy


@dataclass(frozen=True, slots=True)
class Pair:
    """A proposed escort: request, volunteer and the score that earned it."""

    request: RequestFacts
    volunteer: VolunteerFacts
    score: Score


@dataclass(frozen=True)
class BatchResult:
    """Proposed pairs, requests left without a volunteer (with reasons) and the total score.

    ``method`` names the solver path taken; ``candidates`` maps each request id to how many
    volunteers were eligible for it.
    """

    pairs: list[Pair]
    unassigned: dict[int, list[Reason]]
    total_score: float
    method: str = ""
    candidates: dict[int, int] = field(default_factory=dict)

    @property
    def total_centipoints(self) -> int:
        """Total in hundredths of a point (exact)."""
        return sum(p.score.centipoints for p in self.pairs)


@dataclass(frozen=True)
class _Prepared:
    pool: VolunteerPool
    requests: list[RequestFacts]
    problem: AssignmentProblem
    counts: np.ndarray


def _prepare(
    requests: Iterable[RequestFacts],
    volunteers: Sequence[VolunteerFacts] | VolunteerPool,
    rules: Rules,
) -> _Prepared:
    if isinstance(volunteers, VolunteerPool):
        if volunteers.rules != rules:
            raise ValueError("the volunteer pool was prepared with different rules")
        pool = volunteers
    else:
        pool = VolunteerPool(volunteers, rules)
    ordered = sorted(requests, key=lambda r: r.id)
    if len({r.id for r in ordered}) != len(ordered):
        raise ValueError("request ids must be unique")
    weeks: dict[WeekKey, int] = {}
    pair_req, pair_vol, pair_score, pair_cap = [], [], [], []
    counts = np.zeros(len(ordered), dtype=np.int64)
    for i, request in enumerate(ordered):
        index = pool.eligible(request)
        counts[i] = len(index)
        if not len(index):
            continue
        weeks.setdefault(request.week, len(weeks))
        booked = pool.booked_in(request.week)
        pair_req.append(np.full(len(index), i, dtype=np.int64))
        pair_vol.append(index)
        pair_score.append(pool.scores(request, index))
        pair_cap.append(pool.caps[index] - (0 if booked is None else booked[index]))
    empty = np.zeros(0, dtype=np.int64)
    problem = AssignmentProblem(
        n_requests=len(ordered),
        pair_request=np.concatenate(pair_req) if pair_req else empty,
        pair_volunteer=np.concatenate(pair_vol) if pair_vol else empty,
        pair_score=np.concatenate(pair_score) if pair_score else empty,
        pair_capacity=np.concatenate(pair_cap) if pair_cap else empty,
        request_start=np.array([to_micros(r.start) for r in ordered], dtype=np.int64),
        request_end=np.array([to_micros(r.end) for r in ordered], dtype=np.int64),
        request_week=np.array([weeks.get(r.week, -1) for r in ordered], dtype=np.int64),
    )
    return _Prepared(pool, ordered, problem, counts)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _needed_elsewhere(eligible: int) -> Reason:
    if eligible == 1:
        text = "The only eligible volunteer was needed for another request"
    else:
        text = f"All {eligible:,} eligible volunteers were needed for other requests"
    return Reason("needed_elsewhere", f"{text} at the same time or in the same week")


def _no_one_fits(pool: VolunteerPool, request: RequestFacts) -> list[Reason]:
    reasons = [
        Reason(
            "no_eligible",
            f"No volunteer fits: nobody in the pool of {pool.size:,} meets every rule",
        )
    ]
    for code, n in pool.summarise_exclusions(request):
        reasons.append(
            Reason(code, f"{SUMMARY_LABELS[code]}: {_plural(n, 'volunteer', 'volunteers')}")
        )
    return reasons


def _result(prepared: _Prepared, solution: Solution, rules: Rules) -> BatchResult:
    problem, pool, requests = prepared.problem, prepared.pool, prepared.requests
    pairs = []
    assigned = set()
    for p in solution.chosen.tolist():
        request = requests[int(problem.pair_request[p])]
        volunteer = pool.volunteers[int(problem.pair_volunteer[p])]
        pairs.append(Pair(request, volunteer, score(volunteer, request, rules)))
        assigned.add(request.id)
    pairs.sort(key=lambda pair: pair.request.id)
    unassigned: dict[int, list[Reason]] = {}
    for i, request in enumerate(requests):
        if request.id in assigned:
            continue
        eligible = int(prepared.counts[i])
        if eligible == 0:
            unassigned[request.id] = _no_one_fits(pool, request)
        else:
            unassigned[request.id] = [_needed_elsewhere(eligible)]
    total = sum(pair.score.centipoints for pair in pairs)
    return BatchResult(
        pairs=pairs,
        unassigned=unassigned,
        total_score=total / 100,
        method=solution.method,
        candidates={r.id: int(c) for r, c in zip(requests, prepared.counts, strict=True)},
    )


def assign_batch(
    requests: Iterable[RequestFacts],
    volunteers: Sequence[VolunteerFacts] | VolunteerPool,
    rules: Rules,
    *,
    solve: Callable[[AssignmentProblem], Solution] = solve_exact,
) -> BatchResult:
    """Propose at most one volunteer per request, maximising the total score exactly.

    `solve` is the exact solver; the greedy baseline below passes its own.
    """
    prepared = _prepare(requests, volunteers, rules)
    return _result(prepared, solve(prepared.problem), rules)


# Baseline for comparison: highest-scoring pair first; not optimal.
greedy_assign = partial(assign_batch, solve=solve_greedy)
