"""The hand-out library: printing each hand-out blank, filled in and in large print; who may
print what; the admin's wording with its versions and the way back; what a session records."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent, utcnow
from portal.auth.models import User
from portal.clients import handouts as library
from portal.clients.handout_text import STANDARD
from portal.clients.models import Client, FamaSession, Goal, HandoutVersion
from portal.dates import london_today
from portal.errors import Conflict, InvalidChange, NotFound
from portal.extensions import db
from portal.meetings.models import Fellowship

from ..factories import (
    context,
    fellowship_id,
    make_client,
    make_fama_session,
    make_meeting,
    make_request,
    make_user,
    saved,
)
from ..querycount import count_queries

KEYS = [*STANDARD, "goals", "mapping"]


def _html(response) -> str:
    return response.get_data(as_text=True)


def _today() -> str:
    return london_today(utcnow()).isoformat()


def _filled_client(keyworker, **overrides):
    """A client with a chosen meeting and a peer on the way, goals and session-two worries."""
    meeting = make_meeting(
        name="Harbour Lights Group",
        directions_walk="Past the library, second left.",
        fellowship_id=fellowship_id("SMART"),
    )
    values = {"first_name": "Robin", "consent_first_name": True, **overrides}
    made = make_client(keyworker, **values)
    make_request(
        made, meeting, state="accepted", peer_first_name="Sam", meeting_point="By the clock"
    )
    make_fama_session(
        made,
        2,
        london_today(utcnow()),
        concerns=["god_talk", "other"],
        concern_other="A private worry",
        preferred_group="smart",
    )
    with context():
        db.session.add(
            Goal(client_id=made.id, goal="Go to one meeting", recorded_by_id=keyworker.id)
        )
        db.session.get(Client, made.id).fellowships = [
            db.session.get(Fellowship, fellowship_id("SMART"))
        ]
        db.session.commit()
    return made


# --- the standard wording and the admin's plain text ---------------------------------------


@pytest.mark.parametrize("key", list(STANDARD))
def test_the_standard_wording_reads_back_from_its_plain_text(key):
    for section in STANDARD[key]["sections"]:
        assert library.parse_text(library.to_text(section["blocks"])) == section["blocks"]


@pytest.mark.parametrize("key", list(STANDARD))
def test_each_standard_hand_out_fits_the_edit_form_with_room_to_add(key):
    assert len(STANDARD[key]["sections"]) + 2 <= library.MAX_SECTIONS


@pytest.mark.parametrize("key", list(STANDARD))
def test_each_standard_hand_out_is_a_short_read(key):
    words = 0
    for section in STANDARD[key]["sections"]:
        words += len(section["heading"].split())
        for block in section["blocks"]:
            texts = block["items"] if block["kind"] == "list" else [block["text"]]
            words += sum(len(text.split()) for text in texts)
            # short sentences: no sentence of the standard wording runs past 30 words
            for text in texts:
                assert all(len(s.split()) <= 30 for s in re.split(r"[.!?:]\s", text)), text
    assert 140 <= words <= 350, (key, words)


def test_plain_text_makes_paragraphs_and_lists_and_nothing_else():
    text = "First line\ncarries on.\n\n- one\n- two\n  more of two\n\n<b>bold?</b>\r\n\r\n-\n"
    assert library.parse_text(text) == [
        {"kind": "p", "text": "First line carries on."},
        {"kind": "list", "items": ["one", "two more of two"]},
        {"kind": "p", "text": "<b>bold?</b>"},
    ]


# --- printing ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_each_hand_out_prints_blank_filled_and_large(app, login_as, client, key):
    keyworker = login_as("keyworker")
    made = _filled_client(keyworker)
    for url in (
        f"/handouts/{key}",
        f"/handouts/{key}?large=1",
        f"/clients/{made.id}/handouts/{key}",
        f"/clients/{made.id}/handouts/{key}?large=1",
    ):
        response = client.get(url)
        html = _html(response)
        assert response.status_code == 200, url
        assert 'class="portal-sheet portal-handout' in html and "css/portal.css" in html
        assert ("portal-handout--large" in html) == url.endswith("large=1"), url
        assert ("For Robin" in html) == url.startswith("/clients/"), url
    assert "A private worry" not in html


def test_a_filled_hand_out_carries_the_clients_meeting_worries_goals_and_groups(login_as, client):
    keyworker = login_as("keyworker")
    made = _filled_client(keyworker)
    page = f"/clients/{made.id}/handouts"
    meeting = _html(client.get(f"{page}/3"))
    assert "Harbour Lights Group" in meeting and "Past the library, second left." in meeting
    support = _html(client.get(f"{page}/8"))
    assert "<strong>Sam</strong>, a peer volunteer," in support and "By the clock" in support
    worries = _html(client.get(f"{page}/5"))
    assert "There is too much talk of God" in worries and "Something else" not in worries
    assert "Go to one meeting" in _html(client.get(f"{page}/2"))
    assert "Go to one meeting" in _html(client.get(f"{page}/goals"))
    groups = _html(client.get(f"{page}/6"))
    assert "Harbour Lights Group" in groups and "Every Tuesday" in groups
    assert "You said you would like to try: SMART Recovery" in _html(client.get(f"{page}/7"))


def test_a_meeting_gone_by_leaves_lines_to_write_the_next_one(login_as, client):
    keyworker = login_as("keyworker")
    meeting = make_meeting(name="Last Week Group")
    made = make_client(
        keyworker, commitment_meeting_id=meeting.id, commitment_at=utcnow() - timedelta(days=7)
    )
    html = _html(client.get(f"/clients/{made.id}/handouts/3"))
    assert "Last Week Group" not in html and "The meeting I will go to" in html


def test_the_first_name_is_printed_only_with_the_clients_consent(login_as, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker, first_name="Quinlan", consent_first_name=False)
    html = _html(client.get(f"/clients/{made.id}/handouts/1"))
    article = html[html.index("<article") :]
    assert "Quinlan" not in article


def test_filled_in_values_are_escaped(login_as, client):
    keyworker = login_as("keyworker")
    hostile = '<script>alert(1)</script><div hx-get="/admin" hx-trigger="load">'
    made = _filled_client(keyworker, first_name="<i>Robin</i>")
    make_meeting(name=hostile, fellowship_id=fellowship_id("SMART"))
    with context():
        db.session.add(Goal(client_id=made.id, goal=hostile, recorded_by_id=keyworker.id))
        db.session.commit()
    for key in ("2", "6", "goals"):
        html = _html(client.get(f"/clients/{made.id}/handouts/{key}"))
        assert "<script>alert(1)" not in html and '<div hx-get="/admin"' not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<i>Robin</i>" not in html and "&lt;i&gt;Robin&lt;/i&gt;" in html


def test_printing_a_clients_hand_out_is_recorded_as_a_view(app, login_as, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    assert client.get(f"/clients/{made.id}/handouts/3").status_code == 200
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "client_handout_printed")
        ).one()
        assert (event.client_ref, event.kind) == (made.reference, "view")


def test_only_the_clients_keyworker_prints_their_hand_outs(login_as, client):
    login_as("keyworker")
    other = make_client(first_name="Secretname")
    for url in (f"/clients/{other.id}/handouts", f"/clients/{other.id}/handouts/3"):
        response = client.get(url)
        assert response.status_code == 404 and "Secretname" not in _html(response), url


def test_unknown_hand_outs_are_not_found(login_as, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    for url in (
        "/handouts/9",
        "/handouts/%00",
        "/handouts/" + "x" * 300,
        f"/clients/{made.id}/handouts/0",
        f"/clients/{made.id}/handouts/journal",
        "/clients/99999999/handouts/1",
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize(
    ("role", "status"), [("champion", 200), ("admin", 200), ("volunteer", 403)]
)
def test_blank_hand_outs_are_for_staff(login_as, client, role, status):
    login_as(role)
    assert client.get("/handouts/").status_code == status
    assert client.get("/handouts/4").status_code == status
    made = make_client()
    assert client.get(f"/clients/{made.id}/handouts/4").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/handouts/1")
    assert response.status_code == 302 and response.location.startswith("/sign-in")


def test_the_library_lists_every_hand_out_and_the_sheets(login_as, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    html = _html(client.get(f"/clients/{made.id}/handouts"))
    for key in STANDARD:
        assert f"/clients/{made.id}/handouts/{key}?large=1" in html
    for sheet in ("my-meeting", "support", "journal"):
        assert f"/clients/{made.id}/sheets/{sheet}" in html
    assert f"/clients/{made.id}/handouts/goals" in html
    blank = _html(client.get("/handouts/"))
    assert "/handouts/8?large=1" in blank and "/sheets/" not in blank


def test_the_session_form_and_page_link_each_hand_out(app, login_as, browser, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker)
    form = _html(client.get(f"/clients/{made.id}/sessions/new/1"))
    for key in STANDARD:
        assert f'href="/clients/{made.id}/handouts/{key}" target="_blank"' in form
    response = browser.post(
        f"/clients/{made.id}/sessions/new/1",
        {"held_on": _today(), "past_experience": "none", "handouts": ["1", "3"]},
    )
    assert response.status_code == 303, _html(response)
    with app.app_context():
        session = db.session.scalars(select(FamaSession)).one()
        assert session.handout_versions == {"1": 1, "3": 1}
    page = _html(client.get(f"/clients/{made.id}/sessions/{session.id}"))
    assert "3. Going to meetings (version 1)" in page
    assert f'href="/clients/{made.id}/handouts/3"' in page


def test_a_session_from_before_the_library_shows_its_hand_outs_without_versions(login_as, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker, last_session_kind=1)
    session = make_fama_session(made, 1, london_today(utcnow()), handouts=["2"])
    page = _html(client.get(f"/clients/{made.id}/sessions/{session.id}"))
    assert "2. Why it can help" in page and "(version" not in page


# --- the admin's wording ------------------------------------------------------------------


def _edit(browser, key: str, version: int, **sections: str):
    data = {"version": str(version), **sections}
    return browser.post(f"/admin/handouts/{key}", data)


def test_an_admin_edits_a_hand_out_a_session_records_it_and_the_standard_comes_back(
    app, login_as, browser, client
):
    admin = login_as("admin", "keyworker", name="Ada Admin")
    made = make_client(admin)
    assert "Standard, version 1" in _html(client.get("/admin/handouts"))
    form = _html(client.get("/admin/handouts/3"))
    assert "What happens at a meeting" in form and "- Walk or cycle if you can." in form

    response = _edit(
        browser,
        "3",
        1,
        heading_1="Our meetings",
        text_1="Meetings in Wrenford are free.\n\n- Bus 12 stops outside\n- Tea is free",
    )
    assert response.status_code == 303, _html(response)
    assert "Saved as version 2" in _html(client.get(response.location))
    printed = _html(client.get("/handouts/3"))
    assert "Our meetings" in printed and "<li>Bus 12 stops outside</li>" in printed
    assert "What happens at a meeting" not in printed and "version 2" in printed
    assert "Your service's own, version 2" in _html(client.get("/admin/handouts"))

    browser.post(
        f"/clients/{made.id}/sessions/new/1",
        {"held_on": _today(), "past_experience": "none", "handouts": ["3", "4"]},
    )
    with app.app_context():
        session = db.session.scalars(select(FamaSession)).one()
        assert session.handout_versions == {"3": 2, "4": 1}
    page = _html(client.get(f"/clients/{made.id}/sessions/{session.id}"))
    assert "3. Going to meetings (version 2)" in page and "4. Joining a group (version 1)" in page

    versions = _html(client.get("/admin/handouts/3/versions"))
    assert (
        "Version 2" in versions and "Ada Admin" in versions and "Built into the portal" in versions
    )
    assert "Bus 12" in _html(client.get("/admin/handouts/3/versions/2"))
    assert "What happens at a meeting" in _html(client.get("/admin/handouts/3/versions/1"))

    confirm = _html(client.get("/admin/handouts/3/standard"))
    assert "Go back to the standard wording of Going to meetings?" in confirm
    assert "Our meetings" in _html(client.get("/handouts/3"))  # nothing changed by looking
    response = browser.post("/admin/handouts/3/standard", {"version": "2"})
    assert response.status_code == 303
    printed = _html(client.get("/handouts/3"))
    assert "What happens at a meeting" in printed and "Our meetings" not in printed
    assert "version 3" in printed
    with app.app_context():
        rows = db.session.scalars(select(HandoutVersion).order_by(HandoutVersion.version)).all()
        assert [(r.version, r.body is None, r.saved_by_id) for r in rows] == [
            (2, False, admin.id),
            (3, True, admin.id),
        ]
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "handout_saved")
        ).all()
        assert len(actions) == 2
    assert "already uses the standard wording" in _html(client.get("/admin/handouts/3/standard"))


@pytest.mark.parametrize("key", list(STANDARD))
def test_saving_the_standard_words_as_drawn_adds_no_version(app, login_as, browser, client, key):
    login_as("admin")
    handout = STANDARD[key]
    sections = {}
    for number, section in enumerate(handout["sections"], start=1):
        sections[f"heading_{number}"] = section["heading"]
        sections[f"text_{number}"] = library.to_text(section["blocks"])
    response = _edit(browser, key, 1, **sections)
    assert response.status_code == 303, _html(response)
    assert "Nothing changed" in _html(client.get(response.location))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HandoutVersion)) == 0


HOSTILE_WORDING = [
    ({"text_1": "Hello\x00there"}, "Remove the unusual characters"),
    ({"heading_2": "Nul\x00"}, "Remove the unusual characters"),
    ({"text_1": "a" * 3001}, "Section 1 words: enter 3000 characters or fewer"),
    ({"heading_1": "h" * 121}, "Section 1 heading: enter 120 characters or fewer"),
    ({"heading_2": "A heading alone"}, "Section 2: enter its words, or clear its heading"),
    ({"text_1": "   "}, "Enter the words of the hand-out"),
]


@pytest.mark.parametrize(("change", "message"), HOSTILE_WORDING)
def test_hostile_wording_comes_back_with_a_message(app, login_as, browser, change, message):
    login_as("admin")
    data = {"heading_1": "", "text_1": "Fine words.", **change}
    response = _edit(browser, "2", 1, **data)
    assert response.status_code == 200
    html = _html(response)
    assert message in html and "There is a problem" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HandoutVersion)) == 0


def test_markup_in_the_admins_words_is_printed_as_text(login_as, browser, client):
    login_as("admin", "keyworker")
    words = '<script>alert(1)</script>\n\n- <a href="//evil.example">x</a>'
    assert _edit(browser, "1", 1, heading_1="<b>Hi</b>", text_1=words).status_code == 303
    for url in ("/handouts/1", "/handouts/1?large=1", "/admin/handouts/1/versions/2"):
        html = _html(client.get(url))
        assert "<script>alert(1)" not in html and '<a href="//evil.example"' not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;Hi&lt;/b&gt;" in html


def test_a_save_from_a_stale_page_keeps_the_words_and_says_so(app, login_as, browser):
    login_as("admin")
    assert _edit(browser, "4", 1, text_1="First admin's words.").status_code == 303
    response = _edit(browser, "4", 1, text_1="Second admin's words.")
    assert response.status_code == 409
    html = _html(response)
    assert "This hand-out has changed" in html and "Second admin&#39;s words." in html
    assert 'name="version" type="hidden" value="2"' in html
    assert _edit(browser, "4", 2, text_1="Second admin's words.").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.max(HandoutVersion.version))) == 3


@pytest.mark.parametrize("version", ["", "abc", "99", "-1", "1" * 40])
def test_a_forged_version_changes_nothing(app, login_as, browser, version):
    login_as("admin")
    response = browser.post("/admin/handouts/5", {"version": version, "text_1": "Words."})
    assert response.status_code in (200, 409)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HandoutVersion)) == 0


def test_unknown_keys_and_versions_are_not_found_for_the_admin(login_as, browser, client):
    login_as("admin")
    for url in (
        "/admin/handouts/9",
        "/admin/handouts/goals",
        "/admin/handouts/1/versions/2",
        "/admin/handouts/1/versions/99999999999",
        "/admin/handouts/x/standard",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        browser.post("/admin/handouts/9", {"version": "1"}, page="/admin/handouts").status_code
        == 404
    )


@pytest.mark.parametrize("role", ["keyworker", "champion", "volunteer"])
def test_only_admins_change_the_wording(login_as, client, role):
    login_as(role)
    for url in ("/admin/handouts", "/admin/handouts/1", "/admin/handouts/1/versions"):
        assert client.get(url).status_code == 403, url


# --- services -----------------------------------------------------------------------------


def test_two_saves_of_the_same_version_make_one_version_and_one_conflict(app):
    admin = make_user(roles=("admin",))
    with app.app_context():
        actor = db.session.get(User, admin.id)
        assert library.save_handout("6", actor, 1, [("", "Ours.")]) == 2
        with pytest.raises(Conflict):
            library.save_handout("6", actor, 1, [("", "Theirs.")])
        assert library.current_handout("6").sections[0]["blocks"][0]["text"] == "Ours."
        assert library.current_versions(["6", "1"]) == {"6": 2, "1": 1}
        assert library.restore_standard("6", actor, 2) == 3
        assert library.restore_standard("6", actor, 3) is None
        with pytest.raises(NotFound):
            library.current_handout("../1")
        with pytest.raises(InvalidChange):
            library.save_handout("6", actor, 3, [("", "x")] * (library.MAX_SECTIONS + 1))


def test_the_library_pages_read_a_fixed_number_of_queries(app, login_as, client):
    admin = login_as("admin")
    paths = ("/admin/handouts", "/handouts/", "/admin/handouts/2/versions")

    def counts() -> list[int]:
        found = []
        for path in paths:
            client.get(path)
            with count_queries(app) as statements:
                client.get(path)
            found.append(len(statements))
        return found

    before = counts()
    with app.app_context():
        for key in STANDARD:
            for version in (2, 3):
                db.session.add(
                    HandoutVersion(
                        key=key, version=version, body=None, saved_by_id=admin.id, saved_at=utcnow()
                    )
                )
        db.session.commit()
    assert counts() == before


def test_demo_style_sessions_without_versions_still_render(login_as, client):
    keyworker = login_as("keyworker")
    made = make_client(keyworker, last_session_kind=1)
    with context():
        session = saved(
            FamaSession(
                client_id=made.id,
                kind=1,
                held_on=london_today(utcnow()),
                recorded_by_id=keyworker.id,
                handouts=["1", "9"],
                handout_versions={"1": 4},
                goals=[],
                concerns=[],
                encouragement=[],
                participation=[],
            )
        )
    page = _html(client.get(f"/clients/{made.id}/sessions/{session.id}"))
    assert "1. What mutual aid is (version 4)" in page


def test_the_good_and_hard_things_sheet_weighs_going_and_not_going(login_as, client):
    keyworker = login_as("keyworker")
    made = _filled_client(keyworker)
    library = _html(client.get(f"/clients/{made.id}/handouts"))
    assert f"/clients/{made.id}/handouts/mapping" in library
    html = _html(client.get(f"/clients/{made.id}/handouts/mapping"))
    assert "If I go to a group" in html and "If I do not go" in html
    assert html.count('<th scope="col" class="nhsuk-table__header">') == 4
    large = _html(client.get(f"/clients/{made.id}/handouts/mapping?large=1"))
    assert "<table" not in large and "What I might miss, or what could be hard" in large
