"""Property tests: hard rules, caps and overlaps always hold; the batch is optimal and stable."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from portal.matching import (
    LONDON,
    NO_EXPIRY,
    SAFEGUARDING_ITEMS,
    AssignmentProblem,
    DateRange,
    RequestFacts,
    Rules,
    Slot,
    VolunteerFacts,
    VolunteerPool,
    WeeklyWindow,
    assign_batch,
    check_eligibility,
    greedy_assign,
    score,
    solve_exact,
    solve_greedy,
)
from portal.matching.model import week_key
from portal.matching.solver import is_feasible
from tests.matching.oracles import brute_force_best, facts_problem

# Friday 27 March 2026 to Monday 30 March: the clocks go forward on the Sunday, the Monday
# starts a new ISO week, and four days crowd escorts together so overlaps and chains are common.
BASE = date(2026, 3, 27)
DAYS = 4
STARTS = (time(12), time(17, 45), time(18, 30), time(19), time(19, 45), time(23, 30))
PLACES = (None, (51.50, -0.10), (51.55, -0.02), (51.62, 0.05))
RULES = Rules()
TRAVEL = ["walk", "public_transport", "car"]
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _moment(day: int, at: time) -> datetime:
    return datetime.combine(BASE + timedelta(days=day), at, tzinfo=LONDON)


def _pick(rng: random.Random, weighted: dict) -> object:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _requests(rng: random.Random, n: int) -> list[RequestFacts]:
    result = []
    for i in range(1, n + 1):
        start = _moment(rng.randrange(DAYS), rng.choice(STARTS))
        place = rng.choice(PLACES)
        result.append(
            RequestFacts(
                id=i,
                client_id=rng.randint(1, 3),
                meeting_id=rng.randint(1, 3),
                fellowship=rng.choice(["NA", "AA"]),
                area=rng.choice(["Hackney", "Camden"]),
                start=start,
                end=start + timedelta(minutes=rng.choice([45, 90, 120])),
                lat=place[0] if place else None,
                lon=place[1] if place else None,
                peer_gender=_pick(rng, {"any": 12, "woman": 1, "man": 1, "non-binary": 0.3}),
                language=_pick(rng, {None: 10, "Polish": 1}),
                wants_fellowship_experience=rng.random() < 0.15,
                client_gender=_pick(rng, {"woman": 4, "man": 4, "non-binary": 1, None: 1}),
            )
        )
    return result


def _expiry(rng: random.Random) -> date | None:
    lapses = {None: 1, NO_EXPIRY: 1, BASE + timedelta(days=2): 1, BASE + timedelta(days=6): 1}
    return rng.choice(list(lapses)) if rng.random() < 0.04 else date(2030, 1, 1)


def _volunteers(rng: random.Random, n: int, n_requests: int) -> list[VolunteerFacts]:
    result = []
    for i in range(1, n + 1):
        place = rng.choice(PLACES)
        if rng.random() < 0.85:  # most are free every afternoon and evening
            windows = [WeeklyWindow(day, time(12), time(0)) for day in range(7)]
        else:
            windows = [
                WeeklyWindow(
                    rng.randrange(7),
                    rng.choice([time(0), time(12), time(17)]),
                    rng.choice([time(21), time(23), time(0)]),
                )
                for _ in range(rng.randint(0, 5))
            ]
        meetings = {
            m: rng.choice(["every", frozenset({1}), frozenset({2, 4}), frozenset({3, 5})])
            for m in rng.sample([1, 2, 3], rng.randint(0, 2))
        }
        escorts = []
        for _ in range(_pick(rng, {0: 10, 1: 2, 2: 1})):
            start = _moment(rng.randrange(DAYS), rng.choice(STARTS))
            escorts.append(Slot(start, start + timedelta(minutes=60)))
        away = []
        if rng.random() < 0.1:
            first = BASE + timedelta(days=rng.randrange(DAYS))
            away.append(DateRange(first, first + timedelta(days=rng.randint(0, 2))))
        accepted = rng.randint(0, 6)
        result.append(
            VolunteerFacts(
                id=rng.randint(1, 4) * 10 + i,  # ids out of input order
                status=_pick(rng, {"approved": 30, "applied": 1, "paused": 1, "withdrawn": 1}),
                gender=_pick(rng, {"woman": 4, "man": 4, "non-binary": 1}),
                languages=set(rng.sample(["English", "polish"], rng.randint(0, 2))),
                fellowships=set(rng.sample(["NA", "AA"], rng.randint(0, 2))),
                home_area=rng.choice(["Hackney", "Camden", ""]),
                lat=place[0] if place else None,
                lon=place[1] if place else None,
                travel_modes=set(rng.sample(TRAVEL, rng.randint(0, 2))),
                weekly_cap=_pick(rng, {0: 1, 1: 6, 2: 6, 3: 4}),
                accompanies=_pick(rng, {"anyone": 10, "same_gender": 1}),
                safeguarding={item: _expiry(rng) for item in SAFEGUARDING_ITEMS},
                recovery_date=_pick(
                    rng, {date(2015, 1, 1): 30, None: 1, BASE - timedelta(days=360): 1}
                ),
                meetings=meetings,
                windows=windows,
                away=away,
                escorts=escorts,
                declined_requests={rng.randint(1, n_requests)} if rng.random() < 0.1 else set(),
                conflict_clients={rng.randint(1, 3)} if rng.random() < 0.1 else set(),
                escorts_last_30_days=rng.randint(0, 4),
                accepted_count=accepted,
                completed_count=rng.randint(0, accepted),
            )
        )
    return result


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[RequestFacts], list[VolunteerFacts]]:
    """Small worlds: Hypothesis picks the sizes and a seed; the seed picks realistic facts."""
    n_requests = draw(st.integers(2, 7))
    n_volunteers = draw(st.integers(1, 4))
    # A plain seeded Random: Hypothesis' own randoms lean towards edge values like 0.0, which
    # would make every rare branch (lapsed DBS, paused...) the common one.
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    return _requests(rng, n_requests), _volunteers(rng, n_volunteers, n_requests)


def _unique_ids(vols: list[VolunteerFacts]) -> list[VolunteerFacts]:
    seen: dict[int, VolunteerFacts] = {}
    for v in vols:
        seen.setdefault(v.id, v)
    return list(seen.values())


@PROPERTY
@given(worlds())
def test_no_assignment_breaks_a_hard_rule_a_cap_or_an_overlap(world) -> None:
    reqs, vols = world
    vols = _unique_ids(vols)
    for solve in (assign_batch, greedy_assign):
        result = solve(reqs, vols, RULES)
        assert {p.request.id for p in result.pairs} | set(result.unassigned) == {r.id for r in reqs}
        assert len({p.request.id for p in result.pairs}) == len(result.pairs)
        per_week: dict[tuple[int, tuple[int, int]], int] = defaultdict(int)
        per_volunteer: dict[int, list[Slot]] = defaultdict(list)
        for pair in result.pairs:
            assert check_eligibility(pair.volunteer, pair.request, RULES) == []
            assert pair.score == score(pair.volunteer, pair.request, RULES)
            per_week[(pair.volunteer.id, week_key(pair.request.meeting_date))] += 1
            per_volunteer[pair.volunteer.id].append(pair.request.slot)
        by_id = {v.id: v for v in vols}
        for (vid, week), count in per_week.items():
            volunteer = by_id[vid]
            assert volunteer.booked_per_week.get(week, 0) + count <= volunteer.weekly_cap
        for slots in per_volunteer.values():
            for i, a in enumerate(slots):
                assert not any(a.overlaps(b) for b in slots[i + 1 :])
        for rid, reasons in result.unassigned.items():
            assert reasons and all(r.message for r in reasons)
            eligible = [v for v in vols if not check_eligibility(v, reqs[rid - 1], RULES)]
            expected = "needed_elsewhere" if eligible else "no_eligible"
            assert reasons[0].code == expected


@PROPERTY
@given(worlds())
def test_batch_total_is_the_brute_force_optimum_and_never_below_greedy(world) -> None:
    reqs, vols = world
    vols = _unique_ids(vols)
    exact = assign_batch(reqs, vols, RULES)
    event(f"method: {exact.method}")
    event(f"pairs proposed: {len(exact.pairs)}")
    best = brute_force_best(facts_problem(reqs, vols, RULES))
    assert exact.total_centipoints == best
    assert round(exact.total_score * 100) == best
    assert exact.total_centipoints >= greedy_assign(reqs, vols, RULES).total_centipoints


@PROPERTY
@given(worlds(), st.randoms(use_true_random=False))
def test_same_input_same_output(world, rng: random.Random) -> None:
    reqs, vols = world
    vols = _unique_ids(vols)
    first = assign_batch(reqs, vols, RULES)
    assert assign_batch(reqs, vols, RULES) == first
    shuffled_reqs, shuffled_vols = reqs[:], vols[:]
    rng.shuffle(shuffled_reqs)
    rng.shuffle(shuffled_vols)
    assert assign_batch(shuffled_reqs, shuffled_vols, RULES) == first


@PROPERTY
@given(worlds())
def test_vectorised_pool_agrees_with_named_checks_and_scores(world) -> None:
    reqs, vols = world
    vols = _unique_ids(vols)
    pool = VolunteerPool(vols, RULES)
    for req in reqs:
        index = pool.eligible(req)
        expected = [v for v in pool.volunteers if not check_eligibility(v, req, RULES)]
        assert [pool.volunteers[i].id for i in index] == [v.id for v in expected]
        scores = pool.scores(req, index).tolist()
        assert scores == [score(v, req, RULES).centipoints for v in expected]
        summary = dict(pool.summarise_exclusions(req))
        for code, count in summary.items():
            assert 0 < count <= len(vols), code


@st.composite
def problems(draw: st.DrawFn) -> AssignmentProblem:
    """Raw solver input: few volunteers, crowded times, so chains and caps bind."""
    n_req = draw(st.integers(1, 7))
    n_vol = draw(st.integers(1, 3))
    starts = [draw(st.integers(0, 12)) * 30 for _ in range(n_req)]
    ends = [s + draw(st.sampled_from([30, 60, 90])) for s in starts]
    weeks = [draw(st.integers(0, 1)) for _ in range(n_req)]
    caps = [draw(st.integers(0, 3)) for _ in range(n_vol)]
    pr, pv, ps = [], [], []
    for r in range(n_req):
        for v in sorted(draw(st.sets(st.integers(0, n_vol - 1), max_size=n_vol))):
            pr.append(r)
            pv.append(v)
            ps.append(draw(st.sampled_from([0, 1, 50, 99, 100, 101, 250])))
    return AssignmentProblem(
        n_requests=n_req,
        pair_request=pr,
        pair_volunteer=pv,
        pair_score=ps,
        pair_capacity=[caps[v] for v in pv],
        request_start=starts,
        request_end=ends,
        request_week=weeks,
    )


@settings(max_examples=300, deadline=None)
@given(problems())
def test_solver_is_optimal_feasible_and_deterministic(problem: AssignmentProblem) -> None:
    exact = solve_exact(problem)
    event(f"method: {exact.method}")
    assert is_feasible(problem, exact.chosen)
    assert exact.total == brute_force_best(problem)
    greedy = solve_greedy(problem)
    assert is_feasible(problem, greedy.chosen)
    assert exact.total >= greedy.total
    assert (solve_exact(problem).chosen == exact.chosen).all()
