"""Keyworker pages: the journey with plain form posts, fragments, own caseload, hostile input."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.accompaniment.models import AccompanimentRequest
from portal.audit import AuditEvent
from portal.clients.models import Client, FamaSession, Goal
from portal.extensions import db
from portal.meetings.models import Fellowship
from portal.meetings.occurrences import LONDON

from ..factories import (
    make_client,
    make_meeting,
    make_request,
    make_someone_elses_records,
    make_user,
)
from ..querycount import count_queries

HX = {"HX-Request": "true"}
CHOICE = re.compile(r'name="commitment" type="radio" value="(\d+@\d{4}-\d{2}-\d{2})"')


def _today() -> str:
    return datetime.now(UTC).astimezone(LONDON).date().isoformat()


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_keyworker_home_is_the_caseload(login_as, client):
    keyworker = login_as("keyworker")
    make_client(keyworker, first_name="Quinn")
    response = client.get("/keyworker")
    assert response.status_code == 200 and "Your caseload" in _html(response)
    assert "Quinn" in _html(response)


def test_add_client_then_sessions_one_and_two_then_a_request_with_plain_posts(
    app, login_as, browser, client
):
    keyworker = login_as("keyworker")
    meeting = make_meeting(name="Wrenford Hope Group")
    response = browser.post(
        "/clients/new",
        {
            "reference": "cm-4471",
            "first_name": "Robin",
            "gender": "non-binary",
            "pronouns": "they/them",
            "languages": "English",
            "access_needs": "Step-free access",
            "literacy_support": "y",
        },
    )
    assert response.status_code == 303, _html(response)
    with app.app_context():
        made = db.session.scalars(select(Client)).one()
        assert (made.reference, made.keyworker_id) == ("CM-4471", keyworker.id)
    page = f"/clients/{made.id}"
    assert "Session 1 not yet held" in _html(client.get(page))

    response = browser.post(
        f"{page}/sessions/new/1",
        {
            "held_on": _today(),
            "past_experience": "none",
            "handouts": ["1", "2", "3"],
            "journal_given": "y",
            "goals": ["read_handouts", "think_meeting"],
        },
    )
    assert response.status_code == 303, _html(response)
    assert "Session 2 due" in _html(client.get(page))

    # Session 2: search the directory without losing the answers, then choose a date.
    answers = {
        "held_on": _today(),
        "handouts": ["3", "5"],
        "concerns": ["know_each_other"],
        "preferred_group": "twelve_step",
        "meeting_q": "hope",
        "find": "1",
    }
    found = browser.post(f"{page}/sessions/new/2", answers)
    assert found.status_code == 200
    html = _html(found)
    assert "Wrenford Hope Group" in html
    assert 'checked class="nhsuk-checkboxes__input" id="concerns-0"' in html
    choice = CHOICE.findall(html)[0]
    answers.pop("find")
    answers.update({"commitment": choice, "wants_company": "yes"})
    response = browser.post(f"{page}/sessions/new/2", answers)
    assert response.status_code == 303, _html(response)
    assert f"/requests/for/{made.id}/new?session=" in response.location

    form = _html(client.get(response.location))
    day = choice.split("@")[1]
    assert f'<option selected value="{day}">' in form
    assert 'value="Outside the main entrance"' in form
    session_id = re.search(r'name="session" type="hidden" value="(\d+)"', form).group(1)
    response = browser.post(
        f"/requests/for/{made.id}/new",
        {
            "session": session_id,
            "meeting_date": day,
            "meeting_point": "Outside the main entrance",
            "minutes_before": "15",
            "peer_gender": "any",
            "language": "",
            "note_for_champion": "First meeting ever",
            "note_for_volunteer": "Wears a red hat",
        },
        page=response.location,
    )
    assert response.status_code == 303, _html(response)
    request_page = _html(client.get(response.location))
    assert "Waiting for a volunteer" in request_page and "Request raised" in request_page
    caseload = _html(client.get("/clients/"))
    assert "Waiting for a volunteer for" in caseload and "CM-4471" in caseload
    assert "Waiting for a volunteer" in _html(client.get(page))
    with app.app_context():
        request = db.session.scalars(select(AccompanimentRequest)).one()
        assert (request.meeting_id, request.state, request.meeting_date.isoformat()) == (
            meeting.id,
            "open",
            day,
        )


def test_the_caseload_answers_htmx_with_the_results_only(login_as, client):
    keyworker = login_as("keyworker")
    make_client(keyworker, first_name="Quinn")
    full = _html(client.get("/clients/"))
    assert "<html" in full and "Quinn" in full
    fragment = client.get("/clients/?q=qui", headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in _html(fragment) and 'id="caseload-results"' in _html(fragment)
    assert "Quinn" in _html(fragment)
    assert "Quinn" not in _html(client.get("/clients/?q=zzz", headers=HX))


def test_an_empty_caseload_says_what_to_do(login_as, client):
    login_as("keyworker")
    assert "Add a client" in _html(client.get("/clients/"))


def test_the_meeting_picker_answers_htmx_with_its_fragment(login_as, browser, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker, last_session_kind=1)
    make_meeting(name="Tuesday Serenity")
    url = f"/clients/{made.id}/sessions/new/2"
    assert "<html" in _html(client.get(url))
    response = browser.post(url, {"find": "1", "meeting_q": "seren"}, headers=HX)
    html = _html(response)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="meeting-choices"' in html and "Tuesday Serenity" in html


def test_session_three_is_prefilled_when_the_volunteer_recorded_attendance(login_as, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    # last week: the meeting has happened, so session three may say whether they went
    make_request(made, state="completed", outcome="attended", weeks_ahead=-1)
    html = _html(client.get(f"/clients/{made.id}/sessions/new/3"))
    assert 'id="attended-0" name="attended" type="radio" value="yes">' not in html
    assert re.search(r'checked[^>]*value="yes"|value="yes"[^>]*checked', html)
    assert "went to the meeting" in html


@pytest.mark.parametrize("number", [str(2**63), str(-(2**63) - 1), str(2**31)])
def test_the_meeting_picker_ignores_numbers_no_id_can_be(login_as, browser, client, number):
    # found by tests/test_fuzz.py: the picker's filters reached the database (SQLite: 500)
    keyworker = login_as("keyworker")
    made = make_client(keyworker, last_session_kind=1)
    url = f"/clients/{made.id}/sessions/new/2"
    answers = {"find": "1", "meeting_fellowship": number, "meeting_day": number}
    assert browser.post(url, answers, headers=HX).status_code == 200
    assert browser.post(url, {**answers, "find": ""}).status_code == 200


def test_the_meeting_picker_search_with_a_nul_byte_is_harmless(login_as, browser, client):
    # found by tests/test_fuzz.py: the search words reached PostgreSQL with NUL in them (500)
    keyworker = login_as("keyworker")
    made = make_client(keyworker, last_session_kind=1)
    make_meeting(name="Tuesday Serenity")
    url = f"/clients/{made.id}/sessions/new/2"
    found = browser.post(url, {"find": "1", "meeting_q": "seren\x00"}, headers=HX)
    assert found.status_code == 200 and "Tuesday Serenity" in _html(found)
    refused = browser.post(url, {"meeting_q": "\x00", "notes": "a\x00b"})
    assert refused.status_code == 200 and "nhsuk-error-summary" in _html(refused)


def test_session_three_opens_before_any_escort_outcome_is_recorded(login_as, client):
    # found by tests/test_fuzz.py: the page read a default that is only set after an outcome
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    make_request(made, state="open")
    response = client.get(f"/clients/{made.id}/sessions/new/3")
    assert response.status_code == 200
    assert "The volunteer who went with" not in _html(response)


def test_viewing_a_client_is_audited(app, login_as, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    assert client.get(f"/clients/{made.id}").status_code == 200
    with app.app_context():
        row = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "client_viewed")
        ).one()
        assert (row.actor_id, row.client_ref, row.object_id) == (
            keyworker.id,
            made.reference,
            str(made.id),
        )


OTHER_URLS = [
    "/clients/{c}",
    "/clients/{c}/edit",
    "/clients/{c}/close",
    "/clients/{c}/reopen",
    "/clients/{c}/consents/share_phone",
    "/clients/{c}/consents/share_first_name/withdraw",
    "/clients/{c}/sessions/new/1",
    "/clients/{c}/sessions/{s}",
    "/clients/{c}/outcome",
    "/clients/{c}/goals/new",
    "/clients/{c}/goals/{g}",
    "/clients/{c}/journal/new",
    "/clients/{c}/sheets/my-meeting",
    "/clients/{c}/sheets/journal",
    "/requests/for/{c}/new",
    "/requests/{r}",
    "/requests/{r}/cancel",
    "/requests/{r}/date",
]


def test_another_keyworkers_clients_and_requests_are_not_found(app, login_as, browser, client):
    login_as("keyworker")
    ids = make_someone_elses_records()
    token = browser.token("/clients/")
    for template in OTHER_URLS:
        url = template.format(**ids)
        if not url.endswith("/reopen"):
            assert client.get(url).status_code == 404, url
        posted = client.post(url, data={"csrf_token": token, "version": "1", "reason": "x"})
        assert posted.status_code in (404, 405), url
    listing = _html(client.get("/clients/?action=all&q=" + ids["ref"], headers=HX))
    assert ids["ref"] not in listing and "No clients match" in listing
    with app.app_context():
        request = db.session.get(AccompanimentRequest, ids["r"])
        assert request.state == "open"
        assert db.session.get(Client, ids["c"]).status == "active"


def test_unknown_ids_are_not_found(login_as, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    for url in (
        "/clients/999999",
        "/requests/999999",
        f"/clients/{made.id}/sessions/999999",
        f"/clients/{made.id}/goals/999999",
        f"/clients/{made.id}/sheets/secret",
        f"/clients/{made.id}/consents/share_everything",
        f"/clients/{made.id}/sessions/new/7",
        "/clients/abc",
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("role", ["admin", "champion", "volunteer"])
def test_other_roles_get_no_client_pages(login_as, client, role):
    login_as(role)
    made = make_client()
    assert client.get(f"/clients/{made.id}").status_code == 403
    assert client.get("/clients/").status_code == 403


def test_an_admin_moves_a_client_seeing_only_the_reference(app, login_as, browser, client):
    login_as("admin")
    made = make_client(first_name="Secretname")
    new_keyworker = make_user(name="Nadia Keyworker")
    page = _html(client.get(f"/clients/transfer?reference={made.reference.lower()}"))
    assert made.reference in page and "Secretname" not in page and "Nadia Keyworker" in page
    with app.app_context():
        version = db.session.get(Client, made.id).version
    response = browser.post(
        "/clients/transfer",
        {"reference": made.reference, "keyworker_id": str(new_keyworker.id), "version": version},
        page="/clients/transfer",
    )
    assert response.status_code == 303, _html(response)
    with app.app_context():
        assert db.session.get(Client, made.id).keyworker_id == new_keyworker.id
        assert db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "client_transferred")
        ).one()
    stale = browser.post(
        "/clients/transfer",
        {"reference": made.reference, "keyworker_id": str(made.keyworker_id), "version": version},
        page="/clients/transfer",
    )
    assert stale.status_code == 409
    assert "No client has this reference" in _html(client.get("/clients/transfer?reference=NOPE"))
    hostile = browser.post(
        "/clients/transfer",
        {"reference": made.reference, "keyworker_id": "'; drop", "version": "x"},
        page="/clients/transfer",
    )
    assert hostile.status_code == 200


def test_consent_is_recorded_and_withdrawal_removes_the_phone(app, login_as, browser, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    url = f"/clients/{made.id}/consents/share_phone"
    missing = browser.post(url, {"phone": "07700 900123", "version": "1"})
    assert missing.status_code == 200 and "Confirm the client agrees" in _html(missing)
    response = browser.post(url, {"phone": "07700 900123", "agreed": "y", "version": "1"})
    assert response.status_code == 303
    assert "07700 900123" in _html(client.get(f"/clients/{made.id}"))
    confirm = _html(client.get(url + "/withdraw"))
    assert "Record the withdrawal" in confirm
    response = browser.post(url + "/withdraw", {"version": "2"})
    assert response.status_code == 303
    page = _html(client.get(f"/clients/{made.id}"))
    assert "07700 900123" not in page and "Withdrawn" in page
    with app.app_context():
        row = db.session.get(Client, made.id)
        assert (row.consent_phone, row.phone) == (False, None)


@pytest.mark.parametrize("name", ["my-meeting", "support", "journal"])
def test_printable_sheets_render(app, login_as, client, name):
    keyworker = login_as("keyworker")
    made = make_client(keyworker, first_name="Robin")
    make_request(made, state="accepted", peer_first_name="Sam", meeting_point="By the bus stop")
    response = client.get(f"/clients/{made.id}/sheets/{name}")
    html = _html(response)
    assert response.status_code == 200
    assert 'class="portal-sheet"' in html and "css/portal.css" in html and "Robin" in html
    if name == "my-meeting":
        assert "Sam</strong> will meet you by the bus stop" in html
        assert "St Mark&#39;s Church Hall" in html
    with app.app_context():
        assert db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "client_sheet_printed")
        ).one()


def test_my_meeting_sheet_without_a_meeting_says_so(login_as, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    assert "No meeting chosen yet" in _html(client.get(f"/clients/{made.id}/sheets/my-meeting"))


def test_print_styles_hide_the_page_furniture(app):
    with open(f"{app.static_folder}/css/portal.css") as handle:
        css = handle.read()
    assert "@media print" in css and ".portal-sheet" in css


HOSTILE_CLIENTS = [
    ({"first_name": "Rob\x00in"}, "Remove the unusual characters"),
    ({"reference": "X" * 41}, "40 characters or fewer"),
    ({"reference": "<b>"}, "letters, numbers"),
    ({"gender": "robot"}, "Select one of the options"),
    ({"fellowships": ["abc"]}, "Select fellowships from the list"),
    ({"fellowships": ["999999"]}, "Select fellowships from the list"),
    ({"access_needs": "a" * 501}, "500 characters or fewer"),
    ({"first_name": ""}, "Enter the name the client likes to be called"),
]


@pytest.mark.parametrize(("change", "message"), HOSTILE_CLIENTS)
def test_hostile_client_details_come_back_with_a_message(login_as, browser, change, message):
    login_as("keyworker")
    data = {"reference": "CM-1", "first_name": "Robin", "gender": "woman", **change}
    response = browser.post("/clients/new", data)
    assert response.status_code == 200
    assert message in _html(response)


def test_text_that_looks_like_htmx_is_shown_inert(app, login_as, browser, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker, access_needs='<div hx-get="/admin" hx-trigger="load">x</div>')
    html = _html(client.get(f"/clients/{made.id}"))
    assert '<div hx-get="/admin"' not in html
    assert "&lt;div hx-get=&#34;/admin&#34;" in html


@pytest.mark.parametrize(
    "change",
    [
        {"held_on": "not a date"},
        {"held_on": "2999-01-01"},
        {"commitment": "1@2999-99-99"},
        {"commitment": "hello"},
        {"commitment": "9" * 60},
        {"wants_company": "maybe"},
        {"concerns": ["\x00"]},
        {"meeting_fellowship": "abc", "meeting_day": "zz", "find": "1"},
    ],
)
def test_hostile_session_answers_never_break_the_page(login_as, browser, change):
    keyworker = login_as("keyworker")
    made = make_client(keyworker, last_session_kind=1)
    data = {"held_on": _today(), **change}
    response = browser.post(f"/clients/{made.id}/sessions/new/2", data)
    assert response.status_code == 200
    assert "<html" in _html(response)


def test_sessions_out_of_order_are_refused_with_a_message(login_as, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    response = client.get(f"/clients/{made.id}/sessions/new/3", follow_redirects=True)
    assert "record session 1 first" in _html(response)


def test_goal_and_journal_and_outcome_pages(app, login_as, browser, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker, last_session_kind=3)
    base = f"/clients/{made.id}"
    assert browser.post(f"{base}/goals/new", {"goal": "Find a sponsor"}).status_code == 303
    with app.app_context():
        goal = db.session.scalars(select(Goal)).one()
    response = browser.post(
        f"{base}/goals/{goal.id}",
        {"goal": "Find a sponsor", "progress": "Asked two people", "version": "1"},
    )
    assert response.status_code == 303
    assert (
        browser.post(f"{base}/goals/{goal.id}", {"goal": "Stale", "version": "1"}).status_code
        == 409
    )
    response = browser.post(
        f"{base}/journal/new",
        {"attended_on": _today(), "meeting_name": "Hope Group", "reactions": "Fine"},
    )
    assert response.status_code == 303
    later = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    future = browser.post(f"{base}/journal/new", {"attended_on": later, "meeting_name": "X"})
    assert future.status_code == 200 and "cannot be in the future" in _html(future)
    assert (
        browser.post(f"{base}/outcome", {"outcome": "engaged", "version": "1"}).status_code == 303
    )
    page = _html(client.get(base))
    assert "Asked two people" in page and "Hope Group" in page and "Engaged with a group" in page
    assert "Engaged" in _html(client.get("/clients/"))


def test_closing_a_case_asks_first_and_reopening_brings_it_back(app, login_as, browser, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker, reference="CM-CLOSE")
    assert "Close the case" in _html(client.get(f"/clients/{made.id}/close"))
    assert browser.post(f"/clients/{made.id}/close", {"version": "1"}).status_code == 303
    assert "CM-CLOSE" not in _html(client.get("/clients/", headers=HX))
    assert "CM-CLOSE" in _html(client.get("/clients/?action=closed", headers=HX))
    token = browser.token(f"/clients/{made.id}")
    response = client.post(f"/clients/{made.id}/reopen", data={"csrf_token": token, "version": "2"})
    assert response.status_code == 303
    assert "CM-CLOSE" in _html(client.get("/clients/", headers=HX))


def test_editing_details_keeps_input_and_checks_the_version(app, login_as, browser, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    with app.app_context():
        row = db.session.get(Client, made.id)
        aa = db.session.scalars(select(Fellowship).where(Fellowship.code == "AA")).one()
        row.fellowships = [aa]
        db.session.commit()
        aa_id = aa.id
    edit = f"/clients/{made.id}/edit"
    html = _html(client.get(edit))
    assert made.first_name in html
    assert re.search(
        rf'<input checked[^>]*name="fellowships" type="checkbox" value="{aa_id}"', html
    )
    data = {"reference": made.reference, "first_name": "Renamed", "gender": "man", "version": "1"}
    assert browser.post(edit, data).status_code == 303
    assert browser.post(edit, data).status_code == 409
    bad = browser.post(edit, {**data, "version": "2", "pronouns": "x" * 41})
    assert bad.status_code == 200 and 'value="Renamed"' in _html(bad)


def _queries(app, client, url: str) -> int:
    with count_queries(app) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_pages_take_the_same_queries_whatever_the_amount_of_data(app, login_as, client):
    keyworker = login_as("keyworker")
    meeting = make_meeting()
    first = make_client(keyworker, last_session_kind=2)
    make_request(first, meeting)
    pages = ["/clients/", f"/clients/{first.id}", f"/clients/{first.id}/sessions/new/2"]
    small = [_queries(app, client, url) for url in pages]
    for n in range(12):
        other = make_client(keyworker, last_session_kind=1)
        make_request(other, meeting, state=("open", "offered", "accepted")[n % 3])
        make_meeting(name=f"Extra meeting {n}")
    with app.app_context():
        for n in range(5):
            db.session.add(Goal(client_id=first.id, goal=f"Goal {n}", recorded_by_id=keyworker.id))
            db.session.add(
                FamaSession(
                    client_id=first.id,
                    kind=2,
                    held_on=datetime.now(UTC).date(),
                    recorded_by_id=keyworker.id,
                    commitment_meeting_id=meeting.id,
                    commitment_at=datetime.now(UTC),
                    handouts=[],
                    goals=[],
                    concerns=[],
                    encouragement=[],
                    participation=[],
                )
            )
        db.session.commit()
    make_request(first, meeting, state="cancelled", is_current=False)
    large = [_queries(app, client, url) for url in pages]
    assert large == small


def test_stale_one_button_saves_get_the_changed_page(app, login_as, browser, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    base = f"/clients/{made.id}"
    for url, data in (
        (f"{base}/consents/share_first_name", {"agreed": "y", "version": "0"}),
        (f"{base}/consents/share_first_name/withdraw", {"version": "0"}),
        (f"{base}/outcome", {"outcome": "engaged", "version": "0"}),
        (f"{base}/close", {"version": "0"}),
    ):
        stale = browser.post(url, data)
        assert stale.status_code == 409, url
        assert "This changed while you were looking" in _html(stale), url
    with app.app_context():
        db.session.get(Client, made.id).status = "closed"
        db.session.commit()
    token = browser.token(base)
    stale = client.post(f"{base}/reopen", data={"csrf_token": token, "version": "0"})
    assert stale.status_code == 409
    with app.app_context():
        assert db.session.get(Client, made.id).status == "closed"


def test_the_meeting_picker_says_what_the_groups_found_are_like(app, login_as, browser, client):
    with app.app_context():
        smart = db.session.scalar(select(Fellowship).where(Fellowship.code == "SMART"))
        smart.description = "A meeting led by a trained helper."
        db.session.commit()
    keyworker = login_as("keyworker")
    made = make_client(keyworker, last_session_kind=1)
    make_meeting("SMART", name="Tuesday Tools")
    url = f"/clients/{made.id}/sessions/new/2"
    found = _html(browser.post(url, {"find": "1", "meeting_q": "tools"}, headers=HX))
    assert "What these groups are like" in found
    assert "SMART Recovery.</strong> A meeting led by a trained helper." in found
    nothing = _html(browser.post(url, {"find": "1", "meeting_q": "zzz"}, headers=HX))
    assert "What these groups are like" not in nothing
