"""Distance in matching: "About 2.3 km", too far for how the volunteer travels, batch agreement."""

from __future__ import annotations

import random

import pytest

from portal.matching import Rules, VolunteerPool, assign_batch, check_eligibility, rank
from portal.matching.eligibility import distance_km
from tests.matching.builders import request, volunteer

VENUE = {"lat": 52.8012, "lon": -1.2043}
# About 6.1 km north of the venue (a degree of latitude is about 111.2 km).
SIX_KM_NORTH = {"lat": 52.8012 + 6.1 / 111.2, "lon": -1.2043}


RULES = Rules()


def reasons(vol, req, rules=RULES):
    return [(r.code, r.message) for r in check_eligibility(vol, req, rules)]


def test_too_far_to_walk_names_the_distance_and_the_limit() -> None:
    walker = volunteer(travel_modes={"walk"}, **SIX_KM_NORTH)
    assert reasons(walker, request(**VENUE)) == [
        ("too_far", "Too far to walk: about 6.1 km (more than 3 km)")
    ]


@pytest.mark.parametrize(
    "modes, words",
    [
        ({"public_transport"}, "Too far by public transport: about 20.0 km (more than 15 km)"),
        ({"car", "walk"}, None),  # the furthest way of travelling counts: 25 km by car
        (set(), None),  # how they travel not recorded: no limit
    ],
)
def test_the_furthest_way_of_travelling_sets_the_limit(modes, words) -> None:
    far = volunteer(travel_modes=modes, lat=52.8012 + 20.0 / 111.2, lon=-1.2043)
    got = reasons(far, request(**VENUE))
    assert got == ([("too_far", words)] if words else [])


def test_limits_come_from_the_rules() -> None:
    walker = volunteer(travel_modes={"walk"}, **SIX_KM_NORTH)
    assert reasons(walker, request(**VENUE), Rules(travel_limits_km={"walk": 7})) == []
    with pytest.raises(ValueError):
        Rules(travel_limits_km={"walk": 0})


def test_without_a_district_or_a_venue_point_the_area_rule_stays() -> None:
    no_district = volunteer(travel_modes={"walk"}, home_area="Riverside")
    assert reasons(no_district, request(area="Riverside", **VENUE)) == []
    assert distance_km(no_district, request(**VENUE)) is None
    ranking = rank([no_district], request(area="Riverside", **VENUE), Rules())
    assert "same area (Riverside); exact distance unknown" in (
        ranking.eligible[0].score.part("distance").explanation
    )
    walker = volunteer(travel_modes={"walk"}, **SIX_KM_NORTH)
    assert reasons(walker, request(area="Riverside")) == []  # the venue has no point


def test_ranking_shows_about_n_km_and_excludes_the_too_far() -> None:
    near = volunteer(1, travel_modes={"walk"}, lat=52.8012 + 2.3 / 111.2, lon=-1.2043)
    walker = volunteer(2, travel_modes={"walk"}, **SIX_KM_NORTH)
    ranking = rank([near, walker], request(**VENUE), Rules())
    assert [c.volunteer.id for c in ranking.eligible] == [1]
    assert ranking.eligible[0].score.part("distance").explanation == ("About 2.3 km from the venue")
    assert [e.volunteer.id for e in ranking.excluded] == [2]
    assert ranking.excluded[0].reasons[0].message.startswith("Too far to walk: about 6.1 km")


def test_the_pool_and_the_batch_use_the_same_numbers() -> None:
    rng = random.Random(15)
    volunteers = [
        volunteer(
            i,
            travel_modes=set(rng.sample(["walk", "public_transport", "car"], rng.randint(0, 2))),
            lat=52.80 + rng.uniform(-0.25, 0.25) if rng.random() < 0.8 else None,
            lon=-1.20 + rng.uniform(-0.3, 0.3),
            meetings={1: "every"} if rng.random() < 0.3 else {},
        )
        for i in range(1, 201)
    ]
    requests = [
        request(id=n, meeting_id=1, lat=52.80 + rng.uniform(-0.1, 0.1), lon=-1.2, client_id=n)
        for n in range(1, 21)
    ]
    rules = Rules()
    pool = VolunteerPool(volunteers, rules)
    too_far_somewhere = False
    for req in requests:
        ranking = rank(volunteers, req, rules)
        index = pool.eligible(req)
        assert [pool.volunteers[i].id for i in index] == sorted(
            c.volunteer.id for c in ranking.eligible
        )
        by_id = {c.volunteer.id: c.score.centipoints for c in ranking.eligible}
        assert [by_id[pool.volunteers[i].id] for i in index] == pool.scores(req, index).tolist()
        too_far_somewhere |= any(r.code == "too_far" for e in ranking.excluded for r in e.reasons)
    assert too_far_somewhere
    batch = assign_batch(requests, pool, rules)
    for pair in batch.pairs:
        assert check_eligibility(pair.volunteer, pair.request, rules) == []
    assert dict(pool.summarise_exclusions(requests[0])).get("too_far", 0) > 0
