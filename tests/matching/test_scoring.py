"""Score parts, weights, explanations and the ranked candidate list."""

from __future__ import annotations

import random

import numpy as np
import pytest

from portal.matching import DEFAULT_WEIGHTS, Rules, VolunteerPool, rank, score
from portal.matching.scoring import PART_NAMES, haversine_km
from tests.matching.builders import request, volunteer

RULES = Rules()


def part(vol, req, name, rules=RULES):
    return score(vol, req, rules).part(name)


def test_parts_are_named_and_sum_to_the_total() -> None:
    result = score(volunteer(), request(), RULES)
    assert tuple(p.name for p in result.parts) == PART_NAMES
    assert result.centipoints == sum(p.centipoints for p in result.parts)
    assert result.total == pytest.approx(sum(p.points for p in result.parts))
    assert all(p.explanation for p in result.parts)


def test_attends_that_very_meeting() -> None:
    every = part(volunteer(meetings={7: "every"}), request(), "attends_meeting")
    other_weeks = part(volunteer(meetings={7: [2]}), request(), "attends_meeting")
    never = part(volunteer(), request(), "attends_meeting")
    assert every.points == DEFAULT_WEIGHTS["attends_meeting"]
    assert every.explanation == "Already goes to this very meeting"
    assert other_weeks.points == DEFAULT_WEIGHTS["attends_meeting"] / 2
    assert never.points == 0


def test_knows_the_fellowship() -> None:
    assert part(volunteer(fellowships={"NA"}), request(), "knows_fellowship").explanation == (
        "Knows NA"
    )
    assert part(volunteer(fellowships={"AA"}), request(), "knows_fellowship").points == 0


def test_haversine_known_distance() -> None:
    # One degree of latitude is about 111.2 km.
    km = haversine_km(np.array([51.0]), np.array([0.0]), np.array([52.0]), np.array([0.0]))
    assert km[0] == pytest.approx(111.2, abs=0.1)


def test_distance_scores_linearly_to_the_limit() -> None:
    venue = {"lat": 51.5, "lon": 0.0}
    at_venue = part(volunteer(lat=51.5, lon=0.0), request(**venue), "distance")
    about_11km = part(volunteer(lat=51.6, lon=0.0), request(**venue), "distance")
    far = part(volunteer(lat=52.0, lon=0.0), request(**venue), "distance")
    assert at_venue.points == DEFAULT_WEIGHTS["distance"]
    assert about_11km.explanation == "About 11.1 km from the venue"
    assert about_11km.points == pytest.approx(20 * (1 - 11.12 / 20), abs=0.05)
    assert far.points == 0
    assert "more than 20 km" in far.explanation


def test_distance_falls_back_to_same_area() -> None:
    same = part(volunteer(home_area="hackney "), request(area="Hackney"), "distance")
    other = part(volunteer(home_area="Camden"), request(area="Hackney"), "distance")
    one_side_known = part(volunteer(lat=51.5, lon=0.0), request(area="Hackney"), "distance")
    assert same.points == DEFAULT_WEIGHTS["distance"] * RULES.same_area_fraction
    assert "same area" in same.explanation
    assert other.points == 0
    assert "different area (Camden)" in other.explanation
    assert one_side_known.points == same.points  # both in Hackney, coordinates unusable


@pytest.mark.parametrize(("recent", "fraction"), [(0, 1.0), (1, 0.5), (3, 0.25)])
def test_fewer_recent_escorts_score_higher(recent: int, fraction: float) -> None:
    load = part(volunteer(escorts_last_30_days=recent), request(), "load")
    assert load.points == DEFAULT_WEIGHTS["load"] * fraction


def test_reliability_with_and_without_history() -> None:
    newcomer = part(volunteer(), request(), "reliability")
    perfect = part(volunteer(accepted_count=10, completed_count=10), request(), "reliability")
    patchy = part(volunteer(accepted_count=10, completed_count=5), request(), "reliability")
    assert newcomer.points == DEFAULT_WEIGHTS["reliability"] * RULES.reliability_prior
    assert "usual 80%" in newcomer.explanation
    assert perfect.points > newcomer.points > patchy.points
    assert perfect.explanation == "Completed 10 of 10 accepted escorts"


def test_weights_are_configurable_and_merge_with_defaults() -> None:
    rules = Rules(weights={"attends_meeting": 100})
    assert rules.weights["knows_fellowship"] == DEFAULT_WEIGHTS["knows_fellowship"]
    assert part(volunteer(meetings={7: "every"}), request(), "attends_meeting", rules).points == 100
    with pytest.raises(ValueError, match="unknown"):
        Rules(weights={"charm": 5})
    with pytest.raises(ValueError, match="negative"):
        Rules(weights={"load": -1})


def test_rank_orders_by_score_then_id_and_lists_exclusions() -> None:
    req = request()
    twin_a = volunteer(id=9)
    twin_b = volunteer(id=4)
    best = volunteer(id=12, meetings={7: "every"})
    paused = volunteer(id=2, status="paused")
    ranking = rank([twin_a, paused, best, twin_b], req, RULES)
    assert [c.volunteer.id for c in ranking.eligible] == [12, 4, 9]
    assert [e.volunteer.id for e in ranking.excluded] == [2]
    assert [r.code for r in ranking.excluded[0].reasons] == ["not_approved"]
    again = rank(list(reversed([twin_a, paused, best, twin_b])), req, RULES)
    assert again == ranking


def test_pool_agrees_with_the_named_checks_and_scores() -> None:
    rng = random.Random(7)
    vols = [
        volunteer(
            id=i,
            gender=rng.choice(["woman", "man", "non-binary"]),
            fellowships=rng.sample(["NA", "AA", "CA"], rng.randint(0, 2)),
            meetings={7: rng.choice(["every", [1], [2, 4]])} if rng.random() < 0.3 else {},
            lat=51.5 + rng.uniform(-0.2, 0.2) if rng.random() < 0.7 else None,
            lon=rng.uniform(-0.2, 0.2),
            home_area=rng.choice(["Hackney", "Camden", ""]),
            escorts_last_30_days=rng.randint(0, 4),
            accepted_count=(a := rng.randint(0, 9)),
            completed_count=rng.randint(0, a),
            accompanies=rng.choice(["anyone", "same_gender"]),
            status=rng.choice(["approved", "approved", "paused"]),
        )
        for i in range(1, 60)
    ]
    pool = VolunteerPool(vols, RULES)
    for wish in ("any", "woman"):
        req = request(lat=51.5, lon=0.0, peer_gender=wish, client_gender="man")
        ranking = rank(vols, req, RULES)
        index = pool.eligible(req)
        assert [pool.volunteers[i].id for i in index] == sorted(
            c.volunteer.id for c in ranking.eligible
        )
        by_id = {c.volunteer.id: c.score.centipoints for c in ranking.eligible}
        scores = pool.scores(req, index)
        assert {pool.volunteers[i].id: int(s) for i, s in zip(index, scores, strict=True)} == by_id
