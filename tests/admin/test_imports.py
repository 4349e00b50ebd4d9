"""The admin's CSV import of volunteers and keyworkers: reading the file, every problem a row
can have, the preview, the confirmation and its invitations, importing twice, two tabs, access,
and hostile files."""

from __future__ import annotations

import io
import json
import threading
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from portal.admin import import_rules as rules
from portal.admin.models import AccountImport, AccountImportRow
from portal.audit import AuditEvent
from portal.auth.models import User
from portal.errors import Conflict, InvalidChange
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.notify.services import deliver_due
from portal.volunteers.models import Volunteer

from ..conftest import Browserless
from ..factories import make_user

GOOD = (
    "name,email,role,team\r\n"
    "Sam Dee,Sam.Dee@Example.org,volunteer,\r\n"
    "Alex Kay,alex.kay@example.org,Keyworker,North locality\r\n"
)


def _problems(text: str) -> dict[int, list[str]]:
    return {row.row_number: row.problems for row in rules.check_file(text.encode())}


def _upload(browser, text: str | bytes, filename: str = "people.csv"):
    payload = text.encode() if isinstance(text, str) else text
    return browser.post(
        "/admin/imports",
        {"file": (io.BytesIO(payload), filename)},
        page="/admin/imports",
        content_type="multipart/form-data",
    )


def _confirm(browser, location: str):
    return browser.post(location + "/confirm", {}, page=location)


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- reading the file and checking rows ---------------------------------------------------


def test_a_good_file_with_excel_s_byte_order_mark_and_extra_columns():
    text = "\ufeffName , EMAIL,Role,Team,Phone\r\n" + GOOD.split("\r\n", 1)[1] + "\r\n,,,\r\n"
    rows = rules.check_file(text.encode())
    assert [(r.row_number, r.name, r.email, r.role, r.team, r.problems) for r in rows] == [
        (2, "Sam Dee", "sam.dee@example.org", "volunteer", None, []),
        (3, "Alex Kay", "alex.kay@example.org", "keyworker", "North locality", []),
    ]


@pytest.mark.parametrize(
    "row, problem",
    [
        (",a@example.org,volunteer,", "Enter a name."),
        ("A,,volunteer,", "Enter an email address."),
        ("A,not-an-address,volunteer,", "not in the right format"),
        ("A,a@example.org,,", "Enter a role: volunteer or keyworker."),
        ("A,a@example.org,manager,", "The role “manager” is not volunteer or keyworker."),
        ("A,a@example.org,volunteer,North", "Volunteers do not have a team."),
        (f"{'n' * 61},a@example.org,volunteer,", "The name is longer than 60 characters."),
        (f"{'n' * 101},a@example.org,keyworker,", "The name is longer than 100 characters."),
        (f"A,{'a' * 250}@example.org,keyworker,", "longer than 254 characters"),
        (f"A,a@example.org,keyworker,{'t' * 101}", "The team is longer than 100 characters."),
        ("A\x00,a@example.org,volunteer,", "hidden null character"),
        ("A,a@example.org,volunteer,,,surplus", "more cells than the header row"),
    ],
)
def test_every_kind_of_problem_is_named_by_row(row, problem):
    problems = _problems(f"name,email,role,team\n{row}\n")
    assert list(problems) == [2]
    assert any(problem in words for words in problems[2]), problems


