"""Attacks on accounts (issue 20): guessing passwords, locking the real person out, telling
known accounts from unknown ones, and old links outliving a password change.

Each test does the attack through the pages, as an attacker would, and checks it is refused,
while the real person gets on. Sign-ins are volunteers' (no second factor): the throttle sits in
front of the password, whatever comes after it.
"""

from __future__ import annotations

import multiprocessing
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.auth import services
from portal.auth.models import AuthToken, SignInFailure, User
from portal.auth.views import SIGN_IN_REFUSED, THROTTLED
from portal.extensions import db
from portal.notify.kinds import KINDS
from portal.notify.models import Notification, OutboxMessage
from portal.notify.services import deliver_due

from ..clock import for_children
from ..conftest import csrf_from
from ..factories import PASSWORD, make_user
from ..mail import LINK_RE

ATTACKER = "203.0.113.66"
PERSON = "198.51.100.20"  # the real person, at home
WRONG = "hunter2 but longer this time"
NEW = "a fresh passphrase nobody knows"


class Visitor:
    """A browser at one address: gets a page's CSRF token once, then posts its forms."""

    def __init__(self, app, address: str) -> None:
        self.client: FlaskClient = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = address
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            self._token = csrf_from(self.client.get("/sign-in").get_data(as_text=True))
        return self._token

    def sign_in(self, email: str, password: str):
        data = {"email": email, "password": password, "csrf_token": self.token()}
        return self.client.post("/sign-in", data=data)

    def post(self, path: str, data: dict):
        return self.client.post(path, data={**data, "csrf_token": self.token()})


def _answer(response) -> str:
    if response.status_code == 303:
        return "in"
    html = response.get_data(as_text=True)
    if THROTTLED in html:
        return "throttled"
    assert SIGN_IN_REFUSED in html, html
    return "refused"


def _stop(clock) -> None:
    """Time stands still, so a wait of a few seconds cannot pass on a busy machine."""
    clock.move_to(datetime.now(UTC), tick=False)


def _deliver(app) -> None:
    with app.app_context():
        deliver_due()


def _count(*conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(SignInFailure).where(*conditions))


def _path(link: str) -> str:
    return urlsplit(link).path


def _reset_link(app, smtp_server, visitor: Visitor, email: str) -> str:
    response = visitor.post("/password/forgot", {"email": email})
    assert response.status_code == 200
    _deliver(app)
    return _path(smtp_server.link_in_last(email))


# --- guessing passwords without locking the real person out -------------------------------------


def test_fifty_guesses_slow_the_attacker_while_the_person_signs_in_first_time(
    app, clock, smtp_server
):
    _stop(clock)
    make_user(roles=("volunteer",), email="victim@example.org")
    attacker = Visitor(app, ATTACKER)
    answers = [_answer(attacker.sign_in("victim@example.org", WRONG)) for _ in range(50)]
    assert answers == ["refused"] * 5 + ["throttled"] * 45
    # even a right guess is refused while the address waits: the answer gives nothing away
    assert _answer(attacker.sign_in("victim@example.org", PASSWORD)) == "throttled"

    person = Visitor(app, PERSON)
    assert _answer(person.sign_in("victim@example.org", PASSWORD)) == "in"

    # the forgot-password flow still works, even from the attacker's address (a shared
    # network), and afterwards that address may sign in with the new password
    sharing = Visitor(app, ATTACKER)
    link = _reset_link(app, smtp_server, sharing, "victim@example.org")
    _set_password(sharing, link)
    assert _answer(Visitor(app, ATTACKER).sign_in("victim@example.org", NEW)) == "in"
    with app.app_context():
        # the failures against the old password no longer count for the account
        assert not _count(SignInFailure.email == "victim@example.org")
        # but they still count against the address they came from
        assert _count(SignInFailure.address == ATTACKER) == 5


