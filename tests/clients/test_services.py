"""Client services: least data, own caseload, consents, sessions, next actions, transfer."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from portal.accompaniment.models import AccompanimentRequest
from portal.audit import AuditEvent
from portal.auth.models import User
from portal.clients import services as clients
from portal.clients.models import Client, Consent, FamaSession, JournalEntry
from portal.dates import clock
from portal.errors import Conflict, InvalidChange, NotFound
from portal.extensions import db
from portal.meetings.occurrences import LONDON, next_occurrences

from ..factories import make_client, make_meeting, make_request, make_user


def _today():
    return datetime.now(UTC).astimezone(LONDON).date()


def _choice(meeting, days: int = 1) -> str:
    start = next_occurrences(
        meeting.weekday,
        meeting.start_time,
        meeting.end_time,
        datetime.now(UTC) + timedelta(days=days),
        1,
    )[0][0]
    return f"{meeting.id}@{start.astimezone(LONDON).date().isoformat()}"


@contextmanager
def count_queries():
    counter = {"n": 0}

    def before(*args) -> None:
        counter["n"] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def test_the_client_record_has_no_place_for_surname_birth_date_address_or_notes():
    columns = {c.name for c in Client.__table__.columns}
    for forbidden in (
        "surname",
        "last_name",
        "family_name",
        "date_of_birth",
        "dob",
        "address",
        "postcode",
        "clinical_notes",
        "diagnosis",
        "nhs_number",
    ):
        assert forbidden not in columns


def test_adding_a_client_normalises_the_reference_and_refuses_duplicates(app):
    keyworker = make_user()
    other = make_user()
    with app.app_context():
        actor = db.session.get(User, keyworker.id)
        client = clients.add_client(
            actor, reference=" cm  001 ", first_name="Robin", gender="woman"
        )
        assert client.reference == "CM 001" and client.keyworker_id == actor.id
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "client_added"))
        assert audit.one().client_ref == "CM 001"
        with pytest.raises(InvalidChange) as taken:
            clients.add_client(
                db.session.get(User, other.id), reference="CM 001", first_name="X", gender="man"
            )
        assert taken.value.field == "reference"
        with pytest.raises(InvalidChange):
            clients.add_client(actor, reference="<script>", first_name="Robin", gender="woman")
        with pytest.raises(InvalidChange):
            clients.add_client(actor, reference="CM2", first_name="Robin", gender="alien")
        with pytest.raises(InvalidChange):
            clients.add_client(
                actor, reference="CM3", first_name="Robin", gender="man", fellowship_ids=[99999]
            )


def test_a_keyworker_reaches_only_their_own_clients(app):
    mine = make_client()
    theirs = make_client()
    with app.app_context():
        me = db.session.get(User, mine.keyworker_id)
        assert clients.get_client_for(me, mine.id).id == mine.id
        with pytest.raises(NotFound):
            clients.get_client_for(me, theirs.id)
        with pytest.raises(NotFound):
            clients.get_client_for(me, 10**9)
        rows = db.session.execute(clients.caseload_statement(me, action="all")).all()
        assert [row[0].id for row in rows] == [mine.id]


def test_withdrawing_phone_consent_removes_the_phone_at_once(app):
    made = make_client()
    with app.app_context():
        client = db.session.get(Client, made.id)
        actor = db.session.get(User, made.keyworker_id)
        with pytest.raises(InvalidChange):
            clients.give_consent(client, actor, "share_phone", client.version, "call me")
        clients.give_consent(client, actor, "share_phone", client.version, "07700 900123")
        assert (client.consent_phone, client.phone) == (True, "07700 900123")
        with pytest.raises(Conflict):
            clients.withdraw_consent(client, actor, "share_phone", client.version - 1)
        clients.withdraw_consent(client, actor, "share_phone", client.version)
        db.session.expire_all()
        client = db.session.get(Client, made.id)
        assert (client.consent_phone, client.phone) == (False, None)
        rows = db.session.scalars(select(Consent).order_by(Consent.id)).all()
        assert [(r.kind, r.given, r.recorded_by_id, r.wording_version) for r in rows] == [
            ("share_phone", True, actor.id, "2026-1"),
            ("share_phone", False, actor.id, "2026-1"),
        ]
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions[-2:] == ["consent_given", "consent_withdrawn"]


def test_first_name_consent_is_separate_from_phone_consent(app):
    made = make_client()
    with app.app_context():
        client = db.session.get(Client, made.id)
        actor = db.session.get(User, made.keyworker_id)
        clients.give_consent(client, actor, "share_first_name", client.version)
        clients.give_consent(client, actor, "share_phone", client.version, "+44 7700 900123")
        clients.withdraw_consent(client, actor, "share_first_name", client.version)
        assert (client.consent_first_name, client.consent_phone) == (False, True)
        assert client.phone == "+44 7700 900123"
        with pytest.raises(NotFound):
            clients.give_consent(client, actor, "share_everything", client.version)


def _record(client_id: int, kind: int, **answers) -> FamaSession:
    client = db.session.get(Client, client_id)
    actor = db.session.get(User, client.keyworker_id)
    return clients.record_session(client, actor, kind, _today(), answers)


def _action(client_id: int) -> str:
    client = db.session.get(Client, client_id)
    actor = db.session.get(User, client.keyworker_id)
    rows = db.session.execute(clients.caseload_statement(actor, action="all")).all()
    return next(row[3] for row in rows if row[0].id == client_id)


def test_sessions_move_the_client_along_and_the_next_action_follows(app):
    meeting = make_meeting()
    made = make_client()
    with app.app_context():
        assert _action(made.id) == "session_1"
        with pytest.raises(InvalidChange):
            _record(made.id, 2)
        _record(made.id, 1, past_experience="some", handouts=["1", "2"], goals=["read_handouts"])
        assert _action(made.id) == "session_2"
        with pytest.raises(InvalidChange):
            _record(made.id, 3, attended="yes")
        session = _record(
            made.id,
            2,
            concerns=["god_talk", "other"],
            concern_other="Shy",
            commitment=_choice(meeting),
            wants_company="no",
        )
        assert session.commitment_meeting_id == meeting.id
        assert _action(made.id) == "meeting_planned"
        client = db.session.get(Client, made.id)
        assert client.commitment_at == session.commitment_at
        # The meeting passes.
        client.commitment_at = datetime.now(UTC) - timedelta(days=1)
        db.session.commit()
        assert _action(made.id) == "record_session_3"
        text = clients.describe_next_action(
            "record_session_3", client.commitment_at, datetime.now(UTC)
        )
        assert text == "Meeting was yesterday: record session 3"
        _record(
            made.id,
            3,
            attended="yes",
            which_meeting="committed",
            reactions="Glad I went",
            participation=["home_group"],
        )
        assert _action(made.id) == "session_2"
        entry = db.session.scalars(select(JournalEntry)).one()
        assert (entry.meeting_id, entry.reactions) == (meeting.id, "Glad I went")
        client = db.session.get(Client, made.id)
        clients.record_outcome(
            client, db.session.get(User, client.keyworker_id), "engaged", client.version
        )
        assert _action(made.id) == "engaged"
        _record(made.id, 2)
        assert _action(made.id) == "session_2"  # a later session takes the outcome back off


def test_wanting_company_needs_a_meeting_and_choices_must_be_real(app):
    meeting = make_meeting()
    made = make_client(last_session_kind=1)
    with app.app_context():
        with pytest.raises(InvalidChange) as no_meeting:
            _record(made.id, 2, wants_company="yes")
        assert no_meeting.value.field == "commitment"
        wrong_day = _choice(meeting).replace("@", "@X")
        for bad in (wrong_day, f"{meeting.id}@2000-01-04", "999999@2030-01-01", "1@2026-13-45"):
            with pytest.raises(InvalidChange):
                _record(made.id, 2, commitment=bad)
        with pytest.raises(InvalidChange):
            _record(made.id, 2, concerns=["not a worry"])
        with pytest.raises(InvalidChange):
            _record(made.id, 2, preferred_group="knitting")
        with pytest.raises(InvalidChange):
            _record(made.id, 2, concern_other="x" * 301)


def test_session_three_is_prefilled_from_the_volunteers_outcome(app):
    made = make_client()
    # last week: the meeting has happened, so session three may say whether they went
    make_request(made, state="completed", outcome="attended", weeks_ahead=-1)
    with app.app_context():
        client = db.session.get(Client, made.id)
        defaults = clients.session_defaults(client, 3)
        assert defaults["attended"] == "yes"
        assert "went to the meeting" in defaults["escort_outcome"]


def test_a_new_commitment_waits_while_a_peer_is_being_arranged(app):
    made = make_client()
    other_meeting = make_meeting()
    make_request(made, state="open", weeks_ahead=1)
    with app.app_context():
        with pytest.raises(InvalidChange) as busy:
            _record(made.id, 2, commitment=_choice(other_meeting))
        assert busy.value.field == "commitment"


def test_session_three_after_the_meeting_retires_the_request(app):
    made = make_client()
    # last week: the meeting has happened, so session three may say whether they went
    request = make_request(made, state="completed", outcome="attended", weeks_ahead=-1)
    with app.app_context():
        client = db.session.get(Client, made.id)
        client.commitment_at = datetime.now(UTC) - timedelta(hours=2)
        db.session.commit()
        _record(made.id, 3, attended="yes")
        assert db.session.get(AccompanimentRequest, request.id).is_current is False
        assert db.session.get(Client, made.id).commitment_at is None


def test_caseload_filters_sorts_and_searches(app):
    keyworker = make_user()
    a = make_client(keyworker, reference="CM-A", first_name="Zed")
    b = make_client(keyworker, reference="CM-B", first_name="Amy", last_session_kind=1)
    c = make_client(keyworker, reference="CM-C", first_name="Bea", status="closed")
    d = make_client(keyworker, reference="CM-D", first_name="Cal")
    make_request(d, state="accepted", peer_first_name="Sam")
    with app.app_context():
        me = db.session.get(User, keyworker.id)

        def ids(**kwargs) -> list[int]:
            return [r[0].id for r in db.session.execute(clients.caseload_statement(me, **kwargs))]

        assert ids() == [a.id, b.id, d.id]  # next action order; closed cases hidden
        assert ids(action="all", sort="reference") == [a.id, b.id, c.id, d.id]
        assert ids(sort="first_name") == [b.id, d.id, a.id]
        assert ids(action="volunteer_confirmed") == [d.id]
        assert ids(action="closed") == [c.id]
        assert ids(query="am") == [b.id]
        assert ids(query="cm-d") == [d.id]
        assert ids(query="%") == []
        assert ids(query="_") == []
        counts = clients.caseload_counts(me)
        assert counts == {"session_1": 1, "session_2": 1, "volunteer_confirmed": 1, "closed": 1}


def test_the_caseload_takes_the_same_queries_whatever_its_size(app):
    keyworker = make_user()
    meeting = make_meeting()
    make_request(make_client(keyworker), meeting)

    def queries() -> int:
        with app.app_context():
            me = db.session.get(User, keyworker.id)
            with count_queries() as counter:
                rows = db.session.execute(clients.caseload_statement(me)).all()
                for client, *_ in rows:
                    clients.describe_next_action("x", client.commitment_at, datetime.now(UTC))
                    clients.stage_label(client)
                    _ = client.commitment_meeting.name if client.commitment_meeting else None
            return counter["n"]

    small = queries()
    for _ in range(8):
        made = make_client(keyworker)
        make_request(made, meeting, state="offered")
    assert queries() == small


def test_an_admin_moves_a_client_and_it_is_audited(app):
    made = make_client()
    new_keyworker = make_user()
    admin = make_user(roles=("admin",))
    with app.app_context():
        client = db.session.get(Client, made.id)
        old = db.session.get(User, made.keyworker_id)
        with pytest.raises(NotFound):
            clients.transfer_client(client, new_keyworker.id, old, client.version)
        with pytest.raises(InvalidChange):
            clients.transfer_client(
                client, admin.id, db.session.get(User, admin.id), client.version
            )
        clients.transfer_client(
            client, new_keyworker.id, db.session.get(User, admin.id), client.version
        )
        with pytest.raises(NotFound):
            clients.get_client_for(old, made.id)
        assert clients.get_client_for(db.session.get(User, new_keyworker.id), made.id)
        row = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "client_transferred")
        ).one()
        assert row.actor_id == admin.id and row.client_ref == made.reference


def test_a_case_with_a_live_request_cannot_be_closed(app):
    made = make_client()
    make_request(made)
    with app.app_context():
        client = db.session.get(Client, made.id)
        actor = db.session.get(User, made.keyworker_id)
        with pytest.raises(InvalidChange):
            clients.set_client_status(client, actor, "closed", client.version)


def test_goals_are_versioned(app):
    made = make_client()
    with app.app_context():
        client = db.session.get(Client, made.id)
        actor = db.session.get(User, made.keyworker_id)
        goal = clients.add_goal(client, actor, "Find a home group")
        clients.update_goal(
            client,
            goal,
            actor,
            1,
            goal_text="Find a home group",
            progress="Tried two",
            remaining="Ask Sam",
            achieved=False,
        )
        with pytest.raises(Conflict):
            clients.update_goal(
                client,
                goal,
                actor,
                1,
                goal_text="Stale",
                progress=None,
                remaining=None,
                achieved=True,
            )


def test_which_sessions_may_be_recorded_now(app):
    made = make_client()
    closed = make_client(last_session_kind=1, status="closed")
    with app.app_context():
        client = db.session.get(Client, made.id)
        assert clients.session_not_allowed(client, 1) is None
        assert "record session 1 first" in clients.session_not_allowed(client, 3)
        with pytest.raises(NotFound):
            clients.session_not_allowed(client, 7)
        shut = db.session.get(Client, closed.id)
        assert "record session 2 first" in clients.session_not_allowed(shut, 2)


def test_consent_wording_knows_only_the_consents_there_are():
    assert clients.consent_wording("share_phone")["version"] == "2026-1"
    with pytest.raises(NotFound):
        clients.consent_wording("share_everything")


def test_the_transfer_page_offers_every_keyworker_but_the_clients_own(app):
    made = make_client(reference="CM-MOVE")
    other = make_user(name="Other Keyworker")
    with app.app_context():
        page = clients.transfer_page("cm-move")
        assert page.client.id == made.id
        assert (str(other.id), "Other Keyworker") in page.choices
        assert str(made.keyworker_id) not in {value for value, _ in page.choices}
        db.session.get(User, made.keyworker_id).active = False
        db.session.commit()
        assert clients.transfer_page("CM-MOVE").current_name == "a keyworker who has left"
        nobody = clients.transfer_page("NOPE")
        assert (nobody.client, nobody.current_name, nobody.choices) == (None, None, [])
        assert clients.transfer_page(None).client is None
        with pytest.raises(NotFound):
            clients.transfer_page("NOPE", required=True)


def test_the_printed_sheet_says_when_to_meet_the_peer(app):
    alone = make_client()
    accompanied = make_client()
    request = make_request(accompanied, minutes_before=15)
    with app.app_context():
        sheet = clients.client_sheet(db.session.get(Client, alone.id))
        assert (sheet.meeting, sheet.request_, sheet.meet_at, sheet.ends_at) == (
            None,
            None,
            None,
            None,
        )
        sheet = clients.client_sheet(db.session.get(Client, accompanied.id))
        assert sheet.request_.id == request.id
        assert sheet.meet_at == clock(request.starts_at - timedelta(minutes=15))
        assert sheet.ends_at == clock(sheet.meeting.end_time) == "8:30pm"
