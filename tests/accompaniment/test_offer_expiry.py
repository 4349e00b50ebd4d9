"""An offer's "Please answer by": inside service hours, a set time before the meeting, and what
the volunteer reads (issue 13, "Deadlines fall in working hours")."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.accompaniment import offers
from portal.accompaniment.models import AccompanimentRequest, Offer
from portal.errors import InvalidChange
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.settings import SettingRow

from ..factories import make_meeting
from .scene import fresh, scene

LONDON = ZoneInfo("Europe/London")


def london(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).astimezone(UTC)


def wall(instant: datetime) -> str:
    return instant.astimezone(LONDON).strftime("%a %Y-%m-%d %H:%M")


def _meeting_at(local_start: str):
    """A weekly meeting on the weekday and at the time of `local_start` (London)."""
    start = datetime.fromisoformat(local_start)
    return make_meeting(
        weekday=(start.weekday() + 1) % 7,  # Meeting Guide counts from Sunday
        start_time=start.time(),
        end_time=(start + timedelta(hours=1)).time(),
    )


def _scene_for(clock, sent_at: str, meeting_starts: str, n: int = 1):
    """At `sent_at` (London), a request for the meeting starting at `meeting_starts`."""
    clock.move_to(london(sent_at))
    s = scene(n, weeks_ahead=0, meeting=_meeting_at(meeting_starts))
    assert wall(s.request.starts_at) == wall(london(meeting_starts))
    return s


def _set(app, **values: object) -> None:
    with app.app_context():
        for key, value in values.items():
            db.session.merge(SettingRow(key=key, value=json.dumps(value)))
        db.session.commit()


def _offer_to_first(app, s) -> Offer:
    with app.app_context():
        made = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        return db.session.get(Offer, made[0].id)


def test_the_issues_offer_sent_at_2_35am_is_answered_in_the_morning(app, clock, browser):
    s = _scene_for(clock, "2026-12-02 02:35", "2026-12-07 12:30")  # Wednesday, for Monday
    offer = _offer_to_first(app, s)
    assert wall(offer.expires_at) == "Thu 2026-12-03 08:00"  # not 2:35am
    assert browser.sign_in(s.users[0].email).status_code == 303
    expected = "Please answer by Thursday 3 December 2026, 8am"
    assert expected in browser.client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert expected in browser.client.get("/volunteer").get_data(as_text=True)


def test_an_offer_sent_in_the_evening_closes_next_day_in_hours(app, clock):
    s = _scene_for(clock, "2026-12-02 21:30", "2026-12-09 19:30")
    assert wall(_offer_to_first(app, s).expires_at) == "Fri 2026-12-04 08:00"  # Thu 9:30pm


def test_a_meeting_tomorrow_is_urgent_and_its_deadline_is_shorter(app, clock):
    # 21 hours away: answers 4 hours before meeting up (7am Thursday, before opening), so the
    # deadline moves earlier to when the champion is last at work: 8pm on Wednesday
    s = _scene_for(clock, "2026-12-02 14:00", "2026-12-03 11:00")
    offer = _offer_to_first(app, s)
    assert wall(offer.expires_at) == "Wed 2026-12-02 20:00"
    with app.app_context():
        request = db.session.get(AccompanimentRequest, s.request.id)
        assert offer.expires_at <= request.meeting_point_at - timedelta(hours=4)


def test_a_meeting_this_evening_closes_four_hours_before_meeting_up(app, clock):
    s = _scene_for(clock, "2026-12-02 09:00", "2026-12-02 19:30")
    assert wall(_offer_to_first(app, s).expires_at) == "Wed 2026-12-02 15:15"


def test_a_meeting_days_away_closes_a_day_before_at_the_latest(app, clock):
    _set(app, offer_expiry_hours=72)
    s = _scene_for(clock, "2026-12-02 10:00", "2026-12-05 09:00")  # Saturday morning
    # 72 hours would be Saturday 10am, after the meeting; a day before meeting up is 8:45am
    # on Friday, inside service hours
    assert wall(_offer_to_first(app, s).expires_at) == "Fri 2026-12-04 08:45"


def test_an_imminent_meeting_keeps_the_old_guarantees(app, clock):
    s = _scene_for(clock, "2026-12-02 19:30", "2026-12-02 20:45")  # meet at 8:30pm
    with app.app_context():
        request = db.session.get(AccompanimentRequest, s.request.id)
        assert wall(offers.offer_expiry(request, london("2026-12-02 19:30"))) == (
            "Wed 2026-12-02 20:30"  # too near for anything else: open till meeting up
        )
        assert wall(offers.offer_expiry(request, london("2026-12-02 17:00"))) == (
            "Wed 2026-12-02 18:30"  # two hours before meeting up, in service hours
        )


def test_across_the_autumn_clock_change(app, clock, browser):
    s = _scene_for(clock, "2026-10-24 02:00", "2026-10-27 19:30")  # Saturday 2am BST
    offer = _offer_to_first(app, s)
    assert wall(offer.expires_at) == "Sun 2026-10-25 08:00"  # 24 hours on is 1am GMT
    assert offer.expires_at == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    assert browser.sign_in(s.users[0].email).status_code == 303
    page = browser.client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert "Please answer by Sunday 25 October 2026, 8am" in page


def test_the_settings_move_the_deadline(app, clock):
    _set(
        app,
        service_opens="09:30",
        service_closes="17:00",
        offer_expiry_hours=6,
        offer_answer_before_hours=48,
        urgent_answer_before_hours=8,
    )
    s = _scene_for(clock, "2026-12-03 12:00", "2026-12-09 19:30")  # meet Wednesday 7:15pm

    def answer(sent: str) -> str:
        with app.app_context():
            request = db.session.get(AccompanimentRequest, s.request.id)
            return wall(offers.offer_expiry(request, london(sent)))

    assert answer("2026-12-03 10:00") == "Thu 2026-12-03 16:00"  # six hours
    assert answer("2026-12-03 12:00") == "Fri 2026-12-04 09:30"  # 6pm is after closing
    # 48 hours before meeting up is Monday 7:15pm, after closing: 5pm
    assert answer("2026-12-07 12:00") == "Mon 2026-12-07 17:00"
    # 50 hours away, after closing: 48 hours before cannot be met, two hours before can
    assert answer("2026-12-07 17:15") == "Tue 2026-12-08 09:30"
    # urgent (12 hours away): 8 hours before meeting up
    assert answer("2026-12-09 07:00") == "Wed 2026-12-09 11:15"


def test_the_offer_expires_at_its_answer_by_and_the_champion_hears_at_once(app, clock):
    s = _scene_for(clock, "2026-12-02 02:35", "2026-12-07 12:30")
    offer = _offer_to_first(app, s)
    clock.move_to(offer.expires_at - timedelta(minutes=1), tick=False)
    with app.app_context():
        assert offers.expire_offers_if_due() == 0
    clock.move_to(offer.expires_at, tick=False)
    with app.app_context():
        assert offers.expire_offers_if_due() == 1
        mail = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "offer_declined")
        ).all()
        assert [m.next_attempt_at for m in mail] == [offer.expires_at]  # 8am: in hours
        assert db.session.get(AccompanimentRequest, s.request.id).state == "open"


def test_new_years_eve_and_29_february(app, clock):
    s = _scene_for(clock, "2026-12-31 21:00", "2027-01-05 19:30")
    assert wall(_offer_to_first(app, s).expires_at) == "Sat 2027-01-02 08:00"
    s = _scene_for(clock, "2028-02-28 22:00", "2028-03-06 19:30")
    assert wall(_offer_to_first(app, s).expires_at) == "Wed 2028-03-01 08:00"


def test_a_meeting_whose_time_has_passed_still_cannot_be_offered(app, clock):
    s = _scene_for(clock, "2026-12-02 09:00", "2026-12-02 19:30")
    with app.app_context():
        request = db.session.get(AccompanimentRequest, s.request.id)
        with pytest.raises(InvalidChange, match="meeting point time has passed"):
            offers.offer_expiry(request, request.meeting_point_at + timedelta(minutes=1))
