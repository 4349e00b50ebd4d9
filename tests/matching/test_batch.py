"""Batch proposals on hand-made cases: exact beats greedy, caps, overlaps, reasons, ties."""

from __future__ import annotations

import random
from datetime import date, time, timedelta

import numpy as np
import pytest

from portal.matching import (
    AssignmentProblem,
    Rules,
    Slot,
    VolunteerPool,
    WeeklyWindow,
    assign_batch,
    greedy_assign,
    solve_exact,
    solve_greedy,
)
from portal.matching.solver import is_feasible
from tests.matching.builders import MEETING_DAY, all_week, at, request, volunteer
from tests.matching.oracles import pairwise_milp_best

RULES = Rules()


def assigned(result) -> dict[int, int]:
    return {pair.request.id: pair.volunteer.id for pair in result.pairs}


def test_exact_beats_greedy_where_greedy_is_short_sighted() -> None:
    tuesday, wednesday = MEETING_DAY, MEETING_DAY + timedelta(days=1)
    r1 = request(1, start=at(tuesday, 18, 45))
    r2 = request(2, start=at(wednesday, 18, 45), meeting_id=8)
    a = volunteer(1, weekly_cap=1, meetings={7: "every"})  # the best for r1, the only one for r2
    b = volunteer(2, weekly_cap=1, windows=[WeeklyWindow(tuesday.weekday(), time(9), time(23))])
    exact = assign_batch([r1, r2], [a, b], RULES)
    greedy = greedy_assign([r1, r2], [a, b], RULES)
    assert assigned(exact) == {1: 2, 2: 1}
    assert assigned(greedy) == {1: 1}
    assert exact.total_score > greedy.total_score
    assert exact.total_centipoints == sum(p.score.centipoints for p in exact.pairs)
    assert greedy.unassigned[2][0].code == "needed_elsewhere"
    assert greedy.unassigned[2][0].message == (
        "The only eligible volunteer was needed for another request at the same time or in the"
        " same week"
    )


def test_chain_of_overlaps_is_solved_exactly() -> None:
    # 18:00-19:30, 19:00-20:30 and 20:00-21:30: the first and last fit together, the middle
    # overlaps both. Greedy grabs the middle (the volunteer goes to that meeting); exact takes two.
    first = request(1, start=at(MEETING_DAY, 18), minutes=90, meeting_id=1)
    middle = request(2, start=at(MEETING_DAY, 19), minutes=90, meeting_id=2)
    last = request(3, start=at(MEETING_DAY, 20), minutes=90, meeting_id=3)
    vol = volunteer(1, weekly_cap=3, meetings={2: "every"})
    exact = assign_batch([first, middle, last], [vol], RULES)
    greedy = greedy_assign([first, middle, last], [vol], RULES)
    assert assigned(exact) == {1: 1, 3: 1}
    assert assigned(greedy) == {2: 1}
    assert "LP" in exact.method or "MILP" in exact.method
    assert exact.total_score > greedy.total_score


def test_overlapping_cliques_use_the_flow() -> None:
    a = request(1, start=at(MEETING_DAY, 18), minutes=120)
    b = request(2, start=at(MEETING_DAY, 19), minutes=120)
    result = assign_batch([a, b], [volunteer(1), volunteer(2)], RULES)
    assert set(assigned(result)) == {1, 2}
    assert len(set(assigned(result).values())) == 2
    assert result.method == "min-cost flow"


def test_overlap_across_an_iso_week_boundary() -> None:
    sunday, monday = date(2026, 3, 8), date(2026, 3, 9)
    late = request(1, start=at(sunday, 23, 30), minutes=60, meeting_id=1)
    early = request(2, start=at(monday, 0, 0), minutes=60, meeting_id=2)
    vol = volunteer(1, weekly_cap=1, windows=[], meetings={1: "every", 2: "every"})
    result = assign_batch([late, early], [vol], RULES)
    assert len(result.pairs) == 1  # each week has room, but the escorts overlap


