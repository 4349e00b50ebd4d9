"""The service's own checks needed before escorting, as pure matching rules (no app)."""

from __future__ import annotations

from datetime import date

from portal.matching import RequiredCheck, Rules, VolunteerPool, check_eligibility, rank
from portal.matching.eligibility import check_required_kinds

from .builders import MEETING_DAY, request, volunteer

NALOXONE = RequiredCheck(7, "Naloxone training")
FIRST_AID = RequiredCheck(9, "First aid")
RULES = Rules(required_checks=(NALOXONE, FIRST_AID))


def test_no_required_kinds_asks_for_nothing():
    assert check_required_kinds(volunteer(), request(), Rules()) is None


def test_a_missing_kind_is_named_in_the_reason():
    reasons = check_eligibility(volunteer(checks={9: date(2030, 1, 1)}), request(), RULES)
    assert [(r.code, r.message) for r in reasons] == [
        ("check_7_missing", "No current Naloxone training")
    ]


def test_a_kind_lapsing_before_the_meeting_fails_and_on_the_day_passes():
    lapsed = volunteer(checks={7: date(2026, 3, 2), 9: date(2030, 1, 1)})
    (reason,) = check_eligibility(lapsed, request(), RULES)
    assert reason.code == "check_7_expired"
    assert reason.message.startswith("No current Naloxone training on the day of the meeting")
    on_the_day = volunteer(checks={7: MEETING_DAY, 9: date(2030, 1, 1)})
    assert check_eligibility(on_the_day, request(), RULES) == []


def test_rank_and_the_pool_agree():
    holds = volunteer(1, checks={7: date(2030, 1, 1), 9: date(2030, 1, 1)})
    lacks = volunteer(2, checks={9: date(2030, 1, 1)})
    ranking = rank([holds, lacks], request(), RULES)
    assert [c.volunteer.id for c in ranking.eligible] == [1]
    assert [e.reasons[0].message for e in ranking.excluded] == ["No current Naloxone training"]
    pool = VolunteerPool([holds, lacks], RULES)
    assert pool.ids[pool.eligible(request())].tolist() == [1]
