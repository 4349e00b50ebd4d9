"""Issue 18: "Volunteer with us", the public application form, its emailed confirmation link,
the limits against bots, the champion's vetting list (invite or decline) and the clean-up job."""

from __future__ import annotations

import multiprocessing
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent, utcnow
from portal.auth.models import User
from portal.errors import Conflict
from portal.extensions import db
from portal.jobs import scheduled_jobs
from portal.meetings.models import Fellowship
from portal.notify.models import Notification, OutboxMessage
from portal.notify.services import deliver_due
from portal.volunteers import applications as vetting
from portal.volunteers.jobs import stale_applications
from portal.volunteers.models import (
    Volunteer,
    VolunteerApplication,
    volunteer_application_fellowships,
)

from .. import factories
from ..clock import for_children
from ..conftest import Browserless
from ..querycount import count_queries

APPLY = "/volunteer-with-us"
SENT = "/volunteer-with-us/check-your-email"
THANKS = "/volunteer-with-us/thank-you"
LIST = "/volunteers/applications"
THANK_YOU = "Thank you, the recovery champion will be in touch"
TOO_MANY = "several applications from your internet connection"
VISITOR_ADDRESS = "198.51.100.23"


def html(response) -> str:
    return response.get_data(as_text=True)


def answers(email: str, **overrides: object) -> dict:
    values: dict = {
        "first_name": "Robin",
        "email": email,
        "phone": "07700 900 982",
        "in_recovery": "yes",
        "message": "I go to a Tuesday meeting.\nHappy to help on weekdays.",
    }
    values.update(overrides)
    return values


def make_application(state: str = "confirmed", **overrides: object) -> VolunteerApplication:
    """An application as the public form leaves it, already confirmed unless told otherwise."""
    now = utcnow()
    values: dict = {
        "state": state,
        "first_name": "Alex",
        "email": f"applicant{next(factories._counter)}@example.org",
        "in_recovery": True,
        "message": "I can help on Saturdays.",
        "created_at": now - timedelta(hours=2),
        "confirmed_at": now - timedelta(hours=1) if state != "unconfirmed" else None,
        "token_expires_at": now + timedelta(hours=70),
    }
    values.update(overrides)
    with factories.context():
        return factories.saved(VolunteerApplication(**values))


def application_page(action: str = "") -> str:
    """The address of a champion's page about a new confirmed application ("invite", "decline",
    or the list when no action is given), for the accessibility scan."""
    application = make_application(first_name="Alex")
    return f"{LIST}/{application.id}/{action}" if action else LIST


def confirm_link() -> str:
    """The confirmation link of a new unconfirmed application, for the accessibility scan."""
    token = f"scan-{next(factories._counter)}-{'x' * 32}"
    make_application("unconfirmed", token_hash=vetting.hash_secret(token))
    return f"/volunteer-with-us/confirm/{token}"


@pytest.fixture
def visitor(app) -> Browserless:
    """Someone with no account, in a browser of their own."""
    return Browserless(app.test_client())


def apply(visitor: Browserless, data: dict, address: str = VISITOR_ADDRESS):
    return visitor.post(APPLY, data, environ_base={"REMOTE_ADDR": address})


def _deliver(app) -> None:
    with app.app_context():
        deliver_due()


def _path(link: str) -> str:
    return urlsplit(link).path


def _rows(app, model=VolunteerApplication, *conditions) -> list:
    with app.app_context():
        rows = list(db.session.scalars(select(model).where(*conditions)))
        for row in rows:
            db.session.expunge(row)
        return rows


def _count(app, model, *conditions) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


# --- the whole journey --------------------------------------------------------------------------


