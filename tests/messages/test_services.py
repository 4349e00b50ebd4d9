"""Messages from the champion: who gets one (the preview is the send), client details caught,
one transaction, the audit trail, replies."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.auth.models import User
from portal.errors import InvalidChange, NotAllowed, NotFound
from portal.extensions import db
from portal.messages import services
from portal.messages.mentions import client_mentions
from portal.messages.models import ChampionMessage, MessageRecipient, MessageReply
from portal.notify.models import Notification, OutboxMessage, TextMessage
from portal.volunteers.listing import VolunteerFilters
from tests.querycount import count_queries

from .. import factories


def volunteer(name: str, fellowships=("AA",), status: str = "approved", **user_values):
    user = factories.make_user(roles=("volunteer",), name=name, **user_values)
    return factories.make_volunteer(
        user, preferred_name=name, fellowships=list(fellowships), status=status
    ), user


def person(user_id: int) -> User:
    return db.session.get(User, user_id)


def test_the_preview_is_who_gets_it_for_a_filter(app):
    champion = factories.make_user(roles=("champion",))
    _, ann = volunteer("Ann", fellowships=["NA"])
    _, bob = volunteer("Bob", fellowships=["NA"], status="applied")
    volunteer("Cat", fellowships=["AA"])
    volunteer("Dee", fellowships=["NA"], active=False)  # account switched off
    factories.make_volunteer(preferred_name="Eve", fellowships=["NA"])  # phone only
    factories.give_mobile(ann)
    factories.give_mobile(bob, champion_message=False)
    na = VolunteerFilters(fellowship_id=factories.fellowship_id("NA"))
    with app.app_context():
        actor = person(champion.id)
        draft = services.save_draft(actor, "Hello NA folk", False, audience="filtered", filters=na)
        people = services.recipients(draft, actor)
        assert [p.name for p in people] == ["Ann", "Bob"]
        assert [(p.by_email, p.by_text) for p in people] == [(True, True), (True, False)]
        assert services.left_out(draft, actor, len(people)) == 2
        message = services.send_message(draft.id, services.fingerprint(draft, people), actor)
        sent = db.session.scalars(
            select(MessageRecipient.user_id).where(MessageRecipient.message_id == message.id)
        ).all()
        assert sorted(sent) == sorted(p.user_id for p in people)
        assert db.session.scalar(select(func.count()).select_from(TextMessage)) == 1
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.kind == "champion_message")
            )
            == 2
        )


def test_send_refuses_when_the_list_changed_since_the_preview(app):
    champion = factories.make_user(roles=("champion",))
    volunteer("Ann")
    with app.app_context():
        actor = person(champion.id)
        draft = services.save_draft(actor, "Hello", False, audience="all")
        seen = services.fingerprint(draft, services.recipients(draft, actor))
        draft_id = draft.id
    volunteer("Bob")  # approved after the preview
    with app.app_context():
        with pytest.raises(InvalidChange, match="changed since you looked"):
            services.send_message(draft_id, seen, person(champion.id))
        assert db.session.get(ChampionMessage, draft_id).state == "draft"
        assert db.session.scalar(select(func.count()).select_from(MessageRecipient)) == 0


def test_a_message_is_sent_once(app):
    champion = factories.make_user(roles=("champion",))
    volunteer("Ann")
    with app.app_context():
        actor = person(champion.id)
        draft = services.save_draft(actor, "Hello", False, audience="all")
        seen = services.fingerprint(draft, services.recipients(draft, actor))
        services.send_message(draft.id, seen, actor)
        with pytest.raises(NotFound):
            services.send_message(draft.id, seen, actor)


def test_group_message_naming_a_client_is_blocked(app):
    champion = factories.make_user(roles=("champion",))
    factories.make_client(first_name="Jo  Smith", reference="LDS-2024-17")
    with app.app_context():
        actor = person(champion.id)
        for body in (
            "Can someone help jo smith on Tuesday?",
            "About JO\nSMITH.",
            "Re lds-2024-17.",
        ):
            with pytest.raises(services.NamesClient) as caught:
                services.save_draft(actor, body, True, audience="all")
            assert caught.value.field == "body"
            assert caught.value.message.startswith("Group messages must not name a client")
        # not whole words: no match
        services.save_draft(actor, "Jo Smithson and LDS-2024-170 are fine", False, audience="all")


def test_first_names_warn_only_when_they_read_as_names(app):
    champion = factories.make_user(roles=("champion",), name="Alex Champion")
    factories.make_client(first_name="Priya")
    factories.make_client(first_name="Will")
    factories.make_client(first_name="Alex")
    with app.app_context():
        assert client_mentions("Priya needs a lift").warned == ["Priya"]
        assert not client_mentions("the priya rota")  # lower case: not written as a name
        assert not client_mentions("Will you help? I will.")  # everyday word starting a sentence
        assert client_mentions("Ask Will about it").warned == ["Will"]
        actor = person(champion.id)
        assert not client_mentions("Thanks, Alex", known_names={"alex"})
        with pytest.raises(services.NamesClient) as caught:
            services.save_draft(actor, "Priya needs a lift", False, audience="all")
        assert caught.value.field == "names_checked"
        assert services.save_draft(actor, "Priya needs a lift", True, audience="all").id


def test_one_volunteer_message_may_name_a_client_after_the_tick(app):
    champion = factories.make_user(roles=("champion",))
    ann, _ = volunteer("Ann")
    factories.make_client(first_name="Jo Smith", reference="CM-777")
    with app.app_context():
        actor = person(champion.id)
        body = "Ann, you are meeting Jo Smith (CM-777) on Tuesday."
        with pytest.raises(services.NamesClient) as caught:
            services.save_draft(actor, body, False, audience="one", volunteer_id=ann.id)
        assert caught.value.field == "names_checked"
        assert services.save_draft(actor, body, True, audience="one", volunteer_id=ann.id)


def test_client_check_is_a_fixed_number_of_queries(app):
    for number in range(3):
        factories.make_client(first_name=f"Name{number}")
    with app.app_context(), count_queries(app) as small:
        client_mentions("Hello Sam and CM-1 " * 50)
    for number in range(30):
        factories.make_client(first_name=f"Other{number}")
    with app.app_context(), count_queries(app) as large:
        client_mentions("Hello Sam and CM-1 " * 50)
    assert len(small) == len(large) <= 2


def test_sending_is_audited_with_counts_never_the_words(app):
    champion = factories.make_user(roles=("champion",))
    volunteer("Ann")
    volunteer("Bob")
    message = factories.send_champion_message(champion, "Secret words here")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message_sent"))
        detail = json.loads(event.detail)
        assert detail["recipients"] == 2 and detail["audience"] == "all"
        assert "Secret" not in event.detail
        assert event.object_id == str(message.id)


def test_sending_to_many_is_a_few_statements(app):
    champion = factories.make_user(roles=("champion",))
    for number in range(3):
        volunteer(f"Small {number}")
    with app.app_context():
        actor = person(champion.id)
        draft = services.save_draft(actor, "Hello", False, audience="all")
        seen = services.fingerprint(draft, services.recipients(draft, actor))
        with count_queries(app) as few:
            services.send_message(draft.id, seen, actor)
    for number in range(20):
        volunteer(f"More {number}")
    with app.app_context():
        actor = person(champion.id)
        draft = services.save_draft(actor, "Hello again", False, audience="all")
        seen = services.fingerprint(draft, services.recipients(draft, actor))
        with count_queries(app) as many:
            services.send_message(draft.id, seen, actor)
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3 + 23
    assert len(few) == len(many)


def test_only_champions_write_and_only_the_sender_sees_a_draft(app):
    champion = factories.make_user(roles=("champion",))
    other = factories.make_user(roles=("champion",))
    keyworker = factories.make_user(roles=("keyworker",))
    with app.app_context():
        with pytest.raises(NotAllowed):
            services.save_draft(person(keyworker.id), "Hi", False, audience="all")
        draft = services.save_draft(person(champion.id), "Hi", False, audience="all")
        with pytest.raises(NotFound):
            services.draft(draft.id, person(other.id))
        with pytest.raises(NotFound):
            services.save_draft(person(champion.id), "Hi", False, audience="one", volunteer_id=999)


def test_a_reply_tells_every_champion_and_is_audited(app):
    champion = factories.make_user(roles=("champion",))
    second = factories.make_user(roles=("champion",))
    _, ann = volunteer("Ann")
    _, bob = volunteer("Bob")
    message = factories.send_champion_message(champion)
    with app.app_context():
        mine = db.session.scalar(select(MessageRecipient).where(MessageRecipient.user_id == ann.id))
        with pytest.raises(NotFound):
            services.add_reply(mine.id, "Not mine", person(bob.id))
        with pytest.raises(InvalidChange):
            services.add_reply(mine.id, "x" * 2001, person(ann.id))
        services.add_reply(mine.id, "Yes, I can help.", person(ann.id))
        told = db.session.scalars(
            select(Notification.user_id).where(Notification.kind == "message_reply")
        ).all()
        assert sorted(told) == sorted([champion.id, second.id])
        assert db.session.scalar(select(MessageReply.body)) == "Yes, I can help."
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message_replied"))
        assert "help" not in (event.detail or "")
        assert json.loads(event.detail)["message_id"] == message.id


def test_drafts_never_sent_go_after_a_week_and_sent_messages_stay(app, clock):
    from datetime import UTC, datetime, timedelta

    from portal.messages.jobs import stale_drafts

    written = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)  # New Year's Eve
    clock.move_to(written, tick=False)
    champion = factories.make_user(roles=("champion",))
    volunteer("Ann")
    with app.app_context():
        actor = person(champion.id)
        kept = services.save_draft(actor, "Hello", False, audience="all")
        seen = services.fingerprint(kept, services.recipients(kept, actor))
        services.send_message(kept.id, seen, actor)
        services.save_draft(actor, "Never sent", False, audience="all")
        assert stale_drafts(written + timedelta(days=6)) == 0
        assert stale_drafts(written + timedelta(days=7, seconds=1)) == 1
        db.session.commit()
        assert stale_drafts(written + timedelta(days=8)) == 0
        states = db.session.scalars(select(ChampionMessage.state)).all()
    assert states == ["sent"]
