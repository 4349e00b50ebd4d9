"""Offer services: every transition, every refusal, and what other domains' changes do to offers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from portal.accompaniment import coordination, offers
from portal.accompaniment.facts import escort_slots, load_volunteer_facts
from portal.accompaniment.models import (
    AccompanimentRequest,
    EscortSlot,
    Offer,
    RequestEvent,
    VolunteerWeekCount,
)
from portal.accompaniment.services import cancel_request, change_request_date
from portal.clients.models import Client
from portal.clients.services import give_consent, withdraw_consent
from portal.errors import InvalidChange, NotAllowed, NotFound
from portal.extensions import db
from portal.meetings.occurrences import LONDON, at_local
from portal.notify.models import Notification
from portal.volunteers.models import SafeguardingItem, Volunteer
from portal.volunteers.services import change_status, update_safeguarding_item

from ..factories import (
    make_attendance,
    make_meeting,
    make_offer,
    make_user,
    make_vetted_volunteer,
    make_volunteer,
)
from .scene import add_request, fresh, scene


def _offer(offer_id: int) -> Offer:
    return db.session.get(Offer, offer_id)


def _request(request_id: int) -> AccompanimentRequest:
    db.session.expire_all()
    return db.session.get(AccompanimentRequest, request_id)


def _kinds(user_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(Notification.kind)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id)
        )
    )


def _slots(volunteer_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(EscortSlot).where(EscortSlot.volunteer_id == volunteer_id)
    )


def _week_count(volunteer_id: int) -> int:
    return sum(
        db.session.scalars(
            select(VolunteerWeekCount.n).where(VolunteerWeekCount.volunteer_id == volunteer_id)
        )
    )


def _same_week_day(weekday: int, weeks: int = 2) -> date:
    """A date `weeks` ahead on the given Python weekday, in a known ISO week."""
    today = datetime.now(UTC).astimezone(LONDON).date()
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=weeks)
    return monday + timedelta(days=weekday)


def _on(meeting, day: date) -> dict:
    return {
        "meeting_date": day,
        "starts_at": at_local(day, meeting.start_time),
        "ends_at": at_local(day, meeting.end_time),
    }


# --- making offers -------------------------------------------------------------------------------


def test_an_offer_to_one_volunteer_moves_the_request_and_tells_them(app):
    s = scene(1)
    with app.app_context():
        made = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        offer = _offer(made[0].id)
        assert offer.state == "pending" and offer.broadcast_id is None
        assert offer.expires_at == offers.offer_expiry(offer.request, offer.created_at)
        assert offer.created_at < offer.expires_at <= offer.created_at + timedelta(hours=36)
        request = _request(s.request.id)
        assert request.state == "offered"
        notes = db.session.scalars(
            select(RequestEvent.note).where(RequestEvent.request_id == request.id)
        ).all()
        assert any(n and n.startswith("Offered to Volunteer") for n in notes)
        assert _kinds(s.users[0].id) == ["offer_made"]
        title = db.session.scalar(
            select(Notification.title).where(Notification.user_id == s.users[0].id)
        )
        assert s.client.first_name not in title  # never the client's name to a volunteer


def test_a_broadcast_shares_a_group_and_a_second_offer_adds_to_an_offered_request(app):
    s = scene(3)
    with app.app_context():
        champion = fresh(s.champion)
        made = offers.make_offers(s.request.id, [v.id for v in s.volunteers[:2]], champion)
        assert made[0].broadcast_id and made[0].broadcast_id == made[1].broadcast_id
        offers.make_offers(s.request.id, [s.volunteers[2].id], champion)
        assert _request(s.request.id).state == "offered"
        assert db.session.scalar(select(func.count()).select_from(Offer)) == 3


@pytest.mark.parametrize(
    "case, message",
    [
        ("twice", "already has this offer"),
        ("paused", "Paused"),
        ("cancelled", "cannot be offered"),
        ("nobody", "Choose at least one volunteer"),
        ("too_many", "10 volunteers or fewer"),
    ],
)
def test_offers_that_cannot_be_made_are_refused_and_nothing_is_sent(app, case, message):
    s = scene(1)
    volunteer_ids = [s.volunteers[0].id]
    with app.app_context():
        champion = fresh(s.champion)
        if case == "twice":
            offers.make_offers(s.request.id, volunteer_ids, champion)
        elif case == "paused":
            db.session.get(Volunteer, s.volunteers[0].id).status = "paused"
            db.session.commit()
        elif case == "cancelled":
            db.session.get(AccompanimentRequest, s.request.id).state = "cancelled"
            db.session.commit()
        elif case == "nobody":
            volunteer_ids = []
        elif case == "too_many":
            volunteer_ids = list(range(1, 12))
        before = db.session.scalar(select(func.count()).select_from(Offer))
        with pytest.raises(InvalidChange, match=message):
            offers.make_offers(s.request.id, volunteer_ids, champion)
        assert db.session.scalar(select(func.count()).select_from(Offer)) == before


def test_only_a_champion_may_offer_and_an_unknown_request_is_not_found(app):
    s = scene(1)
    with app.app_context():
        with pytest.raises(NotAllowed):
            offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.keyworker))
        with pytest.raises(NotFound):
            offers.make_offers(999_999, [s.volunteers[0].id], fresh(s.champion))


def test_an_offer_closes_sooner_when_the_meeting_is_sooner(app):
    s = scene(0)
    with app.app_context():
        request = _request(s.request.id)
        point = request.meeting_point_at  # a Monday evening
        sent = at_local(point.astimezone(LONDON).date() - timedelta(days=3), time(11, 0))
        far = offers.offer_expiry(request, sent)  # 24 hours later is inside service hours
        assert far == sent + timedelta(hours=24)
        near = offers.offer_expiry(request, point - timedelta(hours=5))
        assert near == point - timedelta(hours=4)  # urgent: answers 4 hours before the meeting
        very_near = offers.offer_expiry(request, point - timedelta(hours=1))
        assert very_near == point
        with pytest.raises(InvalidChange, match="meeting point time has passed"):
            offers.offer_expiry(request, point + timedelta(minutes=1))


def test_the_expiry_hours_come_from_the_settings(app):
    from portal.settings import all_settings, save_settings

    s = scene(0)
    with app.test_request_context():
        admin = make_user(roles=("admin",))
        save_settings(all_settings() | {"offer_expiry_hours": 6}, admin.id)
        request = _request(s.request.id)
        now = at_local(
            request.meeting_point_at.astimezone(LONDON).date() - timedelta(days=3), time(9)
        )
        assert offers.offer_expiry(request, now) == now + timedelta(hours=6)  # 3pm


# --- accepting -----------------------------------------------------------------------------------


def test_accepting_books_the_escort_in_one_transaction(app):
    s = scene(3)
    with app.app_context():
        made = offers.make_offers(s.request.id, [v.id for v in s.volunteers], fresh(s.champion))
        winner = s.volunteers[0]
        offer = offers.accept_offer(made[0].id, fresh(s.users[0]))
        assert offer.state == "accepted" and offer.answered_by_id == s.users[0].id
        request = _request(s.request.id)
        assert request.state == "accepted"
        assert request.volunteer_id == winner.id and request.accepted_at is not None
        assert request.peer_first_name == winner.preferred_name
        expected = len(escort_slots(request.meeting_point_at, request.ends_at))
        assert _slots(winner.id) == expected == 5  # 7:15pm to 8:30pm
        assert _week_count(winner.id) == 1
        others = db.session.scalars(select(Offer).where(Offer.id != offer.id)).all()
        assert {o.state for o in others} == {"withdrawn"}
        assert {o.withdraw_code for o in others} == {"taken"}
        assert "offer_accepted" in _kinds(s.keyworker.id)
        assert "offer_accepted" in _kinds(s.champion.id)
        assert _kinds(s.users[1].id) == ["offer_made", "offer_withdrawn"]


def test_the_second_to_accept_a_broadcast_is_thanked_and_nothing_changes(app):
    s = scene(2)
    with app.app_context():
        made = offers.make_offers(s.request.id, [v.id for v in s.volunteers], fresh(s.champion))
        offers.accept_offer(made[0].id, fresh(s.users[0]))
        with pytest.raises(InvalidChange, match="Someone else has already taken this one"):
            offers.accept_offer(made[1].id, fresh(s.users[1]))
        assert _slots(s.volunteers[1].id) == 0 and _week_count(s.volunteers[1].id) == 0
        assert _request(s.request.id).volunteer_id == s.volunteers[0].id


def test_a_pending_offer_left_over_is_still_refused_by_the_database(app):
    """Even a pending offer the withdrawal missed cannot become a second acceptance."""
    s = scene(2)
    with app.app_context():
        made = offers.make_offers(s.request.id, [v.id for v in s.volunteers], fresh(s.champion))
        offers.accept_offer(made[0].id, fresh(s.users[0]))
        stale = _offer(made[1].id)
        stale.state, stale.withdraw_code = "pending", None
        request = _request(s.request.id)
        request.state = "offered"  # as if the state change were lost too
        db.session.commit()
        with pytest.raises(InvalidChange, match="Someone else has already taken this one"):
            offers.accept_offer(made[1].id, fresh(s.users[1]))
        assert (
            db.session.scalar(
                select(func.count()).select_from(Offer).where(Offer.state == "accepted")
            )
            == 1
        )


def test_an_overlapping_escort_is_refused_and_the_whole_acceptance_rolls_back(app):
    s = scene(1)
    other = add_request(s, state="offered")
    with app.app_context():
        made = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        offers.accept_offer(made[0].id, fresh(s.users[0]))
    # Bypass matching (which would refuse) to show the busy slots refuse on their own.
    sneaked = make_offer(other, s.volunteers[0])
    with app.app_context():
        with pytest.raises(InvalidChange, match="overlap another escort you have"):
            offers.accept_offer(sneaked.id, fresh(s.users[0]))
        assert _offer(sneaked.id).state == "pending"
        request = _request(other.id)
        assert request.state == "offered" and request.volunteer_id is None
        assert _week_count(s.volunteers[0].id) == 1


def test_the_weekly_cap_is_held_by_the_counter(app):
    tuesday = make_meeting(weekday=2)
    thursday = make_meeting(weekday=4)
    s = scene(
        1, volunteer={"weekly_cap": 1}, meeting=tuesday, request=_on(tuesday, _same_week_day(1))
    )
    make_attendance(s.volunteers[0], thursday)
    second = add_request(s, meeting=thursday, state="offered", **_on(thursday, _same_week_day(3)))
    with app.app_context():
        made = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        offers.accept_offer(made[0].id, fresh(s.users[0]))
        # matching already refuses to offer: the limit is reached
        with pytest.raises(InvalidChange, match="Weekly limit reached"):
            offers.make_offers(second.id, [s.volunteers[0].id], fresh(s.champion))
    sneaked = make_offer(second, s.volunteers[0])
    with app.app_context():
        with pytest.raises(InvalidChange, match="reached your weekly limit"):
            offers.accept_offer(sneaked.id, fresh(s.users[0]))
        assert _week_count(s.volunteers[0].id) == 1
        assert _slots(s.volunteers[0].id) == 5


def test_an_expired_offer_cannot_be_accepted(app):
    s = scene(1, request={"state": "offered"})
    late = make_offer(s.request, s.volunteers[0], hours=-1)
    with app.app_context(), pytest.raises(InvalidChange, match="expired"):
        offers.accept_offer(late.id, fresh(s.users[0]))


def test_nobody_answers_anyone_elses_offer(app):
    s = scene(2)
    with app.app_context():
        made = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        with pytest.raises(NotFound):
            offers.accept_offer(made[0].id, fresh(s.users[1]))
        with pytest.raises(NotFound):
            offers.decline_offer(made[0].id, fresh(s.users[1]))
        # a champion answers only for phone-only contacts
        with pytest.raises(NotFound):
            offers.accept_offer(made[0].id, fresh(s.champion))
        with pytest.raises(NotFound):
            offers.accept_offer(999_999, fresh(s.users[0]))


def test_the_champion_records_a_phone_only_contacts_answer(app):
    s = scene(0)
    contact = make_vetted_volunteer(None, phone_only=True, phone="07700 900555")
    make_attendance(contact, s.meeting)
    with app.app_context():
        made = offers.make_offers(s.request.id, [contact.id], fresh(s.champion))
        offer = offers.accept_offer(made[0].id, fresh(s.champion))
        assert offer.state == "accepted" and offer.answered_by_id == s.champion.id
        events = db.session.scalars(
            select(RequestEvent.note).where(RequestEvent.request_id == s.request.id)
        ).all()
        assert any(n and "recorded by the champion" in n for n in events)


# --- declining, withdrawing, expiring ------------------------------------------------------------


def test_declining_reopens_the_request_and_is_not_asked_again(app):
    s = scene(1)
    with app.app_context():
        made = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        offer = offers.decline_offer(made[0].id, fresh(s.users[0]), "Working late that day")
        assert offer.state == "declined" and offer.decline_reason == "Working late that day"
        assert _request(s.request.id).state == "open"
        assert "offer_declined" in _kinds(s.champion.id)
        with pytest.raises(InvalidChange, match="Declined this request before"):
            offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        with pytest.raises(InvalidChange):
            offers.decline_offer(made[0].id, fresh(s.users[0]))


def test_one_no_of_several_leaves_the_request_offered(app):
    s = scene(2)
    with app.app_context():
        made = offers.make_offers(s.request.id, [v.id for v in s.volunteers], fresh(s.champion))
        offers.decline_offer(made[0].id, fresh(s.users[0]))
        assert _request(s.request.id).state == "offered"
        with pytest.raises(InvalidChange, match="300 characters"):
            offers.decline_offer(made[1].id, fresh(s.users[1]), "x" * 301)


def test_the_champion_withdraws_an_offer_nobody_answered(app):
    s = scene(1)
    with app.app_context():
        made = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        offer = offers.withdraw_offer(made[0].id, fresh(s.champion), "Asked the wrong person")
        assert offer.state == "withdrawn" and offer.withdraw_code == "champion"
        assert offer.withdraw_reason == "Asked the wrong person"
        assert _request(s.request.id).state == "open"
        with pytest.raises(InvalidChange, match="already answered or closed"):
            offers.withdraw_offer(made[0].id, fresh(s.champion))
        with pytest.raises(NotAllowed):
            offers.withdraw_offer(made[0].id, fresh(s.users[0]))


def test_offers_nobody_answered_in_time_expire_and_free_the_request(app):
    s = scene(2)
    with app.app_context():
        made = offers.make_offers(s.request.id, [v.id for v in s.volunteers], fresh(s.champion))
        assert offers.expire_offers(datetime.now(UTC)) == 0
        later = made[0].expires_at + timedelta(minutes=1)
        assert offers.expire_offers(later) == 2
        assert {o.state for o in db.session.scalars(select(Offer))} == {"expired"}
        assert _request(s.request.id).state == "open"
        assert _kinds(s.champion.id).count("offer_declined") == 2
        assert offers.expire_offers(later) == 0


def test_lazy_expiry_runs_only_when_something_is_due(app):
    s = scene(1, request={"state": "offered"})
    make_offer(s.request, s.volunteers[0], hours=-1)
    with app.app_context():
        assert offers.expire_offers_if_due() == 1
        assert offers.expire_offers_if_due() == 0
        assert _request(s.request.id).state == "open"


# --- after acceptance ----------------------------------------------------------------------------


def test_a_volunteer_who_can_no_longer_go_frees_their_time(app):
    s = scene(1)
    with app.app_context():
        made = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        offers.accept_offer(made[0].id, fresh(s.users[0]))
        with pytest.raises(InvalidChange, match="Say why"):
            offers.release_escort(s.request.id, fresh(s.users[0]), " ")
        offers.release_escort(s.request.id, fresh(s.users[0]), "Unwell")
        request = _request(s.request.id)
        assert request.state == "open" and request.volunteer_id is None
        assert request.peer_first_name is None
        assert _slots(s.volunteers[0].id) == 0 and _week_count(s.volunteers[0].id) == 0
        offer = _offer(made[0].id)
        assert offer.state == "withdrawn" and offer.withdraw_code == "released"
        assert "offer_declined" in _kinds(s.champion.id)
        facts = load_volunteer_facts([s.volunteers[0].id])[s.volunteers[0].id]
        assert facts.accepted_count == 1 and facts.completed_count == 0
        # someone else may now be booked
        other = make_vetted_volunteer(make_user(roles=("volunteer",)))
        make_attendance(other, s.meeting)
        again = offers.make_offers(s.request.id, [other.id], fresh(s.champion))
        assert again[0].state == "pending"


def test_only_the_booked_volunteer_or_a_champion_may_release(app):
    s = scene(2)
    with app.app_context():
        made = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        offers.accept_offer(made[0].id, fresh(s.users[0]))
        with pytest.raises(NotFound):
            offers.release_escort(s.request.id, fresh(s.users[1]), "Not mine")
        offers.release_escort(s.request.id, fresh(s.champion), "Volunteer phoned in")
        assert "escort_cancelled" in _kinds(s.users[0].id)
        with pytest.raises(InvalidChange, match="not booked"):
            offers.release_escort(s.request.id, fresh(s.champion), "Again")


def test_cancelling_a_booked_request_releases_the_escort_and_tells_the_volunteer(app):
    s = scene(1)
    with app.app_context():
        made = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        offers.accept_offer(made[0].id, fresh(s.users[0]))
        request = _request(s.request.id)
        cancel_request(request, fresh(s.keyworker), "Client went into hospital", None)
        assert _request(s.request.id).state == "cancelled"
        assert _slots(s.volunteers[0].id) == 0 and _week_count(s.volunteers[0].id) == 0
        offer = _offer(made[0].id)
        assert offer.state == "withdrawn" and offer.withdraw_code == "request_closed"
        assert "escort_cancelled" in _kinds(s.users[0].id)


def test_cancelling_an_offered_request_withdraws_its_offers(app):
    s = scene(2)
    with app.app_context():
        offers.make_offers(s.request.id, [v.id for v in s.volunteers], fresh(s.champion))
        cancel_request(_request(s.request.id), fresh(s.keyworker), "Changed their mind", None)
        found = db.session.scalars(select(Offer)).all()
        assert {(o.state, o.withdraw_code) for o in found} == {("withdrawn", "request_closed")}


def test_a_new_date_releases_the_escort_and_withdraws_offers(app):
    s = scene(2)
    with app.app_context():
        made = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        offers.accept_offer(made[0].id, fresh(s.users[0]))
        request = _request(s.request.id)
        new_day = request.meeting_date + timedelta(weeks=1)
        change_request_date(request, fresh(s.keyworker), new_day, None)
        request = _request(s.request.id)
        assert request.state == "open" and request.volunteer_id is None
        assert _slots(s.volunteers[0].id) == 0 and _week_count(s.volunteers[0].id) == 0
        assert _offer(made[0].id).withdraw_code == "date_changed"
        second = offers.make_offers(s.request.id, [s.volunteers[1].id], fresh(s.champion))
        change_request_date(
            _request(s.request.id), fresh(s.keyworker), new_day + timedelta(weeks=1), None
        )
        assert _offer(second[0].id).withdraw_code == "date_changed"


# --- changes elsewhere that make an offer no longer hold -----------------------------------------


def test_a_withdrawn_consent_withdraws_pending_offers_and_says_why(app):
    s = scene(1)
    with app.app_context():
        made = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        client = db.session.get(Client, s.client.id)
        give_consent(client, fresh(s.keyworker), "share_first_name", None)
        withdraw_consent(
            db.session.get(Client, s.client.id), fresh(s.keyworker), "share_first_name", None
        )
        offer = _offer(made[0].id)
        assert offer.state == "withdrawn" and offer.withdraw_code == "consent_withdrawn"
        assert "withdrew consent" in offer.withdraw_reason
        assert _request(s.request.id).state == "open"


def test_pausing_a_volunteer_withdraws_their_pending_offers(app):
    s = scene(1)
    with app.test_request_context():
        made = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        volunteer = db.session.get(Volunteer, s.volunteers[0].id)
        change_status(volunteer, "paused", "A break", fresh(s.champion), None)
        offer = _offer(made[0].id)
        assert offer.state == "withdrawn" and offer.withdraw_code == "no_longer_eligible"
        assert "Paused" in offer.withdraw_reason
        assert _request(s.request.id).state == "open"


def test_a_check_corrected_to_lapse_before_the_meeting_withdraws_the_offer(app):
    s = scene(1)
    with app.test_request_context():
        made = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        item = db.session.scalar(
            select(SafeguardingItem).where(
                SafeguardingItem.volunteer_id == s.volunteers[0].id, SafeguardingItem.kind == "dbs"
            )
        )
        data = {
            "issued_on": item.issued_on,
            "expires_on": date.today() + timedelta(days=1),
            "dbs_level": "enhanced",
            "dbs_certificate_number": "001234567890",
            "dbs_update_service": True,
        }
        update_safeguarding_item(item, data, fresh(s.champion), None)
        offer = _offer(made[0].id)
        assert offer.state == "withdrawn" and "DBS check expires before the meeting" in (
            offer.withdraw_reason
        )


def test_accepting_one_escort_withdraws_their_offers_that_now_overlap(app):
    s = scene(1)
    other = add_request(s)
    with app.app_context():
        first = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        second = offers.make_offers(other.id, [s.volunteers[0].id], fresh(s.champion))
        offers.accept_offer(first[0].id, fresh(s.users[0]))
        offer = _offer(second[0].id)
        assert offer.state == "withdrawn" and "overlapping time" in offer.withdraw_reason
        assert _request(other.id).state == "open"


def test_the_tick_withdraws_every_offer_that_no_longer_holds(app):
    s = scene(2)
    with app.app_context():
        offers.make_offers(s.request.id, [v.id for v in s.volunteers], fresh(s.champion))
        db.session.get(Volunteer, s.volunteers[0].id).status = "withdrawn"
        db.session.commit()
        assert offers.withdraw_offers_that_no_longer_hold() == 1
        assert offers.withdraw_offers_that_no_longer_hold() == 0
        assert _request(s.request.id).state == "offered"  # the other offer still stands


# --- conflicts of interest -----------------------------------------------------------------------


def test_a_recorded_conflict_keeps_the_volunteer_away_from_the_client(app):
    s = scene(2)
    with app.app_context():
        made = offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        offers.record_conflict(s.request.id, s.volunteers[0].id, "Neighbours", fresh(s.champion))
        assert _offer(made[0].id).state == "withdrawn"
        board = coordination.request_board(s.request.id, fresh(s.champion))
        assert [r.volunteer_id for r in board.eligible] == [s.volunteers[1].id]
        excluded = {e.volunteer_id: e.reasons for e in board.excluded}
        assert excluded[s.volunteers[0].id][0].code == "conflict_of_interest"
        with pytest.raises(InvalidChange, match="already recorded"):
            offers.record_conflict(s.request.id, s.volunteers[0].id, None, fresh(s.champion))
        with pytest.raises(InvalidChange, match="300"):
            offers.record_conflict(s.request.id, s.volunteers[1].id, "x" * 301, fresh(s.champion))
        with pytest.raises(NotAllowed):
            offers.record_conflict(s.request.id, s.volunteers[1].id, None, fresh(s.keyworker))
        conflict_id = board.conflicts[0][0].id
        offers.remove_conflict(s.request.id, conflict_id, fresh(s.champion))
        again = coordination.request_board(s.request.id, fresh(s.champion))
        assert len(again.eligible) == 2
        with pytest.raises(NotFound):
            offers.remove_conflict(s.request.id, conflict_id, fresh(s.champion))


# --- the board and proposals ---------------------------------------------------------------------


def test_the_board_ranks_the_eligible_and_explains_the_excluded(app):
    s = scene(2)
    paused = make_vetted_volunteer(make_user(roles=("volunteer",)), status="paused")
    make_attendance(paused, s.meeting)
    never_free = make_vetted_volunteer(make_user(roles=("volunteer",)))
    with app.app_context():
        board = coordination.request_board(s.request.id, fresh(s.champion))
        assert {r.volunteer_id for r in board.eligible} == {v.id for v in s.volunteers}
        assert all(r.score.parts for r in board.eligible)
        assert [e.volunteer_id for e in board.excluded] == [paused.id]
        assert board.excluded[0].reasons[0].message.startswith("Paused")
        assert board.not_free == board.pool_size - 3
        assert never_free.id not in {e.volunteer_id for e in board.excluded}


def test_proposals_pair_open_requests_and_sending_judges_each_pair_again(app):
    s = scene(2)
    other = add_request(s, weeks_ahead=0)
    with app.app_context():
        proposal = coordination.propose_pairings(fresh(s.champion))
    # the scene's request is a week ahead: only the one within 7 days is proposed
    assert [row.item.request.id for row in proposal.rows] == [other.id]
    with app.app_context():
        pairs = [(row.item.request.id, row.volunteer_id) for row in proposal.rows]
        chosen = pairs[0][1]
        db.session.get(Volunteer, chosen).status = "paused"
        db.session.commit()
        result = coordination.send_proposed_offers(pairs + [(other.id, 999)], fresh(s.champion))
        assert result.sent == 0 and any("Paused" in line for line in result.skipped)
        free = next(v.id for v in s.volunteers if v.id != chosen)
        result = coordination.send_proposed_offers([(other.id, free)], fresh(s.champion))
        assert result.sent == 1 and _request(other.id).state == "offered"
        with pytest.raises(InvalidChange):
            coordination.send_proposed_offers([], fresh(s.champion))


def test_the_queue_marks_requests_nobody_fits(app):
    s = scene(1)
    lonely = add_request(s, meeting=make_meeting(weekday=5))
    with app.test_request_context():
        page, rows = coordination.queue(coordination.QueueFilters(), fresh(s.champion))
        fits = {row.item.request.id: row.fits for row in rows}
        assert fits == {s.request.id: True, lonely.id: False}
        made_volunteer = make_volunteer()  # applied, not vetted: changes nothing
        assert made_volunteer.status == "applied"


def test_the_tick_runs_the_withdrawal_job(app):
    from portal.jobs import run_tick

    s = scene(1)
    with app.app_context():
        offers.make_offers(s.request.id, [s.volunteers[0].id], fresh(s.champion))
        db.session.get(Volunteer, s.volunteers[0].id).status = "withdrawn"
        db.session.commit()
        report = run_tick()
        assert report.counts["offers whose volunteer no longer fits"] == 1
        assert _request(s.request.id).state == "open"