def test_known_and_unknown_accounts_are_throttled_alike(app, clock):
    _stop(clock)
    make_user(roles=("volunteer",), email="real@example.org")
    attacker = Visitor(app, ATTACKER)
    real = [_answer(attacker.sign_in("real@example.org", WRONG)) for _ in range(6)]
    ghost = [_answer(attacker.sign_in("ghost@example.org", WRONG)) for _ in range(6)]
    assert real == ghost == ["refused"] * 5 + ["throttled"]


def test_the_wait_grows_with_each_failure_then_ends(app, clock):
    _stop(clock)
    make_user(roles=("volunteer",), email="slow@example.org")
    me = Visitor(app, PERSON)
    for _ in range(5):
        me.sign_in("slow@example.org", WRONG)
    assert _answer(me.sign_in("slow@example.org", PASSWORD)) == "throttled"
    clock.shift(timedelta(seconds=2.5))  # the first wait is 2 seconds
    assert _answer(me.sign_in("slow@example.org", WRONG)) == "refused"  # a sixth failure
    clock.shift(timedelta(seconds=3))  # the next wait is 4 seconds
    assert _answer(me.sign_in("slow@example.org", PASSWORD)) == "throttled"
    clock.shift(timedelta(seconds=1.5))
    assert _answer(me.sign_in("slow@example.org", PASSWORD)) == "in"


def test_the_longest_wait_is_fifteen_minutes(app):
    with app.app_context():
        now = datetime.now(UTC)
        db.session.add_all(
            SignInFailure(email="x@example.org", address=ATTACKER, at=now) for _ in range(40)
        )
        db.session.commit()
        until = services.throttled_until("x@example.org", ATTACKER, now)
        assert until == now + timedelta(minutes=15)
        assert services.throttled_until("x@example.org", PERSON, now) is None


def test_an_attack_spread_over_many_addresses_never_locks_the_account(app, clock):
    _stop(clock)
    app.config["THROTTLE_ACCOUNT_UNDER_ATTACK"] = 12  # 50 by default: each try costs a hash
    make_user(roles=("volunteer",), email="popular@example.org")
    botnet = [Visitor(app, f"192.0.2.{i}") for i in range(1, 7)]
    for _ in range(2):
        assert {_answer(bot.sign_in("popular@example.org", WRONG)) for bot in botnet} == {"refused"}
    # 12 failures in all: the account is under attack, so an address gets one free failure
    assert _answer(botnet[0].sign_in("popular@example.org", WRONG)) == "throttled"
    assert _answer(Visitor(app, "192.0.2.99").sign_in("popular@example.org", WRONG)) == "refused"
    assert _answer(Visitor(app, "192.0.2.99").sign_in("popular@example.org", WRONG)) == "throttled"
    # an address that has not failed is not held back, so the real person gets in
    assert _answer(Visitor(app, PERSON).sign_in("popular@example.org", PASSWORD)) == "in"


def test_one_address_trying_many_accounts_is_slowed(app, clock):
    _stop(clock)
    app.config["THROTTLE_ADDRESS_FREE"] = 8
    make_user(roles=("volunteer",), email="real@example.org")
    attacker = Visitor(app, ATTACKER)
    answers = [_answer(attacker.sign_in(f"guess{i}@example.org", WRONG)) for i in range(9)]
    assert answers == ["refused"] * 8 + ["throttled"]
    assert _answer(attacker.sign_in("real@example.org", PASSWORD)) == "throttled"
    assert _answer(Visitor(app, PERSON).sign_in("real@example.org", PASSWORD)) == "in"


def _guess_at_once(config: dict, address: str, tries: int) -> list[int]:
    from portal import create_app

    app = create_app(config)
    visitor = Visitor(app, address)
    return [visitor.sign_in("victim@example.org", WRONG).status_code for _ in range(tries)]