def test_weekly_cap_counts_per_iso_week_including_booked_escorts() -> None:
    sunday, monday, tuesday = date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10)
    reqs = [request(i, start=at(day, 18)) for i, day in enumerate((sunday, monday, tuesday), 1)]
    one_a_week = volunteer(1, weekly_cap=1)
    result = assign_batch(reqs, [one_a_week], RULES)
    assert assigned(result) == {1: 1, 2: 1}  # Sunday's week and Monday's week
    booked = volunteer(1, weekly_cap=2, escorts=[Slot(at(tuesday, 10), at(tuesday, 11))])
    result = assign_batch(reqs, [booked], RULES)
    assert len(result.pairs) == 2 and 1 in assigned(result)  # one of Monday and Tuesday


def test_unassigned_requests_say_why() -> None:
    nobody = request(1, peer_gender="man", language="Welsh")
    vols = [volunteer(1, gender="woman"), volunteer(2, gender="man", status="paused")]
    result = assign_batch([nobody], vols, RULES)
    reasons = result.unassigned[1]
    assert reasons[0].code == "no_eligible"
    assert "nobody in the pool of 2" in reasons[0].message
    by_code = {r.code: r.message for r in reasons[1:]}
    assert by_code["language_wish"].endswith(": 2 volunteers")
    assert by_code["gender_wish"].endswith(": 1 volunteer")
    assert by_code["not_approved"].endswith(": 1 volunteer")
    assert result.candidates == {1: 0}


def test_ties_go_to_the_lower_volunteer_id() -> None:
    twins = [volunteer(7), volunteer(3), volunteer(5)]
    result = assign_batch([request(1)], twins, RULES)
    assert assigned(result) == {1: 3}
    assert greedy_assign([request(1)], twins, RULES).pairs[0].volunteer.id == 3


def test_ties_go_to_the_lower_volunteer_id_on_the_lp_path_too() -> None:
    # A chain of overlaps sends the part to the LP; three volunteers score the same on every
    # pair, so only the tie-break decides who takes the two escorts and who the middle one.
    chain = [
        request(i, start=at(MEETING_DAY, hour), minutes=90, meeting_id=i)
        for i, hour in ((1, 18), (2, 19), (3, 20))
    ]
    triplets = [volunteer(vid, weekly_cap=3) for vid in (9, 4, 6)]
    result = assign_batch(chain, triplets, RULES)
    assert "LP" in result.method or "MILP" in result.method
    assert assigned(result) == {1: 4, 2: 6, 3: 4}


def test_same_input_in_any_order_gives_the_same_proposal() -> None:
    rng = random.Random(3)
    days = [MEETING_DAY + timedelta(days=d) for d in range(7)]
    reqs = [
        request(
            i, start=at(rng.choice(days), rng.choice([18, 19, 20])), meeting_id=rng.randint(1, 4)
        )
        for i in range(1, 25)
    ]
    vols = [
        volunteer(
            i,
            weekly_cap=rng.randint(1, 2),
            meetings={rng.randint(1, 4): "every"},
            escorts_last_30_days=rng.randint(0, 3),
            windows=all_week(time(17), time(22)),
        )
        for i in range(1, 9)
    ]
    first = assign_batch(reqs, vols, RULES)
    rng.shuffle(reqs)
    rng.shuffle(vols)
    second = assign_batch(reqs, vols, RULES)
    assert assigned(first) == assigned(second)
    assert first.unassigned == second.unassigned
    assert first.total_score == second.total_score


def test_empty_inputs() -> None:
    result = assign_batch([], [], RULES)
    assert (result.pairs, result.unassigned, result.total_score) == ([], {}, 0)
    lonely = assign_batch([request(1)], [], RULES)
    assert lonely.unassigned[1][0].code == "no_eligible"


def test_a_prepared_pool_can_be_reused() -> None:
    pool = VolunteerPool([volunteer(1), volunteer(2)], RULES)
    first = assign_batch([request(1)], pool, RULES)
    assert assigned(first) == assigned(assign_batch([request(1)], pool, RULES)) == {1: 1}
    with pytest.raises(ValueError, match="different rules"):
        assign_batch([request(1)], pool, Rules(min_recovery_months=6))


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="request ids"):
        assign_batch([request(1), request(1)], [volunteer(1)], RULES)
    with pytest.raises(ValueError, match="volunteer ids"):
        assign_batch([request(1)], [volunteer(1), volunteer(1)], RULES)