def test_the_same_address_twice_marks_both_rows():
    text = (
        "name,email,role\nA,a@example.org,volunteer\n"
        "B,x@example.org,volunteer\nC,A@example.org,keyworker\n"
    )
    problems = _problems(text)
    assert problems[3] == []
    assert problems[2] == ["The same email address is on row 4. Keep one row."]
    assert problems[4] == ["The same email address is on row 2. Keep one row."]


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"", "The file is empty"),
        (b"   \r\n", "The file is empty"),
        ("name,email,role\nJosé,j@example.org,volunteer\n".encode("latin-1"), "UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\xff\xfe", "UTF-8"),
        (b"name,email\nA,a@example.org\n", "It has no role column"),
        (
            b"name,email,role,email\nA,a@example.org,volunteer,b@example.org\n",
            "names a column twice",
        ),
        (b"name,email,role\n", "no people"),
        (b'name,email,role\nA,"' + b"x" * 200_000 + b'",volunteer\n', "Row 2 could not be read"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(payload, message):
    with pytest.raises(InvalidChange) as error:
        rules.check_file(payload)
    assert message in error.value.message and error.value.field == "file"


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(rules, "MAX_ROWS", 3)
    rows = "".join(f"P{n},p{n}@example.org,volunteer\n" for n in range(4))
    with pytest.raises(InvalidChange, match="more than 3 rows"):
        rules.check_file(f"name,email,role\n{rows}".encode())


# --- the pages ------------------------------------------------------------------------------


def test_preview_then_confirm_invites_each_person_the_usual_way(
    app, login_as, browser, client, smtp_server
):
    make_user(email="kim@example.org", roles=("keyworker",))
    login_as("admin")
    text = GOOD + "Kim,kim@example.org,keyworker,\r\nNo Role,nr@example.org,,\r\n"
    response = _upload(browser, text)
    assert response.status_code == 303
    location = urlsplit(response.location).path
    page = client.get(location).get_data(as_text=True)
    assert "Check the import" in page and "Invite 2 people" in page
    assert "Already has an account: nothing changes" in page
    assert "Enter a role: volunteer or keyworker." in page
    assert _count(app, User, User.email == "sam.dee@example.org") == 0  # nothing yet

    done = _confirm(browser, location)
    assert done.status_code == 303
    page = client.get(location).get_data(as_text=True)
    assert "Import done: 2 invited." in page and "Import done" in page
    with app.app_context():
        sam = db.session.scalar(select(User).where(User.email == "sam.dee@example.org"))
        alex = db.session.scalar(select(User).where(User.email == "alex.kay@example.org"))
        assert sam.roles == {"volunteer"} and sam.invited_at and not sam.has_password
        assert alex.roles == {"keyworker"} and alex.team == "North locality"
        volunteer = db.session.scalar(select(Volunteer).where(Volunteer.user_id == sam.id))
        assert volunteer.status == "applied" and volunteer.preferred_name == "Sam Dee"
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions.count("account_invited") == 2 and "volunteer_invited" in actions
        assert "account_team_changed" in actions
        summary = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "accounts_imported")
        )
        counts = json.loads(summary.detail)
        assert counts == {"rows": 4, "invite": 0, "invited": 2, "exists": 1, "problem": 1}
        deliver_due()
    assert "invited" in smtp_server.to("sam.dee@example.org")[-1]["Subject"]
    link = urlsplit(smtp_server.link_in_last("alex.kay@example.org")).path
    newcomer = Browserless(app.test_client())
    assert "Welcome, Alex Kay" in newcomer.client.get(link).get_data(as_text=True)
    assert smtp_server.to("kim@example.org") == []


def test_importing_the_same_file_twice_changes_nothing(app, login_as, browser, client):
    login_as("admin")
    first = urlsplit(_upload(browser, GOOD).location).path
    _confirm(browser, first)
    users, mails = _count(app, User), _count(app, OutboxMessage)

    again = urlsplit(_upload(browser, GOOD).location).path
    page = client.get(again).get_data(as_text=True)
    assert "There is nobody new to invite." in page and "This same file was imported on" in page
    assert 'id="count-exists">2<' in page and "Invite " not in page
    assert _confirm(browser, again).status_code == 303
    assert "Import done: 0 invited." in client.get(again).get_data(as_text=True)
    assert (_count(app, User), _count(app, OutboxMessage)) == (users, mails)


def test_two_tabs_confirming_at_once_make_one_import(app, login_as, browser):
    admin = login_as("admin")
    location = urlsplit(_upload(browser, GOOD).location).path
    import_id = int(location.rsplit("/", 1)[1])
    with app.test_request_context():
        tab_one = db.session.get(AccountImport, import_id)
        tab_two = db.session.get(AccountImport, import_id)
        actor = db.session.get(User, admin.id)
        rules.confirm_import(tab_one, actor)
        with pytest.raises(Conflict, match="confirmed already"):
            rules.confirm_import(tab_two, actor)
    assert _count(app, User, User.email.like("%@example.org"), User.id != admin.id) == 2
    assert _count(app, AuditEvent, AuditEvent.action == "accounts_imported") == 1
    second = _confirm(browser, location)  # the other tab's button, through the page
    assert second.status_code == 303
    assert _count(app, OutboxMessage) == 2


def test_two_confirmations_racing_in_threads_make_one_import(app, login_as, browser):
    admin = login_as("admin")
    location = urlsplit(_upload(browser, GOOD).location).path
    import_id = int(location.rsplit("/", 1)[1])
    start, outcomes = threading.Barrier(2), []

    def confirm() -> None:
        with app.test_request_context(method="POST"):  # as the button sends it
            start.wait(30)
            batch, actor = db.session.get(AccountImport, import_id), db.session.get(User, admin.id)
            try:
                outcomes.append(rules.confirm_import(batch, actor)["invited"])
            except Conflict:
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes, key=str) == [2, "conflict"]
    assert _count(app, OutboxMessage) == 2
    assert _count(app, AuditEvent, AuditEvent.action == "accounts_imported") == 1


