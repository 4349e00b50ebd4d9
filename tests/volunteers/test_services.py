"""The volunteers services without the web: facts for matching, vetting, checks, concurrency."""

from __future__ import annotations

import multiprocessing
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.auth.models import User
from portal.errors import Conflict, InvalidChange, NotAllowed, NotFound
from portal.extensions import db
from portal.matching.model import NO_EXPIRY, DateRange, VolunteerFacts, WeeklyWindow
from portal.volunteers import services
from portal.volunteers.models import (
    AvailabilityWindow,
    SafeguardingItem,
    TimeAway,
    Volunteer,
    VolunteerMeeting,
)

from .. import factories
from ..clock import for_children
from ..querycount import count_queries
from .conftest import make_meeting


def user(app, user_id: int) -> User:
    return db.session.get(User, user_id)


def test_volunteer_facts_carry_what_matching_needs(app):
    volunteer = factories.make_vetted_volunteer(
        languages=["English", "Polish"],
        fellowships=["AA", "NA"],
        gender="man",
        accompany_rule="same_gender",
        weekly_cap=3,
    )
    meeting = make_meeting()
    with app.app_context():
        db.session.add_all(
            [
                VolunteerMeeting(volunteer_id=volunteer.id, meeting_id=meeting.id, weeks="1,3"),
                AvailabilityWindow(
                    volunteer_id=volunteer.id, weekday=0, start_time=time(18), end_time=time(21)
                ),
                TimeAway(
                    volunteer_id=volunteer.id, first_day=date(2030, 1, 1), last_day=date(2030, 1, 5)
                ),
            ]
        )
        db.session.commit()
        facts = services.volunteer_facts([volunteer.id])[volunteer.id]
    assert isinstance(facts, VolunteerFacts)
    assert facts.status == "approved"
    assert facts.gender == "man"
    assert facts.languages == {"English", "Polish"}
    assert facts.fellowships == {"AA", "NA"}
    assert facts.weekly_cap == 3
    assert facts.accompanies == "same_gender"
    assert facts.meetings[meeting.id] == frozenset({1, 3})
    assert facts.windows == (WeeklyWindow(0, time(18), time(21)),)
    assert facts.away == (DateRange(date(2030, 1, 1), date(2030, 1, 5)),)
    assert facts.safeguarding["references"] == NO_EXPIRY
    assert all(facts.safeguarding[kind] for kind in services.SAFEGUARDING_KINDS)
    assert facts.recovery_date == date(2020, 1, 1)


def test_facts_count_the_longest_lasting_item_and_only_complete_references(app):
    volunteer = factories.make_volunteer(status="approved", recovery_date=date(2020, 1, 1))
    factories.make_safeguarding_item(volunteer, "dbs", expires_on=date(2027, 1, 1))
    factories.make_safeguarding_item(volunteer, "dbs", expires_on=date(2029, 1, 1))
    factories.make_safeguarding_item(volunteer, "references", references_received=1)
    with app.app_context():
        facts = services.volunteer_facts([volunteer.id])[volunteer.id]
        reasons = services.reasons_cannot_escort(volunteer.id, date(2028, 1, 1))
    assert facts.safeguarding["dbs"] == date(2029, 1, 1)
    assert facts.safeguarding["references"] is None
    assert facts.recovery_date is None  # stated, not confirmed
    codes = [r.code for r in reasons]
    assert "dbs_expired" not in codes and "dbs_missing" not in codes
    assert "references_missing" in codes
    assert "recovery_unconfirmed" in codes


def test_facts_for_many_volunteers_take_a_fixed_number_of_queries(app):
    for _ in range(3):
        factories.make_vetted_volunteer()
    with count_queries(app) as few, app.app_context():
        services.volunteer_facts()
    for _ in range(12):
        factories.make_vetted_volunteer()
    with count_queries(app) as many, app.app_context():
        assert len(services.volunteer_facts()) == 15
    assert len(few) == len(many)


def test_reasons_for_an_unknown_volunteer(app):
    with app.app_context(), pytest.raises(NotFound):
        services.reasons_cannot_escort(424242, date.today())


