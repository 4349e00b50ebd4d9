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
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components

_INT64_HEADROOM = 2**62
_INITIAL_COLUMNS = 3  # pairs per request in the first LP
_ADDED_COLUMNS = 5  # most improving pairs per request added per round
_MAX_ROUNDS = 60
_INTEGRAL = 1e-6
_SLACK = 1e-3  # float error allowed in the bound, far below one centipoint


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


# ------------------------------------------------------------------------------ helpers


def _dense_rank(values: np.ndarray) -> tuple[np.ndarray, int]:
    uniq, inverse = np.unique(values, return_inverse=True)
    return inverse.astype(np.int64), len(uniq)


def _sorted_components(
    vol: np.ndarray, key: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort by (volunteer, key, start, end); flag where a (volunteer, key) group and where an
    overlap component begins. Times must be small non-negative ranks."""
    order = np.lexsort((end, start, key, vol))
    sv, sk, ss, se = vol[order], key[order], start[order], end[order]
    n = len(order)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (sv[1:] != sv[:-1]) | (sk[1:] != sk[:-1])
    group = np.cumsum(new_group) - 1
    # Lift each group above the last so one running maximum of ends serves every group.
    span = int(se.max()) + 1
    lift = group * span
    reach = np.maximum.accumulate(se + lift)
    new_comp = new_group.copy()
    new_comp[1:] |= (ss[1:] + lift[1:]) >= reach[:-1]
    return order, new_group, new_comp


def _tie_bonus(pair_request: np.ndarray, pair_volunteer: np.ndarray) -> tuple[np.ndarray, int]:
    """Per pair a bonus 1..P, larger for lower volunteer indices within its request."""
    n = len(pair_request)
    order = np.lexsort((pair_volunteer, pair_request))
    req = pair_request[order]
    first = np.ones(n, dtype=bool)
    first[1:] = req[1:] != req[:-1]
    starts = np.flatnonzero(first)
    position = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))
    most = int(position.max()) + 1
    bonus = np.empty(n, dtype=np.int64)
    bonus[order] = most - position
    return bonus, most


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


# ------------------------------------------------------------------------- partitioning


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


# --------------------------------------------------------------------------------- flow


def _solve_flow(
    n_req: int,
    req: np.ndarray,
    vol: np.ndarray,
    week: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    score: np.ndarray,
    capacity: np.ndarray,
) -> np.ndarray:
    """Exact min-cost flow for pairs whose volunteers have only clique overlaps in one week.

    Returns local indices of chosen pairs.
    """
    n = len(req)
    order, new_group, new_comp = _sorted_components(vol, week, start, end)
    group = np.cumsum(new_group) - 1
    n_groups = int(group[-1]) + 1
    comp = np.cumsum(new_comp) - 1
    comp_first = np.flatnonzero(new_comp)
    comp_size = np.diff(np.append(comp_first, n))

    sink = n_req
    group_node = n_req + 1 + group
    next_node = n_req + 1 + n_groups
    target = group_node.copy()
    multi = np.flatnonzero(comp_size >= 2)
    comp_node = np.full(len(comp_first), -1, dtype=np.int64)
    comp_node[multi] = next_node + np.arange(len(multi))
    next_node += len(multi)
    in_multi = comp_node[comp] >= 0
    target[in_multi] = comp_node[comp][in_multi]

    group_first = np.flatnonzero(new_group)
    tails = [
        req[order],
        comp_node[multi],  # a clique component passes on at most one escort
        n_req + 1 + np.arange(n_groups),  # a volunteer-week passes on its remaining cap
        np.arange(n_req),  # leaving a request empty costs nothing
    ]
    heads = [
        target,
        group_node[comp_first[multi]],
        np.full(n_groups, sink, dtype=np.int64),
        np.full(n_req, sink, dtype=np.int64),
    ]
    caps = [
        np.ones(n, dtype=np.int64),
        np.ones(len(multi), dtype=np.int64),
        capacity[order][group_first],
        np.ones(n_req, dtype=np.int64),
    ]
    bonus, most = _tie_bonus(req, vol)
    # Lexicographic in one integer: score first, then the tie-break bonus (sums below `scale`).
    scale = n_req * most + 1
    gain = score[order] * scale + bonus[order]
    if int(gain.max(initial=0)) * (next_node + 1) >= _INT64_HEADROOM:
        gain = score[order] * (n_req + 1) + 1  # coarser tie-break, still exact on score
    all_tails = np.concatenate(tails).astype(np.int32)
    costs = np.zeros(len(all_tails), dtype=np.int64)
    costs[:n] = -gain
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(
        all_tails, np.concatenate(heads).astype(np.int32), np.concatenate(caps), costs
    )
    supplies = np.zeros(next_node, dtype=np.int64)
    supplies[:n_req] = 1
    supplies[sink] = -n_req
    smcf.set_nodes_supplies(np.arange(next_node, dtype=np.int32), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:  # pragma: no cover - the network is always feasible
        raise RuntimeError(f"min-cost flow failed: {status}")
    flows = np.asarray(smcf.flows(np.asarray(arcs, dtype=np.int32)[:n]))
    return np.sort(order[flows > 0])


# ------------------------------------------------------------------ LP / MILP with proof


@dataclass
class _Part:
    """Pairs solved by LP, with part labels (independent subproblems) and small time keys."""

    n_req: int
    n_labels: int
    req: np.ndarray  # local request index per pair
    label: np.ndarray  # part label per pair
    req_label: np.ndarray  # part label per local request
    vol_label: np.ndarray  # part label per local volunteer
    group: np.ndarray  # volunteer-week group per pair
    group_cap: np.ndarray
    group_label: np.ndarray
    span: int  # time keys of volunteer v lie in [v * span, (v + 1) * span)
    start_key: np.ndarray
    end_key: np.ndarray
    score: np.ndarray
    gain: np.ndarray  # score plus a tie-break worth under 0.1 centipoint per part


def _make_part(
    label: np.ndarray,
    req: np.ndarray,
    vol: np.ndarray,
    week: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    score: np.ndarray,
    capacity: np.ndarray,
) -> _Part:
    label, n_labels = _dense_rank(label)
    req, n_req = _dense_rank(req)
    vol, n_vol = _dense_rank(vol)
    span = int(max(start.max(), end.max())) + 1
    weeks = int(week.max()) - int(week.min()) + 1
    group, n_groups = _dense_rank(vol * weeks + (week - week.min()))
    group_cap = np.zeros(n_groups, dtype=np.int64)
    group_cap[group] = capacity
    req_label = np.zeros(n_req, dtype=np.int64)
    req_label[req] = label
    vol_label = np.zeros(n_vol, dtype=np.int64)
    vol_label[vol] = label
    group_label = np.zeros(n_groups, dtype=np.int64)
    group_label[group] = label
    bonus, most = _tie_bonus(req, vol)
    requests_in = np.bincount(req_label, minlength=n_labels)
    epsilon = 0.0 / (requests_in[label] * most + 1)
    return _Part(
        n_req=n_req,
        n_labels=n_labels,
        req=req,
        label=label,
        req_label=req_label,
        vol_label=vol_label,
        group=group,
        group_cap=group_cap,
        group_label=group_label,
        span=span,
        start_key=vol * span + start,
        end_key=vol * span + end,
        score=score,
        gain=score.astype(np.float64) + epsilon * bonus,
    )


@dataclass
class _Rows:
    """Constraint rows for a set of columns, with what pricing needs to reuse their duals."""

    matrix: sparse.csr_array
    upper: np.ndarray
    label: np.ndarray  # part label per row
    req_rows: np.ndarray  # request index -> row, -1 if none
    group_rows: np.ndarray  # group -> row, -1 if none
    points: np.ndarray  # sorted time keys of instant rows
    first_point_row: int


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [lo, hi) per column, the (position, column) pairs they cover."""
    count = hi - lo
    cols = np.repeat(np.arange(len(lo)), count)
    offsets = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return lo[cols] + offsets, cols


def _build_rows(part: _Part, cols: np.ndarray) -> _Rows:
    """Rows for the columns: requests, binding volunteer-weeks, maximal instants of overlap."""
    req, group = part.req[cols], part.group[cols]
    sk, ek = part.start_key[cols], part.end_key[cols]
    n = len(cols)

    req_rows = np.full(part.n_req, -1, dtype=np.int64)
    used_req = np.unique(req)
    req_rows[used_req] = np.arange(len(used_req))
    row = len(used_req)

    group_rows = np.full(len(part.group_cap), -1, dtype=np.int64)
    count = np.bincount(group, minlength=len(part.group_cap))
    binding = np.flatnonzero(count > part.group_cap)
    group_rows[binding] = row + np.arange(len(binding))
    row += len(binding)

    # Instants: starts of the columns' escorts, kept when two or more escorts cover one and
    # the next instant does not cover all of them too (its row would imply this one).
    points = np.unique(sk)
    pos, member = _expand(
        np.searchsorted(points, sk, side="left"), np.searchsorted(points, ek, side="left")
    )
    cover = np.bincount(pos, minlength=len(points))
    min_end = np.full(len(points), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(min_end, pos, ek[member])
    next_point = np.append(points[1:], np.iinfo(np.int64).max)
    kept = points[(cover >= 2) & (min_end <= next_point)]
    pos, member = _expand(
        np.searchsorted(kept, sk, side="left"), np.searchsorted(kept, ek, side="left")
    )
    first_point_row = row
    row += len(kept)

    in_group = group_rows[group] >= 0
    rows = np.concatenate([req_rows[req], group_rows[group][in_group], first_point_row + pos])
    columns = np.concatenate([np.arange(n), np.flatnonzero(in_group), member])
    matrix = sparse.csr_array((np.ones(len(rows)), (rows, columns)), shape=(row, n))
    upper = np.concatenate(
        [np.ones(len(used_req)), part.group_cap[binding].astype(np.float64), np.ones(len(kept))]
    )
    label = np.concatenate(
        [
            part.req_label[used_req],
            part.group_label[binding],
            part.vol_label[kept // part.span],
        ]
    )
    return _Rows(matrix, upper, label, req_rows, group_rows, kept, first_point_row)


def _reduced_costs(part: _Part, rows: _Rows, duals: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Gain minus the duals of every row a pair would sit in, for the pairs ``which``.

    Pairs outside ``which`` get -inf, so they never look improving.
    """
    y_req = np.zeros(part.n_req)
    has = rows.req_rows >= 0
    y_req[has] = duals[rows.req_rows[has]]
    y_group = np.zeros(len(rows.group_rows))
    has = rows.group_rows >= 0
    y_group[has] = duals[rows.group_rows[has]]
    y_points = duals[rows.first_point_row : rows.first_point_row + len(rows.points)]
    cumulative = np.concatenate([[0.0], np.cumsum(y_points)])
    lo = np.searchsorted(rows.points, part.start_key[which], side="left")
    hi = np.searchsorted(rows.points, part.end_key[which], side="left")
    reduced = np.full(len(part.req), -np.inf)
    reduced[which] = (
        part.gain[which]
        - y_req[part.req[which]]
        - y_group[part.group[which]]
        - (cumulative[hi] - cumulative[lo])
    )
    return reduced


def _bounds(part: _Part, rows: _Rows, duals: np.ndarray, reduced: np.ndarray) -> np.ndarray:
    """Per part, a Lagrangian upper bound on any feasible assignment's gain.

    For duals y >= 0 on valid rows A x <= b: gain.x = (gain - yA).x + y.A x <= rc.x + y.b, and
    rc.x <= sum over requests of max(0, best rc) since a request holds at most one pair.
    """
    best = np.zeros(part.n_req)
    np.maximum.at(best, part.req, reduced)
    return np.bincount(rows.label, weights=duals * rows.upper, minlength=part.n_labels) + (
        np.bincount(part.req_label, weights=best, minlength=part.n_labels)
    )


def _per_label_score(part: _Part, chosen: np.ndarray) -> np.ndarray:
    return np.bincount(
        part.label[chosen], weights=part.score[chosen].astype(np.float64), minlength=part.n_labels
    )


def _milp_on(part: _Part, cols: np.ndarray) -> np.ndarray:
    """Exact integer programme over the given columns (HiGHS branch and cut)."""
    rows = _build_rows(part, cols)
    best_each = np.zeros(part.n_req)
    np.maximum.at(best_each, part.req[cols], part.score[cols].astype(np.float64))
    result = milp(
        -part.gain[cols],
        integrality=np.ones(len(cols)),
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(rows.matrix, -np.inf, rows.upper),
        # Close the gap below a quarter of a centipoint so the integer score is optimal.
        options={"mip_rel_gap": 0.25 / max(1.0, float(best_each.sum()))},
    )
    if result.x is None:  # pragma: no cover - always feasible (all zeros)
        raise RuntimeError(f"MILP solver failed: {result.message}")
    return cols[result.x > 0.5]


def _top_per_request(
    req: np.ndarray, candidates: np.ndarray, value: np.ndarray, k: int
) -> np.ndarray:
    """The k candidates of highest value for each request."""
    order = candidates[np.lexsort((-value[candidates], req[candidates]))]
    r = req[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = r[1:] != r[:-1]
    starts = np.flatnonzero(first)
    position = np.arange(len(order)) - np.repeat(starts, np.diff(np.append(starts, len(order))))
    return order[position < k]


def _solve_lp(part: _Part) -> tuple[np.ndarray, set[str]]:
    """Column generation on the LP, each part proved optimal by the Lagrangian bound."""
    all_pairs = np.arange(len(part.req))
    in_set = np.zeros(len(part.req), dtype=bool)
    in_set[_top_per_request(part.req, all_pairs, part.gain, _INITIAL_COLUMNS)] = True
    active = np.ones(part.n_labels, dtype=bool)
    chosen: list[np.ndarray] = []
    methods: set[str] = set()

    def settle(labels: np.ndarray, picked: np.ndarray, how: str) -> None:
        chosen.append(picked)
        active[labels] = False
        methods.add(how)

    for _ in range(_MAX_ROUNDS):
        if not active.any():
            break
        live = active[part.label]
        cols = np.flatnonzero(in_set & live)
        rows = _build_rows(part, cols)
        result = linprog(
            -part.gain[cols], A_ub=rows.matrix, b_ub=rows.upper, bounds=(0, None), method="highs"
        )
        if result.status != 0:  # pragma: no cover - bounded and feasible by construction
            break
        duals = np.maximum(0.0, -np.asarray(result.ineqlin.marginals))
        reduced = _reduced_costs(part, rows, duals, np.flatnonzero(live))
        bounds = _bounds(part, rows, duals, reduced)
        x = np.asarray(result.x)
        fractional = np.zeros(part.n_labels, dtype=bool)
        fractional[part.label[cols[np.abs(x - np.round(x)) > _INTEGRAL]]] = True
        picked = cols[x > 0.5]
        # Scores are integers: nothing beats floor(bound), so reaching it proves optimality.
        proved = (
            active & ~fractional & (_per_label_score(part, picked) >= np.floor(bounds + _SLACK))
        )
        done = np.flatnonzero(proved)
        if len(done):
            settle(done, picked[proved[part.label[picked]]], "LP with proof")
        improving = np.flatnonzero(~in_set & (reduced > _INTEGRAL) & active[part.label])
        stuck = active.copy()
        stuck[part.label[improving]] = False
        for lab in np.flatnonzero(stuck).tolist():
            # The LP is optimal over all pairs of this part but fractional: solve the integer
            # programme on the pairs gathered and hold it to the same bound.
            mine = cols[part.label[cols] == lab]
            picked_here = _milp_on(part, mine)
            if part.score[picked_here].sum() >= np.floor(bounds[lab] + _SLACK):
                settle(np.array([lab]), picked_here, "MILP with proof")
            else:
                settle(np.array([lab]), _milp_on(part, all_pairs[part.label == lab]), "MILP")
        in_set[_top_per_request(part.req, improving, reduced, _ADDED_COLUMNS)] = True
    for lab in np.flatnonzero(active).tolist():  # pragma: no cover - round limit reached
        settle(np.array([lab]), _milp_on(part, all_pairs[part.label == lab]), "MILP")
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64), methods


# -------------------------------------------------------------------------------- public


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
    labels = _parts(problem, vol)
    hard = np.isin(labels, np.unique(labels[~safe]))

    chosen: list[np.ndarray] = []
    methods: list[str] = []
    easy = np.flatnonzero(~hard)
    if len(easy):
        local = _solve_flow(
            problem.n_requests,
            req[easy],
            vol[easy],
            week[easy],
            start_rank[easy],
            end_rank[easy],
            problem.pair_score[easy],
            problem.pair_capacity[easy],
        )
        chosen.append(easy[local])
        methods.append("min-cost flow")
    hard_idx = np.flatnonzero(hard)
    if len(hard_idx):
        part = _make_part(
            labels[hard_idx],
            req[hard_idx],
            vol[hard_idx],
            week[hard_idx],
            start_rank[hard_idx],
            end_rank[hard_idx],
            problem.pair_score[hard_idx],
            problem.pair_capacity[hard_idx],
        )
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
