"""Acceptances racing in separate processes, as under gunicorn, on a file database or PostgreSQL.

Every worker signs in through the real form, opens its offer, waits at a barrier with the others
and then accepts at the same moment. The database decides who wins: a partial unique index on
accepted offers, the state-and-version update of the request, the busy-slot key and the week
counter. Nobody may see "database is locked", and the invariants must hold afterwards.
"""

from __future__ import annotations

import multiprocessing
import re

import pytest
from sqlalchemy import func, select

from portal.accompaniment import offers
from portal.accompaniment.models import (
    AccompanimentRequest,
    EscortSlot,
    Offer,
    VolunteerWeekCount,
)
from portal.extensions import db

from ..clock import for_children
from ..factories import PASSWORD, make_attendance, make_meeting
from .scene import add_request, fresh, scene
from .test_offers import _on, _same_week_day

pytestmark = pytest.mark.slow

TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')
TAKEN = "Someone else has already taken this one, thank you"


def _accept(config: dict, email: str, offer_id: int, barrier) -> tuple[int, int, str]:
    from portal import create_app

    app = create_app(config)
    client = app.test_client()
    token = TOKEN.search(client.get("/sign-in").get_data(as_text=True)).group(1)
    signed = client.post(
        "/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD}
    )
    assert signed.status_code == 303, signed.status_code
    page = client.get(f"/offers/{offer_id}").get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    barrier.wait(timeout=60)
    answer = client.post(f"/offers/{offer_id}/accept", data={"csrf_token": token})
    after = client.get(f"/offers/{offer_id}")
    return answer.status_code, after.status_code, after.get_data(as_text=True)


def _race(config: dict, jobs: list[tuple[str, int]]) -> list[tuple[int, int, str]]:
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(len(jobs))
        with context.Pool(len(jobs), **for_children()) as pool:
            return pool.starmap(
                _accept, [(config, email, offer_id, barrier) for email, offer_id in jobs]
            )


def _no_locks(results: list[tuple[int, int, str]]) -> None:
    for answer, after, text in results:
        assert answer == 303 and after == 200, (answer, after)
        assert "database is locked" not in text and "problem with the service" not in text


WORKERS = 6


def test_many_processes_accept_one_broadcast_and_exactly_one_wins(app, app_config):
    s = scene(WORKERS)
    with app.app_context():
        made = offers.make_offers(s.request.id, [v.id for v in s.volunteers], fresh(s.champion))
        jobs = [(user.email, offer.id) for user, offer in zip(s.users, made, strict=True)]
    results = _race(app_config, jobs)
    _no_locks(results)
    won = [text for _, _, text in results if "you are booked" in text]
    lost = [text for _, _, text in results if TAKEN in text]
    assert len(won) == 1 and len(lost) == WORKERS - 1
    with app.app_context():
        accepted = db.session.scalars(select(Offer).where(Offer.state == "accepted")).all()
        assert len(accepted) == 1
        request = db.session.get(AccompanimentRequest, s.request.id)
        assert request.state == "accepted" and request.volunteer_id == accepted[0].volunteer_id
        assert db.session.scalar(select(func.count(func.distinct(EscortSlot.volunteer_id)))) == 1
        assert db.session.scalar(select(func.sum(VolunteerWeekCount.n))) == 1
        assert (
            db.session.scalar(
                select(func.count()).select_from(Offer).where(Offer.state == "pending")
            )
            == 0
        )


def test_one_volunteer_accepting_two_overlapping_escorts_at_once_gets_one(app, app_config):
    s = scene(1)
    other = add_request(s)  # same meeting, same evening
    with app.app_context():
        first = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))[0].id
        second = offers.make_offers(other.id, [s.volunteers[0].id], fresh(s.champion))[0].id
    email = s.users[0].email
    results = _race(app_config, [(email, first), (email, second)])
    _no_locks(results)
    assert sum("you are booked" in text for _, _, text in results) == 1
    with app.app_context():
        booked = db.session.scalars(
            select(AccompanimentRequest).where(AccompanimentRequest.state == "accepted")
        ).all()
        assert len(booked) == 1
        assert db.session.scalar(select(func.count()).select_from(EscortSlot)) == 5
        assert db.session.scalar(select(func.sum(VolunteerWeekCount.n))) == 1


def test_the_weekly_cap_holds_when_two_acceptances_race(app, app_config):
    tuesday, thursday = make_meeting(weekday=2), make_meeting(weekday=4)
    s = scene(
        1, volunteer={"weekly_cap": 1}, meeting=tuesday, request=_on(tuesday, _same_week_day(1))
    )
    make_attendance(s.volunteers[0], thursday)
    other = add_request(s, meeting=thursday, **_on(thursday, _same_week_day(3)))
    with app.app_context():
        first = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))[0].id
        second = offers.make_offers(other.id, [s.volunteers[0].id], fresh(s.champion))[0].id
    email = s.users[0].email
    results = _race(app_config, [(email, first), (email, second)])
    _no_locks(results)
    assert sum("you are booked" in text for _, _, text in results) == 1
    with app.app_context():
        assert db.session.scalar(select(func.max(VolunteerWeekCount.n))) == 1
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AccompanimentRequest)
                .where(AccompanimentRequest.state == "accepted")
            )
            == 1
        )
