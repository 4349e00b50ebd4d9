"""Array helpers both exact solvers share: dense ranks, overlap components, the tie-break bonus."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Pairs(NamedTuple):
    """The pairs a solver works on, one entry per pair in each array: request and volunteer
    indices, the meeting's week, its start and end ranks, the score, and the capacity of the
    volunteer's week."""

    req: np.ndarray
    vol: np.ndarray
    week: np.ndarray
    start: np.ndarray
    end: np.ndarray
    score: np.ndarray
    capacity: np.ndarray

    def take(self, index: np.ndarray) -> Pairs:
        """The pairs at `index`, each array cut alike."""
        return Pairs(*(column[index] for column in self))


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