def test_apply_confirm_and_be_invited(app, visitor, browser, login_as, smtp_server):
    champion = login_as("champion")
    aa = factories.fellowship_id("AA")

    page = visitor.client.get(APPLY)
    assert page.status_code == 200
    text = html(page)
    assert "Volunteer with us" in text and "Alcoholics Anonymous" in text
    assert "Not in recovery yourself? You can still apply" in text
    for unwanted in ("date of birth", "Date of birth", "postcode", "Address line"):
        assert unwanted not in text

    sent = apply(visitor, answers("Robin.Reed@Example.org", fellowship_ids=[str(aa)]))
    assert sent.status_code == 303 and sent.location == SENT
    assert "Check your email" in html(visitor.client.get(SENT))
    [application] = _rows(app)
    assert application.state == "unconfirmed"
    assert application.email == "robin.reed@example.org"
    assert application.in_recovery is True
    assert VISITOR_ADDRESS not in repr(vars(application))  # only its keyed hash is kept
    assert len(application.address_hash) == 64

    _deliver(app)
    [mail] = smtp_server.to("robin.reed@example.org")
    assert mail["Subject"] == "Confirm your application to volunteer"
    assert "expires in 72 hours" in smtp_server.text(mail)
    link = _path(smtp_server.link_in_last("robin.reed@example.org"))
    assert link.startswith("/volunteer-with-us/confirm/")

    confirm_page = visitor.client.get(link)
    assert confirm_page.status_code == 200 and "Confirm my application" in html(confirm_page)
    assert _rows(app)[0].state == "unconfirmed"  # opening the link alone confirms nothing
    confirmed = visitor.post(link, {})
    assert confirmed.status_code == 303 and confirmed.location == THANKS
    assert THANK_YOU in html(visitor.client.get(THANKS))
    assert _rows(app)[0].state == "confirmed"
    [note] = _rows(app, Notification, Notification.user_id == champion.id)
    assert note.kind == "volunteer_applied" and "Robin" not in note.title + (note.body or "")
    assert visitor.client.get(link).location == THANKS  # used: says it is done

    assert "/volunteers/applications" in html(browser.client.get("/volunteers/"))
    listing = html(browser.client.get(LIST))
    assert "Robin" in listing and "robin.reed@example.org" in listing
    assert "Alcoholics Anonymous" in listing and "Invite to finish their application" in listing
    invite_url = f"{LIST}/{application.id}/invite"
    form = html(browser.client.get(invite_url))
    assert 'value="Robin"' in form and 'value="robin.reed@example.org"' in form

    invited = browser.post(invite_url, {"name": "Robin", "email": "robin.reed@example.org"})
    assert invited.status_code == 303
    [volunteer] = _rows(app, Volunteer, Volunteer.preferred_name == "Robin")
    assert invited.location.endswith(f"/volunteers/{volunteer.id}")
    assert volunteer.status == "applied" and volunteer.created_by_id == champion.id
    [user] = _rows(app, User, User.id == volunteer.user_id)
    assert user.email == "robin.reed@example.org" and user.password_hash is None
    [application] = _rows(app)
    assert application.state == "invited" and application.volunteer_id == volunteer.id
    assert application.email is None and application.phone is None
    assert application.decided_by_id == champion.id
    _deliver(app)
    assert smtp_server.to("robin.reed@example.org")[-1]["Subject"].startswith(
        "You have been invited to the"
    )
    actions = {event.action for event in _rows(app, AuditEvent)}
    assert {
        "volunteer_application_received",
        "volunteer_application_confirmed",
        "volunteer_application_invited",
        "account_invited",
        "volunteer_invited",
    } <= actions
    assert "Robin" not in html(browser.client.get(LIST))  # dealt with
    assert "Robin" in html(browser.client.get(f"{LIST}?show=invited"))


def test_someone_not_in_recovery_may_still_apply(app, visitor):
    assert apply(visitor, answers("nora@example.org", in_recovery="no")).status_code == 303
    [application] = _rows(
        app, VolunteerApplication, VolunteerApplication.email == "nora@example.org"
    )
    assert application.in_recovery is False


