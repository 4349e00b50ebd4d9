"""Demo offers and escorts: present, consistent with matching, and the same after a second run."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.accompaniment.escorts import escort_summary_for
from portal.accompaniment.facts import load_requests, load_volunteer_facts, matching_rules
from portal.accompaniment.models import (
    AccompanimentRequest,
    EscortSlot,
    Offer,
    VolunteerWeekCount,
)
from portal.demo import build_demo, demo_user
from portal.extensions import db
from portal.matching import check_eligibility
from portal.volunteers.models import Volunteer


def _state() -> tuple:
    return (
        tuple(
            db.session.execute(
                select(Offer.id, Offer.state, Offer.volunteer_id).order_by(Offer.id)
            ).all()
        ),
        db.session.scalar(select(func.count()).select_from(EscortSlot)),
        tuple(
            db.session.execute(
                select(VolunteerWeekCount.volunteer_id, VolunteerWeekCount.n).order_by(
                    VolunteerWeekCount.volunteer_id
                )
            ).all()
        ),
    )


def test_the_demo_has_offers_an_escort_and_a_phone_contact_and_runs_twice_the_same(app):
    with app.app_context():
        build_demo()
        first = _state()
        build_demo()
        assert _state() == first
        sam = db.session.scalar(
            select(Volunteer).where(Volunteer.user_id == demo_user("volunteer").id)
        )
        summary = escort_summary_for(sam.id)
        assert len(summary["offers"]) >= 2 and len(summary["upcoming"]) == 1
        assert summary["done"] >= 1  # the reports demo adds history with Sam too
        dave = db.session.scalar(
            select(Volunteer).where(
                Volunteer.phone_only.is_(True), Volunteer.preferred_name == "Dave"
            )
        )
        pending = db.session.scalars(select(Offer).where(Offer.state == "pending")).all()
        assert dave.id in {o.volunteer_id for o in pending}
        # every pending demo offer is one matching would make
        rules = matching_rules()
        facts = load_volunteer_facts([o.volunteer_id for o in pending])
        items = {
            i.request.id: i
            for i in load_requests(AccompanimentRequest.id.in_([o.request_id for o in pending]))
        }
        for offer in pending:
            assert (
                check_eligibility(facts[offer.volunteer_id], items[offer.request_id].facts, rules)
                == []
            )
            assert items[offer.request_id].request.state == "offered"
        # his week counts hold every escort he has: the upcoming one and those done
        booked = db.session.scalar(
            select(func.count())
            .select_from(AccompanimentRequest)
            .where(
                AccompanimentRequest.volunteer_id == sam.id,
                AccompanimentRequest.state.in_(("accepted", "completed")),
            )
        )
        assert booked == 1 + summary["done"]
        assert (
            db.session.scalar(
                select(func.sum(VolunteerWeekCount.n)).where(
                    VolunteerWeekCount.volunteer_id == sam.id
                )
            )
            == booked
        )