@pytest.mark.slow
def test_guesses_sent_at_once_cannot_slip_past_the_throttle(app, app_config):
    """Four processes guess at the same time from one address: the throttle's check and the
    count it makes are one step, so no more than the free failures are ever tried."""
    make_user(roles=("volunteer",), email="victim@example.org")
    config = {**app_config, "THROTTLE_FIRST_WAIT": timedelta(hours=1)}
    context = multiprocessing.get_context("spawn")
    with context.Pool(4, **for_children()) as pool:
        pool.starmap(_guess_at_once, [(config, ATTACKER, 5)] * 4)
    with app.app_context():
        assert _count(SignInFailure.address == ATTACKER) == app.config["THROTTLE_PAIR_FREE"]
        refused = db.session.scalar(
            select(func.count()).where(AuditEvent.action == "sign_in_failed")
        )
        throttled = db.session.scalar(
            select(func.count()).where(AuditEvent.action == "sign_in_throttled")
        )
    assert (refused, throttled) == (5, 15)


# --- forgot-password: the same answer, the same work ------------------------------------------


def _page(response, email: str) -> str:
    html = response.get_data(as_text=True).replace(email, "EMAIL")
    return re.sub(r'content="[^"]{40,}"|value="[^"]{40,}"', "TOKEN", html)


def test_forgot_password_takes_the_same_path_for_known_and_unknown_accounts(
    app, smtp_server, monkeypatch
):
    make_user(roles=("volunteer",), email="known@example.org")
    make_user(roles=("volunteer",), email="gone@example.org", active=False)
    written: list[str] = []
    real_queue_email = services.queue_email

    def queue_email(kind, to_address, template, **context):
        written.append(to_address)
        return real_queue_email(kind, to_address, template, **context)

    monkeypatch.setattr(services, "queue_email", queue_email)
    visitor = Visitor(app, ATTACKER)
    answers = {
        email: visitor.post("/password/forgot", {"email": email})
        for email in ("known@example.org", "nobody@example.org", "gone@example.org")
    }
    pages = {_page(response, email) for email, response in answers.items()}
    assert {response.status_code for response in answers.values()} == {200}
    assert len(pages) == 1 and "Check your email" in pages.pop()
    # each address had its email written, the same work; only the real one is kept and sent
    assert written == ["known@example.org", "nobody@example.org", "gone@example.org"]
    with app.app_context():
        outbox = db.session.scalars(select(OutboxMessage.to_address)).all()
        links = db.session.scalar(select(func.count()).select_from(AuthToken))
        asked = db.session.scalar(
            select(func.count()).where(AuditEvent.action == "password_reset_requested")
        )
    assert outbox == ["known@example.org"] and links == 1 and asked == 3
    _deliver(app)
    assert smtp_server.to("nobody@example.org") == smtp_server.to("gone@example.org") == []
    assert len(smtp_server.to("known@example.org")) == 1


# --- old links die when the password changes ----------------------------------------------------


def _invite(app, smtp_server, email: str) -> str:
    with app.app_context():
        services.invite_user(email, "New Person", ["volunteer"], None)
    _deliver(app)
    return _path(smtp_server.link_in_last(email))