def test_only_the_least_data_is_kept(app, visitor):
    extra = {"address": "1 High Street", "date_of_birth": "1980-01-01", "state": "confirmed"}
    apply(visitor, {**answers("least@example.org", phone="", message=""), **extra})
    [application] = _rows(app)
    assert application.state == "unconfirmed"
    assert application.phone is None and application.message is None
    for event in _rows(app, AuditEvent):
        assert event.ip is None  # the applicant's address stays out of the audit trail too
        assert "least@example.org" not in (event.detail or "")


# --- bots ---------------------------------------------------------------------------------------


def test_the_hidden_field_is_out_of_the_way(visitor):
    page = html(visitor.client.get(APPLY))
    hidden = re.search(
        r'<div class="nhsuk-u-visually-hidden" aria-hidden="true">(.*?)</div>', page, re.S
    )
    assert hidden, "no visually hidden honeypot"
    assert "Leave this empty" in hidden.group(1)
    field = re.search(r"<input[^>]*name=\"website\"[^>]*>", hidden.group(1)).group(0)
    assert 'tabindex="-1"' in field and 'autocomplete="off"' in field


def test_a_filled_hidden_field_looks_accepted_and_keeps_nothing(app, visitor, smtp_server):
    before = _count(app, AuditEvent)
    response = apply(visitor, answers("bot@example.org", website="http://spam.example"))
    assert response.status_code == 303 and response.location == SENT
    assert _count(app, VolunteerApplication) == 0
    assert _count(app, OutboxMessage) == 0
    assert _count(app, AuditEvent) == before
    # even with every other answer wrong, a bot learns nothing from the answer
    junk = apply(visitor, {"website": "x", "email": "not an email", "in_recovery": "perhaps"})
    assert junk.status_code == 303 and junk.location == SENT
    _deliver(app)
    assert smtp_server.to("bot@example.org") == []


def test_three_applications_an_hour_from_one_address(app, visitor):
    with app.app_context():
        key = vetting.address_key(VISITOR_ADDRESS)
    now = utcnow()
    make_application("unconfirmed", address_hash=key, created_at=now - timedelta(minutes=59))
    make_application("confirmed", address_hash=key, created_at=now - timedelta(minutes=30))
    make_application("unconfirmed", address_hash=key, created_at=now - timedelta(minutes=61))
    assert apply(visitor, answers("third@example.org")).status_code == 303
    refused = apply(visitor, answers("fourth@example.org"))
    assert refused.status_code == 200
    assert TOO_MANY in html(refused) and "nhsuk-error-summary" in html(refused)
    assert 'value="fourth@example.org"' in html(refused)  # the answers are kept
    assert (
        _count(app, VolunteerApplication, VolunteerApplication.email == "fourth@example.org") == 0
    )
    # another address is not held back
    assert apply(visitor, answers("other@example.org"), address="203.0.113.5").status_code == 303


def test_the_hourly_limit_passes(app, visitor, clock):
    for number in range(3):
        assert apply(visitor, answers(f"hour{number}@example.org")).status_code == 303
    assert TOO_MANY in html(apply(visitor, answers("hour3@example.org")))
    clock.shift(timedelta(minutes=61))
    assert apply(visitor, answers("hour3@example.org")).status_code == 303


def test_one_unconfirmed_application_per_email_a_day(app, visitor, smtp_server):
    first = apply(visitor, answers("sam@example.org"))
    again = apply(visitor, answers("SAM@example.org", first_name="Samuel"), address="203.0.113.7")
    assert first.status_code == again.status_code == 303 and again.location == SENT
    assert _count(app, VolunteerApplication) == 1
    assert _count(app, OutboxMessage) == 1  # nothing sent again
    _deliver(app)
    assert len(smtp_server.to("sam@example.org")) == 1
    # a day later the person may try again
    make_application(
        "unconfirmed", email="kim@example.org", created_at=utcnow() - timedelta(hours=25)
    )
    assert apply(visitor, answers("kim@example.org"), address="203.0.113.8").status_code == 303
    assert _count(app, VolunteerApplication, VolunteerApplication.email == "kim@example.org") == 2


