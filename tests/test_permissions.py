"""Every endpoint declares who may use it; this table is the reviewed list of those rules.

Adding an endpoint without adding it here fails the first test, so no route ships with an
access rule nobody looked at. The other tests try each role on each simple GET page.
"""

from __future__ import annotations

import pytest

from portal.web import PUBLIC, SIGNED_IN, access_of

ALL_ROLES = ("keyworker", "volunteer", "champion", "admin")
KW, VOL, CH, AD = (frozenset({r}) for r in ALL_ROLES)

EXPECTED: dict[str, str | frozenset[str]] = {
    "static": PUBLIC,
    "system.healthz": PUBLIC,
    "auth.sign_in": PUBLIC,
    "auth.forgot_password": PUBLIC,
    "auth.reset_password": PUBLIC,
    "auth.accept_invitation": PUBLIC,
    "auth.sign_out": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "home.index": SIGNED_IN,
    "home.keyworker": KW,
    "home.volunteer": VOL,
    "home.champion": CH,
    "admin.home": AD,
    "admin.accounts_list": AD,
    "admin.invite": AD,
    "admin.account": AD,
    "admin.change_roles": AD,
    "admin.deactivate": AD,
    "admin.reactivate": AD,
    "admin.resend_invitation": AD,
}


def test_every_endpoint_has_a_reviewed_access_rule(app):
    registered = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(registered - EXPECTED.keys())
    assert not missing, f"add these endpoints to EXPECTED with the roles allowed: {missing}"
    stale = sorted(EXPECTED.keys() - registered)
    assert not stale, f"these endpoints no longer exist: {stale}"
    with app.test_request_context():
        wrong = {
            endpoint: access_of(endpoint)
            for endpoint, expected in EXPECTED.items()
            if access_of(endpoint) != expected
        }
    assert not wrong, f"access rules differ from the reviewed table: {wrong}"


def _simple_get_endpoints(app) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
            found.append((rule.endpoint, rule.rule))
    return sorted(found)


def test_signed_out_visitors_reach_only_public_pages(app, client):
    for endpoint, path in _simple_get_endpoints(app):
        response = client.get(path)
        if EXPECTED[endpoint] == PUBLIC:
            assert response.status_code != 302 or "/sign-in" not in response.location, endpoint
        else:
            assert response.status_code == 302, endpoint
            assert response.location.startswith("/sign-in"), endpoint


@pytest.mark.parametrize("role", ALL_ROLES)
def test_each_role_is_refused_what_it_may_not_use(app, login_as, client, role):
    login_as(role)
    for endpoint, path in _simple_get_endpoints(app):
        access = EXPECTED[endpoint]
        response = client.get(path)
        if access in (PUBLIC, SIGNED_IN) or role in access:
            assert response.status_code in (200, 302, 303), (endpoint, response.status_code)
        else:
            assert response.status_code == 403, (endpoint, response.status_code)


def test_an_endpoint_without_a_marker_is_nobodys(app, login_as, client):
    @app.route("/forgotten")
    def forgotten():
        return "should never be seen"

    login_as("admin")
    assert client.get("/forgotten").status_code == 404
