"""Districts, places, distances in words, volunteers' facts, and the pages that use them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.accompaniment.volunteer_loading import load_volunteer_facts
from portal.errors import InvalidChange
from portal.extensions import db
from portal.geography.places import (
    about_km,
    check_district,
    distances_km,
    find_place,
    tidy_district,
)
from portal.meetings.models import Meeting
from portal.volunteers.facts import volunteer_facts
from portal.volunteers.models import Volunteer

from .. import factories

HX = {"HX-Request": "true"}


def html(response) -> str:
    return response.get_data(as_text=True)


# --- districts and places -------------------------------------------------------------------


def test_districts_are_tidied_and_checked_by_shape_without_a_directory(app) -> None:
    assert tidy_district(" qx6 ") == "QX6"
    assert tidy_district("SW1A") == "SW1A"
    assert tidy_district("QX6 1AA") is None
    assert tidy_district("\x00") is None
    assert tidy_district(None) is None
    with app.app_context():
        assert check_district("ls6") == "LS6"  # no directory: any district's shape will do
        assert check_district("  ") is None
        with pytest.raises(InvalidChange, match="only the first part") as error:
            check_district("LS6 3AB")
        assert error.value.field == "home_district"
        for hostile in ("x" * 500, "LS6\x00", "<b>", "12"):
            with pytest.raises(InvalidChange, match="postcode district"):
                check_district(hostile)


def test_with_a_directory_a_district_must_exist(app, directory) -> None:
    with app.app_context():
        assert check_district("qx6") == "QX6"
        with pytest.raises(InvalidChange, match="no postcode district LS6"):
            check_district("LS6")


def test_find_place_by_postcode_or_district(app, directory) -> None:
    with app.app_context():
        place = find_place("qx14ab")
        assert (place.label, place.latitude, place.is_district) == ("QX1 4AB", 52.8012, False)
        assert find_place("QX6").is_district
        with pytest.raises(InvalidChange, match="No postcode QX1 9ZZ"):
            find_place("QX1 9ZZ")
        with pytest.raises(InvalidChange, match="no postcode district QX7"):
            find_place("QX7")
        with pytest.raises(InvalidChange, match="Enter a postcode"):
            find_place("nowhere")


def test_without_a_directory_places_are_unknown(app) -> None:
    with app.app_context():
        assert find_place("QX1 4AB") is None
        with pytest.raises(InvalidChange):
            find_place("???")


def test_distances_in_words() -> None:
    assert about_km(2.345) == "About 2.3 km"
    assert about_km(0.01) == "Under 0.1 km"
    assert about_km(None) == "Distance unknown"
    km = distances_km(52.8012, -1.2043, [(52.8012, -1.2043), None, (52.8912, -1.2043)])
    assert km[0] == 0.0 and km[1] is None and km[2] == pytest.approx(10.0, abs=0.02)


# --- volunteers -------------------------------------------------------------------------------


def test_volunteer_facts_carry_the_district_centre_and_travel(app, directory) -> None:
    near = factories.make_volunteer(home_district="QX6", travel_modes="walk car")
    nowhere = factories.make_volunteer(home_district=None)
    with app.app_context():
        for facts in (volunteer_facts(), load_volunteer_facts([near.id, nowhere.id])):
            assert facts[near.id].lat == pytest.approx(52.861)
            assert facts[near.id].lon == pytest.approx(-1.262)
            assert facts[near.id].travel_modes == frozenset({"walk", "car"})
            assert facts[nowhere.id].lat is None and facts[nowhere.id].lon is None


def test_champion_sets_a_volunteers_district_upper_case(app, browser, login_as, directory):
    login_as("champion")
    volunteer = factories.make_volunteer(preferred_name="Dave")
    page = browser.client.get(f"/volunteers/{volunteer.id}/edit")
    assert 'name="home_district"' in html(page)
    data = {
        "preferred_name": "Dave",
        "gender": "man",
        "languages": "English",
        "home_area": "Kelby",
        "travel_modes": ["car"],
        "phone": "07700 900123",
        "share_phone": "no",
        "weekly_cap": "1",
        "accompany_rule": "anyone",
        "version": str(volunteer.version),
    }
    refused = browser.post(f"/volunteers/{volunteer.id}/edit", data | {"home_district": "QX61AA"})
    assert refused.status_code == 200
    assert "Enter only the first part of" in html(refused)
    unknown = browser.post(f"/volunteers/{volunteer.id}/edit", data | {"home_district": "LS6"})
    assert "There is no postcode district LS6" in html(unknown)
    hostile = browser.post(f"/volunteers/{volunteer.id}/edit", data | {"home_district": "\x00" * 9})
    assert hostile.status_code == 200
    saved = browser.post(f"/volunteers/{volunteer.id}/edit", data | {"home_district": "qx6"})
    assert saved.status_code == 303, html(saved)
    with app.app_context():
        assert db.session.get(Volunteer, volunteer.id).home_district == "QX6"
    assert "QX6" in html(browser.client.get(f"/volunteers/{volunteer.id}"))


# --- meetings ---------------------------------------------------------------------------------


def _three_meetings():
    factories.make_meeting(name="Village Group", postcode="QX6 1AA")
    factories.make_meeting(
        name="Town Group", postcode="QX1 4AB", latitude=52.8012, longitude=-1.2043
    )
    factories.make_meeting(
        name="Online Group",
        attendance="online",
        postcode=None,
        online_url="https://example.org/join",
        venue=None,
        address=None,
    )


def test_meeting_search_sorts_nearest_first_with_distances(app, client, login_as, directory):
    _three_meetings()
    with app.app_context():  # made after the load: placed by the next fill (an import's)
        from portal.meetings.places import fill_meeting_points

        fill_meeting_points()
        db.session.commit()
    login_as("keyworker")
    page = html(client.get("/meetings?near=qx6"))
    assert "Nearest to QX6 first" in page
    assert page.index("Village Group") < page.index("Town Group") < page.index("Online Group")
    assert "About 0.2 km from QX6" in page and "About 7.7 km from QX6" in page
    town_first = html(client.get("/meetings?near=QX1+4AB"))
    assert town_first.index("Town Group") < town_first.index("Village Group")
    assert "Under 0.1 km from QX1 4AB" in town_first
    fragment = client.get("/meetings?near=QX6", headers={"HX-Request": "true"})
    assert "<html" not in html(fragment) and "About 7.7 km" in html(fragment)
    printed = html(client.get("/meetings/print?near=QX6"))
    assert "Nearest to QX6 first" in printed and "About 7.7 km from QX6" in printed
    csv_text = html(client.get("/meetings.csv?near=QX6"))
    assert csv_text.index("Village Group") < csv_text.index("Town Group")


def test_an_unknown_postcode_is_an_error_by_the_field(app, client, login_as, directory):
    _three_meetings()
    login_as("keyworker")
    response = client.get("/meetings?near=QX7+1AA")
    assert response.status_code == 200
    page = html(response)
    assert 'id="near-error"' in page and "No postcode QX7 1AA in the postcode directory" in page
    assert "Meetings are listed in the usual order" in page
    for hostile in ("\x00", "x" * 5000, "<script>", "'; drop table meetings; --"):
        assert client.get("/meetings", query_string={"near": hostile}).status_code == 200


def test_without_a_directory_distances_are_unknown(app, client, login_as):
    _three_meetings()
    login_as("keyworker")
    page = html(client.get("/meetings?near=QX6"))
    assert "Distances are unknown: no postcode directory is loaded" in page
    assert "Village Group" in page and "km from" not in page


def test_a_champion_meeting_without_a_point_gets_the_directorys(app, directory):
    from datetime import time

    from portal.meetings.directory import create_meeting, update_meeting

    with app.app_context():
        values = {
            "name": "Riverside Group",
            "fellowship_id": factories.fellowship_id("AA"),
            "weekday": 2,
            "start_time": time(19),
            "end_time": time(20),
            "attendance": "in_person",
            "postcode": "qx2 7rt",
        }
        meeting = create_meeting(values, None)
        assert (meeting.latitude, meeting.located_from_directory) == (52.7968, True)
        # a new postcode moves the directory's point; the champion's own point stays
        update_meeting(
            meeting,
            values | {"postcode": "QX3 1NG", "latitude": 52.7968, "longitude": -1.1981},
            None,
            meeting.version,
        )
        assert meeting.latitude == 52.8091
        update_meeting(
            meeting, values | {"latitude": 52.1, "longitude": -1.1}, None, meeting.version
        )
        assert (meeting.latitude, meeting.located_from_directory) == (52.1, False)
        assert db.session.scalar(select(Meeting.latitude).where(Meeting.id == meeting.id)) == 52.1


# --- the admin page ---------------------------------------------------------------------------


def test_admin_page_without_and_with_a_directory(app, client, login_as, tmp_path):
    login_as("admin")
    empty = html(client.get("/admin/postcodes"))
    assert "No postcode directory is loaded" in empty
    assert "flask --app portal postcodes load PATH" in empty
    from portal.geography.loader import load_directory

    from .files import write_csv

    with app.app_context():
        load_directory(write_csv(tmp_path / "NSPL_FEB_2024_UK.csv"))
    page = html(client.get("/admin/postcodes"))
    assert "A postcode directory is loaded" in page
    assert "February 2024" in page and "NSPL_FEB_2024_UK.csv" in page
    assert "6 (from 8 rows)" in page
    assert "Postcode directory" in html(client.get("/admin/"))


# --- clients ----------------------------------------------------------------------------------


def test_a_clients_record_holds_a_district_never_a_full_postcode(app, browser, login_as, directory):
    keyworker = login_as("keyworker")
    made = factories.make_client(keyworker)
    edit = f"/clients/{made.id}/edit"
    assert 'name="home_district"' in html(browser.client.get(edit))
    data = {"reference": made.reference, "first_name": "Rae", "gender": "woman", "version": "1"}
    full = browser.post(edit, data | {"home_district": "QX61AA"})
    assert full.status_code == 200 and "Enter only the first part of the postcode" in html(full)
    unknown = browser.post(edit, data | {"home_district": "ZZ9"})
    assert "There is no postcode district ZZ9" in html(unknown)
    hostile = browser.post(edit, data | {"home_district": "\x00" * 20})
    assert hostile.status_code == 200
    assert browser.post(edit, data | {"home_district": "qx6"}).status_code == 303
    from portal.clients.models import Client

    with app.app_context():
        assert db.session.get(Client, made.id).home_district == "QX6"
    assert "QX6" in html(browser.client.get(f"/clients/{made.id}"))


def test_keyworker_sorts_the_picker_by_distance_from_the_clients_district(
    app, browser, login_as, directory
):
    keyworker = login_as("keyworker")
    made = factories.make_client(keyworker, last_session_kind=1, home_district="QX6")
    factories.make_meeting(name="Alpha Town Group", latitude=52.8012, longitude=-1.2043)
    factories.make_meeting(name="Zeta Village Group", latitude=52.8610, longitude=-1.2620)
    url = f"/clients/{made.id}/sessions/new/2"
    page = html(browser.client.get(url))
    assert "Nearest to the client&#39;s district (QX6) first" in page
    by_name = html(browser.post(url, {"find": "1", "meeting_q": "group"}, headers=HX))
    assert by_name.index("Alpha Town") < by_name.index("Zeta Village") and "km from" not in by_name
    near = browser.post(
        url, {"find": "1", "meeting_q": "group", "meeting_order": "near"}, headers=HX
    )
    text = html(near)
    assert near.status_code == 200 and "<html" not in text
    assert text.index("Zeta Village") < text.index("Alpha Town")
    assert re.findall(r"(?:About|Under) [0-9.]+ km from QX6", text) == [
        "Under 0.1 km from QX6",
        "About 7.7 km from QX6",
    ]
    odd = browser.post(url, {"find": "1", "meeting_order": "\x00" * 30}, headers=HX)
    assert odd.status_code == 200


def test_picker_says_distances_are_unknown_without_a_directory(app, browser, login_as):
    keyworker = login_as("keyworker")
    made = factories.make_client(keyworker, last_session_kind=1, home_district="QX6")
    factories.make_meeting(name="Alpha Town Group", latitude=52.8012, longitude=-1.2043)
    url = f"/clients/{made.id}/sessions/new/2"
    text = html(browser.post(url, {"find": "1", "meeting_order": "near"}, headers=HX))
    assert "Distances are unknown" in text and "Alpha Town Group" in text
