"""Every volunteers page, as a full page and (where it has one) as an htmx fragment."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.extensions import db
from portal.volunteers.models import (
    AvailabilityWindow,
    SafeguardingItem,
    TimeAway,
    Volunteer,
    VolunteerMeeting,
)

from .. import factories
from .conftest import make_meeting

HX = {"HX-Request": "true"}


def html(response) -> str:
    return response.get_data(as_text=True)


def load(app, model, row_id):
    with app.app_context():
        row = db.session.get(model, row_id)
        if row is not None:
            db.session.expunge(row)
        return row


# --- the champion's pages ---------------------------------------------------------------------


def test_champion_list_with_counts_and_filters(app, client, login_as):
    login_as("champion")
    priya = factories.make_vetted_volunteer(
        factories.make_user(roles=("volunteer",)),
        preferred_name="Priya",
        languages=["English", "Punjabi"],
        fellowships=["NA"],
        home_area="Headingley",
    )
    factories.make_volunteer(preferred_name="Dave", home_area="Bramley", status="paused")
    page = client.get("/volunteers/")
    assert page.status_code == 200
    text = html(page)
    assert "Priya" in text and "Dave" in text
    assert "2 in the pool" in text
    assert "1 approved" in text and "1 paused" in text

    assert "Dave" not in html(client.get("/volunteers/?status=approved"))
    assert "Dave" not in html(client.get("/volunteers/?language=punjabi"))
    assert "Priya" not in html(client.get("/volunteers/?area=Bramley"))
    with app.app_context():
        from portal.meetings.models import Fellowship

        na = db.session.scalar(select(Fellowship.id).where(Fellowship.code == "NA"))
    assert "Dave" not in html(client.get(f"/volunteers/?fellowship={na}"))
    assert "Priya" in html(client.get(f"/volunteers/?fellowship={na}"))

    fragment = client.get("/volunteers/?q=pri", headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in html(fragment)
    assert "Priya" in html(fragment) and "Dave" not in html(fragment)
    assert priya.id


def test_list_filter_for_checks_expiring_and_inactive(app, client, login_as):
    login_as("champion")
    soon = factories.make_vetted_volunteer(
        preferred_name="Soon", expires={"training": date.today() + timedelta(days=10)}
    )
    # a DBS check about to lapse, outlasted by its renewal: not expiring
    renewed = factories.make_vetted_volunteer(preferred_name="Renewed")
    factories.make_safeguarding_item(
        renewed,
        "dbs",
        issued_on=date.today() - timedelta(days=1200),
        expires_on=date.today() + timedelta(days=5),
    )
    assert soon.id
    from datetime import UTC, datetime

    factories.make_volunteer(
        preferred_name="Quiet",
        created_at=datetime.now(UTC) - timedelta(days=200),
        last_active_at=datetime.now(UTC) - timedelta(days=120),
    )
    expiring = html(client.get("/volunteers/?checks=expiring"))
    assert "Soon" in expiring
    assert "Renewed" not in expiring
    assert "Quiet" not in expiring
    inactive = html(client.get("/volunteers/?activity=inactive"))
    assert "Quiet" in inactive
    assert "Soon" not in inactive


@pytest.mark.parametrize(
    "query",
    [
        "status=nonsense",
        "fellowship=abc",
        "fellowship=99999999999999999999",
        "area=%00",
        "language=" + "x" * 500,
        "page=-5",
        "page=abc",
        "q=%00%01",
        "checks=1&activity=1",
    ],
)
def test_list_survives_hostile_filters(client, login_as, query):
    login_as("champion")
    assert client.get(f"/volunteers/?{query}").status_code == 200


@pytest.mark.parametrize("query", ["q=%00", "q=" + "x" * 300, "day=9", "day=x", "fellowship=-1"])
def test_meeting_search_survives_hostile_input(client, signed_in_volunteer, query):
    signed_in_volunteer()
    assert client.get(f"/me/meetings?{query}").status_code == 200


def test_checks_due_soonest_first(client, login_as):
    login_as("champion")
    soon = date.today() + timedelta(days=3)
    factories.make_vetted_volunteer(
        preferred_name="Later", expires={"training": date.today() + timedelta(days=25)}
    )
    factories.make_vetted_volunteer(preferred_name="Sooner", expires={"dbs": soon})
    factories.make_vetted_volunteer(
        preferred_name="Faraway", expires={"dbs": date.today() + timedelta(days=90)}
    )
    factories.make_vetted_volunteer(
        preferred_name="Gone", status="withdrawn", expires={"dbs": soon}
    )
    text = html(client.get("/volunteers/checks-due"))
    assert text.index("Sooner") < text.index("Later")
    assert "Faraway" not in text
    assert "Gone" not in text


def test_checks_due_empty(client, login_as):
    login_as("champion")
    assert "No checks expire in the next 30 days" in html(client.get("/volunteers/checks-due"))


def test_invite_a_volunteer(app, client, browser, login_as):
    champion = login_as("champion")
    response = browser.post("/volunteers/invite", {"name": "Priya", "email": "Priya@Example.org"})
    assert response.status_code == 303
    with app.app_context():
        volunteer = db.session.scalar(select(Volunteer).where(Volunteer.preferred_name == "Priya"))
        assert volunteer.status == "applied"
        assert volunteer.user.email == "priya@example.org"
        assert volunteer.user.roles == {"volunteer"}
        assert volunteer.created_by_id == champion.id
    assert response.location.endswith(f"/volunteers/{volunteer.id}")
    again = browser.post("/volunteers/invite", {"name": "Priya", "email": "priya@example.org"})
    assert again.status_code == 200
    assert "already exists" in html(again)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "", "email": "a@example.org"}, "Enter their first name"),
        ({"name": "x" * 61, "email": "a@example.org"}, "60 characters or fewer"),
        ({"name": "Sam", "email": "not-an-email"}, "correct format"),
        ({"name": "Sa\x00m", "email": "a@example.org"}, "unusual characters"),
    ],
)
def test_invite_refuses_bad_input(browser, login_as, data, message):
    login_as("champion")
    response = browser.post("/volunteers/invite", data)
    assert response.status_code == 200
    assert message in html(response)


PHONE_CONTACT = {
    "preferred_name": "Dave",
    "gender": "man",
    "languages": "English",
    "home_area": "Bramley",
    "travel_modes": ["car"],
    "phone": "07700 900123",
    "share_phone": "no",
    "weekly_cap": "1",
    "accompany_rule": "anyone",
}


def test_add_a_phone_only_contact(app, browser, login_as):
    login_as("champion")
    response = browser.post("/volunteers/phone-contact", PHONE_CONTACT)
    assert response.status_code == 303, html(response)
    with app.app_context():
        dave = db.session.scalar(select(Volunteer).where(Volunteer.preferred_name == "Dave"))
        assert dave.phone_only and dave.user_id is None
        assert dave.status == "applied"
        assert dave.weekly_cap == 1
        assert dave.travel_modes == "car"


@pytest.mark.parametrize(
    "change, field_message",
    [
        ({"phone": ""}, "Enter their phone number"),
        ({"phone": "call me"}, "Enter a phone number"),
        ({"weekly_cap": "-1"}, "from 0 to 14"),
        ({"weekly_cap": "two"}, "whole number"),
        ({"gender": "robot"}, "Select a gender"),
        ({"travel_modes": ["teleport"]}, "from the list"),
        ({"fellowship_ids": ["abc"]}, "from the list"),
        ({"fellowship_ids": ["99999"]}, "from the list"),
        ({"accompany_rule": "nobody"}, "Select whom"),
        ({"preferred_name": "x" * 61}, "60 characters or fewer"),
        ({"home_area": "x" * 101}, "100 characters or fewer"),
        ({"languages": "x" * 41}, "40 characters or fewer"),
        ({"recovery_date": "2999-01-01"}, "must be in the past"),
        ({"recovery_date": "31/02/2020"}, "Enter a real date"),
    ],
)
def test_phone_contact_refuses_bad_input_by_the_field(browser, login_as, change, field_message):
    login_as("champion")
    response = browser.post("/volunteers/phone-contact", PHONE_CONTACT | change)
    assert response.status_code == 200
    text = html(response)
    assert field_message in text
    assert "There is a problem" in text
    kept = "home_area" if "home_area" not in change else "preferred_name"
    assert f'value="{PHONE_CONTACT[kept]}"' in text  # input kept


def test_volunteer_page_shows_everything(app, client, login_as):
    login_as("champion")
    volunteer = factories.make_vetted_volunteer(
        preferred_name="Priya", conflict_notes="Knows client Z from school"
    )
    meeting = make_meeting(name="Headingley Hope")
    with factories.context():
        db.session.add(VolunteerMeeting(volunteer_id=volunteer.id, meeting_id=meeting.id))
        db.session.commit()
    text = html(client.get(f"/volunteers/{volunteer.id}"))
    for expected in (
        "Priya",
        "Approved",
        "Safeguarding record",
        "DBS check",
        "certificate 001234567890",
        "Headingley Hope",
        "No escorts yet",
        "Knows client Z from school",
        "Can escort today",
        "Changes",
    ):
        assert expected in text, expected


def test_volunteer_page_lists_reasons_they_cannot_escort(client, login_as):
    login_as("champion")
    volunteer = factories.make_volunteer(preferred_name="New")
    text = html(client.get(f"/volunteers/{volunteer.id}"))
    assert "Cannot escort today" in text
    assert "Not approved yet" in text
    assert "DBS check: none on record" in text


def test_unknown_volunteer_is_404(client, login_as):
    login_as("champion")
    assert client.get("/volunteers/999999").status_code == 404
    assert client.get("/volunteers/999999/edit").status_code == 404
    assert client.get("/volunteers/999999/meetings").status_code == 404


def test_champion_edits_details(app, browser, login_as):
    login_as("champion")
    volunteer = factories.make_volunteer(preferred_name="Dave", phone="07700 900123")
    page = browser.client.get(f"/volunteers/{volunteer.id}/edit")
    assert 'value="Dave"' in html(page)
    data = PHONE_CONTACT | {"preferred_name": "David", "version": str(volunteer.version)}
    response = browser.post(f"/volunteers/{volunteer.id}/edit", data)
    assert response.status_code == 303
    assert load(app, Volunteer, volunteer.id).preferred_name == "David"
    stale = browser.post(f"/volunteers/{volunteer.id}/edit", data | {"preferred_name": "Dai"})
    assert stale.status_code == 409
    assert load(app, Volunteer, volunteer.id).preferred_name == "David"


def test_vetting_transitions_with_reasons(app, browser, login_as):
    champion = login_as("champion")
    volunteer = factories.make_volunteer()
    page = browser.client.get(f"/volunteers/{volunteer.id}/status/approved")
    assert page.status_code == 200
    response = browser.post(
        f"/volunteers/{volunteer.id}/status/approved", {"version": volunteer.version}
    )
    assert response.status_code == 303
    approved = load(app, Volunteer, volunteer.id)
    assert approved.status == "approved"
    assert approved.approved_by_id == champion.id and approved.approved_at is not None

    no_reason = browser.post(
        f"/volunteers/{volunteer.id}/status/paused", {"version": approved.version}
    )
    assert no_reason.status_code == 200
    assert "Enter the reason" in html(no_reason)
    paused = browser.post(
        f"/volunteers/{volunteer.id}/status/paused",
        {"version": approved.version, "reason": "Unwell for a few weeks"},
    )
    assert paused.status_code == 303
    row = load(app, Volunteer, volunteer.id)
    assert row.status == "paused" and row.status_reason == "Unwell for a few weeks"

    not_allowed = browser.client.get(f"/volunteers/{volunteer.id}/status/paused")
    assert "cannot become paused" in html(not_allowed)
    assert browser.client.get(f"/volunteers/{volunteer.id}/status/flying").status_code == 404

    stale = browser.post(
        f"/volunteers/{volunteer.id}/status/approved", {"version": approved.version}
    )
    assert stale.status_code == 409
    assert load(app, Volunteer, volunteer.id).status == "paused"
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "volunteers", AuditEvent.object_id == str(volunteer.id)
            )
        ).all()
    assert actions.count("volunteer_status_changed") == 2


def test_confirm_recovery_date(app, browser, login_as):
    champion = login_as("champion")
    volunteer = factories.make_volunteer(recovery_date=date(2022, 5, 1))
    assert "Confirm recovery date" in html(browser.client.get(f"/volunteers/{volunteer.id}"))
    response = browser.post(f"/volunteers/{volunteer.id}/recovery", {"version": volunteer.version})
    assert response.status_code == 303
    row = load(app, Volunteer, volunteer.id)
    assert row.recovery_confirmed_by_id == champion.id
    nothing = factories.make_volunteer()
    browser.post(f"/volunteers/{nothing.id}/recovery", {"version": nothing.version})
    assert load(app, Volunteer, nothing.id).recovery_confirmed_at is None


def test_conflict_notes(app, browser, login_as):
    login_as("champion")
    volunteer = factories.make_volunteer()
    assert browser.client.get(f"/volunteers/{volunteer.id}/conflicts").status_code == 200
    note = '<div hx-get="/admin" hx-trigger="load">knows client X</div>'
    response = browser.post(
        f"/volunteers/{volunteer.id}/conflicts", {"notes": note, "version": volunteer.version}
    )
    assert response.status_code == 303
    page = html(browser.client.get(f"/volunteers/{volunteer.id}"))
    assert "&lt;div hx-get=" in page
    assert note not in page
    too_long = browser.post(
        f"/volunteers/{volunteer.id}/conflicts", {"notes": "x" * 2001, "version": 2}
    )
    assert too_long.status_code == 200
    assert "2,000 characters or fewer" in html(too_long)


def test_record_a_dbs_check(app, browser, login_as):
    login_as("champion")
    volunteer = factories.make_volunteer()
    assert browser.client.get(f"/volunteers/{volunteer.id}/checks/dbs/new").status_code == 200
    issued = date.today() - timedelta(days=10)
    response = browser.post(
        f"/volunteers/{volunteer.id}/checks/dbs/new",
        {
            "dbs_level": "enhanced",
            "dbs_certificate_number": "0012 3456 7890",
            "dbs_update_service": "yes",
            "issued_on": issued.isoformat(),
            "expires_on": "",
        },
    )
    assert response.status_code == 303, html(response)
    with app.app_context():
        item = db.session.scalar(
            select(SafeguardingItem).where(SafeguardingItem.volunteer_id == volunteer.id)
        )
        assert item.dbs_certificate_number == "001234567890"
        assert item.dbs_update_service is True
        assert item.expires_on == issued.replace(year=issued.year + 3)
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "safeguarding_item_added")
        )
        assert event.object_id == str(volunteer.id)
        assert "001234567890" not in (event.detail or "")


@pytest.mark.parametrize(
    "kind, data, message",
    [
        ("training", {"issued_on": "2999-01-01"}, "cannot be in the future"),
        ("training", {"issued_on": "2024-05-01", "expires_on": "2024-04-01"}, "after the issue"),
        ("training", {"issued_on": "2024-05-01", "expires_on": "2024-05-01"}, "after the issue"),
        ("training", {"issued_on": ""}, "Enter the date it was issued"),
        ("training", {"issued_on": "yesterday"}, "Enter a real date"),
        ("dbs", {"issued_on": "2024-05-01", "dbs_level": "super"}, "Select the level"),
        (
            "dbs",
            {"issued_on": "2024-05-01", "dbs_level": "basic", "dbs_certificate_number": "12"},
            "12-digit",
        ),
        ("references", {"issued_on": "2024-05-01", "references_received": "7"}, "Select how"),
    ],
)
def test_check_forms_refuse_bad_dates_by_the_field(browser, login_as, kind, data, message):
    login_as("champion")
    volunteer = factories.make_volunteer()
    response = browser.post(f"/volunteers/{volunteer.id}/checks/{kind}/new", data)
    assert response.status_code == 200
    assert message in html(response)


def test_unknown_check_kind_is_404(client, login_as):
    login_as("champion")
    volunteer = factories.make_volunteer()
    assert client.get(f"/volunteers/{volunteer.id}/checks/tarot/new").status_code == 404


def test_correct_and_remove_a_check_is_audited(app, browser, login_as):
    login_as("champion")
    volunteer = factories.make_volunteer()
    other = factories.make_volunteer()
    item = factories.make_safeguarding_item(volunteer, "training")
    page = browser.client.get(f"/volunteers/{volunteer.id}/checks/{item.id}/edit")
    assert item.issued_on.isoformat() in html(page)
    response = browser.post(
        f"/volunteers/{volunteer.id}/checks/{item.id}/edit",
        {
            "issued_on": "2024-01-01",
            "expires_on": "2027-01-01",
            "version": item.version,
        },
    )
    assert response.status_code == 303
    assert load(app, SafeguardingItem, item.id).expires_on == date(2027, 1, 1)
    stale = browser.post(
        f"/volunteers/{volunteer.id}/checks/{item.id}/edit",
        {"issued_on": "2024-01-01", "version": item.version},
    )
    assert stale.status_code == 409
    # an item seen through another volunteer's address does not exist
    assert browser.client.get(f"/volunteers/{other.id}/checks/{item.id}/edit").status_code == 404
    assert (
        browser.client.get(f"/volunteers/{volunteer.id}/checks/{item.id}/remove").status_code == 200
    )
    removed = browser.post(
        f"/volunteers/{volunteer.id}/checks/{item.id}/remove", {"version": item.version + 1}
    )
    assert removed.status_code == 303
    assert load(app, SafeguardingItem, item.id) is None
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == str(volunteer.id))
        ).all()
    assert "safeguarding_item_changed" in actions
    assert "safeguarding_item_removed" in actions
    history = html(browser.client.get(f"/volunteers/{volunteer.id}"))
    assert "Check changed" in history and "Check removed" in history


def test_champion_keeps_a_phone_contacts_availability(app, browser, login_as):
    login_as("champion")
    dave = factories.make_volunteer(preferred_name="Dave")
    meeting = make_meeting(name="Bramley Big Book")
    assert "Bramley Big Book" in html(
        browser.client.get(f"/volunteers/{dave.id}/meetings?q=bramley")
    )
    response = browser.post(
        f"/volunteers/{dave.id}/meetings/add", {"meeting_id": meeting.id, "frequency": "every"}
    )
    assert response.status_code == 303
    response = browser.post(
        f"/volunteers/{dave.id}/availability/windows",
        {"weekday": "1", "start_time": "18:00", "end_time": "21:00"},
    )
    assert response.status_code == 303
    response = browser.post(
        f"/volunteers/{dave.id}/availability/away",
        {
            "first_day": date.today().isoformat(),
            "last_day": (date.today() + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 303
    text = html(browser.client.get(f"/volunteers/{dave.id}"))
    assert "Bramley Big Book" in text and "Tuesday, 6pm to 9pm" in text


# --- the volunteer's own pages ------------------------------------------------------------------


APPLICATION = {
    "preferred_name": "Priya",
    "pronouns": "she/her",
    "gender": "woman",
    "languages": "English, Punjabi, english",
    "home_area": "Headingley",
    "travel_modes": ["walk", "public_transport"],
    "phone": "07700 900982",
    "share_phone": "yes",
    "weekly_cap": "2",
    "accompany_rule": "same_gender",
    "recovery_date": "2021-03-14",
    "code_of_conduct": "y",
}


def test_invited_volunteer_completes_application(app, browser, login_as):
    user = login_as("volunteer")
    home = html(browser.client.get("/volunteer"))
    assert "Complete your application" in home
    page = browser.client.get("/me/application")
    assert page.status_code == 200
    response = browser.post("/me/application", APPLICATION)
    assert response.status_code == 303, html(response)
    with app.app_context():
        volunteer = db.session.scalar(select(Volunteer).where(Volunteer.user_id == user.id))
        assert volunteer.status == "applied"
        assert volunteer.languages == ["English", "Punjabi"]
        assert volunteer.share_phone and volunteer.accompany_rule == "same_gender"
        assert volunteer.recovery_date == date(2021, 3, 14)
        assert volunteer.recovery_confirmed_at is None
        assert volunteer.application_completed_at is not None
        kinds = db.session.scalars(
            select(SafeguardingItem.kind).where(SafeguardingItem.volunteer_id == volunteer.id)
        ).all()
        assert kinds == ["code_of_conduct"]
    home = html(browser.client.get("/volunteer"))
    assert "Thank you for applying" in home
    # later changes keep the record and say so, without agreeing again until renewal is due
    page = html(browser.client.get("/me/application"))
    assert "Your details" in page and 'value="Headingley"' in page
    assert "You agreed to the code of conduct on" in page
    changed = browser.post(
        "/me/application", APPLICATION | {"code_of_conduct": "", "home_area": "Hyde Park"}
    )
    assert changed.status_code == 303, html(changed)
    with app.app_context():
        volunteer = db.session.get(Volunteer, volunteer.id)
        assert volunteer.home_area == "Hyde Park"
        assert volunteer.version == 2


@pytest.mark.parametrize(
    "change, message",
    [
        ({"code_of_conduct": ""}, "Agree to the code of conduct"),
        ({"recovery_date": ""}, "Enter the date your recovery began"),
        ({"weekly_cap": "-1"}, "from 0 to 14"),
        ({"share_phone": "yes", "phone": ""}, "Enter a phone number to share it"),
        ({"travel_modes": []}, "Select at least one way"),
        ({"pronouns": "x" * 41}, "40 characters or fewer"),
    ],
)
def test_application_refuses_bad_input(browser, login_as, change, message):
    login_as("volunteer")
    response = browser.post("/me/application", APPLICATION | change)
    assert response.status_code == 200
    assert message in html(response)
    assert 'value="Priya"' in html(response)


def test_volunteer_home_shows_counts_and_expiring_checks(signed_in_volunteer, client):
    signed_in_volunteer(preferred_name="Priya", expires={"dbs": date.today() + timedelta(days=9)})
    text = html(client.get("/volunteer"))
    assert "Hello Priya" in text
    assert "DBS check expires soon" in text
    assert "Escorts done so far: <strong>0</strong>" in text
    assert "No escorts booked" in text


def test_pause_and_come_back_in_one_click(app, browser, signed_in_volunteer):
    _, volunteer = signed_in_volunteer()
    response = browser.post("/me/pause", {}, page="/volunteer")
    assert response.status_code == 303
    assert load(app, Volunteer, volunteer.id).status == "paused"
    assert "Come back" in html(browser.client.get("/volunteer"))
    response = browser.post("/me/resume", {}, page="/volunteer")
    assert response.status_code == 303
    assert load(app, Volunteer, volunteer.id).status == "approved"


def test_a_volunteer_cannot_undo_a_champions_pause(app, browser, signed_in_volunteer):
    champion = factories.make_user(roles=("champion",))
    _, volunteer = signed_in_volunteer(status="paused", status_changed_by_id=champion.id)
    assert "Talk to your recovery champion" in html(browser.client.get("/volunteer"))
    browser.post("/me/resume", {}, page="/volunteer")
    assert load(app, Volunteer, volunteer.id).status == "paused"


def test_my_meetings_search_and_add_without_javascript(app, browser, signed_in_volunteer):
    _, volunteer = signed_in_volunteer()
    make_meeting(name="Headingley Hope", area="Headingley", weekday=4)
    make_meeting(name="Armley Acceptance", area="Armley", fellowship="NA", weekday=1)
    make_meeting(name="Closed Group", area="Headingley", active=False)
    page = html(browser.client.get("/me/meetings"))
    assert "You have not added any meetings yet" in page
    results = html(browser.client.get("/me/meetings?q=headingley"))
    assert "Headingley Hope" in results
    assert "Armley Acceptance" not in results
    assert "Closed Group" not in results
    assert "Armley Acceptance" in html(browser.client.get("/me/meetings?day=1"))
    fragment = browser.client.get("/me/meetings?q=armley", headers=HX)
    assert "<html" not in html(fragment) and "Armley Acceptance" in html(fragment)
    with app.app_context():
        from portal.meetings.models import Meeting

        hope = db.session.scalar(select(Meeting.id).where(Meeting.name == "Headingley Hope"))
    choose = browser.client.get(f"/me/meetings/add?meeting_id={hope}")
    assert choose.status_code == 200 and "How often do you go?" in html(choose)
    missing_weeks = browser.post("/me/meetings/add", {"meeting_id": hope, "frequency": "some"})
    assert missing_weeks.status_code == 200
    assert "Select the weeks of the month" in html(missing_weeks)
    added = browser.post(
        "/me/meetings/add", {"meeting_id": hope, "frequency": "some", "weeks": ["1", "3"]}
    )
    assert added.status_code == 303
    page = html(browser.client.get("/me/meetings"))
    assert "1st and 3rd Thursday of the month" in page
    again = browser.post("/me/meetings/add", {"meeting_id": hope, "frequency": "every"})
    assert again.status_code == 200 and "already in the list" in html(again)
    with app.app_context():
        row = db.session.scalar(
            select(VolunteerMeeting).where(VolunteerMeeting.volunteer_id == volunteer.id)
        )
    removed = browser.post(f"/me/meetings/{row.id}/remove", {}, page="/me/meetings")
    assert removed.status_code == 303
    assert load(app, VolunteerMeeting, row.id) is None


@pytest.mark.parametrize(
    "data",
    [
        {"meeting_id": "abc", "frequency": "every"},
        {"meeting_id": "99999", "frequency": "every"},
        {"frequency": "every"},
        # found by tests/test_fuzz.py: ids no column holds reached the database (SQLite: 500)
        {"meeting_id": "9223372036854775808", "frequency": "every"},
        {"meeting_id": "-9223372036854775809", "frequency": "every"},
    ],
)
def test_adding_an_unknown_meeting_is_404(browser, signed_in_volunteer, data):
    signed_in_volunteer()
    assert browser.post("/me/meetings/add", data, page="/me/meetings").status_code == 404


def test_adding_meeting_with_forged_weeks(browser, signed_in_volunteer, meeting):
    signed_in_volunteer()
    row = meeting()
    response = browser.post(
        "/me/meetings/add", {"meeting_id": row.id, "frequency": "some", "weeks": ["9", "x"]}
    )
    assert response.status_code == 200
    assert "Select weeks from the list" in html(response)


def test_add_a_window_and_time_away_without_javascript(app, browser, signed_in_volunteer):
    _, volunteer = signed_in_volunteer()
    page = html(browser.client.get("/me/availability"))
    assert "No free times yet" in page
    response = browser.post(
        "/me/availability/windows", {"weekday": "1", "start_time": "18:30", "end_time": "21:00"}
    )
    assert response.status_code == 303
    page = html(browser.client.get("/me/availability"))
    assert "Tuesday</strong>, 6:30pm to 9pm" in page
    first = date.today() + timedelta(days=7)
    response = browser.post(
        "/me/availability/away",
        {"first_day": first.isoformat(), "last_day": (first + timedelta(days=6)).isoformat()},
    )
    assert response.status_code == 303
    with app.app_context():
        window = db.session.scalar(
            select(AvailabilityWindow).where(AvailabilityWindow.volunteer_id == volunteer.id)
        )
        away = db.session.scalar(select(TimeAway).where(TimeAway.volunteer_id == volunteer.id))
    assert away.first_day == first
    assert browser.post(f"/me/availability/windows/{window.id}/remove", {}).status_code == 303
    assert browser.post(f"/me/availability/away/{away.id}/remove", {}).status_code == 303
    assert load(app, AvailabilityWindow, window.id) is None
    assert load(app, TimeAway, away.id) is None


@pytest.mark.parametrize(
    "data, message",
    [
        ({"weekday": "1", "start_time": "21:00", "end_time": "18:00"}, "after the start time"),
        ({"weekday": "1", "start_time": "18:00", "end_time": "18:00"}, "after the start time"),
        ({"weekday": "9", "start_time": "18:00", "end_time": "19:00"}, "Select a day"),
        ({"weekday": "x", "start_time": "18:00", "end_time": "19:00"}, "Select a day"),
        ({"weekday": "1", "start_time": "25:00", "end_time": "19:00"}, "Enter a time"),
        ({"weekday": "1", "start_time": "", "end_time": "19:00"}, "Enter a start time"),
    ],
)
def test_bad_windows_are_refused_by_the_field(browser, signed_in_volunteer, data, message):
    signed_in_volunteer()
    response = browser.post("/me/availability/windows", data)
    assert response.status_code == 200
    assert message in html(response)


@pytest.mark.parametrize(
    "first, last, message",
    [
        (5, 2, "on or after the first day"),
        (-10, -5, "today or later"),
        (None, 2, "Enter the first day"),
    ],
)
def test_bad_time_away_is_refused(browser, signed_in_volunteer, first, last, message):
    signed_in_volunteer()
    today = date.today()
    data = {
        "first_day": (today + timedelta(days=first)).isoformat() if first is not None else "",
        "last_day": (today + timedelta(days=last)).isoformat(),
    }
    response = browser.post("/me/availability/away", data)
    assert response.status_code == 200
    assert message in html(response)


def test_a_volunteer_without_a_record_is_sent_to_the_application(client, login_as):
    login_as("volunteer")
    for path in ("/me/meetings", "/me/availability", "/me/calendar"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.location.endswith("/me/application")


# --- who sees what ----------------------------------------------------------------------------


def test_volunteer_a_cannot_touch_volunteer_bs_rows(app, browser, signed_in_volunteer, meeting):
    other = factories.make_vetted_volunteer(factories.make_user(roles=("volunteer",)))
    row = meeting()
    with factories.context():
        theirs_meeting = VolunteerMeeting(volunteer_id=other.id, meeting_id=row.id)
        theirs_window = AvailabilityWindow(
            volunteer_id=other.id,
            weekday=1,
            start_time=__import__("datetime").time(18),
            end_time=__import__("datetime").time(20),
        )
        theirs_away = TimeAway(volunteer_id=other.id, first_day=date.today(), last_day=date.today())
        db.session.add_all([theirs_meeting, theirs_window, theirs_away])
        db.session.commit()
        ids = (theirs_meeting.id, theirs_window.id, theirs_away.id)
    signed_in_volunteer()
    assert browser.post(f"/me/meetings/{ids[0]}/remove", {}, page="/me/meetings").status_code == 404
    assert browser.post(f"/me/availability/windows/{ids[1]}/remove", {}).status_code == 404
    assert browser.post(f"/me/availability/away/{ids[2]}/remove", {}).status_code == 404
    assert load(app, VolunteerMeeting, ids[0]) is not None
    assert load(app, AvailabilityWindow, ids[1]) is not None
    assert load(app, TimeAway, ids[2]) is not None
    # the champion's addresses for someone else's record are closed to a volunteer
    assert browser.client.get(f"/volunteers/{other.id}").status_code == 403
    assert browser.client.get(f"/volunteers/{other.id}/meetings").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/volunteers/",
        "/volunteers/checks-due",
        "/volunteers/invite",
        "/volunteers/phone-contact",
        "/volunteers/{id}",
        "/volunteers/{id}/edit",
        "/volunteers/{id}/availability",
        "/volunteers/{id}/checks/dbs/new",
        "/me/meetings",
        "/me/availability",
        "/me/application",
        "/me/calendar",
    ],
)
def test_keyworkers_see_none_of_this(client, login_as, path):
    volunteer = factories.make_volunteer()
    login_as("keyworker")
    assert client.get(path.format(id=volunteer.id)).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/volunteers/",
        "/volunteers/checks-due",
        "/volunteers/invite",
        "/volunteers/phone-contact",
        "/volunteers/{id}",
        "/volunteers/{id}/edit",
        "/volunteers/{id}/status/approved",
        "/volunteers/{id}/conflicts",
        "/volunteers/{id}/checks/training/new",
        "/volunteers/{id}/meetings",
        "/volunteers/{id}/availability",
    ],
)
def test_champion_pages_are_closed_to_volunteers(client, signed_in_volunteer, path):
    _, volunteer = signed_in_volunteer()
    assert client.get(path.format(id=volunteer.id)).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/volunteers/",
        "/volunteers/checks-due",
        "/volunteers/invite",
        "/volunteers/phone-contact",
        "/volunteers/{id}",
        "/volunteers/{id}/edit",
        "/volunteers/{id}/status/approved",
        "/volunteers/{id}/conflicts",
        "/volunteers/{id}/checks/training/new",
        "/volunteers/{id}/meetings",
        "/volunteers/{id}/availability",
    ],
)
def test_every_champion_page_renders(client, login_as, path):
    login_as("champion")
    volunteer = factories.make_vetted_volunteer()
    assert client.get(path.format(id=volunteer.id)).status_code == 200


def test_conflict_notes_are_never_shown_to_the_volunteer(client, signed_in_volunteer):
    signed_in_volunteer(conflict_notes="Knows client Z")
    for path in ("/volunteer", "/me/application", "/me/meetings", "/me/availability"):
        assert "Knows client Z" not in html(client.get(path))


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for path in ("/volunteers/", "/me/meetings", "/me/application"):
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.location


def test_nav_links(client, login_as):
    login_as("volunteer")
    text = html(client.get("/volunteer"))
    assert "My meetings" in text and "When I&#39;m free" in text


def test_champion_home_links_to_volunteers(client, login_as):
    login_as("champion")
    assert "/volunteers/checks-due" in html(client.get("/champion"))


def test_renewing_the_code_of_conduct_from_the_home_notice(app, browser, signed_in_volunteer):
    soon = date.today() + timedelta(days=5)
    _, volunteer = signed_in_volunteer(expires={"code_of_conduct": soon})
    home = html(browser.client.get("/volunteer"))
    assert "Code of conduct agreed expires soon" in home
    assert "Read and agree to the code of conduct again" in home
    data = APPLICATION | {"preferred_name": volunteer.preferred_name}
    refused = browser.post("/me/application", data | {"code_of_conduct": ""})
    assert refused.status_code == 200
    assert "Agree to the code of conduct" in html(refused)
    assert browser.post("/me/application", data).status_code == 303
    with app.app_context():
        latest = max(
            db.session.scalars(
                select(SafeguardingItem.expires_on).where(
                    SafeguardingItem.volunteer_id == volunteer.id,
                    SafeguardingItem.kind == "code_of_conduct",
                )
            )
        )
    assert latest > soon + timedelta(days=300)
    assert "expires soon" not in html(browser.client.get("/volunteer"))
