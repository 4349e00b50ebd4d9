"""The data-protection pages: finding a person, retention, who may use them, hostile input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.clients.models import Client
from portal.extensions import db

from ..factories import make_client, make_volunteer


def test_find_a_client_by_reference_and_a_volunteer_by_name(app, login_as, client):
    person = make_client(reference="CM-77001")
    make_client(reference="CM-88001")
    volunteer = make_volunteer(preferred_name="Bernadette")
    login_as("admin")
    html = client.get("/admin/data-protection?kind=client&q=cm-77").get_data(as_text=True)
    assert "CM-77001" in html and "CM-88001" not in html
    assert f"/admin/data-protection/client/{person.id}/erase" in html
    html = client.get("/admin/data-protection?kind=volunteer&q=berna").get_data(as_text=True)
    assert f"Bernadette (volunteer {volunteer.id})" in html
    html = client.get(f"/admin/data-protection?kind=volunteer&q={volunteer.id}").get_data(
        as_text=True
    )
    assert "Bernadette" in html
    assert "Nobody matches" in client.get("/admin/data-protection?kind=client&q=%25").get_data(
        as_text=True
    )


def test_the_search_answers_htmx_with_the_results_only(app, login_as, client):
    make_client(reference="CM-55501")
    login_as("admin")
    response = client.get(
        "/admin/data-protection?kind=client&q=CM-555", headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    assert "<html" not in html and "CM-55501" in html and 'id="people-results"' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=client&q=CM%00", "Remove the unusual characters"),
        ("kind=client&q=" + "x" * 61, "60 characters or fewer"),
        ("kind=nobody&q=CM", "Not a valid choice"),
        ("kind=client&q=", "Enter a reference, name or number"),
    ],
)
def test_hostile_searches_are_explained(app, login_as, client, query, message):
    login_as("admin")
    response = client.get(f"/admin/data-protection?{query}")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/data-protection/client/999999",
        "/admin/data-protection/volunteer/999999.json",
        "/admin/data-protection/client/999999/erase",
        "/admin/data-protection/clients/1",
        "/admin/data-protection/users/1",
        "/admin/data-protection/client/abc",
    ],
)
def test_unknown_people_are_not_found(app, login_as, client, path):
    login_as("admin")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("role", ["keyworker", "volunteer", "champion"])
def test_only_admins_may_use_data_protection(app, login_as, client, browser, role):
    person = make_client()
    login_as(role)
    for path in (
        "/admin/data-protection",
        "/admin/data-protection/retention",
        f"/admin/data-protection/client/{person.id}",
        f"/admin/data-protection/client/{person.id}.json",
        f"/admin/data-protection/client/{person.id}/erase",
    ):
        assert client.get(path).status_code == 403, path
    response = browser.post(
        f"/admin/data-protection/client/{person.id}/erase",
        {"confirmation": person.reference, "checked": "y"},
        page="/",
    )
    assert response.status_code == 403


def test_the_retention_page_lists_who_is_due_and_anonymises_them(app, login_as, browser):
    due = make_client(status="closed", closed_at=datetime.now(UTC) - timedelta(days=800))
    make_client(status="closed", closed_at=datetime.now(UTC) - timedelta(days=30))
    login_as("admin")
    home = browser.client.get("/admin/data-protection").get_data(as_text=True)
    assert "1 person is past their retention period" in home
    page = browser.client.get("/admin/data-protection/retention").get_data(as_text=True)
    assert f"Client {due.reference}" in page and "Anonymise these 1 now" in page
    response = browser.post("/admin/data-protection/retention", {})
    assert response.status_code == 303
    follow = browser.client.get("/admin/data-protection/retention").get_data(as_text=True)
    assert "Anonymised 1 clients and 0 volunteers." in follow and "Nobody is due." in follow
    with app.app_context():
        assert (
            db.session.scalar(select(Client.reference).where(Client.id == due.id))
            == f"ANON-{due.id}"
        )


def test_the_admin_navigation_links_to_data_protection(app, login_as, client):
    login_as("admin")
    html = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/data-protection"' in html and 'href="/reports/"' in html
