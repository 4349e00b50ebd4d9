"""From rows to matching's facts, and the SQL filter held to matching's own rules."""

from __future__ import annotations

import random
from dataclasses import fields
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import insert, select

from portal.accompaniment.facts import (
    Shape,
    candidate_ids,
    candidate_ids_for_many,
    ceil_slot,
    escort_slots,
    floor_slot,
    free_ids,
    load_requests,
    load_volunteer_facts,
    matching_rules,
    sift,
)
from portal.accompaniment.models import (
    AccompanimentRequest,
    EscortSlot,
    Offer,
    VolunteerClientConflict,
    VolunteerWeekCount,
)
from portal.extensions import db
from portal.matching import check_eligibility
from portal.meetings.occurrences import LONDON
from portal.volunteers.models import SafeguardingItem, TimeAway
from portal.volunteers.services import volunteer_facts

from ..factories import (
    make_attendance,
    make_client,
    make_meeting,
    make_request,
    make_safeguarding_item,
    make_user,
    make_volunteer,
    make_window,
)

HISTORY = {
    "escorts",
    "declined_requests",
    "conflict_clients",
    "escorts_last_30_days",
    "accepted_count",
    "completed_count",
}


def test_slots_are_a_15_minute_grid_across_a_clock_change():
    before = datetime(2026, 3, 29, 0, 50, tzinfo=UTC)  # 00:50 GMT; clocks go forward at 01:00
    assert floor_slot(before) == datetime(2026, 3, 29, 0, 45, tzinfo=UTC)
    assert ceil_slot(before) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert ceil_slot(floor_slot(before)) == floor_slot(before)
    slots = escort_slots(before, before + timedelta(minutes=40))
    assert [s.minute for s in slots] == [45, 0, 15]
    local = datetime(2026, 10, 25, 1, 10, tzinfo=LONDON)  # the hour that happens twice
    assert all(
        (s.minute % 15, s.second) == (0, 0) for s in escort_slots(local, local + timedelta(hours=2))
    )
    # back-to-back escorts share no slot; a gap inside one slot does
    assert not set(escort_slots(before, before + timedelta(minutes=10))) & set(
        escort_slots(before + timedelta(minutes=10), before + timedelta(minutes=30))
    )


def test_the_loader_reads_volunteers_exactly_as_the_volunteers_domain_does(app):
    meeting = make_meeting()
    people = []
    for i in range(4):
        person = make_volunteer(
            make_user(roles=("volunteer",)),
            status=("approved", "paused", "applied", "approved")[i],
            languages=["English", "Polish"][: 1 + i % 2],
            fellowships=["AA", "NA"][: 1 + i % 2],
            recovery_date=date(2019, 5, 1),
            recovery_confirmed_at=datetime.now(UTC) if i % 2 else None,
        )
        make_safeguarding_item(person, "dbs")
        make_safeguarding_item(person, "references", references_received=1 + i % 2)
        make_attendance(person, meeting, weeks="1,3" if i == 1 else "every")
        make_window(person, i, time(18), time(21))
        people.append(person)
    with app.app_context():
        db.session.add(
            TimeAway(
                volunteer_id=people[0].id, first_day=date(2030, 1, 1), last_day=date(2030, 1, 9)
            )
        )
        db.session.commit()
        ids = [p.id for p in people]
        ours, theirs = load_volunteer_facts(ids), volunteer_facts(ids)
        assert ours.keys() == theirs.keys()
        for key in ids:
            for f in fields(theirs[key]):
                if f.name not in HISTORY:
                    assert getattr(ours[key], f.name) == getattr(theirs[key], f.name), f.name


# --- the SQL filter against matching -------------------------------------------------------------


def _random_pool(rng: random.Random, meetings: list, request_day: date, n: int) -> list:
    people = []
    for _ in range(n):
        person = make_volunteer(
            make_user(roles=("volunteer",)),
            status=rng.choice(("approved",) * 6 + ("paused", "applied")),
            gender=rng.choice(("woman", "man", "non-binary", None)),
            accompany_rule=rng.choice(("anyone",) * 3 + ("same_gender",)),
            weekly_cap=rng.choice((0, 1, 2)),
            languages=rng.sample(["English", "Polish", "Urdu"], rng.randint(1, 2)),
            fellowships=rng.sample(["AA", "NA", "SMART"], rng.randint(1, 2)),
            recovery_date=request_day - timedelta(days=rng.choice((30, 360, 364, 366, 370, 900))),
            recovery_confirmed_at=datetime.now(UTC) if rng.random() < 0.9 else None,
        )
        for kind in ("dbs", "training", "references", "lone_working", "code_of_conduct"):
            if rng.random() < 0.05:
                continue  # missing
            lapse = request_day + timedelta(days=rng.choice((-1, 0, 1, 400, 400, 400)))
            extra = (
                {"references_received": rng.choice((1, 2, 2, 2))}
                if kind == "references"
                else {"expires_on": lapse}
            )
            make_safeguarding_item(person, kind, **extra)
        for meeting in meetings:
            if rng.random() < 0.4:
                make_attendance(person, meeting, weeks=rng.choice(("every", "1,3", "2", "5")))
        if rng.random() < 0.6:
            day = rng.randrange(7)
            make_window(person, day, time(rng.choice((17, 18, 19))), time(rng.choice((20, 22))))
        people.append(person)
    return people


