"""The 'can this volunteer escort on day D?' function: each reason, and the date boundaries."""

from __future__ import annotations

from datetime import date

import pytest

from portal.matching.model import NO_EXPIRY, DateRange, VolunteerFacts
from portal.volunteers.eligibility import can_escort_on, escort_reasons

DAY = date(2026, 6, 10)
ALL_VALID = {
    "dbs": date(2027, 1, 1),
    "training": date(2027, 1, 1),
    "references": NO_EXPIRY,
    "lone_working": date(2027, 1, 1),
    "code_of_conduct": date(2027, 1, 1),
}


def facts(**overrides: object) -> VolunteerFacts:
    values: dict = {
        "id": 1,
        "status": "approved",
        "gender": "woman",
        "safeguarding": dict(ALL_VALID),
        "recovery_date": date(2020, 1, 1),
        "weekly_cap": 2,
    }
    values.update(overrides)
    return VolunteerFacts(**values)


def codes(volunteer: VolunteerFacts, day: date = DAY, months: int = 12) -> list[str]:
    return [reason.code for reason in escort_reasons(volunteer, day, months)]


def test_a_vetted_approved_volunteer_can_escort():
    assert codes(facts()) == []
    assert can_escort_on(facts(), DAY, 12)


@pytest.mark.parametrize("status", ["applied", "paused", "withdrawn"])
def test_only_approved_volunteers_can_escort(status):
    reasons = escort_reasons(facts(status=status), DAY, 12)
    assert [r.code for r in reasons] == ["not_approved"]
    assert reasons[0].message


@pytest.mark.parametrize("item", list(ALL_VALID))
def test_each_missing_item_is_a_reason(item):
    safeguarding = dict(ALL_VALID)
    safeguarding[item] = None
    assert codes(facts(safeguarding=safeguarding)) == [f"{item}_missing"]


@pytest.mark.parametrize("item", list(ALL_VALID))
def test_an_item_is_valid_on_its_expiry_day_and_not_the_day_after(item):
    safeguarding = dict(ALL_VALID)
    safeguarding[item] = DAY
    volunteer = facts(safeguarding=safeguarding)
    assert codes(volunteer, DAY) == []
    assert codes(volunteer, date(2026, 6, 11)) == [f"{item}_expired"]


def test_an_item_never_recorded_at_all_counts_as_missing():
    assert codes(facts(safeguarding={})) == [f"{item}_missing" for item in ALL_VALID]


def test_every_reason_is_given_at_once():
    volunteer = facts(
        status="paused",
        safeguarding={"dbs": date(2026, 6, 9)},
        recovery_date=None,
        away=(DateRange(date(2026, 6, 1), date(2026, 6, 30)),),
        weekly_cap=0,
    )
    assert codes(volunteer) == [
        "not_approved",
        "dbs_expired",
        "training_missing",
        "references_missing",
        "lone_working_missing",
        "code_of_conduct_missing",
        "recovery_unconfirmed",
        "away",
        "weekly_cap",
    ]


def test_recovery_date_not_confirmed():
    assert codes(facts(recovery_date=None)) == ["recovery_unconfirmed"]


def test_minimum_time_in_recovery_boundary():
    volunteer = facts(recovery_date=date(2025, 6, 10))
    assert codes(volunteer, date(2026, 6, 10)) == []
    assert codes(volunteer, date(2026, 6, 9)) == ["recovery_too_recent"]
    message = escort_reasons(volunteer, date(2026, 6, 9), 12)[0].message
    assert "10 June 2026" in message


def test_minimum_recovery_months_is_a_setting():
    volunteer = facts(recovery_date=date(2025, 12, 10))
    assert codes(volunteer, DAY, months=6) == []
    assert codes(volunteer, DAY, months=12) == ["recovery_too_recent"]


def test_time_away_includes_both_ends():
    volunteer = facts(away=(DateRange(date(2026, 6, 10), date(2026, 6, 12)),))
    assert codes(volunteer, date(2026, 6, 10)) == ["away"]
    assert codes(volunteer, date(2026, 6, 12)) == ["away"]
    assert codes(volunteer, date(2026, 6, 9)) == []
    assert codes(volunteer, date(2026, 6, 13)) == []


def test_a_weekly_cap_of_zero_means_no_escorts():
    assert codes(facts(weekly_cap=0)) == ["weekly_cap"]
    assert codes(facts(weekly_cap=1)) == []