def test_status_change_with_a_stale_version_loses(app):
    champion = factories.make_user(roles=("champion",))
    volunteer = factories.make_volunteer()
    with app.app_context():
        first = db.session.get(Volunteer, volunteer.id)
        services.change_status(first, "approved", "", user(app, champion.id), 1)
    with app.app_context():
        stale = db.session.get(Volunteer, volunteer.id)
        stale.status = "applied"  # what the second champion was looking at
        with pytest.raises(Conflict):
            services._set_status(stale, "withdrawn", "Moved away", user(app, champion.id), 1)
    with app.app_context():
        assert db.session.get(Volunteer, volunteer.id).status == "approved"


def test_transitions_follow_the_workflow(app):
    champion = factories.make_user(roles=("champion",))
    volunteer = factories.make_volunteer()
    with app.app_context():
        actor = user(app, champion.id)
        row = db.session.get(Volunteer, volunteer.id)
        with pytest.raises(InvalidChange):
            services.change_status(row, "paused", "Break", actor, None)
        with pytest.raises(InvalidChange):
            services.change_status(row, "withdrawn", "  ", actor, None)
        with pytest.raises(InvalidChange):
            services.change_status(row, "flying", "", actor, None)
        with pytest.raises(InvalidChange):
            services.change_status(row, "withdrawn", "x" * 501, actor, None)
        services.change_status(row, "approved", "", actor, None)
        services.change_status(row, "paused", "Break", actor, None)
        services.change_status(row, "withdrawn", "Moved away", actor, None)
        services.change_status(row, "applied", "", actor, None)
        assert row.status == "applied" and row.version == 5


def test_only_champions_vet(app):
    keyworker = factories.make_user(roles=("keyworker", "volunteer"))
    volunteer = factories.make_volunteer()
    with app.app_context():
        row = db.session.get(Volunteer, volunteer.id)
        with pytest.raises(NotAllowed):
            services.change_status(row, "approved", "", user(app, keyworker.id), None)
        with pytest.raises(NotAllowed):
            services.add_safeguarding_item(
                row, "training", {"issued_on": date(2024, 1, 1)}, user(app, keyworker.id)
            )
        with pytest.raises(NotAllowed):
            services.search_volunteers(services.VolunteerFilters(), user(app, keyworker.id))


def test_a_volunteer_reaches_only_their_own_record(app):
    mine = factories.make_user(roles=("volunteer",))
    theirs = factories.make_volunteer(factories.make_user(roles=("volunteer",)))
    own = factories.make_volunteer(mine)
    with app.app_context():
        me = user(app, mine.id)
        assert services.get_volunteer(own.id, me).id == own.id
        with pytest.raises(NotFound):
            services.get_volunteer(theirs.id, me)
        other = db.session.get(Volunteer, theirs.id)
        with pytest.raises(NotFound):
            services.add_window(other, 1, time(18), time(19), me)
        with pytest.raises(NotFound):
            services.reset_calendar_link(other, me)


def _race(config: dict, volunteer_id: int, champion_id: int, to: str) -> str:
    from portal import create_app

    app = create_app(config)
    with app.app_context():
        volunteer = db.session.get(Volunteer, volunteer_id)
        actor = db.session.get(User, champion_id)
        try:
            services.change_status(volunteer, to, "Reason given", actor, 1)
        except Conflict:
            return "conflict"
        return "won"


@pytest.mark.slow
def test_concurrent_status_changes_cannot_both_win(app, app_config):
    champion = factories.make_user(roles=("champion",))
    volunteer = factories.make_volunteer()
    targets = ["approved", "withdrawn", "approved", "withdrawn"]
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(targets), **for_children()) as pool:
        results = pool.starmap(
            _race, [(app_config, volunteer.id, champion.id, to) for to in targets]
        )
    assert sorted(results) == ["conflict"] * 3 + ["won"]
    with app.app_context():
        row = db.session.get(Volunteer, volunteer.id)
        assert row.version == 2
        changes = db.session.scalar(
            select(func.count()).where(AuditEvent.action == "volunteer_status_changed")
        )
        assert changes == 1


