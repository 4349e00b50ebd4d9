"""Password rules, invitations and resets through a real SMTP conversation, and the throttle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from portal.audit import utcnow
from portal.auth import services
from portal.auth.models import SignInFailure, User
from portal.auth.passwords import password_problem, verify_password
from portal.extensions import db
from portal.notify.services import deliver_due

from ..factories import PASSWORD, make_user


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 12 characters"),
        ("passwordpassword", "too common"),
        ("123456789012", "too common"),
        ("password1234", "too common"),
        ("abcabcabcabc", "too common"),
        ("q w e r t y u i o p", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("x" * 257, "256 characters or fewer"),
        ("correct horse battery staple", None),
        ("ünïcødé passphrase with spaces", None),
        ("a" + "b c d e " * 30, None),
    ],
)
def test_password_rules(password, problem):
    found = password_problem(password)
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_password_equal_to_email_is_refused():
    assert "email" in password_problem("someone.long@example.org", "someone.long@example.org")


def test_hashes_are_argon2(app):
    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, PASSWORD)
    assert not verify_password(user.password_hash, PASSWORD + "x")
    assert not verify_password(None, PASSWORD)


def _path(link: str) -> str:
    return urlsplit(link).path


def _deliver(app) -> None:
    with app.app_context():
        deliver_due()


def test_reset_by_emailed_link(app, browser, client, smtp_server):
    make_user(email="forgot@example.org")
    response = browser.post("/password/forgot", {"email": "forgot@example.org"})
    assert "Check your email" in response.get_data(as_text=True)
    _deliver(app)
    message = smtp_server.to("forgot@example.org")[-1]
    assert message["Subject"] == "Reset your password"
    assert message.get_body(("html",)) is not None
    link = _path(smtp_server.link_in_last("forgot@example.org"))
    new = "a brand new passphrase for me"
    page = browser.post(link, {"password": new, "confirm": new})
    assert page.status_code == 303
    browser.post("/sign-out", page="/")
    assert browser.sign_in("forgot@example.org", new).status_code == 303
    # the link works once
    assert client.get(link).status_code == 410


def test_reset_answer_is_the_same_for_unknown_addresses(app, browser, smtp_server):
    make_user(email="known@example.org")
    known = browser.post("/password/forgot", {"email": "known@example.org"})
    unknown = browser.post("/password/forgot", {"email": "unknown@example.org"})
    strip = lambda r, e: r.get_data(as_text=True).replace(e, "E")  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    import re

    token = re.compile(r'content="[^"]{40,}"')
    assert token.sub("", strip(known, "known@example.org")) == token.sub(
        "", strip(unknown, "unknown@example.org")
    )
    _deliver(app)
    assert smtp_server.to("unknown@example.org") == []
    assert len(smtp_server.to("known@example.org")) == 1


def test_reset_link_expires(app, browser, client, smtp_server):
    make_user(email="slow@example.org")
    browser.post("/password/forgot", {"email": "slow@example.org"})
    _deliver(app)
    link = _path(smtp_server.link_in_last("slow@example.org"))
    with app.app_context():
        from portal.auth.models import AuthToken

        db.session.execute(
            AuthToken.__table__.update().values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    assert client.get(link).status_code == 410


def test_a_new_reset_link_kills_the_old_one(app, browser, client, smtp_server):
    make_user(email="twice@example.org")
    browser.post("/password/forgot", {"email": "twice@example.org"})
    browser.post("/password/forgot", {"email": "twice@example.org"})
    _deliver(app)
    first, second = (
        _path(services_link) for services_link in _links(smtp_server, "twice@example.org")
    )
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def _links(smtp_server, address):
    from ..mail import LINK_RE

    return [LINK_RE.search(smtp_server.text(m)).group(0) for m in smtp_server.to(address)]


def test_reset_password_page_refuses_a_weak_password(app, browser, smtp_server):
    make_user(email="weak@example.org")
    browser.post("/password/forgot", {"email": "weak@example.org"})
    _deliver(app)
    link = _path(smtp_server.link_in_last("weak@example.org"))
    page = browser.post(link, {"password": "password1234", "confirm": "password1234"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "There is a problem" in html and "too common" in html


def test_bogus_tokens_are_refused(client):
    for token in ["x", "a" * 300, "%00", "../../etc/passwd"]:
        assert client.get(f"/password/reset/{token}").status_code in (404, 410)
        assert client.get(f"/invitation/{token}").status_code in (404, 410)


def test_reset_ends_other_sessions(app, browser, smtp_server):
    from ..conftest import Browserless

    make_user(email="r@example.org")
    other = Browserless(app.test_client())
    other.sign_in("r@example.org")
    browser.post("/password/forgot", {"email": "r@example.org"})
    _deliver(app)
    link = _path(smtp_server.link_in_last("r@example.org"))
    new = "another fresh passphrase here"
    browser.post(link, {"password": new, "confirm": new})
    assert other.client.get("/keyworker").status_code == 302


def test_change_password_needs_the_current_one(login_as, browser):
    login_as("keyworker")
    new = "my changed passphrase today"
    wrong = browser.post(
        "/account/password",
        {"current_password": "not it at all!!", "password": new, "confirm": new},
    )
    assert "Your current password is not right" in wrong.get_data(as_text=True)
    ok = browser.post(
        "/account/password", {"current_password": PASSWORD, "password": new, "confirm": new}
    )
    assert ok.status_code == 303


def test_mail_waits_in_the_outbox_while_the_server_is_down(app, browser, smtp_server):
    make_user(email="queued@example.org")
    smtp_server.stop()
    browser.post("/password/forgot", {"email": "queued@example.org"})
    with app.app_context():
        sent, failed = deliver_due()
        assert (sent, failed) == (0, 1)
    smtp_server.start()
    with app.app_context():
        # retried after its back-off, and sent exactly once
        assert deliver_due(utcnow() + timedelta(minutes=2)) == (1, 0)
        assert deliver_due(utcnow() + timedelta(minutes=10)) == (0, 0)
    assert len(smtp_server.to("queued@example.org")) == 1


# --- throttle --------------------------------------------------------------------------------
# The attacks on it (many guesses, many addresses, guesses at once) are in
# tests/attacks/test_accounts.py; these are its everyday rules.


def _fail(browser, email: str, times: int, app=None) -> list:
    return [browser.sign_in(email, "definitely the wrong one") for _ in range(times)]


def test_repeated_failures_are_slowed_with_the_same_message(app, browser, clock):
    # the clock stands still: on a busy machine the 2-second wait could pass between two tries
    clock.move_to(datetime.now(UTC), tick=False)
    make_user(roles=("volunteer",), email="target@example.org")
    _fail(browser, "target@example.org", 5)
    # the right password is now refused for a while, with a message that does not confirm it
    response = browser.sign_in("target@example.org")
    assert response.status_code == 200
    assert "Too many attempts" in response.get_data(as_text=True)
    unknown = _fail(browser, "ghost@example.org", 6)
    assert "Too many attempts" not in unknown[-2].get_data(as_text=True)
    assert "Too many attempts" in unknown[-1].get_data(as_text=True)


def test_throttle_is_kept_in_the_database_for_every_worker(app, browser, clock):
    from ..conftest import Browserless

    clock.move_to(datetime.now(UTC), tick=False)
    make_user(roles=("volunteer",), email="target@example.org")
    _fail(browser, "target@example.org", 5)
    other_worker = Browserless(app.test_client())  # another client, same database and address
    assert "Too many attempts" in other_worker.sign_in("target@example.org").get_data(as_text=True)
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).where(
                SignInFailure.email == "target@example.org", SignInFailure.address == "127.0.0.1"
            )
        )
    assert count == 5


def test_the_wait_is_short_so_a_real_user_is_not_locked_out_for_long(app, browser, clock):
    clock.move_to(datetime.now(UTC), tick=False)
    make_user(roles=("volunteer",), email="target@example.org")
    _fail(browser, "target@example.org", 5)
    clock.shift(timedelta(seconds=3))
    assert browser.sign_in("target@example.org").status_code == 303


def test_another_address_is_not_held_back(app, browser, clock):
    from ..conftest import Browserless

    clock.move_to(datetime.now(UTC), tick=False)
    make_user(roles=("volunteer",), email="target@example.org")
    _fail(browser, "target@example.org", 5)
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.4"
    assert Browserless(elsewhere).sign_in("target@example.org").status_code == 303


def test_one_address_hammering_many_accounts_is_slowed(app, browser, clock):
    clock.move_to(datetime.now(UTC), tick=False)
    app.config["THROTTLE_ADDRESS_FREE"] = 5
    make_user(roles=("volunteer",), email="real@example.org")
    for i in range(5):
        browser.sign_in(f"guess{i}@example.org", "wrong guess password")
    response = browser.sign_in("real@example.org")
    assert "Too many attempts" in response.get_data(as_text=True)


def test_success_clears_the_failures_from_that_address(app, browser):
    make_user(roles=("volunteer",), email="target@example.org")
    _fail(browser, "target@example.org", 2)
    assert browser.sign_in("target@example.org").status_code == 303
    with app.app_context():
        assert not db.session.scalar(
            select(func.count()).where(SignInFailure.email == "target@example.org")
        )
        # they still count against the address, and the right try was never a failure
        assert db.session.scalar(select(func.count()).select_from(SignInFailure)) == 2


def test_prune_forgets_old_failures(app, browser):
    _fail(browser, "x@example.org", 2)
    with app.app_context():
        assert services.prune_sign_in_failures(utcnow() + timedelta(hours=25)) == 2
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