def _apply_from_a_machine(config: dict, machine: int, start) -> list[int]:
    """One app machine of several: its own app and connections, the same sender's address;
    every machine sends its first application at the same moment."""
    from portal import create_app

    client = create_app(config).test_client()
    page = client.get(APPLY).get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    start.wait()
    statuses = []
    for attempt in range(3):
        data = {**answers(f"m{machine}-{attempt}@example.org"), "csrf_token": token}
        response = client.post(APPLY, data=data, environ_base={"REMOTE_ADDR": VISITOR_ADDRESS})
        statuses.append(response.status_code)
    return statuses


@pytest.mark.slow
def test_the_hourly_limit_holds_across_machines(app, app_config):
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(4, **for_children()) as pool:
        start = manager.Barrier(4)
        work = [(app_config, n, start) for n in range(4)]
        results = pool.starmap(_apply_from_a_machine, work)
    statuses = sorted(status for result in results for status in result)
    assert statuses == [200] * 9 + [303] * 3  # three taken, nine refused, none failed
    assert _count(app, VolunteerApplication) == 3


def test_the_address_hash_is_keyed_by_the_secret(app):
    with app.app_context():
        one = vetting.address_key(VISITOR_ADDRESS)
        app.config["SECRET_KEY"] = "another-secret"
        other = vetting.address_key(VISITOR_ADDRESS)
    assert one != other and VISITOR_ADDRESS not in one


# --- hostile input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"first_name": ""}, "Enter your first name"),
        ({"first_name": "R" * 61}, "60 characters or fewer"),
        ({"first_name": "Ro\x00bin"}, "unusual characters"),
        ({"email": ""}, "Enter your email address"),
        ({"email": "not-an-email"}, "correct format"),
        ({"email": "a" * 250 + "@example.org"}, "254 characters or fewer"),
        ({"phone": "call me"}, "Enter a phone number"),
        ({"phone": "0" * 41}, "40 characters or fewer"),
        ({"in_recovery": ""}, "Select yes if you are in recovery yourself"),
        ({"in_recovery": "perhaps"}, "Select yes if you are in recovery yourself"),
        ({"fellowship_ids": ["not-a-number"]}, "Select groups from the list"),
        ({"fellowship_ids": ["999999"]}, "Select groups from the list"),
        ({"message": "m" * 501}, "500 characters or fewer"),
    ],
)
def test_bad_answers_are_shown_by_the_field(app, visitor, changes, message):
    response = apply(visitor, answers(**{"email": "hostile@example.org", **changes}))
    assert response.status_code == 200
    assert message in html(response) and "nhsuk-error-summary" in html(response)
    assert _count(app, VolunteerApplication) == 0


@pytest.mark.parametrize("token", ["forged-token", "x" * 300, "%00", "..%2F..%2Fetc", "a" * 43])
def test_a_forged_link_gets_a_clear_page(app, visitor, token):
    make_application("unconfirmed")
    for response in (
        visitor.client.get(f"/volunteer-with-us/confirm/{token}"),
        visitor.post(f"/volunteer-with-us/confirm/{token}", {}, page=APPLY),
    ):
        assert response.status_code in (404, 410)
        if response.status_code == 410:
            assert "This link does not work" in html(response)
    assert _count(app, VolunteerApplication, VolunteerApplication.state == "confirmed") == 0


def _applied_link(app, visitor, smtp_server, email: str) -> str:
    assert apply(visitor, answers(email)).status_code == 303
    _deliver(app)
    return _path(smtp_server.link_in_last(email))