def test_safeguarding_defaults_and_rules(app):
    champion = factories.make_user(roles=("champion",))
    volunteer = factories.make_volunteer()
    with app.app_context():
        actor = user(app, champion.id)
        row = db.session.get(Volunteer, volunteer.id)
        dbs = services.add_safeguarding_item(
            row,
            "dbs",
            {
                "issued_on": date(2024, 2, 29),
                "dbs_level": "enhanced",
                "dbs_certificate_number": "001234567890",
                "dbs_update_service": False,
            },
            actor,
        )
        assert dbs.expires_on == date(2027, 2, 28)
        refs = services.add_safeguarding_item(
            row, "references", {"issued_on": date(2024, 1, 1), "references_received": 2}, actor
        )
        assert refs.expires_on is None
        conduct = services.add_safeguarding_item(
            row, "code_of_conduct", {"issued_on": date(2024, 1, 1)}, actor
        )
        assert conduct.expires_on == date(2025, 1, 1)
        tomorrow = services.today_local() + timedelta(days=1)
        with pytest.raises(InvalidChange) as future:
            services.add_safeguarding_item(row, "training", {"issued_on": tomorrow}, actor)
        assert future.value.field == "issued_on"
        with pytest.raises(InvalidChange) as backwards:
            services.add_safeguarding_item(
                row,
                "training",
                {"issued_on": date(2024, 1, 2), "expires_on": date(2024, 1, 1)},
                actor,
            )
        assert backwards.value.field == "expires_on"
        with pytest.raises(InvalidChange):
            services.add_safeguarding_item(
                row, "dbs", {"issued_on": date(2024, 1, 1), "dbs_level": "enhanced"}, actor
            )
        with pytest.raises(NotFound):
            services.add_safeguarding_item(row, "horoscope", {"issued_on": date(2024, 1, 1)}, actor)
        audited = db.session.scalar(
            select(func.count()).where(AuditEvent.action == "safeguarding_item_added")
        )
        assert audited == 3


def test_record_shows_current_item_and_states(app):
    volunteer = factories.make_volunteer()
    today = date(2026, 6, 10)
    factories.make_safeguarding_item(
        volunteer, "dbs", issued_on=date(2023, 6, 1), expires_on=date(2026, 6, 10)
    )
    factories.make_safeguarding_item(
        volunteer, "training", issued_on=date(2023, 6, 1), expires_on=date(2026, 6, 9)
    )
    factories.make_safeguarding_item(volunteer, "references", references_received=1)
    with app.app_context():
        row = db.session.get(Volunteer, volunteer.id)
        states = {c.kind: c.state for c in services.safeguarding_record(row, today)}
    assert states == {
        "dbs": "expiring",
        "training": "expired",
        "references": "incomplete",
        "lone_working": "missing",
        "code_of_conduct": "missing",
    }


def test_checks_due_includes_the_30th_day_not_the_31st(app):
    champion = factories.make_user(roles=("champion",))
    today = date(2026, 6, 10)
    edge = factories.make_volunteer(preferred_name="Edge")
    factories.make_safeguarding_item(edge, "training", expires_on=today + timedelta(days=30))
    past = factories.make_volunteer(preferred_name="Past")
    factories.make_safeguarding_item(past, "training", expires_on=today + timedelta(days=31))
    with app.app_context():
        rows = db.session.execute(services.checks_due(user(app, champion.id), today)).all()
    assert [volunteer.preferred_name for _, volunteer in rows] == ["Edge"]


