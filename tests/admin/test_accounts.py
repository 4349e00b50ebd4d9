"""The admin's account screens: invite, find, change roles, deactivate, reactivate, resend."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.auth.models import User
from portal.extensions import db
from portal.notify.services import deliver_due

from ..conftest import Browserless
from ..factories import make_user


def _user(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return user.id, sorted(user.roles), user.active, user.version


def test_invite_sends_a_link_that_sets_a_password(app, login_as, browser, smtp_server):
    login_as("admin")
    response = browser.post(
        "/admin/accounts/invite",
        {"name": "Robin", "email": "Robin@Example.org", "roles": ["keyworker", "champion"]},
    )
    assert response.status_code == 303
    user_id, roles, active, _ = _user(app, "robin@example.org")
    assert roles == ["champion", "keyworker"]
    with app.app_context():
        deliver_due()
    message = smtp_server.to("robin@example.org")[-1]
    assert "invited" in message["Subject"]
    link = urlsplit(smtp_server.link_in_last("robin@example.org")).path
    newcomer = Browserless(app.test_client())
    page = newcomer.client.get(link)
    assert "Welcome, Robin" in page.get_data(as_text=True)
    new = "robins own passphrase now"
    saved = newcomer.post(link, {"password": new, "confirm": new})
    # a champion's account needs an app: setting it up comes before anything else
    assert saved.status_code == 303 and saved.location.endswith("/sign-in/set-up")
    assert newcomer.client.get("/", follow_redirects=True).request.path == "/sign-in"
    codes, _ = newcomer.set_up_app()
    assert codes.status_code == 200 and "Your recovery codes" in codes.get_data(as_text=True)
    assert newcomer.client.get("/", follow_redirects=True).request.path == "/champion"
    assert newcomer.client.get(link).status_code == 410


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "email": "a@example.org", "roles": ["keyworker"]}, "Enter their name"),
        ({"name": "A", "email": "not-an-email", "roles": ["keyworker"]}, "correct format"),
        ({"name": "A", "email": "a@example.org"}, "Select at least one role"),
        (
            {"name": "A", "email": "a@example.org", "roles": ["superuser"]},
            "Select roles from the list",
        ),
        ({"name": "x" * 101, "email": "a@example.org", "roles": ["keyworker"]}, "100 characters"),
    ],
)
def test_invite_form_errors_are_by_the_field(app, login_as, browser, data, message):
    login_as("admin")
    response = browser.post("/admin/accounts/invite", data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert "There is a problem" in html
    assert "<title>Error:" in html
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "a@example.org")) is None


def test_inviting_an_existing_address_is_refused(app, login_as, browser):
    login_as("admin")
    make_user(email="taken@example.org")
    response = browser.post(
        "/admin/accounts/invite",
        {"name": "T", "email": "taken@example.org", "roles": ["volunteer"]},
    )
    assert "already exists" in response.get_data(as_text=True)


def test_search_and_filter_accounts(app, login_as, client):
    login_as("admin")
    make_user(name="Jordan Keyworker", roles=("keyworker",))
    make_user(name="Jamie Volunteer", roles=("volunteer",), email="jamie@example.org")
    make_user(name="Gone Person", active=False)
    html = client.get("/admin/accounts?q=jamie").get_data(as_text=True)
    assert "Jamie Volunteer" in html and "Jordan" not in html
    html = client.get("/admin/accounts?role=keyworker").get_data(as_text=True)
    assert "Jordan Keyworker" in html and "Jamie" not in html
    html = client.get("/admin/accounts?status=deactivated").get_data(as_text=True)
    assert "Gone Person" in html and "Jordan" not in html
    html = client.get("/admin/accounts?q=zzzz").get_data(as_text=True)
    assert "No accounts match" in html


@pytest.mark.parametrize("query", ["q=%00", "q=jamie%00", "q=%00&role=%00&status=%00"])
def test_account_search_with_a_nul_byte_is_harmless(login_as, client, query):
    # found by tests/test_fuzz.py: the search words reached PostgreSQL with NUL in them (500)
    login_as("admin")
    make_user(name="Jamie Volunteer", roles=("volunteer",), email="jamie@example.org")
    response = client.get(f"/admin/accounts?{query}")
    assert response.status_code == 200
    if "jamie" in query:
        assert "Jamie Volunteer" in response.get_data(as_text=True)


def test_account_list_is_paginated(app, login_as, client):
    login_as("admin")
    for i in range(30):
        make_user(name=f"Bulk {i:02d}")
    first = client.get("/admin/accounts?q=bulk").get_data(as_text=True)
    assert "30 accounts" in first and "Page 2 of 2" in first
    second = client.get("/admin/accounts?q=bulk&page=2").get_data(as_text=True)
    assert "Bulk 29" in second and "Bulk 00" not in second
    assert client.get("/admin/accounts?page=abc").status_code == 200
    assert client.get("/admin/accounts?page=-5").status_code == 200


def test_change_roles(app, login_as, browser):
    login_as("admin")
    target = make_user(roles=("keyworker",))
    _, _, _, version = _user(app, target.email)
    response = browser.post(
        f"/admin/accounts/{target.id}/roles",
        {"roles": ["volunteer", "champion"], "version": version},
        page=f"/admin/accounts/{target.id}",
    )
    assert response.status_code == 303
    assert _user(app, target.email)[1] == ["champion", "volunteer"]
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "account_roles_changed")
        )
    assert '"after": ["champion", "volunteer"]' in event.detail


def test_a_stale_roles_form_gets_a_conflict_not_an_overwrite(app, login_as, browser):
    login_as("admin")
    target = make_user(roles=("keyworker",))
    page = f"/admin/accounts/{target.id}"
    _, _, _, version = _user(app, target.email)
    browser.post(f"{page}/roles", {"roles": ["volunteer"], "version": version}, page=page)
    stale = browser.post(f"{page}/roles", {"roles": ["admin"], "version": version}, page=page)
    assert stale.status_code == 409
    assert "changed this account while you were looking" in stale.get_data(as_text=True)
    assert _user(app, target.email)[1] == ["volunteer"]


def test_an_admin_cannot_remove_their_own_admin_role(app, login_as, browser):
    me = login_as("admin")
    page = f"/admin/accounts/{me.id}"
    _, _, _, version = _user(app, me.email)
    response = browser.post(
        f"{page}/roles", {"roles": ["keyworker"], "version": version}, page=page
    )
    assert "cannot remove your own admin role" in response.get_data(as_text=True)
    assert _user(app, me.email)[1] == ["admin"]


def test_deactivate_asks_first_then_ends_every_session(app, login_as, browser):
    login_as("admin")
    target = make_user(email="leaver@example.org")
    their_browser = Browserless(app.test_client())
    their_browser.sign_in("leaver@example.org")
    confirm = browser.client.get(f"/admin/accounts/{target.id}/deactivate")
    assert "Deactivate Person" in confirm.get_data(as_text=True)
    assert _user(app, "leaver@example.org")[2] is True  # GET changed nothing
    _, _, _, version = _user(app, target.email)
    response = browser.post(f"/admin/accounts/{target.id}/deactivate", {"version": version})
    assert response.status_code == 303
    assert _user(app, "leaver@example.org")[2] is False
    assert their_browser.client.get("/keyworker").status_code == 302
    assert their_browser.sign_in("leaver@example.org").status_code == 200

    _, _, _, version = _user(app, target.email)
    page = f"/admin/accounts/{target.id}"
    browser.post(f"{page}/reactivate", {"version": version}, page=page)
    assert _user(app, "leaver@example.org")[2] is True
    assert their_browser.sign_in("leaver@example.org").status_code == 303


@pytest.mark.parametrize("version", [str(2**63), str(2**70), str(-(2**40))])
def test_a_version_no_column_can_hold_is_refused_by_the_form(app, login_as, browser, version):
    # found by tests/test_fuzz.py: the number reached the database (SQLite: OverflowError, 500)
    login_as("admin")
    target = make_user(email="stays@example.org")
    response = browser.post(f"/admin/accounts/{target.id}/deactivate", {"version": version})
    assert response.status_code == 200  # the confirmation page again, nothing done
    assert _user(app, "stays@example.org")[2] is True


def test_an_admin_cannot_deactivate_themselves(app, login_as, browser):
    me = login_as("admin")
    _, _, _, version = _user(app, me.email)
    response = browser.post(
        f"/admin/accounts/{me.id}/deactivate", {"version": version}, follow_redirects=True
    )
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    assert _user(app, me.email)[2] is True


def test_resend_invitation_replaces_the_link(app, login_as, browser, smtp_server):
    login_as("admin")
    browser.post(
        "/admin/accounts/invite",
        {"name": "Lee", "email": "lee@example.org", "roles": ["volunteer"]},
    )
    user_id, _, _, version = _user(app, "lee@example.org")
    page = f"/admin/accounts/{user_id}"
    assert "Send a new invitation" in browser.client.get(page).get_data(as_text=True)
    browser.post(f"{page}/resend", {"version": version}, page=page)
    with app.app_context():
        deliver_due()
    first, second = smtp_server.to("lee@example.org")
    from ..mail import LINK_RE

    old = urlsplit(LINK_RE.search(smtp_server.text(first)).group(0)).path
    new = urlsplit(LINK_RE.search(smtp_server.text(second)).group(0)).path
    assert browser.client.get(old).status_code == 410
    assert browser.client.get(new).status_code == 200


def test_unknown_account_is_404(login_as, client):
    login_as("admin")
    assert client.get("/admin/accounts/99999").status_code == 404


def test_a_role_cannot_be_set_by_adding_a_field(app, login_as, browser):
    login_as("keyworker")
    browser.post("/account/password", {"roles": "admin", "current_password": "x"})
    target = make_user(roles=("keyworker",))
    response = browser.post(
        f"/admin/accounts/{target.id}/roles", {"roles": ["admin"], "version": 1}, page="/keyworker"
    )
    assert response.status_code == 403
    assert _user(app, target.email)[1] == ["keyworker"]