def test_an_expired_link(app, visitor, smtp_server, clock):
    link = _applied_link(app, visitor, smtp_server, "late@example.org")
    clock.shift(timedelta(hours=72, minutes=1))
    page = visitor.client.get(link)
    assert page.status_code == 410 and "This link has expired" in html(page)
    assert "Apply to volunteer again" in html(page)
    assert visitor.post(link, {}, page=APPLY).status_code == 410
    assert _rows(app)[0].state == "unconfirmed"


def test_a_link_expiring_between_the_page_and_the_button(app, visitor, clock):
    token = "a-link-about-to-expire"
    make_application(
        "unconfirmed",
        token_hash=vetting.hash_secret(token),
        token_expires_at=utcnow() + timedelta(minutes=5),
    )
    link = f"/volunteer-with-us/confirm/{token}"
    csrf = visitor.token(link)
    clock.shift(timedelta(minutes=6))
    response = visitor.client.post(link, data={"csrf_token": csrf})
    assert response.status_code == 410 and "This link has expired" in html(response)
    assert _rows(app)[0].state == "unconfirmed"


def test_a_used_link_confirms_once(app, visitor, smtp_server):
    champion = factories.make_user(roles=("champion",))
    link = _applied_link(app, visitor, smtp_server, "twice@example.org")
    assert visitor.post(link, {}).location == THANKS
    assert visitor.post(link, {}, page=APPLY).location == THANKS  # a second press: same answer
    assert _count(app, Notification, Notification.user_id == champion.id) == 1
    assert _count(app, AuditEvent, AuditEvent.action == "volunteer_application_confirmed") == 1


# --- the champion's decisions -------------------------------------------------------------------


def test_decline_deletes_the_personal_data(app, browser, login_as, smtp_server, visitor):
    champion = login_as("champion")
    aa = factories.fellowship_id("AA")
    link = _applied_link(app, visitor, smtp_server, "decline.me@example.org")
    visitor.post(link, {})
    with app.app_context():
        application = db.session.scalar(select(VolunteerApplication))
        application.fellowships = [db.session.get(Fellowship, aa)]
        db.session.commit()
        application_id = application.id
    page = browser.client.get(f"{LIST}/{application_id}/decline")
    assert page.status_code == 200 and "Decline Robin's application" in html(page)

    declined = browser.post(f"{LIST}/{application_id}/decline", {"reason": "Not ready yet"})
    assert declined.status_code == 303 and declined.location == LIST
    [row] = _rows(app)
    assert row.state == "declined" and row.decline_reason == "Not ready yet"
    for column in ("first_name", "email", "phone", "in_recovery", "message", "address_hash"):
        assert getattr(row, column) is None, column
    assert row.token_hash is None and row.decided_by_id == champion.id
    assert _count(app, volunteer_application_fellowships) == 0
    assert _count(app, OutboxMessage, OutboxMessage.to_address == "decline.me@example.org") == 0
    [event] = _rows(app, AuditEvent, AuditEvent.action == "volunteer_application_declined")
    assert event.detail is None and event.object_id == str(application_id)
    for event in _rows(app, AuditEvent):
        assert "decline.me" not in (event.detail or "") and "Not ready" not in (event.detail or "")
    assert "Robin" not in html(browser.client.get(LIST))
    assert browser.client.get(f"{LIST}/{application_id}/decline").status_code == 404
    assert browser.client.get(f"{LIST}/{application_id}/invite").status_code == 404
    assert visitor.client.get(link).status_code == 410  # the link dies with the data


def test_decline_reason_is_checked(app, browser, login_as):
    login_as("champion")
    application = make_application()
    for reason, message in (("r" * 501, "500 characters or fewer"), ("a\x00b", "unusual")):
        response = browser.post(f"{LIST}/{application.id}/decline", {"reason": reason})
        assert response.status_code == 200 and message in html(response)
    assert _rows(app)[0].state == "confirmed"


