"""Large demo data at a small scale: counts, the schema's rules, sign-in, and the CLI path."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select, text

from portal.accompaniment.facts import escort_slots
from portal.accompaniment.models import (
    OUTCOMES,
    AccompanimentRequest,
    EscortSlot,
    Offer,
    RequestEvent,
    VolunteerWeekCount,
)
from portal.audit import AuditEvent, utcnow
from portal.auth.models import User, UserRole
from portal.clients.models import Client, FamaSession
from portal.demo import DEMO_ACCOUNTS
from portal.demo.large import (
    COUNTS,
    REFERENCE_PREFIX,
    LargeDataExists,
    build_demo_large,
)
from portal.extensions import db
from portal.meetings.models import Meeting
from portal.meetings.occurrences import LONDON
from portal.volunteers.models import Volunteer

SCALE = 0.002

pytestmark = pytest.mark.slow


def _scaled(key: str) -> int:
    return max(1, round(COUNTS[key] * SCALE))


def _lg_requests() -> list[AccompanimentRequest]:
    return list(
        db.session.scalars(
            select(AccompanimentRequest)
            .join(Client, Client.id == AccompanimentRequest.client_id)
            .where(Client.reference.like(REFERENCE_PREFIX + "%"))
        ).unique()
    )


def test_large_build_counts_rules_and_sign_in(app, browser) -> None:
    now = utcnow()
    with app.app_context():
        counts = build_demo_large(scale=SCALE, seed=7, now=now)
        # Counts follow the scale.
        assert counts["meetings"] == _scaled("meetings")
        assert counts["volunteers"] == _scaled("volunteers")
        assert counts["clients"] == _scaled("clients")
        keyworkers = db.session.scalar(
            select(func.count())
            .select_from(User)
            .join(UserRole)
            .where(UserRole.role == "keyworker", User.email.like("%@large.example.org"))
        )
        assert keyworkers == _scaled("keyworkers")
        wanted = _scaled("past_requests") + _scaled("live_requests")
        assert 0.8 * wanted <= counts["accompaniment_requests"] <= wanted
        assert counts["offers"] > 0 and counts["audit_events"] > counts["accompaniment_requests"]
        assert counts["escort_slots"] > 0 and counts["fama_sessions"] >= counts["clients"]
        # A second build on the same database is refused, and changes nothing.
        with pytest.raises(LargeDataExists):
            build_demo_large(scale=SCALE, seed=7, now=now)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Client)) >= counts["clients"]

        requests = _lg_requests()
        assert len(requests) == counts["accompaniment_requests"]
        ids = [r.id for r in requests]
        offers = defaultdict(list)
        for offer in db.session.scalars(select(Offer).where(Offer.request_id.in_(ids))):
            offers[offer.request_id].append(offer)
        slots = defaultdict(list)
        for slot in db.session.scalars(select(EscortSlot)):
            slots[slot.request_id].append(slot)
        events = defaultdict(list)
        for event in db.session.scalars(
            select(RequestEvent).where(RequestEvent.request_id.in_(ids)).order_by(RequestEvent.id)
        ):
            events[event.request_id].append(event)

        states = Counter(r.state for r in requests)
        assert states["completed"] > states["unfilled"] and states["completed"] > 0
        for request in requests:
            accepted = [o for o in request_offers(offers, request) if o.state == "accepted"]
            pending = [o for o in request_offers(offers, request) if o.state == "pending"]
            # The request's state agrees with its offers and its volunteer.
            if request.state in ("accepted", "completed"):
                assert len(accepted) == 1, request.id
                assert accepted[0].volunteer_id == request.volunteer_id
                assert request.accepted_at is not None and request.peer_first_name
                span = escort_slots(request.meeting_point_at, request.ends_at)
                assert sorted(s.slot_start for s in slots[request.id]) == span
                assert {s.volunteer_id for s in slots[request.id]} == {request.volunteer_id}
            else:
                assert not accepted and request.volunteer_id is None
                assert not slots[request.id]
            if request.state == "offered":
                assert pending
            elif request.state != "accepted":
                assert not pending
            # Completed ones have an outcome; nothing else has one.
            if request.state == "completed":
                assert request.outcome in OUTCOMES
            else:
                assert request.outcome is None
            if request.state == "cancelled":
                assert request.cancel_reason
            # The events tell the same story, in time order.
            trail = events[request.id]
            assert trail[0].to_state == "open" and trail[-1].to_state == request.state
            assert [e.at for e in trail] == sorted(e.at for e in trail)
            assert trail[0].at == request.created_at <= request.starts_at
            # Every instant is timezone-aware UTC.
            for moment in (request.starts_at, request.ends_at, request.created_at):
                assert moment.tzinfo == UTC
            for offer in request_offers(offers, request):
                assert offer.created_at.tzinfo == UTC and offer.expires_at.tzinfo == UTC
                assert offer.created_at >= request.created_at
        # Live requests are in the next week (the demo volunteer's up to a fortnight).
        live = [r for r in requests if r.state in ("open", "offered")]
        for request in live:
            assert now < request.starts_at <= now + timedelta(days=8)

        # No volunteer is booked twice at once (all escorts, the small demo's included).
        spans = defaultdict(list)
        for request in db.session.scalars(
            select(AccompanimentRequest).where(
                AccompanimentRequest.state.in_(("accepted", "completed")),
                AccompanimentRequest.id.in_(select(EscortSlot.request_id)),
            )
        ):
            spans[request.volunteer_id].append((request.meeting_point_at, request.ends_at))
        for volunteer_spans in spans.values():
            volunteer_spans.sort()
            for (_, end), (start, _) in zip(volunteer_spans, volunteer_spans[1:], strict=False):
                assert end <= start
        # Week counters equal the escorts held in each ISO week.
        held: Counter = Counter()
        for request in db.session.scalars(
            select(AccompanimentRequest).where(
                AccompanimentRequest.id.in_(select(EscortSlot.request_id))
            )
        ):
            iso = request.meeting_point_at.astimezone(LONDON).date().isocalendar()
            held[(request.volunteer_id, iso.year, iso.week)] += 1
        counted = {
            (w.volunteer_id, w.iso_year, w.iso_week): w.n
            for w in db.session.scalars(select(VolunteerWeekCount))
            if w.n
        }
        assert counted == dict(held)
        caps = dict(db.session.execute(select(Volunteer.id, Volunteer.weekly_cap)).all())
        assert all(n <= caps[v] for (v, _, _), n in counted.items())

        # One current request per client who has any.
        current = Counter(r.client_id for r in requests if r.is_current)
        assert set(current) == {r.client_id for r in requests}
        assert set(current.values()) == {1}

        # The demo keyworker has a caseload; the demo volunteer has escorts coming up.
        kim = db.session.scalar(select(User).where(User.email == "keyworker@demo.example.org"))
        caseload = db.session.scalar(
            select(func.count())
            .select_from(Client)
            .where(Client.keyworker_id == kim.id, Client.reference.like(REFERENCE_PREFIX + "%"))
        )
        assert caseload == min(40, _scaled("clients") // 2)
        sam = db.session.scalar(
            select(Volunteer)
            .join(User, User.id == Volunteer.user_id)
            .where(User.email == "volunteer@demo.example.org")
        )
        upcoming = [
            r
            for r in requests
            if r.volunteer_id == sam.id and r.state == "accepted" and r.starts_at > now
        ]
        assert upcoming

        # Plausible data: postcodes in no real area (QX), instants in UTC.
        for postcode in db.session.scalars(
            select(Meeting.postcode).where(Meeting.postcode.is_not(None))
        ):
            assert postcode.startswith("QX")
        for session in db.session.scalars(select(FamaSession).limit(50)):
            assert session.recorded_at.tzinfo == UTC
        audit = db.session.scalars(
            select(AuditEvent).where(AuditEvent.client_ref.like(REFERENCE_PREFIX + "%")).limit(50)
        ).all()
        assert audit and all(a.at.tzinfo == UTC and a.object_type for a in audit)

    # The normal demo accounts still sign in with the printed passwords.
    for account in DEMO_ACCOUNTS:
        response = browser.sign_in(account.email, account.password)
        assert response.status_code == 303, account.email
        browser.client.post("/sign-out", data={"csrf_token": browser.token("/")})


def request_offers(offers: dict, request: AccompanimentRequest) -> list[Offer]:
    return offers.get(request.id, [])


def test_cli_demo_scale_large(app, runner) -> None:
    help_text = runner.invoke(args=["demo", "--help"]).output
    assert "--scale [demo|large]" in help_text and "refused" in help_text

    result = runner.invoke(args=["demo", "--scale", "large", "--factor", str(SCALE)])
    assert result.exit_code == 0, result.output
    assert "Large demo data built in" in result.output
    assert "accompaniment_requests" in result.output
    for account in DEMO_ACCOUNTS:
        assert account.email in result.output and account.password in result.output
    with app.app_context():
        assert db.session.scalar(
            select(func.count()).select_from(Client).where(Client.reference.like("LG-%"))
        ) == _scaled("clients")
        # Ids were given by the build: new rows the app adds afterwards still get fresh ones.
        for model in (User, Meeting, Volunteer, Client, AccompanimentRequest, Offer, FamaSession):
            table = model.__table__.name
            highest = db.session.scalar(select(func.max(model.id)))
            if db.engine.dialect.name == "postgresql":
                following = db.session.scalar(
                    text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))")  # noqa: S608
                )
                assert following > highest, table
        db.session.rollback()

    again = runner.invoke(args=["demo", "--scale", "large", "--factor", str(SCALE)])
    assert again.exit_code != 0
    assert "already holds the large demo data" in again.output
    # The small demo still runs on top of large data.
    assert runner.invoke(args=["demo"]).exit_code == 0
