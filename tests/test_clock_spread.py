"""The clock-sensitive behaviour, run at a spread of instants in Europe/London.

Each instant is one a person could meet: the hour that does not exist when the clocks go
forward, the hour that happens twice when they go back, a minute either side of local midnight
(in winter, and in summer when the UTC date is still the day before), New Year, 29 February and
every day of the week at the hours people actually use the portal (and at 2:47am). At each:

- meeting occurrences keep their wall-clock time and weekday;
- a whole escort, raised, offered, accepted, checked in and out, its outcome recorded and used
  by session three, with `flask tick`'s jobs run every 20 minutes throughout: offers answer by a
  time inside service hours, the safety actions open when the escort's time makes them true,
  each reminder and alert is sent once, an unfilled request is marked at its start, the iCal
  feed and the reports show the escort;
- the fuzz world is built and crawled as every role (no page answers 5xx, every POST form is
  still reached).

`PORTAL_TEST_NOW` runs the rest of the suite at any of these instants as well.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from flask import url_for
from sqlalchemy import func, select

from portal.accompaniment import offers
from portal.accompaniment.models import AccompanimentRequest
from portal.auth.models import User
from portal.clients import services as clients
from portal.dates import london_today
from portal.extensions import db
from portal.jobs import run_tick
from portal.meetings.occurrences import LONDON, at_local, next_occurrences
from portal.notify.models import Notification
from portal.reports.ranges import default_range
from portal.safety.models import EscortCheck
from portal.volunteers import services as volunteers
from portal.volunteers.models import Volunteer

from .conftest import Browserless
from .factories import (
    PASSWORD,
    make_attendance,
    make_client,
    make_meeting,
    make_request,
    make_user,
    make_vetted_volunteer,
)

SPREAD = {
    "night the clocks go forward, 00:30 GMT": "2027-03-28T00:30:00+00:00",
    "night the clocks go forward, 02:30 BST (01:30 London never happened)": (
        "2027-03-28T01:30:00+00:00"
    ),
    "night the clocks go back, 01:30 BST (first time)": "2026-10-25T00:30:00+00:00",
    "night the clocks go back, 01:30 GMT (second time)": "2026-10-25T01:30:00+00:00",
    "23:59 London in winter": "2026-12-08T23:59:00+00:00",
    "00:01 London in winter": "2026-12-09T00:01:00+00:00",
    "23:59 London in summer (22:59 UTC)": "2027-06-15T22:59:00+00:00",
    "00:01 London in summer, UTC still the day before": "2027-06-15T23:01:00+00:00",
    "New Year's Eve, 23:59": "2026-12-31T23:59:00+00:00",
    "New Year's Day, 00:01": "2027-01-01T00:01:00+00:00",
    "28 February 23:59 in a leap year": "2028-02-28T23:59:00+00:00",
    "29 February": "2028-02-29T12:00:00+00:00",
    "Monday 10:00": "2026-11-30T10:00:00+00:00",
    "Tuesday 02:47": "2026-12-01T02:47:00+00:00",
    "Wednesday 13:20 (the day the suite failed)": "2026-12-02T13:20:00+00:00",
    "Thursday 19:45, while meetings run": "2026-12-03T19:45:00+00:00",
    "Friday 07:59, before service hours": "2026-12-04T07:59:00+00:00",
    "Saturday 20:01, after service hours": "2026-12-05T20:01:00+00:00",
    "Sunday 16:00": "2026-12-06T16:00:00+00:00",
    "summer Wednesday 12:00": "2027-07-14T11:00:00+00:00",
}
INSTANTS = [pytest.param(datetime.fromisoformat(v), id=k) for k, v in SPREAD.items()]
# The world crawl costs a few seconds: one instant of each kind is enough for it.
CRAWL_AT = (
    "night the clocks go forward, 02:30 BST (01:30 London never happened)",
    "night the clocks go back, 01:30 GMT (second time)",
    "00:01 London in summer, UTC still the day before",
    "New Year's Eve, 23:59",
    "29 February",
    "Wednesday 13:20 (the day the suite failed)",
    "Thursday 19:45, while meetings run",
)
TICK_EVERY = timedelta(minutes=20)


def _mg_day(moment: datetime) -> int:
    """Meeting Guide's weekday (0 = Sunday) of `moment`'s London date."""
    return (moment.astimezone(LONDON).weekday() + 1) % 7


# --- meeting occurrences ---------------------------------------------------------------------


@pytest.mark.parametrize("now", INSTANTS)
@pytest.mark.parametrize(
    "start, end",
    [(time(19, 30), time(21, 0)), (time(1, 30), time(2, 30)), (time(23, 30), time(0, 30))],
    ids=["evening", "in the hour the clocks change", "across midnight"],
)
def test_occurrences_keep_their_weekday_and_wall_clock(now: datetime, start: time, end: time):
    for weekday in range(7):
        found = next_occurrences(weekday, start, end, now, 3)
        assert len(found) == 3
        first = found[0][0]
        assert now < first <= now + timedelta(days=7, hours=1)
        days = [begins.astimezone(LONDON).date() for begins, _ in found]
        for (begins, ends), day in zip(found, days, strict=True):
            assert (day.weekday() + 1) % 7 == weekday
            assert begins == at_local(day, start)
            assert ends > begins
            local = begins.astimezone(LONDON)
            # the wall clock holds, except for a time the spring change skips (it moves on)
            assert local.time() == start or (local.hour, local.minute) == (2, 30)
        assert all((b - a).days == 7 for a, b in zip(days, days[1:], strict=False))


# --- a whole escort ------------------------------------------------------------------------------


def _browser(app, email: str) -> Browserless:
    person = Browserless(app.test_client())
    assert person.sign_in(email, PASSWORD).status_code == 303
    return person


def _count(app, kind: str, user_id: int | None = None) -> int:
    with app.app_context():
        query = select(func.count()).select_from(Notification).where(Notification.kind == kind)
        if user_id is not None:
            query = query.where(Notification.user_id == user_id)
        return db.session.scalar(query)


def _tick_until(app, clock, start: datetime, end: datetime) -> None:
    """`flask tick` every few minutes from `start` to `end`, as cron would run it."""
    moment = start
    with app.app_context():
        while moment <= end:
            clock.move_to(moment, tick=False)
            run_tick(moment)
            moment += TICK_EVERY
    clock.move_to(end, tick=False)


def _state(app, request_id: int) -> str:
    with app.app_context():
        return db.session.get(AccompanimentRequest, request_id).state


def _checks(app, request_id: int) -> list[str]:
    with app.app_context():
        return sorted(
            db.session.scalars(select(EscortCheck.kind).where(EscortCheck.request_id == request_id))
        )


@pytest.mark.parametrize("now", INSTANTS)
def test_an_escort_from_request_to_session_three(app, clock, now: datetime):
    clock.move_to(now, tick=False)
    tomorrow = now + timedelta(days=1)
    meeting = make_meeting(weekday=_mg_day(tomorrow), start_time=time(19, 0), end_time=time(20, 0))
    champion = make_user(roles=("champion",))
    keyworker = make_user(roles=("keyworker",))
    volunteer_user = make_user(roles=("volunteer",))
    volunteer = make_vetted_volunteer(volunteer_user, phone="07700 900123")
    make_attendance(volunteer, meeting)
    client = make_client(keyworker, consent_first_name=True)
    request = make_request(client, meeting, meeting_point="the front steps")
    nobody = make_request(make_client(keyworker), meeting, is_current=True)
    assert request.meeting_date == tomorrow.astimezone(LONDON).date()
    assert request.starts_at == at_local(request.meeting_date, time(19, 0))

    with app.app_context():
        made = offers.make_offers(
            request.id, [volunteer.id], db.session.get(User, champion.id), now=now
        )
        offer_id, expires_at = made[0].id, made[0].expires_at
    assert now < expires_at < request.starts_at

    person = _browser(app, volunteer_user.email)
    accepted = person.post(f"/offers/{offer_id}/accept", page=f"/offers/{offer_id}")
    assert accepted.status_code == 303, accepted.get_data(as_text=True)
    assert _state(app, request.id) == "accepted"

    escort = f"/safety/escorts/{request.id}"
    # the day before: nothing to check in to yet, and the page says so
    refused = person.post(f"{escort}/met", page=escort)
    assert refused.status_code in (200, 303)
    assert _checks(app, request.id) == []

    _tick_until(app, clock, now, request.starts_at - timedelta(minutes=5))
    assert _state(app, nobody.id) in ("open", "offered")
    person = _browser(app, volunteer_user.email)  # a day later: a new session
    assert person.post(f"{escort}/met", page=escort).status_code in (200, 303)
    assert _checks(app, request.id) == ["checkin"]

    _tick_until(app, clock, request.starts_at, request.ends_at)
    assert _state(app, nobody.id) == "unfilled"
    person = _browser(app, volunteer_user.email)
    assert person.post(f"{escort}/safe", page=escort).status_code in (200, 303)
    assert _checks(app, request.id) == ["checkin", "checkout"]
    form = person.client.get(f"{escort}/outcome").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', form).group(1)
    outcome = person.post(
        f"{escort}/outcome",
        {"came": "attended", "together": "yes", "again": "yes", "version": version},
        page=f"{escort}/outcome",
    )
    assert outcome.status_code == 303, outcome.get_data(as_text=True)
    assert _state(app, request.id) == "completed"
    _tick_until(app, clock, request.ends_at, request.ends_at + timedelta(hours=3))

    # each message once, however the night's clock change fell
    assert _count(app, "escort_reminder", volunteer_user.id) == 1
    assert _count(app, "escort_reminder", keyworker.id) == 1
    assert _count(app, "request_unfilled", champion.id) == 1
    assert _count(app, "checkout_overdue") == 0
    for kind in ("checks_digest", "stale_meetings_digest"):
        assert _count(app, kind, champion.id) <= 1

    with app.app_context():
        row = db.session.get(type(client), client.id)
        assert clients.session_defaults(row, 3).get("attended") == "yes"
        token = volunteers.reset_calendar_link(
            db.session.get(Volunteer, volunteer.id), db.session.get(User, volunteer_user.id)
        )
    with app.test_request_context():
        feed_url = url_for("volunteers.calendar_feed", token=token)
    feed = app.test_client().get(feed_url).get_data(as_text=True)
    point = request.meeting_point_at
    assert f"{point.astimezone(UTC):%Y%m%dT%H%M%SZ}" in feed or (
        f"TZID=Europe/London:{point.astimezone(LONDON):%Y%m%dT%H%M%S}" in feed
    ), feed
    # the reports' default weeks end today in London and take in the escort just finished
    period = default_range(london_today(request.ends_at + timedelta(hours=3)))
    assert period.starts_at <= request.starts_at < request.ends_at <= period.ends_before
    reports = _browser(app, champion.email).client.get("/reports/")
    assert reports.status_code == 200
    assert period.words in reports.get_data(as_text=True)


# --- the fuzz world and its crawl ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("now", [p for p in INSTANTS if p.id in CRAWL_AT])
def test_the_fuzz_world_is_crawled_whole(database_template, tmp_path, clock, now: datetime):
    from .test_fuzz import assert_every_post_endpoint_is_reached, crawled_world

    clock.move_to(now, tick=True)
    world = crawled_world(database_template, tmp_path)
    try:
        assert_every_post_endpoint_is_reached(world)
    finally:
        database_template.drop(world.url)