# ----------------------------------------------------------------------- solver arrays


def random_problem(seed: int, n_req: int, n_vol: int, per_request: int) -> AssignmentProblem:
    """Meeting-like times on a few evenings so chains of overlaps are common."""
    rng = np.random.default_rng(seed)
    day = rng.integers(0, 9, n_req)
    start = (day * 1440 + rng.choice([1080, 1110, 1140, 1170, 1200], n_req)) * 60_000_000
    end = start + rng.choice([60, 80, 110], n_req) * 60_000_000
    pr, pv = [], []
    for r in range(n_req):
        vols = rng.choice(n_vol, size=min(n_vol, rng.integers(1, per_request + 1)), replace=False)
        pr.extend([r] * len(vols))
        pv.extend(sorted(vols.tolist()))
    caps = rng.integers(0, 4, n_vol)
    return AssignmentProblem(
        n_requests=n_req,
        pair_request=pr,
        pair_volunteer=pv,
        pair_score=rng.integers(0, 10_000, len(pr)),
        pair_capacity=caps[np.array(pv)],
        request_start=start,
        request_end=end,
        request_week=day // 7,
    )


@pytest.mark.parametrize("seed", range(12))
def test_solver_matches_an_independent_milp(seed: int) -> None:
    problem = random_problem(seed, n_req=40, n_vol=8, per_request=5)
    exact = solve_exact(problem)
    assert is_feasible(problem, exact.chosen)
    assert exact.total == pairwise_milp_best(problem)
    assert exact.total >= solve_greedy(problem).total
    again = solve_exact(problem)
    assert np.array_equal(exact.chosen, again.chosen)


def test_solver_on_a_larger_case_with_several_pricing_rounds() -> None:
    problem = random_problem(99, n_req=300, n_vol=40, per_request=8)
    exact = solve_exact(problem)
    assert is_feasible(problem, exact.chosen)
    assert exact.total == pairwise_milp_best(problem)


def test_problem_validation() -> None:
    with pytest.raises(ValueError, match="same length"):
        AssignmentProblem(1, [0], [0, 1], [5], [1], [0], [1], [0])
    with pytest.raises(ValueError, match="n_requests"):
        AssignmentProblem(2, [0], [0], [5], [1], [0], [1], [0])
    with pytest.raises(ValueError, match="negative"):
        AssignmentProblem(1, [0], [0], [-5], [1], [0], [1], [0])
    with pytest.raises(ValueError, match="end after"):
        AssignmentProblem(1, [0], [0], [5], [1], [3], [3], [0])


def _odd_cycle(points: int) -> AssignmentProblem:
    """Volunteer 0 sees a chain r0-r1-r2 (r0, r2 disjoint); volunteer 1 (cap 1) sees r0 and r2.

    The conflicts form a five-cycle, so the LP relaxation is fractional (2.5 pairs' worth).
    """
    return AssignmentProblem(
        n_requests=3,
        pair_request=[0, 1, 2, 0, 2],
        pair_volunteer=[0, 0, 0, 1, 1],
        pair_score=[points] * 5,
        pair_capacity=[3, 3, 3, 1, 1],
        request_start=[0, 30, 60],
        request_end=[60, 90, 120],
        request_week=[0, 0, 0],
    )


def test_fractional_lp_within_a_centipoint_is_settled_by_the_milp_with_proof() -> None:
    solution = solve_exact(_odd_cycle(1))  # LP bound 2.5 hundredths, best integer 2
    assert solution.total == 2
    assert solution.method == "MILP with proof"


def test_fractional_lp_with_a_real_gap_falls_back_to_the_full_milp() -> None:
    solution = solve_exact(_odd_cycle(100))  # LP bound 250, best integer 200
    assert solution.total == 200 == pairwise_milp_best(_odd_cycle(100))
    assert solution.method == "MILP"
    assert is_feasible(_odd_cycle(100), solution.chosen)