def test_someone_invited_between_preview_and_confirm_is_left_alone(app, login_as, browser):
    login_as("admin")
    location = urlsplit(_upload(browser, GOOD).location).path
    make_user(email="sam.dee@example.org", roles=("volunteer",))
    _confirm(browser, location)
    with app.app_context():
        outcomes = dict(
            db.session.execute(select(AccountImportRow.email, AccountImportRow.outcome)).all()
        )
    assert outcomes == {"sam.dee@example.org": "exists", "alex.kay@example.org": "invited"}
    assert _count(app, OutboxMessage) == 1


def test_the_preview_pages_its_rows_and_filters_the_problems(app, login_as, browser, client):
    login_as("admin")
    rows = "".join(f"P {n},p{n}@example.org,volunteer,\n" for n in range(60))
    location = urlsplit(
        _upload(browser, f"name,email,role,team\n{rows}X,,volunteer,\n").location
    ).path
    page = client.get(location).get_data(as_text=True)
    assert "P 0" in page and "P 59" not in page and "Page 2 of 3" in page
    only = client.get(location + "?show=problems").get_data(as_text=True)
    assert "Enter an email address." in only and "P 0" not in only
    assert 'id="row-62"' in only


def test_the_template_and_the_upload_page(login_as, client):
    login_as("admin")
    sample = client.get("/admin/imports/template.csv")
    assert sample.mimetype == "text/csv" and "attachment" in sample.headers["Content-Disposition"]
    assert rules.check_file(sample.data) and all(
        not r.problems for r in rules.check_file(sample.data)
    )
    page = client.get("/admin/imports").get_data(as_text=True)
    assert "Import volunteers and keyworkers" in page and "CSV UTF-8" in page
    assert "Import volunteers and keyworkers" in client.get("/admin/").get_data(as_text=True)


# --- access and hostile requests -----------------------------------------------------------


@pytest.mark.parametrize("role", ["keyworker", "champion", "volunteer"])
def test_only_admins_import(app, login_as, client, role):
    login_as(role)
    assert client.get("/admin/imports").status_code == 403
    assert client.get("/admin/imports/template.csv").status_code == 403
    assert client.post("/admin/imports/1/confirm").status_code in (400, 403)
    assert client.get("/admin/imports/1").status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/admin/imports")
    assert response.status_code in (302, 303) and "/sign-in" in response.location


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "UTF-8"),
        ("name,email,role\nJosé,j@example.org,volunteer\n".encode("cp1252"), "UTF-8"),
        (b"name,email,role\n" + b"A,a@example.org,volunteer\n" * 4_000, "larger than 100 KB"),
        (b"", "The file is empty"),
    ],
)
def test_hostile_files_get_a_clear_message_by_the_field(
    app, login_as, browser, monkeypatch, payload, message
):
    # a smaller limit: the test client keeps an upload over 500 KB in a file it never closes
    monkeypatch.setattr(rules, "MAX_BYTES", 100 * 1024)
    login_as("admin")
    response = _upload(browser, payload)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html and "There is a problem" in html
    assert _count(app, AccountImport) == 0


def test_a_huge_upload_is_refused_before_it_is_read(app, login_as, browser, monkeypatch):
    monkeypatch.setattr(rules, "MAX_BYTES", 100 * 1024)
    login_as("admin")
    response = _upload(browser, b"name,email,role\n" + b"x" * (300 * 1024))
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "The file is larger than 100 KB" in html and "There is a problem" in html
    assert _count(app, AccountImport) == 0


def test_unknown_imports_and_missing_tokens(login_as, browser, client):
    login_as("admin")
    assert client.get("/admin/imports/999999").status_code == 404
    assert client.get("/admin/imports/not-a-number").status_code == 404
    assert browser.post("/admin/imports/999999/confirm", page="/admin/imports").status_code == 404
    location = urlsplit(_upload(browser, GOOD).location).path
    assert client.post(location + "/confirm").status_code == 400  # no CSRF token
    assert "Invite 2 people" in client.get(location).get_data(as_text=True)


def test_an_upload_s_rows_go_thirty_days_after_it_was_checked(app, login_as, browser, clock):
    from datetime import UTC, datetime, timedelta

    from portal.admin.jobs import stale_imports

    checked = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # the night before the clocks go forward
    clock.move_to(checked, tick=False)
    login_as("admin")
    _confirm(browser, urlsplit(_upload(browser, GOOD).location).path)
    assert _count(app, AccountImportRow) > 0
    with app.app_context():
        assert stale_imports(checked + timedelta(days=29)) == 0
        assert stale_imports(checked + timedelta(days=30, seconds=1)) == 1
        db.session.commit()
        assert stale_imports(checked + timedelta(days=31)) == 0  # again: nothing left
    assert (_count(app, AccountImport), _count(app, AccountImportRow)) == (0, 0)
    assert _count(app, AuditEvent, AuditEvent.action == "accounts_imported") == 1