def _set_password(visitor: Visitor, link: str) -> None:
    token = csrf_from(visitor.client.get(link).get_data(as_text=True))
    response = visitor.client.post(
        link, data={"password": NEW, "confirm": NEW, "csrf_token": token}
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def _change_password(app, email: str) -> None:
    me = Visitor(app, PERSON)
    assert _answer(me.sign_in(email, PASSWORD)) == "in"
    token = csrf_from(me.client.get("/account/password").get_data(as_text=True))
    data = {"current_password": PASSWORD, "password": NEW, "confirm": NEW, "csrf_token": token}
    assert me.client.post("/account/password", data=data).status_code == 303


def _deactivate_and_reactivate(app, email: str) -> None:
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
        user = db.session.scalar(select(User).where(User.email == email))
        services.set_active(user, False, admin)
        services.set_active(user, True, admin)  # back again: the old link stays dead


@pytest.mark.parametrize("way", ["change password", "admin deactivates"])
def test_a_reset_link_dies_when_the_password_changes(app, smtp_server, way):
    make_user(roles=("admin",), email="admin@example.org")
    make_user(roles=("volunteer",), email="person@example.org")
    link = _reset_link(app, smtp_server, Visitor(app, ATTACKER), "person@example.org")
    change = _change_password if way == "change password" else _deactivate_and_reactivate
    change(app, "person@example.org")
    assert Visitor(app, ATTACKER).client.get(link).status_code == 410


@pytest.mark.parametrize("used", ["reset", "invitation"])
def test_using_one_link_kills_the_other(app, smtp_server, used):
    invitation = _invite(app, smtp_server, "new@example.org")
    reset = _reset_link(app, smtp_server, Visitor(app, PERSON), "new@example.org")
    first, other = (reset, invitation) if used == "reset" else (invitation, reset)
    _set_password(Visitor(app, PERSON), first)
    visitor = Visitor(app, ATTACKER)
    assert visitor.client.get(first).status_code == 410
    assert visitor.client.get(other).status_code == 410
    with app.app_context():
        assert not db.session.scalar(
            select(func.count()).select_from(AuthToken).where(AuthToken.used_at.is_(None))
        )


def test_a_link_sets_a_password_once_even_called_directly(app, smtp_server):
    make_user(roles=("volunteer",), email="twice@example.org")
    link = _reset_link(app, smtp_server, Visitor(app, PERSON), "twice@example.org")
    token = link.rsplit("/", 1)[-1]
    with app.app_context():
        services.set_password_with_token(token, services.RESET, NEW)
    with app.app_context(), pytest.raises(services.InvalidChange):
        services.set_password_with_token(token, services.RESET, "another passphrase entirely")


# --- an email when the password changes ----------------------------------------------------------


def _security_mail(smtp_server, email: str):
    mails = [
        m for m in smtp_server.to(email) if m["Subject"] == KINDS["security_change"].email_subject
    ]
    assert mails, f"no security email reached {email}"
    return mails[-1]


@pytest.mark.parametrize("way", ["reset", "change password"])
def test_the_person_is_told_by_email_when_the_password_changes(app, smtp_server, way):
    make_user(roles=("volunteer",), email="told@example.org")
    if way == "reset":
        me = Visitor(app, PERSON)
        _set_password(me, _reset_link(app, smtp_server, me, "told@example.org"))
        what = "Your password was reset with a link sent by email."
    else:
        _change_password(app, "told@example.org")
        what = "Your password was changed."
    _deliver(app)
    text = smtp_server.text(_security_mail(smtp_server, "told@example.org"))
    assert what in text
    assert re.search(r"This happened on \w+day \d+ \w+ \d{4}, \d+(:\d\d)?[ap]m \(UK time\)", text)
    assert "If it was not you, contact" in text
    assert not LINK_RE.search(text)  # nothing to click that signs in
    with app.app_context():
        titles = db.session.scalars(
            select(Notification.title).where(Notification.kind == "security_change")
        ).all()
    assert titles == ["A change to how you sign in"]


def test_the_security_email_goes_at_once_even_at_night_and_cannot_be_switched_off(app, clock):
    champion = make_user(roles=("champion",), email="late@example.org")
    clock.move_to(datetime(2026, 12, 1, 23, 30, tzinfo=UTC), tick=False)
    with app.app_context():
        user = db.session.get(User, champion.id)
        services.tell_security_change(user, "A recovery code was used to sign in.")
        db.session.commit()
        message = db.session.scalar(select(OutboxMessage))
        assert message.next_attempt_at <= datetime.now(UTC)
        assert "A recovery code was used to sign in." in message.body_text
        assert "Tuesday 1 December 2026, 11:30pm (UK time)" in message.body_text
    assert KINDS["security_change"].always_email


def test_a_change_that_fails_tells_nobody(app, smtp_server):
    make_user(roles=("volunteer",), email="nochange@example.org")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nochange@example.org"))
        with pytest.raises(services.InvalidChange):
            services.change_password(user, "not the current one", NEW)
        db.session.rollback()
        assert not db.session.scalar(select(func.count()).select_from(OutboxMessage))
