"""The champion's lists load in the same number of queries for a few volunteers or many."""

from __future__ import annotations

from datetime import date, timedelta

from .. import factories
from ..querycount import count_queries


def _queries(app, client, path: str) -> int:
    with count_queries(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def _volunteers(count: int) -> None:
    for number in range(count):
        factories.make_vetted_volunteer(
            languages=["English", f"Language {number}"],
            fellowships=["AA", "NA"],
            expires={"dbs": date.today() + timedelta(days=number % 20)},
        )


def test_volunteer_list_and_checks_due_do_not_grow(app, login_as, client):
    login_as("champion")
    _volunteers(3)
    small = {
        path: _queries(app, client, path) for path in ("/volunteers/", "/volunteers/checks-due")
    }
    _volunteers(30)
    for path, count in small.items():
        assert _queries(app, client, path) == count, path


def test_volunteer_page_does_not_grow_with_history(app, login_as, client, browser):
    login_as("champion")
    volunteer = factories.make_vetted_volunteer()
    small = _queries(app, client, f"/volunteers/{volunteer.id}")
    for number in range(10):
        factories.make_safeguarding_item(
            volunteer, "training", issued_on=date.today() - timedelta(days=number)
        )
    assert _queries(app, client, f"/volunteers/{volunteer.id}") == small
