"""Each hard rule, its boundaries, and that explanations name every failing rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from portal.matching import (
    CHECKS,
    NO_EXPIRY,
    SAFEGUARDING_ITEMS,
    DateRange,
    RequestFacts,
    RequiredCheck,
    Rules,
    Slot,
    WeeklyWindow,
    check_eligibility,
    is_eligible,
)
from portal.matching.eligibility import check_free_then
from tests.matching.builders import MEETING_DAY, at, request, safeguarding, volunteer

RULES = Rules()


def codes(vol, req, rules=RULES) -> list[str]:
    return [reason.code for reason in check_eligibility(vol, req, rules)]


def test_default_volunteer_is_eligible() -> None:
    assert check_eligibility(volunteer(), request(), RULES) == []
    assert is_eligible(volunteer(), request(), RULES)


@pytest.mark.parametrize(
    ("status", "words"),
    [("applied", "Not approved yet"), ("paused", "Paused"), ("withdrawn", "Withdrawn")],
)
def test_only_approved_volunteers(status: str, words: str) -> None:
    reasons = check_eligibility(volunteer(status=status), request(), RULES)
    assert [r.code for r in reasons] == ["not_approved"]
    assert reasons[0].message.startswith(words)


@pytest.mark.parametrize("item", SAFEGUARDING_ITEMS)
def test_each_safeguarding_item_must_be_held(item: str) -> None:
    vol = volunteer(safeguarding=safeguarding(**{item: None}))
    assert codes(vol, request()) == [f"{item}_missing"]
    missing = volunteer(safeguarding={k: v for k, v in safeguarding().items() if k != item})
    assert codes(missing, request()) == [f"{item}_missing"]


@pytest.mark.parametrize("item", SAFEGUARDING_ITEMS)
def test_item_is_valid_on_its_expiry_date_and_not_the_day_after(item: str) -> None:
    # Chosen convention: an item expiring on day D is valid on D and invalid from D + 1.
    on_the_day = volunteer(safeguarding=safeguarding(**{item: MEETING_DAY}))
    day_before = volunteer(safeguarding=safeguarding(**{item: MEETING_DAY - timedelta(days=1)}))
    assert codes(on_the_day, request()) == []
    assert codes(day_before, request()) == [f"{item}_expired"]


def test_expiry_message_reads_plainly() -> None:
    vol = volunteer(safeguarding=safeguarding(dbs=date(2026, 3, 2)))
    (reason,) = check_eligibility(vol, request(), RULES)
    assert reason.message == (
        "DBS check expires before the meeting (expires 2 March 2026; meeting 3 March 2026)"
    )


def test_expiry_is_judged_on_the_local_meeting_date() -> None:
    # 00:30 BST on 1 June is still 31 May in UTC: the London date is the one that counts.
    req = request(start=at(date(2026, 6, 1), 0, 30), minutes=60)
    assert req.start.date() == date(2026, 5, 31)
    goes = {7: "every"}
    expired = volunteer(safeguarding=safeguarding(dbs=date(2026, 5, 31)), meetings=goes)
    assert codes(expired, req) == ["dbs_expired"]
    assert (
        codes(volunteer(safeguarding=safeguarding(dbs=date(2026, 6, 1)), meetings=goes), req) == []
    )


def test_items_that_never_lapse() -> None:
    vol = volunteer(safeguarding=safeguarding(references=NO_EXPIRY))
    assert codes(vol, request()) == []


def test_recovery_time_boundary() -> None:
    exactly = volunteer(recovery_date=date(2025, 3, 3))
    one_day_short = volunteer(recovery_date=date(2025, 3, 4))
    assert codes(exactly, request()) == []
    assert codes(one_day_short, request()) == ["recovery_too_recent"]
    assert (
        "reaches 12 months on 4 March 2026"
        in check_eligibility(one_day_short, request(), RULES)[0].message
    )


def test_recovery_minimum_is_configurable() -> None:
    vol = volunteer(recovery_date=date(2025, 9, 3))
    assert codes(vol, request()) == ["recovery_too_recent"]
    assert codes(vol, request(), Rules(min_recovery_months=6)) == []


def test_recovery_from_a_leap_day() -> None:
    vol = volunteer(recovery_date=date(2024, 2, 29))
    assert codes(vol, request(start=at(date(2025, 2, 28), 18))) == []
    assert codes(vol, request(start=at(date(2025, 2, 27), 18))) == ["recovery_too_recent"]


def test_unconfirmed_recovery() -> None:
    assert codes(volunteer(recovery_date=None), request()) == ["recovery_unconfirmed"]


# ------------------------------------------------------------------------- free then


def test_attending_the_meeting_every_week_makes_them_free() -> None:
    vol = volunteer(windows=[], meetings={7: "every"})
    assert codes(vol, request()) == []


def test_attending_on_some_weeks_of_the_month() -> None:
    vol = volunteer(windows=[], meetings={7: [1, 3]})
    first_tuesday = request(start=at(date(2026, 3, 3), 18, 45))
    second_tuesday = request(start=at(date(2026, 3, 10), 18, 45))
    third_tuesday = request(start=at(date(2026, 3, 17), 18, 45))
    assert codes(vol, first_tuesday) == []
    assert codes(vol, second_tuesday) == ["not_free"]
    assert codes(vol, third_tuesday) == []


def test_attending_another_meeting_does_not_count() -> None:
    vol = volunteer(windows=[], meetings={8: "every"})
    assert codes(vol, request()) == ["not_free"]


def test_window_must_cover_the_whole_escort() -> None:
    tuesday = MEETING_DAY.weekday()
    covers = volunteer(windows=[WeeklyWindow(tuesday, time(18, 45), time(20, 30))])
    starts_late = volunteer(windows=[WeeklyWindow(tuesday, time(19), time(22))])
    ends_early = volunteer(windows=[WeeklyWindow(tuesday, time(18), time(20))])
    other_day = volunteer(windows=[WeeklyWindow(tuesday + 1, time(9), time(23))])
    assert codes(covers, request()) == []
    for vol in (starts_late, ends_early, other_day):
        assert codes(vol, request()) == ["not_free"]


def test_window_to_midnight() -> None:
    tuesday = MEETING_DAY.weekday()
    vol = volunteer(windows=[WeeklyWindow(tuesday, time(22), time(0))])
    assert codes(vol, request(start=at(MEETING_DAY, 22, 30), minutes=90)) == []


def test_escort_past_midnight_needs_attendance_not_a_window() -> None:
    late = request(start=at(MEETING_DAY, 23, 30), minutes=60)
    assert codes(volunteer(windows=[WeeklyWindow(1, time(0), time(0))]), late) == ["not_free"]
    assert codes(volunteer(windows=[], meetings={7: "every"}), late) == []


def test_not_free_message_names_the_time() -> None:
    reason = check_free_then(volunteer(windows=[]), request(), RULES)
    assert reason is not None
    assert reason.message.endswith("covers Tuesday 3 March 2026, 6:45pm to 8:30pm")


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (date(2026, 3, 22), 19),  # GMT, the Sunday before the clocks go forward
        (date(2026, 3, 29), 18),  # BST from 1am that Sunday: 7pm local is 6pm UTC
        (date(2026, 10, 18), 18),  # BST, the Sunday before the clocks go back
        (date(2026, 10, 25), 19),  # GMT again from 2am that Sunday
    ],
)
def test_windows_are_wall_clock_time_across_clock_changes(day: date, utc_hour: int) -> None:
    sunday_evening = volunteer(windows=[WeeklyWindow(6, time(19), time(21))])
    start = datetime.combine(day, time(utc_hour), tzinfo=UTC)
    in_window = request(start=start, minutes=120)
    an_hour_late = request(start=start + timedelta(hours=1), minutes=120)
    assert in_window.local_start.time() == time(19)
    assert codes(sunday_evening, in_window) == []
    assert codes(sunday_evening, an_hour_late) == ["not_free"]


def test_escort_spanning_the_spring_clock_change() -> None:
    # 00:30 to 03:30 local on 29 March 2026 lasts two hours; the window is wall-clock time.
    start = at(date(2026, 3, 29), 0, 30)
    req = request(start=start, minutes=120)
    assert req.local_end.time() == time(3, 30)
    assert codes(volunteer(windows=[WeeklyWindow(6, time(0), time(3, 30))]), req) == []
    assert codes(volunteer(windows=[WeeklyWindow(6, time(0), time(3))]), req) == ["not_free"]


def test_away_dates_include_both_ends() -> None:
    first_day = volunteer(away=[DateRange(MEETING_DAY, date(2026, 3, 10))])
    last_day = volunteer(away=[DateRange(date(2026, 2, 20), MEETING_DAY)])
    day_after = volunteer(away=[DateRange(date(2026, 2, 20), date(2026, 3, 2))])
    assert codes(first_day, request()) == ["away"]
    assert codes(last_day, request()) == ["away"]
    assert codes(day_after, request()) == []
    assert "Away on 3 March 2026" in check_eligibility(first_day, request(), RULES)[0].message


def test_away_on_the_day_an_overnight_escort_ends() -> None:
    late = request(start=at(MEETING_DAY, 23, 30), minutes=60)
    vol = volunteer(
        windows=[], meetings={7: "every"}, away=[DateRange(date(2026, 3, 4), date(2026, 3, 4))]
    )
    assert codes(vol, late) == ["away"]


def test_overlapping_escort_excludes_but_back_to_back_does_not() -> None:
    req = request()  # 18:45 to 20:30
    overlapping = volunteer(escorts=[Slot(at(MEETING_DAY, 20), at(MEETING_DAY, 21))])
    before = volunteer(escorts=[Slot(at(MEETING_DAY, 17), at(MEETING_DAY, 18, 45))])
    after = volunteer(escorts=[Slot(at(MEETING_DAY, 20, 30), at(MEETING_DAY, 22))])
    assert codes(overlapping, req) == ["overlapping_escort"]
    assert codes(before, req) == []
    assert codes(after, req) == []


def _escort_on(day: date, hour: int = 10) -> Slot:
    return Slot(at(day, hour), at(day, hour + 1))


def test_weekly_cap_counts_escorts_in_the_same_iso_week() -> None:
    monday, sunday = date(2026, 3, 2), date(2026, 3, 8)
    full = volunteer(weekly_cap=2, escorts=[_escort_on(monday), _escort_on(sunday)])
    last_week = volunteer(weekly_cap=2, escorts=[_escort_on(date(2026, 3, 1)), _escort_on(monday)])
    assert codes(full, request()) == ["weekly_cap"]
    assert codes(last_week, request()) == []
    message = check_eligibility(full, request(), RULES)[0].message
    assert (
        message == "Weekly limit reached: 2 of 2 escorts already booked in the week of 2 March 2026"
    )


def test_weekly_cap_uses_local_dates() -> None:
    # 23:30 BST on Sunday 7 June is 22:30 UTC the same Sunday, 00:30 BST Monday is Sunday UTC.
    sunday_late = Slot(at(date(2026, 6, 7), 23, 30), at(date(2026, 6, 8), 0, 15))
    monday_early = request(start=at(date(2026, 6, 8), 0, 30), minutes=60, meeting_id=9)
    assert monday_early.start.astimezone(UTC).date() == date(2026, 6, 7)
    one_a_week = volunteer(weekly_cap=1, escorts=[sunday_late], meetings={9: "every"})
    assert codes(one_a_week, monday_early) == []  # Sunday's escort was last ISO week
    booked_monday = Slot(at(date(2026, 6, 8), 9), at(date(2026, 6, 8), 10))
    assert codes(
        volunteer(weekly_cap=1, escorts=[booked_monday], meetings={9: "every"}), monday_early
    ) == ["weekly_cap"]


def test_zero_cap_means_no_escorts() -> None:
    assert codes(volunteer(weekly_cap=0), request()) == ["weekly_cap"]


@pytest.mark.parametrize(
    ("wish", "gender", "ok"),
    [
        ("any", "man", True),
        ("woman", "woman", True),
        ("woman", "man", False),
        ("man", "non-binary", False),
        ("non-binary", "non-binary", True),
    ],
)
def test_gender_wish(wish: str, gender: str, ok: bool) -> None:
    assert codes(volunteer(gender=gender), request(peer_gender=wish)) == (
        [] if ok else ["gender_wish"]
    )


def test_language_wish_ignores_case() -> None:
    assert codes(volunteer(languages={"Polish"}), request(language="polish")) == []
    assert codes(volunteer(languages={"English"}), request(language="Polish")) == ["language_wish"]
    assert codes(volunteer(languages=set()), request(language=None)) == []


def test_fellowship_wish_only_when_asked() -> None:
    aa_only = volunteer(fellowships={"AA"})
    assert codes(aa_only, request(wants_fellowship_experience=True)) == ["fellowship_wish"]
    assert codes(aa_only, request(wants_fellowship_experience=False)) == []


def test_volunteers_own_rule_on_whom_they_accompany() -> None:
    only_women = volunteer(gender="woman", accompanies="same_gender")
    assert codes(only_women, request(client_gender="woman")) == []
    assert codes(only_women, request(client_gender="man")) == ["accompany_rule"]
    assert codes(only_women, request(client_gender=None)) == ["accompany_rule"]
    assert codes(volunteer(accompanies="anyone"), request(client_gender=None)) == []


def test_declined_before_and_conflict_of_interest() -> None:
    req = request(id=5, client_id=42)
    assert codes(volunteer(declined_requests={5}), req) == ["declined_before"]
    assert codes(volunteer(declined_requests={6}), req) == []
    assert codes(volunteer(conflict_clients={42}), req) == ["conflict_of_interest"]
    assert codes(volunteer(conflict_clients={41}), req) == []


def test_explanations_name_every_failing_rule() -> None:
    req = request(
        id=5,
        client_id=42,
        peer_gender="man",
        language="Somali",
        wants_fellowship_experience=True,
        client_gender="man",
        lat=53.80,
        lon=-1.55,
    )
    worst = volunteer(
        lat=53.90,
        lon=-1.55,
        travel_modes={"walk"},
        status="paused",
        gender="woman",
        languages={"English"},
        fellowships={"AA"},
        accompanies="same_gender",
        weekly_cap=1,
        safeguarding={"dbs": date(2026, 3, 2)},
        recovery_date=date(2025, 12, 1),
        windows=[],
        away=[DateRange(MEETING_DAY, MEETING_DAY)],
        escorts=[Slot(at(MEETING_DAY, 19), at(MEETING_DAY, 20))],
        declined_requests={5},
        conflict_clients={42},
    )
    # the service's own check needed before escorting (issue 19) is one more rule
    rules = Rules(required_checks=(RequiredCheck(7, "Naloxone training"),))
    reasons = check_eligibility(worst, req, rules)
    assert [r.code for r in reasons] == [
        "not_approved",
        "dbs_expired",
        "training_missing",
        "references_missing",
        "lone_working_missing",
        "code_of_conduct_missing",
        "check_7_missing",
        "recovery_too_recent",
        "not_free",
        "away",
        "overlapping_escort",
        "weekly_cap",
        "gender_wish",
        "language_wish",
        "fellowship_wish",
        "accompany_rule",
        "too_far",
        "declined_before",
        "conflict_of_interest",
    ]
    assert len(reasons) == len(CHECKS)
    assert all(r.message and r.message[0].isupper() for r in reasons)


def test_every_check_is_named_and_documented() -> None:
    names = [check.__name__ for check in CHECKS]
    assert len(set(names)) == len(names)
    assert all(name.startswith("check_") for name in names)
    assert all(check.__doc__ for check in CHECKS)


def test_facts_validate_their_times() -> None:
    naive = datetime(2026, 3, 3, 18, 45)
    with pytest.raises(ValueError, match="timezone-aware"):
        RequestFacts(1, 1, 7, "NA", "Hackney", naive, naive + timedelta(hours=1))
    with pytest.raises(ValueError, match="after"):
        Slot(at(MEETING_DAY, 19), at(MEETING_DAY, 19))
    with pytest.raises(ValueError, match="weekday"):
        WeeklyWindow(7, time(9), time(10))
    with pytest.raises(ValueError, match="week numbers"):
        volunteer(meetings={7: [0]})


@pytest.mark.parametrize(
    "vetting",
    [
        {},
        {"dbs": None},
        {"training": MEETING_DAY},
        {"references": MEETING_DAY - timedelta(days=1), "lone_working": None},
        {item: NO_EXPIRY for item in SAFEGUARDING_ITEMS},
    ],
)
def test_skipping_vetting_checks_once_it_holds_changes_no_reason(vetting: dict) -> None:
    # check_eligibility leaves out the five vetting checks when every item holds that day; the
    # answer must be what every check in CHECKS says, in the same order.
    vol = volunteer(status="paused", safeguarding=safeguarding(**vetting), windows=())
    req = request()
    every = [r for check in CHECKS if (r := check(vol, req, RULES)) is not None]
    assert check_eligibility(vol, req, RULES) == every
    assert "not_approved" in codes(vol, req) and "not_free" in codes(vol, req)
