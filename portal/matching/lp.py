"""Column generation on the LP (HiGHS via SciPy), each part proved optimal by a Lagrangian bound.

Used where some volunteer's overlaps form a chain, which no tree of capacities expresses; should
the LP stay fractional a MILP is solved and held to the same bound (see ``solver``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from portal.matching.arrays import Pairs, _dense_rank, _tie_bonus

_INITIAL_COLUMNS = 3  # pairs per request in the first LP
_ADDED_COLUMNS = 5  # most improving pairs per request added per round
_MAX_ROUNDS = 60
_INTEGRAL = 1e-6
_SLACK = 1e-3  # float error allowed in the bound, far below one centipoint


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


def _make_part(label: np.ndarray, pairs: Pairs) -> _Part:
    req, vol, week, start, end, score, capacity = pairs
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
    epsilon = 0.1 / (requests_in[label] * most + 1)
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