def _decorate(rng: random.Random, people: list, requests: list, clients: list) -> None:
    """Busy slots, week counts, declines, conflicts and time away, straight into the tables."""
    with db.session.begin():
        for person in people:
            request = rng.choice(requests)
            if rng.random() < 0.25:
                # an escort held: its busy slots and its count in the week, as acceptance writes
                start = request.starts_at - timedelta(minutes=rng.choice((0, 30, 90, 1440)))
                for slot in escort_slots(start, start + timedelta(minutes=45)):
                    db.session.execute(
                        insert(EscortSlot).values(
                            volunteer_id=person.id, slot_start=slot, request_id=request.id
                        )
                    )
                iso = start.astimezone(LONDON).date().isocalendar()
                db.session.execute(
                    insert(VolunteerWeekCount).values(
                        volunteer_id=person.id, iso_year=iso.year, iso_week=iso.week, n=1
                    )
                )
            if rng.random() < 0.1:
                db.session.add(
                    Offer(
                        request_id=request.id,
                        volunteer_id=person.id,
                        state="declined",
                        expires_at=datetime.now(UTC),
                    )
                )
            if rng.random() < 0.1:
                db.session.add(
                    VolunteerClientConflict(
                        volunteer_id=person.id, client_id=rng.choice(clients).id
                    )
                )
            if rng.random() < 0.1:
                day = request.meeting_date + timedelta(days=rng.choice((-3, 0, 2)))
                db.session.add(
                    TimeAway(
                        volunteer_id=person.id, first_day=day, last_day=day + timedelta(days=1)
                    )
                )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_sql_filter_keeps_everyone_matching_accepts_and_little_else(app, seed):
    rng = random.Random(seed)
    keyworker = make_user(roles=("keyworker",))
    meetings = [
        make_meeting(weekday=w, start_time=time(19, 0), end_time=time(20, 30)) for w in (2, 2, 4)
    ]
    clients = [
        make_client(keyworker, gender=rng.choice(("woman", "man", "non-binary", "other")))
        for _ in range(4)
    ]
    requests = []
    for i, made in enumerate(clients):
        requests.append(
            make_request(
                made,
                meetings[i % 3],
                weeks_ahead=1 + i % 2,
                peer_gender=rng.choice(("any", "any", "woman", "man")),
                language=rng.choice((None, None, "polish")),
                fellowship_experience=rng.random() < 0.5,
                minutes_before=rng.choice((0, 15, 20)),
            )
        )
    people = _random_pool(rng, meetings, requests[0].meeting_date, 30)
    with app.app_context():
        _decorate(rng, people, requests, clients)
        rules = matching_rules()
        facts = load_volunteer_facts([p.id for p in people])
        loaded = {
            item.request.id: item
            for item in load_requests(AccompanimentRequest.id.in_([r.id for r in requests]))
        }
        many = candidate_ids_for_many([item.facts for item in loaded.values()], rules, limit=50)
        for request_id, item in loaded.items():
            eligible = {v.id for v in facts.values() if not check_eligibility(v, item.facts, rules)}
            found = set(candidate_ids(item.facts, rules))
            assert eligible <= found, "the SQL filter dropped someone matching accepts"
            for extra in found - eligible:
                codes = {r.code for r in check_eligibility(facts[extra], item.facts, rules)}
                assert codes == {"recovery_too_recent"}, codes
            assert set(many[request_id]) == found
            sifted = sift(item.facts, rules)
            assert set(sifted.candidates) == found
            free = set(free_ids(item.facts, rules))
            assert free == {
                v.id
                for v in facts.values()
                if not any(r.code == "not_free" for r in check_eligibility(v, item.facts, rules))
            }
            assert {row[0] for row in sifted.excluded} == free - found


def test_candidates_for_many_requests_stop_at_the_limit(app):
    keyworker = make_user(roles=("keyworker",))
    meeting = make_meeting()
    request = make_request(make_client(keyworker), meeting, weeks_ahead=1)
    for _ in range(4):
        from ..factories import make_vetted_volunteer

        make_attendance(make_vetted_volunteer(make_user(roles=("volunteer",))), meeting)
    with app.app_context():
        item = load_requests(AccompanimentRequest.id == request.id)[0]
        found = candidate_ids_for_many([item.facts], matching_rules(), limit=3)
        assert len(found[request.id]) == 3
        assert candidate_ids_for_many([], matching_rules()) == {}


def test_shapes_are_few():
    assert len({Shape(*bits) for bits in __import__("itertools").product((0, 1), repeat=5)}) == 32


def test_a_volunteers_history_feeds_load_and_reliability(app):
    from ..factories import make_vetted_volunteer

    keyworker = make_user(roles=("keyworker",))
    person = make_vetted_volunteer(make_user(roles=("volunteer",)))
    meeting = make_meeting()
    past = datetime.now(UTC) - timedelta(days=10)
    for outcome in ("attended", "volunteer_could_not_go"):
        make_request(
            make_client(keyworker),
            meeting,
            state="completed",
            outcome=outcome,
            volunteer_id=person.id,
            starts_at=past,
            ends_at=past + timedelta(hours=1),
            is_current=False,
        )
    with app.app_context():
        facts = load_volunteer_facts([person.id])[person.id]
        assert (facts.accepted_count, facts.completed_count) == (2, 1)
        assert facts.escorts_last_30_days == 2
        assert db.session.scalar(select(SafeguardingItem.id).limit(1)) is not None
