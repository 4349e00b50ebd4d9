"""Attacks on the audit trail and on privacy (issue 20, finding 4 and two lower findings).

- A second keyworker probes another keyworker's client pages (GET and POST): every probe is
  refused AND recorded (who, what, when, from where), never with a token or query string.
- Going on probing past the admins' limit emails each admin once, through a real SMTP server.
- Every page that shows client data records one view event (a list: one event naming the list).
- The audit page (and its CSV) filters views of client data and refused requests.
- A keyworker testing case references learns nothing about other keyworkers' clients.
- The session cookie, which anyone holding it can read, carries no client's name or reference.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.audit import REFUSAL, VIEW, AuditEvent, audit
from portal.clients.models import Client, FamaSession, Goal
from portal.dates import london_today
from portal.extensions import db
from portal.notify.kinds import KINDS
from portal.notify.models import Notification
from portal.notify.services import deliver_due
from portal.refusals import ALERT_KIND
from portal.settings import SettingRow

from ..conftest import without_form_tokens
from ..factories import (
    make_client,
    make_escort,
    make_meeting,
    make_offer,
    make_request,
    make_someone_elses_records,
    make_user,
    make_vetted_volunteer,
)

ATTACKER = "203.0.113.77"
HX = {"HX-Request": "true"}


def _html(response) -> str:
    return response.get_data(as_text=True)


def _set(app, **values: int) -> None:
    with app.app_context():
        for key, value in values.items():
            db.session.merge(SettingRow(key=key, value=json.dumps(value)))
        db.session.commit()


def _events(app, **where) -> list[AuditEvent]:
    with app.app_context():
        statement = select(AuditEvent).order_by(AuditEvent.id)
        for name, value in where.items():
            statement = statement.where(getattr(AuditEvent, name) == value)
        rows = list(db.session.scalars(statement))
        db.session.expunge_all()
        return rows


def _detail(event: AuditEvent) -> dict:
    return json.loads(event.detail) if event.detail else {}


PROBES = [
    "/clients/{c}",
    "/clients/{c}/edit",
    "/clients/{c}/close",
    "/clients/{c}/reopen",
    "/clients/{c}/consents/share_phone",
    "/clients/{c}/consents/share_first_name/withdraw",
    "/clients/{c}/sessions/new/1",
    "/clients/{c}/sessions/{s}",
    "/clients/{c}/outcome",
    "/clients/{c}/goals/new",
    "/clients/{c}/goals/{g}",
    "/clients/{c}/journal/new",
    "/clients/{c}/sheets/my-meeting",
    "/requests/for/{c}/new",
    "/requests/{r}",
    "/requests/{r}/cancel",
    "/requests/{r}/date",
]


def _attacker(app, login_as, client):
    client.environ_base["REMOTE_ADDR"] = ATTACKER
    return login_as("keyworker")


# --- refused requests: refused, and every one recorded -----------------------------------------


def test_a_second_keyworker_probing_anothers_client_is_refused_and_recorded(
    app, login_as, browser, client
):
    _set(app, refusal_alert_count=1000)  # this test counts the records; the next one alerts
    ids = make_someone_elses_records(first_name="Marigold")
    attacker = _attacker(app, login_as, client)
    token = browser.token("/clients/")
    expected = []
    for template in PROBES:
        url = template.format(**ids)
        if not url.endswith("/reopen"):
            response = client.get(url + "?secret=abc")
            assert response.status_code == 404, url
            expected.append(("GET", url, 404))
        posted = client.post(url, data={"csrf_token": token, "version": "1", "reason": "x"})
        assert posted.status_code in (404, 405), url
        if posted.status_code == 404:
            expected.append(("POST", url, 404))
    # A form without its token is refused and recorded too (400).
    assert client.post(f"/clients/{ids['c']}/edit", data={"reference": "X"}).status_code == 400
    expected.append(("POST", f"/clients/{ids['c']}/edit", 400))

    refusals = _events(app, kind=REFUSAL)
    assert [(e.actor_id, e.action, e.ip) for e in refusals] == [
        (attacker.id, "request_refused", ATTACKER)
    ] * len(expected)
    seen = [(_detail(e)["method"], _detail(e)["path"], _detail(e)["status"]) for e in refusals]
    assert seen == expected
    assert all(
        _detail(e)["endpoint"].split(".")[0] in ("clients", "accompaniment") for e in refusals
    )
    assert all(e.at is not None and e.client_ref is None for e in refusals)
    assert not any("secret" in (e.detail or "") for e in refusals)
    # nothing of the client was seen (the attacker's own caseload was), and nothing changed
    seen_by_attacker = [e for e in _events(app, kind=VIEW) if e.actor_id == attacker.id]
    assert {e.action for e in seen_by_attacker} == {"caseload_viewed"}
    assert not [e for e in _events(app) if e.client_ref == ids["ref"]]
    with app.app_context():
        assert db.session.get(Client, ids["c"]).status == "active"
        assert db.session.get(Client, ids["c"]).version == 1


def test_refusals_by_role_are_recorded_and_signed_out_noise_is_not(app, login_as, client):
    # signed out: a static file, a favicon or an address with no route leaves no record...
    assert client.get("/static/nothing-here.css").status_code == 404
    assert client.get("/favicon.ico").status_code == 404
    assert client.get("/wp-admin/setup.php").status_code == 404
    # ...and redirecting to sign in is not a refusal
    assert client.get("/clients/").status_code == 302
    assert _events(app, kind=REFUSAL) == []
    # a signed-out visitor's refusal by one of the app's own pages is kept, without its token
    token = "s3cr3t-t0ken-" + "x" * 30
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    (anonymous,) = _events(app, kind=REFUSAL)
    assert anonymous.actor_id is None
    assert _detail(anonymous)["path"] == "/calendar/<token>.ics"
    assert token not in json.dumps([e.detail for e in _events(app)])

    volunteer = login_as("volunteer")
    assert client.get("/clients/").status_code == 403
    assert client.get("/favicon.ico").status_code == 404  # the browser asked, not the person
    assert client.get("/static/css/portal.css.map").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    rows = [e for e in _events(app, kind=REFUSAL) if e.actor_id == volunteer.id]
    assert [(_detail(e)["status"], _detail(e)["path"]) for e in rows] == [
        (403, "/clients/"),
        (404, "/no/such/page"),
    ]


def test_a_refusal_that_cannot_be_recorded_is_still_refused(app, login_as, client, monkeypatch):
    import portal.refusals

    def broken(*_args, **_kwargs):
        raise RuntimeError("the audit table is unavailable")

    login_as("keyworker")
    other = make_client()
    monkeypatch.setattr(portal.refusals, "audit_row", broken)
    assert client.get(f"/clients/{other.id}").status_code == 404
    monkeypatch.undo()
    assert client.get("/clients/").status_code == 200  # the app carries on


# --- the alert to admins -------------------------------------------------------------------------


def _probe(client, client_id: int, times: int) -> None:
    for _ in range(times):
        assert client.get(f"/clients/{client_id}").status_code == 404


def _deliver(app) -> None:
    with app.app_context():
        deliver_due(datetime.now(UTC) + timedelta(minutes=1))


def test_a_burst_of_refusals_emails_each_admin_once(app, login_as, client, clock, smtp_server):
    _set(app, refusal_alert_count=5, refusal_alert_minutes=10)
    admins = [make_user(roles=("admin",)) for _ in range(2)]
    retired = make_user(roles=("admin",), active=False)
    victim = make_client(first_name="Peregrine")
    attacker = _attacker(app, login_as, client)

    _probe(client, victim.id, 5)  # up to the limit: no alert
    _deliver(app)
    assert smtp_server.messages == []
    _probe(client, victim.id, 10)  # past it: one alert per admin, however many more
    _deliver(app)
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(a.email for a in admins)
    assert smtp_server.to(retired.email) == []
    for message in smtp_server.messages:
        assert message["Subject"] == KINDS[ALERT_KIND].email_subject
        text = smtp_server.text(message)
        for secret in (victim.reference, victim.first_name, attacker.email, attacker.name):
            assert secret not in text and secret not in message["Subject"]
    with app.app_context():
        told = list(db.session.scalars(select(Notification).where(Notification.kind == ALERT_KIND)))
        assert len(told) == 2
        assert all(attacker.email in n.title and victim.reference not in n.title for n in told)
        assert all(victim.first_name not in (n.body or "") for n in told)
        assert all(n.link == "/admin/audit?kind=refusal" for n in told)

    # Still going a few minutes later: the admins know already.
    clock.shift(timedelta(minutes=4))
    _probe(client, victim.id, 6)
    _deliver(app)
    assert len(smtp_server.messages) == 2
    # A new burst once the window has passed is a new alert.
    clock.shift(timedelta(minutes=11))
    _probe(client, victim.id, 6)
    _deliver(app)
    assert len(smtp_server.messages) == 4


def test_the_alert_settings_are_checked_like_the_others(app):
    from portal.errors import InvalidChange
    from portal.settings import check_value, get_setting

    with app.app_context():
        assert (get_setting("refusal_alert_count"), get_setting("refusal_alert_minutes")) == (
            20,
            10,
        )
        for name, bad in (
            ("refusal_alert_count", "2"),
            ("refusal_alert_count", "lots"),
            ("refusal_alert_minutes", "0"),
            ("refusal_alert_minutes", "1441"),
        ):
            with pytest.raises(InvalidChange) as refused:
                check_value(name, bad)
            assert refused.value.field == name
        assert check_value("refusal_alert_count", " 50 ") == 50


# --- one view event per page that shows client data --------------------------------------------


def _view_count(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == VIEW)
        )


def _one_view(app, client, url: str, **headers) -> AuditEvent:
    before = _view_count(app)
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    events = _events(app, kind=VIEW)
    assert len(events) == before + 1, url
    return events[-1]


def test_each_keyworker_page_with_client_data_records_one_view(app, login_as, client):
    keyworker = login_as("keyworker")
    mine = make_client(keyworker, first_name="Tamsin", consent_first_name=True)
    meeting = make_meeting()
    request = make_request(mine, meeting)
    with app.app_context():
        session = FamaSession(
            client_id=mine.id,
            kind=1,
            held_on=london_today(datetime.now(UTC)),
            recorded_by_id=keyworker.id,
        )
        goal = Goal(client_id=mine.id, goal="Go", recorded_by_id=keyworker.id)
        db.session.add_all([session, goal])
        db.session.commit()
        ids = {"c": mine.id, "s": session.id, "g": goal.id, "r": request.id}
    pages = {
        "/clients/{c}": ("client_viewed", "clients.show"),
        "/clients/{c}/edit": ("client_viewed", "clients.edit"),
        "/clients/{c}/close": ("client_viewed", "clients.close"),
        "/clients/{c}/consents/share_phone": ("client_viewed", "clients.give_consent"),
        "/clients/{c}/consents/share_first_name/withdraw": (
            "client_viewed",
            "clients.withdraw_consent",
        ),
        "/clients/{c}/sessions/{s}": ("fama_session_viewed", "clients.show_session"),
        "/clients/{c}/outcome": ("client_viewed", "clients.outcome"),
        "/clients/{c}/goals/new": ("client_viewed", "clients.new_goal"),
        "/clients/{c}/goals/{g}": ("goal_viewed", "clients.edit_goal"),
        "/clients/{c}/journal/new": ("client_viewed", "clients.new_journal_entry"),
        "/clients/{c}/sheets/support": ("client_sheet_printed", "clients.sheet"),
        "/requests/{r}": ("request_viewed", "accompaniment.show"),
        "/requests/{r}/cancel": ("request_viewed", "accompaniment.cancel"),
        "/requests/{r}/date": ("request_viewed", "accompaniment.change_date"),
    }
    for template, (action, endpoint) in pages.items():
        event = _one_view(app, client, template.format(**ids))
        assert (event.action, event.actor_id, event.client_ref) == (
            action,
            keyworker.id,
            mine.reference,
        ), template
        assert _detail(event)["endpoint"] == endpoint

    # the caseload: one event naming the list, its page and search, never the clients on it
    for url, headers in (("/clients/?q=tam&page=1", {}), ("/clients/?q=tams", HX)):
        event = _one_view(app, client, url, **headers)
        assert (event.action, event.client_ref, event.object_id) == ("caseload_viewed", None, None)
        assert _detail(event)["list"] == "caseload" and _detail(event)["page"] == 1
        assert "Tamsin" not in event.detail and mine.reference not in event.detail
    assert "a search" in event.summary and "page 1" in event.summary
    assert "tam" not in event.detail  # what was typed may be a name: never kept
    assert _one_view(app, client, "/keyworker").action == "caseload_viewed"

    # a change that redirects is a change, not a look; a refused one is a refusal
    before = _view_count(app)
    assert client.get(f"/clients/{mine.id}/goals/999999").status_code == 404
    assert _view_count(app) == before


def test_champion_volunteer_and_admin_pages_with_client_data_record_one_view(
    app, login_as, client, browser
):
    keyworker = make_user(roles=("keyworker",))
    mine = make_client(keyworker, first_name="Oriel", consent_first_name=True)
    request = make_request(mine, make_meeting(), state="offered")
    volunteer_user = make_user(roles=("volunteer",))
    volunteer = make_vetted_volunteer(volunteer_user)
    offer = make_offer(request, volunteer)
    escort, _v, escort_user, _kw, escort_client = make_escort(starts_in=timedelta(hours=-2))

    champion = login_as("champion")
    for url, action in (
        ("/requests/queue?area=North", "request_queue_viewed"),
        ("/requests/proposals", "proposals_viewed"),
    ):
        event = _one_view(app, client, url)
        assert (event.action, event.actor_id, event.client_ref) == (action, champion.id, None)
    assert _detail(_events(app, kind=VIEW)[-2])["area"] == "North"
    event = _one_view(app, client, f"/requests/{request.id}/coordinate")
    assert (event.action, event.client_ref) == ("request_viewed_by_champion", mine.reference)
    event = _one_view(app, client, f"/safety/escorts/{escort.id}/outcome")
    assert (event.action, event.client_ref) == ("escort_outcome_viewed", escort_client.reference)
    client.post("/sign-out", data={"csrf_token": browser.token("/")})

    browser.sign_in(volunteer_user.email)
    event = _one_view(app, client, f"/offers/{offer.id}")
    assert (event.action, event.actor_id, event.client_ref) == (
        "offer_viewed",
        volunteer_user.id,
        mine.reference,
    )
    client.post("/sign-out", data={"csrf_token": browser.token("/")})

    admin = login_as("admin")
    for url, action, ref in (
        (f"/clients/transfer?reference={mine.reference}", "client_looked_up", mine.reference),
        ("/admin/data-protection?kind=client&q=CM", "people_search_viewed", None),
        ("/admin/data-protection/retention", "retention_due_viewed", None),
        (f"/admin/data-protection/client/{mine.id}/erase", "erasure_viewed", mine.reference),
        (f"/admin/data-protection/client/{mine.id}", "subject_access_viewed", mine.reference),
    ):
        event = _one_view(app, client, url)
        assert (event.action, event.actor_id, event.client_ref) == (action, admin.id, ref), url
    # a transfer look-up that finds nobody shows nobody
    before = _view_count(app)
    assert client.get("/clients/transfer?reference=NOBODY-1").status_code == 200
    assert _view_count(app) == before


# --- the audit page filters both, and so does its CSV ------------------------------------------


def test_the_audit_page_and_its_csv_filter_views_and_refusals(app, login_as, browser, client):
    keyworker = login_as("keyworker")
    mine = make_client(keyworker)
    other = make_client()
    assert client.get(f"/clients/{mine.id}").status_code == 200  # a view
    assert client.get(f"/clients/{other.id}").status_code == 404  # a refusal
    with app.app_context():
        audit("settings_changed", detail={"service_name": "x"})  # a change
        db.session.commit()
    client.post("/sign-out", data={"csrf_token": browser.token("/")})

    login_as("admin")
    views = _html(client.get("/admin/audit?kind=view"))
    assert "client viewed" in views and "request refused" not in views
    assert "settings changed" not in views and "Looked at: clients.show" in views
    refused = _html(client.get("/admin/audit?kind=refusal", headers=HX))
    assert "<html" not in refused
    assert "request refused" in refused and "client viewed" not in refused
    assert f"Refused: 404 GET /clients/{other.id}" in refused
    changes = _html(client.get("/admin/audit?kind=change"))
    assert "settings changed" in changes and "client viewed" not in changes
    assert "request refused" not in changes
    page = _html(client.get("/admin/audit"))
    assert 'name="kind"' in page and "Refused requests" in page

    exports = {}
    for kind in (VIEW, REFUSAL, "change"):
        response = client.get(f"/admin/audit.csv?kind={kind}")
        assert response.status_code == 200
        rows = list(csv.DictReader(io.StringIO(_html(response))))
        assert rows and {row["kind"] for row in rows} == {kind}
        exports[kind] = {row["action"] for row in rows}
    # signing in lands on the caseload: a list view too
    assert exports[VIEW] == {"client_viewed", "caseload_viewed"}
    assert exports[REFUSAL] == {"request_refused"}
    assert "settings_changed" in exports["change"]
    assert not exports["change"] & (exports[VIEW] | exports[REFUSAL])
    refused_csv = list(
        csv.DictReader(io.StringIO(_html(client.get("/admin/audit.csv?kind=refusal"))))
    )
    assert refused_csv[0]["who"] == keyworker.name and refused_csv[0]["client reference"] == ""

    # a forged kind is a message by the field, never a 500; its CSV is refused
    hostile = client.get("/admin/audit?kind=%27%3B+drop")
    assert hostile.status_code == 200 and "Choose one of the options" in _html(hostile)
    assert client.get("/admin/audit.csv?kind=nonsense").status_code == 400


def test_views_recorded_before_events_had_a_kind_still_count_as_views(app, login_as, client):
    from portal.admin.audit_search import audit_query

    with app.app_context():
        audit("client_viewed", client_ref="OLD-1")  # as recorded before migration 0012
        db.session.commit()
        views = db.session.execute(audit_query(kind=VIEW)).all()
        changes = db.session.execute(audit_query(kind="change")).all()
    assert [event.client_ref for event, *_ in views] == ["OLD-1"]
    assert changes == []


# --- case references reveal nothing about other keyworkers' clients ----------------------------


NEUTRAL = "This case reference cannot be used. Check it, or ask your admin"


_without_token = without_form_tokens


def test_a_keyworker_testing_case_references_learns_nothing_about_other_caseloads(
    app, login_as, browser, client
):
    theirs = make_client(first_name="Hollis", reference="KW-OTHER-1")
    closed = make_client(reference="KW-OTHER-2", status="closed")
    attacker = _attacker(app, login_as, client)
    mine = make_client(attacker, reference="KW-MINE-1")

    def add(reference: str) -> str:
        response = browser.post(
            "/clients/new", {"reference": reference, "first_name": "Probe", "gender": "woman"}
        )
        assert response.status_code == 200, reference
        return _html(response)

    answers = [add(theirs.reference), add(closed.reference), add(theirs.reference.lower())]
    for answer in answers:
        assert NEUTRAL in answer
        for secret in ("Hollis", "already", "another keyworker", "caseload"):
            assert secret not in answer
    # the same page, word for word, whichever other client the reference belongs to
    normalised = [
        _without_token(a).replace(r, "REF")
        for a, r in zip(
            answers, (theirs.reference, closed.reference, theirs.reference.lower()), strict=True
        )
    ]
    assert normalised[0] == normalised[1] == normalised[2]
    # correcting one's own client to another's reference says the same
    edit = browser.post(
        f"/clients/{mine.id}/edit",
        {"reference": theirs.reference, "first_name": "Mine", "gender": "man", "version": "1"},
    )
    assert edit.status_code == 200 and NEUTRAL in _html(edit) and "Hollis" not in _html(edit)
    # only a client of one's own is named as such
    assert "already has this reference" in add(mine.reference)

    # looking the client up by id, or searching the caseload, answers as for nobody at all
    gone = _without_token(_html(client.get("/clients/987654")))
    taken = _without_token(_html(client.get(f"/clients/{theirs.id}")))
    assert client.get(f"/clients/{theirs.id}").status_code == 404 and gone == taken
    search = [
        _html(client.get(f"/clients/?action=all&q={q}", headers=HX)).replace(q, "Q")
        for q in (theirs.reference, "KW-NONE-1")
    ]
    assert search[0] == search[1] and "Hollis" not in search[0]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Client)) == 3


# --- the session cookie carries no client's personal data --------------------------------------


def _cookie_text(app, client) -> str:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"], domain="portal.test")
    if cookie is None:
        return ""
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    return json.dumps(data, default=str).lower()


def test_the_session_cookie_carries_no_client_name_or_reference(app, login_as, browser, client):
    keyworker = login_as("keyworker")
    meeting = make_meeting()
    secrets = ("zebedee", "zx-90210")

    def step(url: str, data: dict, page: str | None = None) -> None:
        response = browser.post(url, data, page=page)
        assert response.status_code == 303, (url, _html(response))
        text = _cookie_text(app, client)
        assert "_flashes" in text, url  # the message is there, in words without the client
        for secret in secrets:
            assert secret not in text, (url, text)
        client.get(response.location)  # the flash is shown and leaves the cookie

    step("/clients/new", {"reference": "zx-90210", "first_name": "Zebedee", "gender": "man"})
    with app.app_context():
        made = db.session.scalar(select(Client).where(Client.reference == "ZX-90210"))
    base = f"/clients/{made.id}"
    step(
        f"{base}/edit",
        {"reference": "ZX-90210", "first_name": "Zebedee", "gender": "man", "version": "1"},
    )
    step(f"{base}/consents/share_first_name", {"agreed": "y", "version": "2"})
    step(f"{base}/goals/new", {"goal": "Go to a meeting"})
    today = london_today(datetime.now(UTC)).isoformat()
    step(f"{base}/journal/new", {"attended_on": today, "meeting_name": "Zebedee's group"})
    with app.app_context():
        version = db.session.get(Client, made.id).version
    step(f"{base}/close", {"version": str(version)})
    step(f"{base}/reopen", {"version": str(version + 1)}, page=base)
    step(f"{base}/outcome", {"outcome": "engaged", "version": str(version + 2)})
    make_request(made, meeting)
    client.post("/sign-out", data={"csrf_token": browser.token("/")})

    admin = login_as("admin")
    new_keyworker = make_user(roles=("keyworker",))
    with app.app_context():
        version = db.session.get(Client, made.id).version
    step(
        "/clients/transfer",
        {"reference": "ZX-90210", "keyworker_id": str(new_keyworker.id), "version": version},
        page="/clients/transfer",
    )
    assert keyworker.id != admin.id
