"""Independent reference answers for the solver: brute force and a plain pairwise MILP."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from portal.matching import (
    AssignmentProblem,
    RequestFacts,
    Rules,
    VolunteerFacts,
    check_eligibility,
    score,
)
from portal.matching.pool import to_micros


def brute_force_best(problem: AssignmentProblem) -> int:
    """Best total score by trying every assignment (small problems only)."""
    by_request: dict[int, list[int]] = defaultdict(list)
    for p, r in enumerate(problem.pair_request.tolist()):
        by_request[r].append(p)
    requests = sorted(by_request)
    vol = problem.pair_volunteer.tolist()
    cap = problem.pair_capacity.tolist()
    points = problem.pair_score.tolist()
    week = problem.request_week.tolist()
    start, end = problem.request_start.tolist(), problem.request_end.tolist()
    used: dict[tuple[int, int], int] = defaultdict(int)
    busy: dict[int, list[int]] = defaultdict(list)
    best = 0

    def search(i: int, total: int) -> None:
        nonlocal best
        if i == len(requests):
            best = max(best, total)
            return
        r = requests[i]
        search(i + 1, total)
        for p in by_request[r]:
            v = vol[p]
            if used[(v, week[r])] >= cap[p]:
                continue
            if any(start[r] < end[q] and start[q] < end[r] for q in busy[v]):
                continue
            used[(v, week[r])] += 1
            busy[v].append(r)
            search(i + 1, total + points[p])
            busy[v].pop()
            used[(v, week[r])] -= 1

    search(0, 0)
    return best


def pairwise_milp_best(problem: AssignmentProblem) -> int:
    """Best total from a MILP with one row per overlapping pair (a different formulation)."""
    n = problem.n_pairs
    if n == 0:
        return 0
    rows: list[list[int]] = []
    upper: list[float] = []
    by_request: dict[int, list[int]] = defaultdict(list)
    by_week: dict[tuple[int, int], list[int]] = defaultdict(list)
    by_volunteer: dict[int, list[int]] = defaultdict(list)
    req = problem.pair_request.tolist()
    for p in range(n):
        v = int(problem.pair_volunteer[p])
        by_request[req[p]].append(p)
        by_week[(v, int(problem.request_week[req[p]]))].append(p)
        by_volunteer[v].append(p)
    for members in by_request.values():
        rows.append(members)
        upper.append(1)
    for members in by_week.values():
        rows.append(members)
        upper.append(float(problem.pair_capacity[members[0]]))
    start, end = problem.request_start, problem.request_end
    for members in by_volunteer.values():
        for p, q in combinations(members, 2):
            if start[req[p]] < end[req[q]] and start[req[q]] < end[req[p]]:
                rows.append([p, q])
                upper.append(1)
    row_idx = np.concatenate([np.full(len(m), i) for i, m in enumerate(rows)])
    col_idx = np.concatenate([np.array(m) for m in rows])
    matrix = sparse.csr_array((np.ones(len(col_idx)), (row_idx, col_idx)), shape=(len(rows), n))
    result = milp(
        -problem.pair_score.astype(float),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(matrix, -np.inf, np.array(upper)),
        options={"mip_rel_gap": 0.0},
    )
    return int(round(problem.pair_score[result.x > 0.5].sum()))


def facts_problem(
    requests: list[RequestFacts], volunteers: list[VolunteerFacts], rules: Rules
) -> AssignmentProblem:
    """The assignment problem built with the named checks and scalar scores only."""
    reqs = sorted(requests, key=lambda r: r.id)
    vols = sorted(volunteers, key=lambda v: v.id)
    weeks: dict[tuple[int, int], int] = {}
    pr, pv, ps, pc = [], [], [], []
    for i, r in enumerate(reqs):
        for j, v in enumerate(vols):
            if not check_eligibility(v, r, rules):
                pr.append(i)
                pv.append(j)
                ps.append(score(v, r, rules).centipoints)
                pc.append(v.remaining_in_week(r.week))
    return AssignmentProblem(
        n_requests=len(reqs),
        pair_request=pr,
        pair_volunteer=pv,
        pair_score=ps,
        pair_capacity=pc,
        request_start=[to_micros(r.start) for r in reqs],
        request_end=[to_micros(r.end) for r in reqs],
        request_week=[weeks.setdefault(r.week, len(weeks)) for r in reqs],
    )
