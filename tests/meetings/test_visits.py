"""Keyworkers' visits to open meetings: the rules, the pages, who sees what."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent, utcnow
from portal.dates import london_today
from portal.errors import InvalidChange, NotAllowed, NotFound
from portal.extensions import db
from portal.meetings import visits
from portal.meetings.models import KeyworkerVisit

from ..factories import context, make_meeting, make_user, saved
from ..querycount import count_queries

HTMX = {"HX-Request": "true"}


def text(response) -> str:
    return response.get_data(as_text=True)


def today() -> date:
    return london_today(utcnow())


def make_visit(
    visitor, meeting, days_ago: int = 3, note: str | None = "Welcoming, about 15 people"
):
    with context():
        return saved(
            KeyworkerVisit(
                meeting_id=meeting.id,
                visitor_id=visitor.id,
                visited_on=today() - timedelta(days=days_ago),
                note=note,
            )
        )


def visit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(KeyworkerVisit))


def actions(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.like("keyworker_visit%"))
                .order_by(AuditEvent.id)
            )
        )


def record(app, meeting, visitor, **answers):
    """record_visit in a context of its own, with fresh rows (as a request would load them)."""
    from portal.auth.models import User
    from portal.meetings.models import Meeting

    answers.setdefault("visited_on", today())
    with app.app_context():
        visit = visits.record_visit(
            db.session.get(Meeting, meeting.id), db.session.get(User, visitor.id), **answers
        )
        db.session.refresh(visit)
        db.session.expunge(visit)
        return visit


# --- the rules --------------------------------------------------------------------------------


def test_a_visit_is_recorded_and_audited_without_its_note(app):
    keyworker, meeting = make_user(), make_meeting()
    visit = record(app, meeting, keyworker, note="  Welcoming, step-free  ")
    with app.app_context():
        row = db.session.get(KeyworkerVisit, visit.id)
        assert (row.meeting_id, row.visitor_id, row.visited_on) == (
            meeting.id,
            keyworker.id,
            today(),
        )
        assert row.note == "Welcoming, step-free"
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "keyworker_visit_recorded")
        )
        assert event.actor_id == keyworker.id and event.object_id == str(visit.id)
        assert "Welcoming" not in event.detail and today().isoformat() in event.detail


def test_a_blank_note_is_stored_as_none(app):
    visit = record(app, make_meeting(), make_user(), note="   ")
    assert visit.note is None


@pytest.mark.parametrize(
    "visited_on, message",
    [
        (lambda: today() + timedelta(days=1), "The date cannot be in the future"),
        (lambda: visits.earliest_visit_date(today()) - timedelta(days=1), "in the last 5 years"),
        (lambda: None, "Enter the date you went"),
    ],
    ids=["tomorrow", "over-five-years", "none"],
)
def test_a_date_out_of_range_is_refused_by_the_field(app, visited_on, message):
    with pytest.raises(InvalidChange) as refused:
        record(app, make_meeting(), make_user(), visited_on=visited_on())
    assert refused.value.field == "visited_on" and message in refused.value.message
    assert visit_count(app) == 0 and actions(app) == []


def test_today_and_exactly_five_years_back_are_accepted(app):
    meeting, keyworker = make_meeting(), make_user()
    record(app, meeting, keyworker, visited_on=today())
    record(app, meeting, keyworker, visited_on=visits.earliest_visit_date(today()))
    assert visit_count(app) == 2


def test_five_years_before_29_february_is_28_february():
    assert visits.earliest_visit_date(date(2028, 2, 29)) == date(2023, 2, 28)
    assert visits.earliest_visit_date(date(2026, 12, 3)) == date(2021, 12, 3)


def test_a_note_over_500_characters_is_refused_and_500_accepted(app):
    meeting, keyworker = make_meeting(), make_user()
    with pytest.raises(InvalidChange) as refused:
        record(app, meeting, keyworker, note="x" * 501)
    assert refused.value.field == "note" and "500 characters or fewer" in refused.value.message
    assert visit_count(app) == 0
    assert record(app, meeting, keyworker, note="x" * 500).note == "x" * 500


def test_the_same_person_meeting_and_day_is_recorded_once(app):
    meeting, keyworker = make_meeting(), make_user()
    record(app, meeting, keyworker)
    with pytest.raises(InvalidChange) as refused:
        record(app, meeting, keyworker, note="again")
    assert refused.value.field == "visited_on" and "already recorded" in refused.value.message
    assert visit_count(app) == 1
    record(app, meeting, make_user())  # a colleague the same day is another visit
    record(app, meeting, keyworker, visited_on=today() - timedelta(days=7))
    assert visit_count(app) == 3


@pytest.mark.parametrize(
    "overrides, words",
    [({"type_codes": "C"}, "closed meeting"), ({"active": False}, "no longer runs")],
)
def test_closed_and_stopped_meetings_take_no_visits(app, overrides, words):
    with pytest.raises(InvalidChange) as refused:
        record(app, make_meeting(**overrides), make_user())
    assert words in refused.value.message and visit_count(app) == 0


@pytest.mark.parametrize("roles", [("keyworker",), ("champion",), ("admin",)])
def test_staff_may_record_visits(app, roles):
    record(app, make_meeting(), make_user(roles=roles))
    assert visit_count(app) == 1


def test_a_volunteer_may_not_record_a_visit(app):
    with pytest.raises(NotAllowed):
        record(app, make_meeting(), make_user(roles=("volunteer",)))
    assert visit_count(app) == 0


def test_only_your_own_visit_is_found_and_removed(app):
    from portal.auth.models import User

    mine, theirs = make_user(), make_user()
    meeting = make_meeting()
    my_visit, their_visit = make_visit(mine, meeting), make_visit(theirs, meeting)
    with app.app_context():
        me = db.session.get(User, mine.id)
        with pytest.raises(NotFound):
            visits.get_own_visit(me, their_visit.id)
        with pytest.raises(NotFound):
            visits.get_own_visit(me, 999_999)
        with pytest.raises(NotFound):  # someone else's, even when handed the row
            visits.remove_visit(
                visits.get_own_visit(db.session.get(User, theirs.id), their_visit.id), me
            )
        found = visits.get_own_visit(me, my_visit.id)
        assert found.meeting.name == meeting.name
        visits.remove_visit(found, me)
        with pytest.raises(NotFound):  # removed already, in another tab
            visits.remove_visit(found, me)
    assert visit_count(app) == 1
    assert actions(app) == ["keyworker_visit_removed"]


def test_the_summary_is_for_staff_only(app):
    meeting = make_meeting()
    make_visit(make_user(), meeting)
    with app.app_context():
        from portal.auth.models import User

        volunteer = db.session.get(User, make_user(roles=("volunteer",)).id)
        champion = db.session.get(User, make_user(roles=("champion",)).id)
        assert visits.visit_summary(meeting, volunteer) is None
        summary = visits.visit_summary(meeting, champion)
        assert summary.count == 1 and summary.latest == today() - timedelta(days=3)
        assert summary.recent[0].note == "Welcoming, about 15 people"


# --- the meeting page -------------------------------------------------------------------------


@pytest.mark.parametrize("days_ago, shown", [(364, True), (365, True), (366, False)])
def test_the_visited_line_counts_the_last_year(login_as, client, days_ago, shown):
    meeting = make_meeting()
    visited = today() - timedelta(days=days_ago)
    make_visit(make_user(name="Robin Keyworker"), meeting, days_ago=days_ago, note="Quiet room")
    login_as("keyworker")
    html = text(client.get(f"/meetings/{meeting.id}"))
    words = f"{visited.day} {visited:%B} {visited.year}"
    if shown:
        assert f"Visited by a keyworker on {words}." in html
        assert "1 visit in the last year." in html
    else:
        assert "Visited by a keyworker" not in html
        assert "No keyworker has recorded a visit in the last year." in html
    # the note is listed either way: the last few visits, whatever their age
    assert "Robin Keyworker" in html and "Quiet room" in html and words in html


def test_the_page_counts_the_years_visits_and_lists_the_last_three_notes(login_as, client):
    meeting = make_meeting()
    for days_ago in (2, 40, 100, 300):
        make_visit(
            make_user(name=f"Visitor {days_ago}"), meeting, days_ago, note=f"Note {days_ago}"
        )
    make_visit(make_user(name="Visitor 500"), meeting, 500, note="Note 500")
    make_visit(make_user(name="Elsewhere"), make_meeting(), 1, note="Another meeting")
    login_as("champion")
    html = text(client.get(f"/meetings/{meeting.id}"))
    latest = today() - timedelta(days=2)
    assert f"Visited by a keyworker on {latest.day} {latest:%B} {latest.year}." in html
    assert "4 visits in the last year." in html
    for days_ago in (2, 40, 100):
        assert f"Visitor {days_ago}" in html and f"Note {days_ago}" in html
    assert "Note 300" not in html and "Note 500" not in html and "Another meeting" not in html


def test_keyworkers_see_the_form_dated_today_and_remove_links_for_their_own_only(login_as, client):
    meeting = make_meeting()
    colleague = make_visit(make_user(), meeting, 5)
    keyworker = login_as("keyworker")
    own = make_visit(keyworker, meeting, 9)
    html = text(client.get(f"/meetings/{meeting.id}"))
    assert 'id="visits"' in html and "Record my visit" in html
    assert f'action="/meetings/{meeting.id}/visits/new"' in html
    assert f'value="{today().isoformat()}"' in html
    assert f"/meetings/visits/{own.id}/remove" in html
    assert f"/meetings/visits/{colleague.id}/remove" not in html
    assert "/meetings/my-visits" in html


@pytest.mark.parametrize("roles", [("volunteer",), ()])
def test_volunteers_and_people_without_a_role_see_nothing_of_visits(browser, client, roles):
    meeting = make_meeting()
    make_visit(make_user(name="Robin Keyworker"), meeting, 3, note="Quiet room")
    assert browser.sign_in(make_user(roles=roles).email).status_code == 303
    html = text(client.get(f"/meetings/{meeting.id}"))
    assert meeting.name in html
    for words in ("Keyworkers' visits", "Visited by", "Robin Keyworker", "Quiet room", "Record my"):
        assert words not in html


def test_the_public_finder_shows_nothing_of_visits(client):
    meeting = make_meeting()
    make_visit(make_user(name="Robin Keyworker"), meeting, 3, note="Quiet room")
    response = client.get(f"/find/{meeting.id}")
    assert response.status_code == 200
    for words in ("Keyworkers' visits", "Visited by", "Robin Keyworker", "Quiet room"):
        assert words not in text(response)


@pytest.mark.parametrize("codes, words", [("C", "closed meeting"), ("O", "no longer runs")])
def test_closed_or_stopped_meetings_show_why_instead_of_the_form(login_as, client, codes, words):
    meeting = make_meeting(type_codes=codes, active=codes != "O")
    login_as("keyworker")
    html = text(client.get(f"/meetings/{meeting.id}"))
    assert words in html and "Record my visit" not in html


def test_the_meeting_page_needs_the_same_queries_for_few_and_many_visits(app, login_as, client):
    meeting = make_meeting()
    keyworker = login_as("keyworker")
    make_visit(keyworker, meeting, 1)
    path = f"/meetings/{meeting.id}"
    client.get(path)
    with count_queries(app) as few:
        client.get(path)
    for days_ago in range(2, 40):
        make_visit(make_user(), meeting, days_ago)
    with count_queries(app) as many:
        client.get(path)
    assert len(few) == len(many)


# --- recording from the meeting page ----------------------------------------------------------


def test_a_keyworker_records_a_visit_with_the_form(app, login_as, browser, client):
    meeting = make_meeting()
    keyworker = login_as("keyworker")
    page = f"/meetings/{meeting.id}"
    day = today() - timedelta(days=2)
    response = browser.post(
        f"/meetings/{meeting.id}/visits/new",
        {"visited_on": day.isoformat(), "note": "About 15 people, step-free"},
        page=page,
    )
    assert response.status_code == 303 and response.location == f"{page}#visits"
    html = text(client.get(page))
    assert "Your visit is recorded" in html
    assert f"Visited by a keyworker on {day.day} {day:%B} {day.year}." in html
    assert keyworker.name in html and "About 15 people, step-free" in html
    assert actions(app) == ["keyworker_visit_recorded"]


def test_the_form_page_shows_the_form_dated_today(login_as, client):
    meeting = make_meeting()
    login_as("admin")
    html = text(client.get(f"/meetings/{meeting.id}/visits/new"))
    assert "<html" in html and "Record your visit" in html and meeting.name in html
    assert f'value="{today().isoformat()}"' in html


@pytest.mark.parametrize(
    "answers, message",
    [
        ({"visited_on": "tomorrow"}, "Enter the date you went, like 2026-12-03"),
        ({"visited_on": ""}, "Enter the date you went"),
        ({"visited_on": "2026-02-30"}, "Enter the date you went, like 2026-12-03"),
        ({"visited_on": "in-future"}, "The date cannot be in the future"),
        ({"note": "x" * 501}, "Enter 500 characters or fewer"),
        ({"note": "Quiet\x00room"}, "Remove the unusual characters"),
        ({"visited_on": "1999-01-01"}, "Enter a date in the last 5 years"),
    ],
)
def test_bad_answers_come_back_by_the_field_with_nothing_saved(
    app, login_as, browser, answers, message
):
    meeting = make_meeting()
    login_as("keyworker")
    data = {"visited_on": today().isoformat(), "note": "Kept note", **answers}
    if data["visited_on"] == "in-future":
        data["visited_on"] = (today() + timedelta(days=1)).isoformat()
    response = browser.post(f"/meetings/{meeting.id}/visits/new", data)
    html = text(response)
    assert response.status_code == 200
    assert "nhsuk-error-summary" in html and message in html
    assert "nhsuk-form-group--error" in html
    if "note" not in answers:
        assert "Kept note" in html  # what was typed is kept
    assert visit_count(app) == 0


def test_a_second_click_records_one_visit(app, login_as, browser):
    meeting = make_meeting()
    login_as("keyworker")
    url = f"/meetings/{meeting.id}/visits/new"
    assert browser.post(url, {"visited_on": today().isoformat()}).status_code == 303
    again = browser.post(url, {"visited_on": today().isoformat()})
    assert again.status_code == 200 and "already recorded a visit" in text(again)
    assert visit_count(app) == 1


def test_a_closed_meeting_refuses_a_posted_visit(app, login_as, browser):
    meeting = make_meeting(type_codes="C")
    login_as("keyworker")
    response = browser.post(
        f"/meetings/{meeting.id}/visits/new",
        {"visited_on": today().isoformat()},
        page=f"/meetings/{meeting.id}",
    )
    assert response.status_code == 200 and "closed meeting" in text(response)
    assert visit_count(app) == 0


@pytest.mark.parametrize("meeting_id", ["999999", "2147483648", "99999999999999999999"])
def test_an_unknown_meeting_is_not_found(app, login_as, browser, client, meeting_id):
    login_as("keyworker")
    assert client.get(f"/meetings/{meeting_id}/visits/new").status_code == 404
    token = browser.token("/meetings")
    response = client.post(
        f"/meetings/{meeting_id}/visits/new",
        data={"csrf_token": token, "visited_on": today().isoformat()},
    )
    assert response.status_code == 404 and visit_count(app) == 0


def test_a_volunteer_is_refused_the_visit_pages(app, login_as, browser, client):
    meeting = make_meeting()
    visit = make_visit(make_user(), meeting)
    login_as("volunteer")
    token = browser.token("/meetings")
    assert client.get(f"/meetings/{meeting.id}/visits/new").status_code == 403
    posted = client.post(
        f"/meetings/{meeting.id}/visits/new",
        data={"csrf_token": token, "visited_on": today().isoformat()},
    )
    assert posted.status_code == 403
    assert client.get(f"/meetings/visits/{visit.id}/remove").status_code == 403
    assert (
        client.post(f"/meetings/visits/{visit.id}/remove", data={"csrf_token": token}).status_code
        == 403
    )
    assert client.get("/meetings/my-visits").status_code == 403
    assert visit_count(app) == 1


def test_signed_out_visitors_go_to_sign_in(client):
    meeting = make_meeting()
    for path in (f"/meetings/{meeting.id}/visits/new", "/meetings/my-visits"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/sign-in")


# --- removing your own visit ------------------------------------------------------------------


def test_removing_your_visit_asks_first_then_removes_it(app, login_as, browser, client):
    meeting = make_meeting()
    keyworker = login_as("keyworker")
    visit = make_visit(keyworker, meeting, 4, note="Friendly, tea at the start")
    page = f"/meetings/visits/{visit.id}/remove"
    html = text(client.get(page))
    assert "Remove your visit?" in html and "Friendly, tea at the start" in html
    assert "Remove my visit" in html and f'href="/meetings/{meeting.id}#visits"' in html
    assert visit_count(app) == 1  # asking changed nothing
    response = browser.post(page, {"next": f"/meetings/{meeting.id}#visits"})
    assert response.status_code == 303 and response.location == f"/meetings/{meeting.id}#visits"
    assert visit_count(app) == 0
    assert "Your visit is removed." in text(client.get(f"/meetings/{meeting.id}"))
    assert actions(app) == ["keyworker_visit_removed"]
    assert client.get(page).status_code == 404


def test_removing_from_my_visits_goes_back_there_and_an_unsafe_next_is_ignored(
    app, login_as, browser
):
    meeting = make_meeting()
    keyworker = login_as("keyworker")
    first, second = make_visit(keyworker, meeting, 4), make_visit(keyworker, meeting, 8)
    back = browser.post(
        f"/meetings/visits/{first.id}/remove", {"next": "/meetings/my-visits?page=1"}
    )
    assert back.location == "/meetings/my-visits?page=1"
    evil = browser.post(f"/meetings/visits/{second.id}/remove", {"next": "//evil.example/"})
    assert evil.location == f"/meetings/{meeting.id}#visits"
    assert visit_count(app) == 0


@pytest.mark.parametrize("whose", ["colleague", "unknown", "huge"])
def test_a_visit_that_is_not_yours_is_not_found(app, login_as, browser, client, whose):
    colleague_visit = make_visit(make_user(roles=("keyworker",)), make_meeting())
    login_as("admin")  # not even an admin removes someone else's
    visit_id = {"colleague": colleague_visit.id, "unknown": 999_999, "huge": 2**31}[whose]
    page = f"/meetings/visits/{visit_id}/remove"
    assert client.get(page).status_code == 404
    token = browser.token("/meetings")
    assert client.post(page, data={"csrf_token": token}).status_code == 404
    assert visit_count(app) == 1


def test_a_removal_without_its_form_token_changes_nothing(app, login_as, client):
    keyworker = login_as("keyworker")
    visit = make_visit(keyworker, make_meeting())
    response = client.post(f"/meetings/visits/{visit.id}/remove")
    assert response.status_code == 400 and visit_count(app) == 1


# --- my visits --------------------------------------------------------------------------------


def test_my_visits_says_what_to_do_when_there_are_none(login_as, client):
    login_as("keyworker")
    html = text(client.get("/meetings/my-visits"))
    assert "<html" in html and "Your visits to meetings" in html
    assert "You have not recorded any visits yet." in html and "Record my visit" in html


def test_my_visits_lists_only_your_own_newest_first(login_as, client):
    keyworker = login_as("champion")
    older, newer = make_meeting(name="Older Group"), make_meeting(name="Newer Group")
    make_visit(keyworker, older, 30, note="Older note")
    make_visit(keyworker, newer, 2, note="Newer note")
    make_visit(make_user(), make_meeting(name="Not Mine Group"), 1)
    html = text(client.get("/meetings/my-visits"))
    assert "2 visits" in html
    assert html.index("Newer Group") < html.index("Older Group")
    assert "Newer note" in html and "Not Mine Group" not in html
    assert "/remove?next=/meetings/my-visits" in html


def test_my_visits_answers_htmx_with_the_results_only(login_as, client):
    keyworker = login_as("keyworker")
    make_visit(keyworker, make_meeting(name="Hope Group"))
    html = text(client.get("/meetings/my-visits", headers=HTMX))
    assert "<html" not in html and 'id="visit-results"' in html and "Hope Group" in html


def test_my_visits_pages_and_needs_the_same_queries_for_few_and_many(app, login_as, client):
    keyworker = login_as("keyworker")
    for n in range(2):
        make_visit(keyworker, make_meeting(), n)
    client.get("/meetings/my-visits")
    with count_queries(app) as few:
        assert client.get("/meetings/my-visits").status_code == 200
    for n in range(2, 30):
        make_visit(keyworker, make_meeting(fellowship=("AA", "NA")[n % 2]), n)
    with count_queries(app) as many:
        html = text(client.get("/meetings/my-visits"))
    assert len(few) == len(many)
    assert "30 visits" in html and "Page 2 of 2" in html
    second = text(client.get("/meetings/my-visits?page=2"))
    assert second.count("/remove?next=") == 5


@pytest.mark.parametrize("role, linked", [("keyworker", True), ("volunteer", False)])
def test_the_meeting_search_links_staff_to_their_visits(login_as, client, role, linked):
    login_as(role)
    html = text(client.get("/meetings"))
    assert ('href="/meetings/my-visits"' in html) is linked


def test_the_demo_keyworker_has_three_visits_and_a_second_run_keeps_them(app):
    from portal.demo import build_demo, demo_user

    with app.app_context():
        build_demo()
        build_demo()
        keyworker = demo_user("keyworker")
        rows = list(
            db.session.execute(
                select(KeyworkerVisit.visited_on, KeyworkerVisit.note).where(
                    KeyworkerVisit.visitor_id == keyworker.id
                )
            )
        )
        assert len(rows) == 3 and all(note for _, note in rows)
        assert sum(visited >= today() - timedelta(days=365) for visited, _ in rows) == 2