def test_application_agreement_is_a_dated_item_renewed_yearly(app):
    person = factories.make_user(roles=("volunteer",))
    profile = {
        "preferred_name": "Ola",
        "gender": "woman",
        "languages": ["Polish", "English"],
        "fellowship_ids": [],
        "home_area": "Leeds",
        "travel_modes": ["walk"],
        "phone": None,
        "share_phone": False,
        "weekly_cap": 2,
        "accompany_rule": "anyone",
        "recovery_date": date(2021, 1, 1),
    }
    with app.app_context():
        me = user(app, person.id)
        with pytest.raises(InvalidChange):
            services.complete_application(me, profile, agreed=False)
        volunteer = services.complete_application(me, profile, agreed=True)
        again = services.complete_application(me, profile | {"weekly_cap": 0}, agreed=True)
        assert again.id == volunteer.id and again.weekly_cap == 0
        items = db.session.scalars(
            select(SafeguardingItem).where(SafeguardingItem.volunteer_id == volunteer.id)
        ).all()
        assert len(items) == 1 and items[0].kind == "code_of_conduct"
        assert items[0].expires_on == services.add_months(items[0].issued_on, 12)
        with pytest.raises(InvalidChange) as negative:
            services.complete_application(me, profile | {"weekly_cap": -1}, agreed=True)
        assert negative.value.field == "weekly_cap"
        keyworker = factories.make_user(roles=("keyworker",))
        with pytest.raises(NotAllowed):
            services.complete_application(user(app, keyworker.id), profile, agreed=True)


def test_changing_the_recovery_date_needs_a_new_confirmation(app):
    champion = factories.make_user(roles=("champion",))
    person = factories.make_user(roles=("volunteer",))
    volunteer = factories.make_vetted_volunteer(person)
    with app.app_context():
        row = db.session.get(Volunteer, volunteer.id)
        services.update_profile(
            row,
            {"preferred_name": row.preferred_name, "recovery_date": date(2024, 1, 1)},
            user(app, champion.id),
            None,
        )
        assert row.recovery_confirmed_at is None


def test_meeting_weeks_are_normalised(app):
    person = factories.make_user(roles=("volunteer",))
    volunteer = factories.make_volunteer(person)
    one, two, three = make_meeting(), make_meeting(name="B"), make_meeting(name="C")
    with app.app_context():
        me = user(app, person.id)
        row = db.session.get(Volunteer, volunteer.id)
        assert services.add_meeting(row, one.id, [], me).weeks == "every"
        assert services.add_meeting(row, two.id, [3, 1, 3], me).weeks == "1,3"
        assert services.add_meeting(row, three.id, [1, 2, 3, 4, 5], me).weeks == "every"
        with pytest.raises(NotFound):
            services.add_meeting(row, 999999, [], me)


def test_only_active_meetings_can_be_added(app):
    person = factories.make_user(roles=("volunteer",))
    volunteer = factories.make_volunteer(person)
    closed = make_meeting(active=False)
    with app.app_context():
        row = db.session.get(Volunteer, volunteer.id)
        with pytest.raises(NotFound):
            services.add_meeting(row, closed.id, [], user(app, person.id))


def test_calendar_token_is_stored_only_as_a_hash(app):
    person = factories.make_user(roles=("volunteer",))
    volunteer = factories.make_volunteer(person)
    with app.app_context():
        row = db.session.get(Volunteer, volunteer.id)
        token = services.reset_calendar_link(row, user(app, person.id))
        assert token not in (row.calendar_token_hash or "")
        assert services.volunteer_for_calendar(token).id == volunteer.id
        for bad in ("", "x" * 500, token + "x"):
            with pytest.raises(NotFound):
                services.volunteer_for_calendar(bad)


def test_minimum_recovery_time_follows_the_setting(app):
    from datetime import UTC, datetime

    eight_months_ago = services.add_months(services.today_local(), -8)
    volunteer = factories.make_vetted_volunteer(
        recovery_date=eight_months_ago, recovery_confirmed_at=datetime.now(UTC)
    )
    with app.app_context():
        codes = [r.code for r in services.reasons_cannot_escort(volunteer.id, date.today())]
        assert codes == ["recovery_too_recent"]
    app.config["VOLUNTEER_MIN_RECOVERY_MONTHS"] = 6
    with app.app_context():
        assert services.reasons_cannot_escort(volunteer.id, services.today_local()) == []
