"""A domain error no view catches is answered with its own page and status, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from types import SimpleNamespace

import pytest
from flask import Flask, abort
from jinja2 import StrictUndefined

from portal import create_app
from portal.errors import Conflict, DomainError, InvalidChange, NotAllowed, NotFound
from portal.extensions import db
from portal.volunteers.models import AvailabilityWindow
from portal.web import public

from . import factories
from .conftest import without_form_tokens

HX = {"HX-Request": "true"}
PROBLEM = "Sorry, there is a problem with the service"

# error raised, its status, and words its page must show
CASES = {
    "not-found": (NotFound("No such secret thing"), 404, "Page not found"),
    "not-allowed": (NotAllowed("Only a champion can"), 403, "You do not have access to this page"),
    "conflict": (
        Conflict("Someone else changed this request first. Reload it."),
        409,
        "This changed while you were looking",
    ),
    "invalid": (
        InvalidChange("Choose a date after today", field="when"),
        400,
        "Something in that request was not right",
    ),
}


def _raiser(error: DomainError):
    def view() -> str:
        raise error

    return view


def _aborter(code: int):
    def view() -> str:
        abort(code)

    return view


@pytest.fixture
def raising_app(app_config: dict) -> Iterator[Flask]:
    """The real app plus public views that raise each domain error (or abort) and catch nothing."""
    app = create_app(app_config)
    app.jinja_env.undefined = StrictUndefined
    for name, (error, status, _words) in CASES.items():
        app.add_url_rule(f"/raise/{name}", f"raise_{name}", public(_raiser(error)))
        app.add_url_rule(f"/abort/{status}", f"abort_{status}", public(_aborter(status)))
    yield app
    with app.app_context():
        db.engine.dispose()


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
@pytest.mark.parametrize("name", CASES)
def test_an_uncaught_domain_error_gets_its_status_page(raising_app, name, headers):
    error, status, words = CASES[name]
    response = raising_app.test_client().get(f"/raise/{name}", headers=headers)
    assert response.status_code == status
    assert words in text(response)
    assert PROBLEM not in text(response)


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
@pytest.mark.parametrize("name", ["not-found", "not-allowed"])
def test_404_and_403_read_exactly_as_an_abort_does(raising_app, name, headers):
    """Nothing in the answer tells a refused id from one that never existed."""
    _error, status, _words = CASES[name]
    client = raising_app.test_client()
    raised = client.get(f"/raise/{name}", headers=headers)
    aborted = client.get(f"/abort/{status}", headers=headers)
    assert (raised.status_code, without_form_tokens(text(raised))) == (
        aborted.status_code,
        without_form_tokens(text(aborted)),
    )
    assert "No such secret thing" not in text(raised)


@pytest.mark.parametrize("name", ["conflict", "invalid"])
def test_a_conflict_or_refusal_page_says_what_happened(raising_app, name):
    error, _status, _words = CASES[name]
    assert error.message in text(raising_app.test_client().get(f"/raise/{name}"))


def test_each_domain_error_carries_its_status():
    assert [NotFound.status, NotAllowed.status, Conflict.status, InvalidChange.status] == [
        404,
        403,
        409,
        400,
    ]


# --- through real views, which no longer translate the errors themselves -----------------------


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_an_unknown_volunteer_is_the_404_page(login_as, client, headers):
    login_as("champion")
    response = client.get("/volunteers/999999", headers=headers)
    assert response.status_code == 404
    assert "Page not found" in text(response)


def test_unknown_meeting_account_and_calendar_link_are_404_pages(login_as, client):
    login_as("admin")
    for url in ("/meetings/999999", "/admin/accounts/999999", "/calendar/not-a-token.ics"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in text(response), url


def test_a_volunteer_removing_someone_elses_time_gets_the_404_page(app, login_as, browser):
    factories.make_volunteer(user=login_as("volunteer"))
    window = factories.make_window(factories.make_volunteer(), 1, time(18), time(20))
    response = browser.post(f"/me/availability/windows/{window.id}/remove", {}, page="/meetings")
    assert response.status_code == 404
    assert "Page not found" in text(response)
    with app.app_context():
        assert db.session.get(AvailabilityWindow, window.id) is not None


def test_a_refusal_from_a_real_service_is_the_403_page(login_as, client, monkeypatch):
    def refuse(*args: object) -> None:
        raise NotAllowed("Only a recovery champion can do this")

    monkeypatch.setattr("portal.volunteers.services.get_volunteer", refuse)
    login_as("champion")
    response = client.get("/volunteers/1")
    assert response.status_code == 403
    assert "You do not have access to this page" in text(response)


def test_a_conflict_in_a_real_view_that_does_not_catch_it_is_the_409_page(
    login_as, browser, monkeypatch
):
    def changed(*args: object) -> None:
        raise Conflict("Someone else changed this meeting while you were looking. Reload it.")

    meeting = factories.make_meeting()
    monkeypatch.setattr("portal.meetings.services.mark_meeting_checked", changed)
    login_as("champion")
    response = browser.post(f"/meetings/{meeting.id}/checked", {}, page=f"/meetings/{meeting.id}")
    assert response.status_code == 409
    assert "This changed while you were looking" in text(response)
    assert "Reload it." in text(response)


def test_an_uncaught_invalid_change_in_a_real_view_is_the_400_page(login_as, browser, monkeypatch):
    def refuse(*args: object) -> None:
        raise InvalidChange("This import cannot be discarded now")

    monkeypatch.setattr("portal.meetings.services.discard_import", refuse)
    previewed = SimpleNamespace(id="anything", status="previewed")
    monkeypatch.setattr("portal.meetings.services.get_import", lambda *args: previewed)
    login_as("champion")
    response = browser.post("/meetings/import/anything/discard", {}, page="/meetings")
    assert response.status_code == 400
    assert "This import cannot be discarded now" in text(response)
