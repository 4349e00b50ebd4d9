"""Exact batch assignment on plain arrays: min-cost flow where it is exact, LP/MILP elsewhere.

The problem
-----------
Candidate pairs (request, volunteer) carry integer scores (hundredths of a point). Choose pairs
so that each request has at most one volunteer, each volunteer has at most their remaining cap in
each ISO week, and no volunteer has two chosen escorts at overlapping times; maximise the total.

How exactness is kept, and why two solvers
------------------------------------------
The problem splits into independent parts: connected components of the graph whose nodes are
requests and volunteers and whose edges are candidate pairs. Each part goes to one of two exact
methods.

*Min-cost flow (OR-Tools).* Take one volunteer's candidate escorts and cut them into connected
components of overlapping time. When every such component is a clique (all its escorts share a
common instant) inside one ISO week, "never two at overlapping times" is exactly "at most one
from each component", and the capacities nest as a tree: request -> component (cap 1) ->
volunteer-week (remaining cap) -> sink. A min-cost flow on that network is an exact solution.

*Column generation with a certificate (HiGHS via SciPy).* When some volunteer's overlaps form a
chain (A overlaps B, B overlaps C, A and C do not), an escort lies in two maximal cliques and no
tree of capacities expresses the rule; scheduling with such interval conflicts is NP-hard in
general, so the part is solved as an integer programme: one row per request, per volunteer-week
and per "instant of one volunteer's time" (at most one chosen escort covers it). Solving it whole
is slow at scale, so the LP relaxation is solved on a few promising pairs per request, and every
other pair is priced with the LP's duals y. For any y >= 0 and any feasible assignment x,
``score(x) <= y.b + sum over requests of max(0, best reduced cost)`` (a Lagrangian bound: each
request holds at most one pair). When an integral LP solution reaches that bound (to within one
hundredth of a point, scores being integers), it is optimal; otherwise more pairs are added and
the LP solved again, and should the LP stay fractional a MILP is solved on the pairs gathered and
held to the same bound, falling back to the MILP over every pair of the part. Every answer is
proved optimal, never assumed.

Ties: the flow optimises one integer, score first and then a tie-break bonus that favours, per
request, volunteers earlier in index order (the batch orders volunteers by id); the bonuses of
all pairs together are worth less than one hundredth of a point, so they only ever decide between
equal totals. The LP path carries the same preference as a tiny objective term (under 0.1 of a
hundredth per part), which HiGHS honours where its tolerances can see it. Either way the
construction and both solvers are deterministic: the same input gives the same output.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from portal.matching.arrays import Pairs, _sorted_components
from portal.matching.flow import _solve_flow
from portal.matching.lp import _make_part, _solve_lp
from portal.matching.problem import AssignmentProblem, Solution, is_feasible

__all__ = ["AssignmentProblem", "Solution", "is_feasible", "solve_exact", "solve_greedy"]


def _flow_safe_volunteers(
    vol: np.ndarray, week: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Per pair: False when its volunteer has a chain of overlaps or one across a week edge."""
    order, _, new_comp = _sorted_components(vol, np.zeros_like(vol), start, end)
    first = np.flatnonzero(new_comp)
    size = np.diff(np.append(first, len(order)))
    ss, se, sw = start[order], end[order], week[order]
    clique = np.maximum.reduceat(ss, first) < np.minimum.reduceat(se, first)
    one_week = np.maximum.reduceat(sw, first) == np.minimum.reduceat(sw, first)
    bad_comp = (size >= 2) & ~(clique & one_week)
    bad_vols = np.unique(vol[order][first[bad_comp]])
    return ~np.isin(vol, bad_vols)


def _parts(problem: AssignmentProblem, vol: np.ndarray) -> np.ndarray:
    """Connected component label per pair in the request-volunteer graph."""
    n_req = problem.n_requests
    n_nodes = n_req + int(vol.max()) + 1
    graph = sparse.coo_array(
        (np.ones(problem.n_pairs, dtype=np.int32), (problem.pair_request, n_req + vol)),
        shape=(n_nodes, n_nodes),
    )
    _, labels = connected_components(graph, directed=False)
    return labels[problem.pair_request]


def solve_exact(problem: AssignmentProblem) -> Solution:
    """Maximum-total-score assignment, proved optimal, with deterministic tie-breaking."""
    if problem.n_pairs == 0:
        return Solution(np.zeros(0, dtype=np.int64), 0, "empty")
    req, vol = problem.pair_request, problem.pair_volunteer
    start, end = problem.request_start[req], problem.request_end[req]
    week = problem.request_week[req]
    # Only the order of instants matters; small ranks keep every derived key far from overflow.
    _, ranks = np.unique(np.concatenate([start, end]), return_inverse=True)
    start_rank, end_rank = ranks[: len(start)], ranks[len(start) :]

    safe = _flow_safe_volunteers(vol, week, start_rank, end_rank)
    pairs = Pairs(req, vol, week, start_rank, end_rank, problem.pair_score, problem.pair_capacity)
    labels = _parts(problem, vol)
    hard = np.isin(labels, np.unique(labels[~safe]))

    chosen: list[np.ndarray] = []
    methods: list[str] = []
    easy = np.flatnonzero(~hard)
    if len(easy):
        local = _solve_flow(problem.n_requests, pairs.take(easy))
        chosen.append(easy[local])
        methods.append("min-cost flow")
    hard_idx = np.flatnonzero(hard)
    if len(hard_idx):
        part = _make_part(labels[hard_idx], pairs.take(hard_idx))
        local, hows = _solve_lp(part)
        chosen.append(hard_idx[local])
        methods.extend(sorted(hows))
    picked = np.sort(np.concatenate(chosen))
    if not is_feasible(problem, picked):  # pragma: no cover - a solver broke its contract
        raise RuntimeError("solver returned an assignment that breaks a rule")
    return Solution(picked, int(problem.pair_score[picked].sum()), " + ".join(methods))


def solve_greedy(problem: AssignmentProblem) -> Solution:
    """Baseline: take the highest-scoring pair that still fits, until none does."""
    order = np.lexsort((problem.pair_volunteer, problem.pair_request, -problem.pair_score))
    req, vol = problem.pair_request.tolist(), problem.pair_volunteer.tolist()
    cap = problem.pair_capacity.tolist()
    week = problem.request_week.tolist()
    start, end = problem.request_start.tolist(), problem.request_end.tolist()
    taken = [False] * problem.n_requests
    used: dict[tuple[int, int], int] = defaultdict(int)
    busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    chosen = []
    left = problem.n_requests
    for p in order.tolist():
        r = req[p]
        if taken[r]:
            continue
        v = vol[p]
        key = (v, week[r])
        if used[key] >= cap[p]:
            continue
        s, e = start[r], end[r]
        if any(s < e2 and s2 < e for s2, e2 in busy[v]):
            continue
        taken[r] = True
        used[key] += 1
        busy[v].append((s, e))
        chosen.append(p)
        left -= 1
        if not left:
            break
    picked = np.array(sorted(chosen), dtype=np.int64)
    return Solution(picked, int(problem.pair_score[picked].sum()), "greedy")
