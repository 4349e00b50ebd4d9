"""The accounts list loads in the same number of queries for 5 accounts or 60."""

from ..factories import make_user
from ..querycount import count_queries


def _queries(app, client) -> int:
    with count_queries(app) as statements:
        assert client.get("/admin/accounts").status_code == 200
    return len(statements)


def test_accounts_page_query_count_does_not_grow(app, login_as, client):
    login_as("admin")
    for _ in range(4):
        make_user(roles=("keyworker", "volunteer"))
    small = _queries(app, client)
    for _ in range(56):
        make_user(roles=("champion",))
    assert _queries(app, client) == small