def test_inviting_an_address_that_has_an_account(app, browser, login_as):
    login_as("champion")
    factories.make_user(roles=("keyworker",), email="taken@example.org")
    application = make_application(email="taken@example.org")
    response = browser.post(
        f"{LIST}/{application.id}/invite", {"name": "Alex", "email": "taken@example.org"}
    )
    assert response.status_code == 200 and "already exists" in html(response)
    [row] = _rows(app)
    assert row.state == "confirmed" and row.email == "taken@example.org"  # nothing changed
    assert _count(app, AuditEvent, AuditEvent.action == "volunteer_application_invited") == 0


def test_invite_form_checks_its_answers(app, browser, login_as):
    login_as("champion")
    application = make_application()
    response = browser.post(f"{LIST}/{application.id}/invite", {"name": "", "email": "nope"})
    assert response.status_code == 200
    assert "Enter their first name" in html(response) and "correct format" in html(response)
    assert _rows(app)[0].state == "confirmed"


def test_two_champions_deciding_at_once(app):
    first = factories.make_user(roles=("champion",))
    application = make_application()
    with app.app_context():
        champion = db.session.get(User, first.id)
        row = db.session.get(VolunteerApplication, application.id)
        vetting.decline_application(row, None, champion)
    with app.app_context():
        champion = db.session.get(User, first.id)
        with pytest.raises(Conflict):
            vetting.decline_application(application, "late", champion)
        with pytest.raises(Conflict):
            vetting.invite_applicant(application, "Alex", "alex@example.org", champion)
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


# --- the list -------------------------------------------------------------------------------------


def test_empty_list_says_what_to_do(browser, login_as):
    login_as("champion")
    text = html(browser.client.get(LIST))
    assert "No applications are waiting" in text and "invite a volunteer yourself" in text
    assert "Nobody has been invited" in html(browser.client.get(f"{LIST}?show=invited"))


def test_only_confirmed_applications_are_listed_and_paged(app, browser, login_as):
    login_as("champion")
    make_application("unconfirmed", first_name="Unconfirmed")
    make_application("declined", first_name=None, email=None, in_recovery=None, message=None)
    for number in range(app.config["PAGE_SIZE"] + 2):
        make_application(first_name=f"Person{number:02d}")
    first = html(browser.client.get(LIST))
    assert "Unconfirmed" not in first and "Person00" in first
    assert "Page 2 of 2" in first
    second = html(browser.client.get(f"{LIST}?page=2"))
    assert f"Person{app.config['PAGE_SIZE'] + 1:02d}" in second and "Person00" not in second
    with app.app_context():
        unconfirmed = db.session.scalar(
            select(VolunteerApplication.id).where(VolunteerApplication.state == "unconfirmed")
        )
    assert browser.client.get(f"{LIST}/{unconfirmed}/invite").status_code == 404
    for query in ("?show=%00", "?show=" + "x" * 5000, "?page=-1", "?page=1e309", "?page=99999"):
        assert browser.client.get(LIST + query).status_code == 200, query
    assert browser.client.get(f"{LIST}/999999/decline").status_code == 404
    assert browser.client.get(f"{LIST}/{2**31}/decline").status_code == 404


def test_the_list_does_not_grow_in_queries(app, login_as, client):
    login_as("champion")
    aa, na = factories.fellowship_id("AA"), factories.fellowship_id("NA")

    def applications(count: int) -> None:
        for _ in range(count):
            application = make_application()
            with app.app_context():
                db.session.execute(
                    volunteer_application_fellowships.insert(),
                    [
                        {"application_id": application.id, "fellowship_id": aa},
                        {"application_id": application.id, "fellowship_id": na},
                    ],
                )
                db.session.commit()

    def queries() -> int:
        with count_queries(app) as statements:
            assert client.get(LIST).status_code == 200
        return len(statements)

    applications(2)
    small = queries()
    applications(20)
    assert queries() == small


