"""Min-cost flow (OR-Tools) for the parts where it is exact: every overlap a clique in one week.

Per volunteer, overlapping escorts form components; when each is a clique inside one ISO week,
the capacities nest as a tree (request -> component (cap 1) -> volunteer-week (remaining cap)
-> sink), and a min-cost flow on that network is an exact solution.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from portal.matching.arrays import Pairs, _sorted_components, _tie_bonus

_INT64_HEADROOM = 2**62


def _solve_flow(n_req: int, pairs: Pairs) -> np.ndarray:
    """Exact min-cost flow for pairs whose volunteers have only clique overlaps in one week.

    Returns local indices of chosen pairs.
    """
    req, vol, week, start, end, score, capacity = pairs
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