@pytest.mark.parametrize("role", ["keyworker", "volunteer", "admin"])
def test_only_champions_vet(app, login_as, browser, role):
    login_as(role)
    application = make_application()
    assert browser.client.get(LIST).status_code == 403
    for action in ("invite", "decline"):
        url = f"{LIST}/{application.id}/{action}"
        assert browser.client.get(url).status_code == 403
        assert (
            browser.post(url, {"name": "A", "email": "a@example.org"}, page="/").status_code == 403
        )
    assert _rows(app)[0].state == "confirmed"


def test_signed_out_visitors_see_the_public_pages_only(app, visitor):
    for path in (APPLY, SENT, THANKS):
        assert visitor.client.get(path).status_code == 200, path
    application = make_application()
    for path in (LIST, f"{LIST}/{application.id}/invite", f"{LIST}/{application.id}/decline"):
        response = visitor.client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.location
    assert "Volunteer with us" in html(visitor.client.get("/sign-in"))


def test_the_champions_are_told_without_the_applicants_name(app, visitor, smtp_server):
    champions = [factories.make_user(roles=("champion",)) for _ in range(2)]
    keyworker = factories.make_user(roles=("keyworker",))
    link = _applied_link(app, visitor, smtp_server, "told@example.org")
    visitor.post(link, {})
    for champion in champions:
        [note] = _rows(app, Notification, Notification.user_id == champion.id)
        assert note.link == LIST
    assert _count(app, Notification, Notification.user_id == keyworker.id) == 0
    _deliver(app)
    mail = smtp_server.to(champions[0].email)[-1]
    assert mail["Subject"] == "Someone has applied to volunteer"
    assert "Robin" not in smtp_server.text(mail) and "told@" not in smtp_server.text(mail)


# --- the clean-up job -----------------------------------------------------------------------------


def test_unconfirmed_applications_go_after_a_week(app, visitor, smtp_server, clock):
    now = utcnow()
    old = make_application(
        "unconfirmed", email="old@example.org", created_at=now - timedelta(days=8)
    )
    young = make_application("unconfirmed", created_at=now - timedelta(days=6))
    kept = make_application("confirmed", created_at=now - timedelta(days=30))
    with app.app_context():
        db.session.add(
            OutboxMessage(
                kind=vetting.CONFIRM_MAIL,
                to_address="old@example.org",
                subject="Confirm your application to volunteer",
                body_text="Hello Alex",
                created_at=now - timedelta(days=8),
                sent_at=now - timedelta(days=8),
            )
        )
        db.session.commit()
    assert "delete applications to volunteer never confirmed within 7 days" in {
        name for name, _ in scheduled_jobs()
    }
    with app.app_context():
        assert stale_applications(utcnow()) == 1
        db.session.commit()
        assert stale_applications(utcnow()) == 0  # again: nothing more to do
        db.session.commit()
    remaining = {row.id for row in _rows(app)}
    assert remaining == {young.id, kept.id} and old.id not in remaining
    assert _count(app, OutboxMessage, OutboxMessage.to_address == "old@example.org") == 0
    # address hashes older than a day are let go once the hourly limit cannot need them
    assert all(row.address_hash is None for row in _rows(app))


def test_the_job_keeps_a_recent_address_hash(app):
    recent = make_application("unconfirmed", address_hash="a" * 64, created_at=utcnow())
    with app.app_context():
        stale_applications(utcnow())
        db.session.commit()
    assert _rows(app)[0].address_hash == "a" * 64 and _rows(app)[0].id == recent.id


def test_the_database_refuses_a_declined_row_with_personal_data(app):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        db.session.add(VolunteerApplication(state="declined", first_name="Kept", email="k@x.org"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_the_email_template_is_plain(app, visitor, smtp_server):
    link = _applied_link(app, visitor, smtp_server, "plain@example.org")
    mail = smtp_server.to("plain@example.org")[-1]
    assert mail.get_body(("html",)) is not None
    text = smtp_server.text(mail)
    assert "Hello Robin" in text and link in text
