"""Issue 9: an axe-core scan in Chromium of every main page, as the role that uses it.

One server and one set of data for the whole module, one signed-in browser context per role;
each page is scanned as it first shows and, for forms, once more after sending it empty (so the
error summary and the messages by the fields are checked too). A page endpoint that is neither
scanned here nor skipped with a reason fails `test_every_page_endpoint_is_scanned_or_skipped`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from werkzeug.exceptions import NotFound as WerkzeugNotFound

from portal import create_app
from portal.extensions import db

from .. import factories
from ..factories import (
    make_attendance,
    make_escort,
    make_fama_session,
    make_fellowship,
    make_meeting,
    make_offer,
    make_request,
    make_user,
    make_vetted_volunteer,
)
from ..mail import SMTPServer
from ..messages.test_views import message_page
from ..tasks.test_views import task_page
from ..test_permissions import EXPECTED
from ..volunteers.test_applications import application_page, confirm_link
from ..volunteers.test_check_kinds import check_kind_page
from ..volunteers.test_supervision import supervision_page
from .conftest import LiveServer, axe_violations, sign_in

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Scan:
    role: str  # "anon", "admin", "champion", "keyworker", "volunteer" or "volunteer-phone"
    endpoint: str  # the endpoint the URL must reach (checked while scanning)
    url: Callable[[SimpleNamespace], str]
    # a form's button: press it with the form unfilled, and scan the errors it shows too
    submit: str | re.Pattern | None = None
    name: str = ""
    status: int = 200  # what the page answers (an expired link is 410 Gone, for example)
    shows: str | None = None  # text the page must show (so the state meant is the state scanned)

    @property
    def id(self) -> str:
        return f"{self.role}:{self.name or self.endpoint}"


def _s(
    role: str,
    endpoint: str,
    url: str | Callable,
    submit: str | re.Pattern | None = None,
    name: str = "",
    status: int = 200,
    shows: str | None = None,
):
    return Scan(
        role, endpoint, url if callable(url) else (lambda w, u=url: u), submit, name, status, shows
    )


SCANS: list[Scan] = [
    # signed out
    _s("anon", "auth.sign_in", "/sign-in", submit="Sign in"),
    _s("anon", "auth.forgot_password", "/password/forgot", submit="Send me a link"),
    _s("anon", "auth.reset_password", "/password/reset/not-a-real-token", status=410),
    _s("anon", "auth.accept_invitation", "/invitation/not-a-real-token", status=410),
    _s("anon", "error.404", "/no-such-page", name="not-found", status=404),
    _s("anon", "meetings.find", "/find?day=2"),
    _s("anon", "meetings.find_meeting", lambda w: f"/find/{w.meeting.id}"),
    # admin
    _s("admin", "admin.home", "/admin/"),
    _s("admin", "admin.accounts_list", "/admin/accounts"),
    _s("admin", "admin.invite", "/admin/accounts/invite", submit="Send invitation"),
    _s("admin", "admin.account", lambda w: f"/admin/accounts/{w.keyworker.id}"),
    _s("admin", "admin.deactivate", lambda w: f"/admin/accounts/{w.spare_user.id}/deactivate"),
    _s(
        "admin",
        "admin.reset_second_factor",
        lambda w: f"/admin/accounts/{w.keyworker.id}/second-factor/reset",
    ),
    _s("admin", "auth.second_factor_page", "/account/second-factor"),
    _s("admin", "admin.settings", "/admin/settings"),
    _s("admin", "geography.directory", "/admin/postcodes"),
    _s("admin", "admin.audit_trail", "/admin/audit?q=client"),
    _s("admin", "governance.data_protection", "/admin/data-protection"),
    _s("admin", "governance.retention", "/admin/data-protection/retention"),
    _s(
        "admin",
        "governance.subject_access",
        lambda w: f"/admin/data-protection/client/{w.client3.id}",
    ),
    _s(
        "admin",
        "governance.erase",
        lambda w: f"/admin/data-protection/volunteer/{w.phone_volunteer.id}/erase",
    ),
    _s("admin", "clients.transfer", "/clients/transfer"),
    _s("admin", "reports.index", "/reports/", name="reports.index(admin)"),
    _s("admin", "error.403", "/volunteers/", name="forbidden", status=403),
    # champion
    _s("champion", "home.champion", "/champion"),
    _s("champion", "meetings.search", "/meetings?q=hope"),
    _s("champion", "meetings.detail", lambda w: f"/meetings/{w.meeting.id}"),
    _s("champion", "meetings.new", "/meetings/new", submit="Add the meeting"),
    _s("champion", "meetings.edit", lambda w: f"/meetings/{w.meeting.id}/edit"),
    _s("champion", "meetings.deactivate", lambda w: f"/meetings/{w.meeting.id}/deactivate"),
    _s(
        "champion", "meetings.reactivate", lambda w: f"/meetings/{w.inactive_meeting.id}/reactivate"
    ),
    _s("champion", "meetings.needs_checking", "/meetings/needs-checking"),
    _s("champion", "meetings.fellowships", "/meetings/fellowships"),
    _s(
        "champion",
        "meetings.fellowship_new",
        "/meetings/fellowships/new",
        submit="Add the fellowship",
    ),
    _s(
        "champion",
        "meetings.fellowship_edit",
        lambda w: f"/meetings/fellowships/{w.fellowship.id}/edit",
    ),
    _s(
        "champion",
        "meetings.fellowship_deactivate",
        lambda w: f"/meetings/fellowships/{w.fellowship.id}/deactivate",
    ),
    _s(
        "champion",
        "meetings.fellowship_reactivate",
        lambda w: f"/meetings/fellowships/{w.inactive_fellowship.id}/reactivate",
    ),
    _s("champion", "meetings.import_upload", "/meetings/import", submit="Check the feed"),
    _s("champion", "meetings.import_preview", lambda w: f"/meetings/import/{w.import_id}"),
    _s("champion", "meetings.print_sheet", "/meetings/print"),
    _s("champion", "volunteers.volunteer_list", "/volunteers/"),
    _s("champion", "volunteers.checks_due", "/volunteers/checks-due"),
    _s("champion", "volunteers.invite", "/volunteers/invite", submit="Send invitation"),
    _s(
        "champion",
        "volunteers.add_phone_contact",
        "/volunteers/phone-contact",
        submit="Add contact",
    ),
    _s("champion", "volunteers.detail", lambda w: f"/volunteers/{w.volunteer.id}"),
    _s("champion", "volunteers.edit", lambda w: f"/volunteers/{w.volunteer.id}/edit"),
    _s(
        "champion",
        "volunteers.change_status",
        lambda w: f"/volunteers/{w.volunteer.id}/status/paused",
    ),
    _s(
        "champion", "volunteers.conflict_notes", lambda w: f"/volunteers/{w.volunteer.id}/conflicts"
    ),
    _s(
        "champion",
        "volunteers.add_check",
        lambda w: f"/volunteers/{w.volunteer.id}/checks/dbs/new",
        submit=re.compile(r"^Save "),
    ),
    _s(
        "champion",
        "volunteers.edit_check",
        lambda w: f"/volunteers/{w.volunteer.id}/checks/{w.check_id}/edit",
    ),
    _s(
        "champion",
        "volunteers.remove_check",
        lambda w: f"/volunteers/{w.volunteer.id}/checks/{w.check_id}/remove",
    ),
    _s("champion", "volunteers.meetings", lambda w: f"/volunteers/{w.volunteer.id}/meetings"),
    _s(
        "champion",
        "volunteers.meeting_add",
        lambda w: f"/volunteers/{w.volunteer.id}/meetings/add?meeting_id={w.meeting.id}",
    ),
    _s(
        "champion",
        "volunteers.availability",
        lambda w: f"/volunteers/{w.volunteer.id}/availability",
    ),
    _s("champion", "accompaniment.queue", "/requests/queue", shows="Hope Group"),
    _s(
        "champion",
        "accompaniment.coordinate",
        lambda w: f"/requests/{w.open_request.id}/coordinate",
        shows="Offer to Volunteer",  # with its ranked candidates
    ),
    _s(
        "champion",
        "accompaniment.record_answer",
        lambda w: f"/requests/offers/{w.phone_offer.id}/answer",
        submit="Record the answer",
    ),
    _s(
        "champion",
        "accompaniment.withdraw_offer",
        lambda w: f"/requests/offers/{w.phone_offer.id}/withdraw",
    ),
    _s(
        "champion",
        "accompaniment.release",
        lambda w: f"/requests/{w.escort.id}/release",
        submit=re.compile(r"^Release "),
    ),
    _s("champion", "accompaniment.proposals", "/requests/proposals"),
    _s("champion", "safety.today", "/safety/today", shows="Hope Group"),
    _s(
        "champion",
        "safety.outcome",
        lambda w: f"/safety/escorts/{w.escort.id}/outcome",
        name="safety.outcome(champion)",
    ),
    _s(
        "champion",
        "safety.record_check",
        lambda w: f"/safety/escorts/{w.escort.id}/record",
        submit="Record this check",
    ),
    _s("champion", "reports.index", "/reports/"),
    _s("champion", "notify.inbox", "/messages/"),
    _s("champion", "notify.email_choices", "/messages/email"),
    _s("champion", "notify.text_problems", "/messages/texts"),
    _s("champion", "auth.change_password", "/account/password", submit="Save password"),
    # keyworker
    _s("keyworker", "home.keyworker", "/keyworker"),
    _s("keyworker", "clients.caseload", "/clients/", shows="Dee"),
    _s("keyworker", "clients.add", "/clients/new", submit="Add client"),
    _s("keyworker", "clients.show", lambda w: f"/clients/{w.client3.id}"),
    _s("keyworker", "clients.edit", lambda w: f"/clients/{w.client3.id}/edit"),
    _s("keyworker", "clients.close", lambda w: f"/clients/{w.client1.id}/close"),
    _s(
        "keyworker",
        "clients.give_consent",
        lambda w: f"/clients/{w.client1.id}/consents/share_phone",
        submit="Record consent",
    ),
    _s(
        "keyworker",
        "clients.withdraw_consent",
        lambda w: f"/clients/{w.client3.id}/consents/share_first_name/withdraw",
    ),
    _s(
        "keyworker",
        "clients.new_session",
        lambda w: f"/clients/{w.client0.id}/sessions/new/1",
        submit="Save session 1",
        name="session-1",
    ),
    _s(
        "keyworker",
        "clients.new_session",
        lambda w: f"/clients/{w.client1.id}/sessions/new/2",
        name="session-2",  # sent empty, session 2 is valid: no error state to scan
    ),
    _s(
        "keyworker",
        "clients.new_session",
        lambda w: f"/clients/{w.client3.id}/sessions/new/3",
        submit="Save session 3",
        name="session-3",
    ),
    _s(
        "keyworker",
        "clients.show_session",
        lambda w: f"/clients/{w.client3.id}/sessions/{w.session2.id}",
    ),
    _s("keyworker", "clients.outcome", lambda w: f"/clients/{w.client3.id}/outcome"),
    _s(
        "keyworker",
        "clients.new_goal",
        lambda w: f"/clients/{w.client3.id}/goals/new",
        submit="Save the goal",
    ),
    _s("keyworker", "clients.edit_goal", lambda w: f"/clients/{w.client3.id}/goals/{w.goal_id}"),
    _s(
        "keyworker",
        "clients.new_journal_entry",
        lambda w: f"/clients/{w.client3.id}/journal/new",
        submit="Add to the journal",
    ),
    _s(
        "keyworker",
        "clients.sheet",
        lambda w: f"/clients/{w.client3.id}/sheets/my-meeting",
        name="sheet-my-meeting",
    ),
    _s(
        "keyworker",
        "clients.sheet",
        lambda w: f"/clients/{w.client3.id}/sheets/support",
        name="sheet-support",
    ),
    _s(
        "keyworker",
        "clients.sheet",
        lambda w: f"/clients/{w.client3.id}/sheets/journal",
        name="sheet-journal",
    ),
    _s(
        "keyworker",
        "accompaniment.new",
        lambda w: f"/requests/for/{w.client4.id}/new",  # prefilled: valid as it comes
    ),
    _s("keyworker", "accompaniment.show", lambda w: f"/requests/{w.open_request.id}"),
    _s(
        "keyworker",
        "accompaniment.cancel",
        lambda w: f"/requests/{w.open_request.id}/cancel",
    ),
    _s("keyworker", "accompaniment.change_date", lambda w: f"/requests/{w.open_request.id}/date"),
    _s("keyworker", "meetings.search", "/meetings", name="meetings.search(keyworker)"),
    _s("keyworker", "notify.inbox", "/messages/", name="notify.inbox(keyworker)"),
    # volunteer, on a desktop
    _s("volunteer", "home.volunteer", "/volunteer", shows="Lantern Group"),
    _s(
        "volunteer",
        "auth.set_up_second_factor",
        "/account/second-factor/set-up",
        submit="Check the code and turn it on",
    ),
    _s("volunteer", "auth.turn_off_second_factor", "/account/second-factor/turn-off"),
    _s("volunteer", "volunteers.application", "/me/application"),
    _s("volunteer", "volunteers.my_meetings", "/me/meetings?q=hope"),
    _s(
        "volunteer",
        "volunteers.my_meeting_add",
        lambda w: f"/me/meetings/add?meeting_id={w.other_meeting.id}",
    ),
    _s("volunteer", "volunteers.my_availability", "/me/availability", submit="Add free time"),
    _s("volunteer", "volunteers.my_calendar", "/me/calendar"),
    _s("volunteer", "offers.show", lambda w: f"/offers/{w.pending_offer.id}"),
    _s(
        "volunteer",
        "offers.show",
        lambda w: f"/offers/{w.escort_offer.id}",
        name="offers.show(booked)",
    ),
    _s(
        "volunteer",
        "offers.cannot_go",
        lambda w: f"/offers/{w.escort_offer.id}/cannot-go",
        submit="I can no longer go",
    ),
    _s("volunteer", "safety.my_escorts", "/safety/escorts"),
    _s("volunteer", "safety.escort", lambda w: f"/safety/escorts/{w.escort.id}"),
    _s(
        "volunteer",
        "safety.outcome",
        lambda w: f"/safety/escorts/{w.escort.id}/outcome",
        submit="Save what happened",
    ),
    _s(
        "volunteer",
        "notify.email_choices",
        "/messages/email",
        name="notify.email_choices(volunteer)",
    ),
    # volunteer, on a phone
    _s("volunteer-phone", "home.volunteer", "/volunteer", name="home.volunteer(phone)"),
    _s("volunteer-phone", "safety.my_escorts", "/safety/escorts", name="safety.my_escorts(phone)"),
    _s(
        "volunteer-phone",
        "safety.escort",
        lambda w: f"/safety/escorts/{w.escort.id}",
        name="safety.escort(phone)",
    ),
    _s(
        "volunteer-phone",
        "safety.outcome",
        lambda w: f"/safety/escorts/{w.escort.id}/outcome",
        name="safety.outcome(phone)",
    ),
    _s(
        "volunteer-phone",
        "offers.show",
        lambda w: f"/offers/{w.pending_offer.id}",
        name="offers.show(phone)",
    ),
    # the hand-out library (issue 18)
    _s("keyworker", "clients.handouts", lambda w: f"/clients/{w.client3.id}/handouts"),
    _s(
        "keyworker",
        "clients.handout",
        lambda w: f"/clients/{w.client3.id}/handouts/3",
        shows="Your meeting",
    ),
    _s(
        "keyworker",
        "clients.handout",
        lambda w: f"/clients/{w.client3.id}/handouts/goals?large=1",
        name="clients.handout(planner, large print)",
    ),
    _s("keyworker", "handouts.library_page", "/handouts/"),
    _s("keyworker", "handouts.blank", "/handouts/6", shows="Meetings to try"),
    _s("keyworker", "handouts.blank", "/handouts/7?large=1", name="handouts.blank(large print)"),
    _s(
        "keyworker",
        "handouts.blank",
        "/handouts/mapping",
        name="handouts.blank(good and hard things)",
        shows="If I do not go",
    ),
    _s("admin", "admin.handouts", "/admin/handouts"),
    _s("admin", "admin.edit_handout", "/admin/handouts/5", shows="Section 13"),
    _s("admin", "admin.handout_versions", "/admin/handouts/5/versions"),
    _s("admin", "admin.handout_version", "/admin/handouts/5/versions/1"),
    _s("admin", "admin.restore_handout", "/admin/handouts/5/standard"),
    # keyworkers' visits to open meetings (issue 18)
    _s("keyworker", "meetings.visit_new", lambda w: f"/meetings/{w.meeting.id}/visits/new"),
    _s("keyworker", "meetings.my_visits", "/meetings/my-visits", shows="not recorded any visits"),
    # "Volunteer with us" (issue 18): the public form and its link, and the champion's vetting
    _s("anon", "volunteers.apply", "/volunteer-with-us", submit="Send my application"),
    _s("anon", "volunteers.apply_sent", "/volunteer-with-us/check-your-email"),
    _s("anon", "volunteers.apply_confirm", lambda w: confirm_link(), shows="Confirm my"),
    _s(
        "anon",
        "volunteers.apply_confirm",
        "/volunteer-with-us/confirm/not-a-real-token",
        name="volunteers.apply_confirm(forged)",
        status=410,
    ),
    _s("anon", "volunteers.apply_thanks", "/volunteer-with-us/thank-you"),
    _s("champion", "volunteers.applications", lambda w: application_page(), shows="Alex"),
    _s(
        "champion",
        "volunteers.application_invite",
        lambda w: application_page("invite"),  # prefilled: valid as it comes
    ),
    _s(
        "champion",
        "volunteers.application_decline",
        lambda w: application_page("decline"),  # sending it declines: the reason is optional
    ),
    # the week rota (issue 19): the page with its filters, and the view ready to print
    _s("champion", "safety.rota", "/safety/rota", shows="Hope Group"),
    _s("champion", "safety.rota", "/safety/rota?print=1", name="safety.rota(print)"),
    # the champions' tasks (issue 19): the list, adding one (errors too), reassigning one
    _s("champion", "tasks.task_list", lambda w: task_page(), shows="Ring about the rota"),
    _s("champion", "tasks.task_new", "/tasks/new", submit="Add the task"),
    _s("champion", "tasks.task_reassign", lambda w: task_page("reassign")),
    # check and training kinds the service defines, and supervision (issue 19)
    _s("admin", "admin.check_kinds", lambda w: check_kind_page(), shows="Naloxone training"),
    _s(
        "admin",
        "admin.add_check_kind",
        "/admin/check-kinds/new",
        submit="Add this check or training",
    ),
    _s("admin", "admin.edit_check_kind", lambda w: check_kind_page("edit")),
    _s("admin", "admin.retire_check_kind", lambda w: check_kind_page("retire")),
    _s("champion", "volunteers.supervision", lambda w: supervision_page(w.volunteer.id)),
    _s(
        "champion",
        "volunteers.add_supervision",
        lambda w: f"/volunteers/{w.volunteer.id}/supervision/new",
        submit="Save supervision",
    ),
    _s(
        "champion",
        "volunteers.edit_supervision",
        lambda w: supervision_page(w.volunteer.id, "edit"),
    ),
    _s(
        "champion",
        "volunteers.remove_supervision",
        lambda w: supervision_page(w.volunteer.id, "remove"),
    ),
    _s(
        "champion",
        "volunteers.checks_due",
        "/volunteers/checks-due?show=supervision",
        name="volunteers.checks_due(supervision)",
    ),
    # messages from the champion (issue 19): writing (errors too), the preview, what was sent
    # and its replies; the volunteer's messages and their reply form (errors too)
    _s("champion", "messages.write", "/messages/new?to=all", submit="Preview the message"),
    _s("champion", "messages.edit", lambda w: message_page("edit")),
    _s("champion", "messages.preview", lambda w: message_page("preview"), shows="Who gets it"),
    _s("champion", "messages.sent_list", lambda w: message_page("sent"), shows="Team meeting"),
    _s("champion", "messages.sent_detail", lambda w: message_page("detail"), shows="I can come"),
    _s("volunteer", "messages.inbox", lambda w: message_page("inbox", w.volunteer_user)),
    _s(
        "volunteer",
        "messages.reply",
        lambda w: message_page("reply", w.volunteer_user),
        submit="Send your reply",
    ),
    # travel expenses (issue 19): the world's escort started minutes ago, so it can be claimed
    _s("volunteer", "expenses.mine", "/expenses/", shows="Claim travel costs"),
    _s("volunteer-phone", "expenses.mine", "/expenses/", name="expenses.mine(phone)"),
    _s(
        "volunteer",
        "expenses.claim_escort",
        lambda w: f"/expenses/escorts/{w.escort.id}/claim",
        submit="Send my claim",
    ),
    _s("champion", "expenses.waiting", "/expenses/waiting"),
    _s("champion", "expenses.months", "/expenses/months"),
    _s("champion", "expenses.month", "/expenses/2026-11"),
    # the CSV import of volunteers and keyworkers (issue 19): the upload page, errors too
    _s("admin", "admin.import_accounts", "/admin/imports", submit="Check the file"),
]

# GET endpoints that are not pages to scan, each with the reason.
SKIPPED: dict[str, str] = {
    "static": "files, not pages",
    "system.healthz": "a plain-text health answer for the load balancer",
    "home.index": "only redirects to the role's home page (scanned for each role)",
    "notify.count": "an htmx fragment (the unread badge), scanned inside every page's header",
    "admin.audit_export": "a CSV download",
    "auth.enter_code": "needs a password step first: scanned in test_second_factor.py",
    "auth.set_up_at_sign_in": "needs a password step first: scanned in test_second_factor.py",
    "governance.subject_access_json": "a JSON download",
    "meetings.search_csv": "a CSV download",
    "meetings.feed": "a JSON feed",
    "meetings.calendar": "an iCalendar download",
    "meetings.find_calendar": "an iCalendar download",
    "volunteers.calendar_feed": "an iCalendar feed for calendar apps",
    "reports.download": "a CSV download",
    "meetings.visit_remove": "asks before removing the person's own visit, and the scan world "
    "records none: the form_page layout and confirm_form macro, as on meetings.deactivate",
    "expenses.month_csv": "a CSV download",
    "expenses.ticket": "a file download (the photo of a ticket)",
    "expenses.withdraw": "needs a claim the scan world does not make: scanned in "
    "tests/browser/test_expenses.py",
    "expenses.review": "needs a claim: scanned in tests/browser/test_expenses.py",
    "expenses.decline": "needs a claim: scanned in tests/browser/test_expenses.py",
    "expenses.mark_paid": "needs approved claims: scanned in tests/browser/test_expenses.py",
    "admin.import_template": "a CSV download (the template for an import)",
    "admin.import_preview": "needs an uploaded file: scanned in tests/browser/test_bulk_import.py",
}


def _get_endpoints() -> set[str]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint in EXPECTED
    }


def test_every_page_endpoint_is_scanned_or_skipped():
    pages = _get_endpoints()
    scanned = {scan.endpoint for scan in SCANS}
    missing = sorted(pages - scanned - SKIPPED.keys())
    assert not missing, (
        f"scan these pages in SCANS, or add them to SKIPPED with a reason: {missing}"
    )
    both = sorted(scanned & SKIPPED.keys())
    assert not both, f"scanned and skipped at once: {both}"
    assert len({scan.id for scan in SCANS}) == len(SCANS), "two scans share an id"


# --- one server, one set of data and one browser context per role, for the whole module -----


def _build_world(champion_id: int) -> SimpleNamespace:
    from portal.audit import utcnow
    from portal.clients.models import Goal
    from portal.meetings.models import Fellowship
    from portal.meetings.occurrences import next_occurrences
    from portal.meetings.services import preview_import
    from portal.volunteers.models import SafeguardingItem

    w = SimpleNamespace()
    w.admin = make_user(roles=("admin",), name="Ada Admin")
    w.keyworker = make_user(roles=("keyworker",), name="Kit Keyworker")
    w.volunteer_user = make_user(roles=("volunteer",), name="Sam Volunteer")
    w.spare_user = make_user(roles=("keyworker",), name="Spare Keyworker")
    w.meeting = make_meeting(name="Hope Group", area="Harbourside", venue="Quay Chapel")
    w.other_meeting = make_meeting(name="Lantern Group", weekday=4, area="Northgate")
    w.inactive_meeting = make_meeting(name="Old Group", active=False)
    w.fellowship = make_fellowship(name="Friends in Recovery")
    w.inactive_fellowship = make_fellowship(name="Closed Fellowship", active=False)
    w.stale_meeting = make_meeting(name="Stale Group", last_verified_at=None, area="Old Town")

    # An escort happening now, for the volunteer (it makes their vetted volunteer record).
    w.escort, w.volunteer, _, _, w.escort_client = make_escort(
        w.volunteer_user, starts_in=timedelta(minutes=-5), keyworker=w.keyworker, meeting=w.meeting
    )
    make_attendance(w.volunteer, w.meeting)
    w.phone_volunteer = make_vetted_volunteer(None, phone="07700 900456", preferred_name="Pat")

    # Clients at each stage of FAMA.
    w.client0 = factories.make_client(w.keyworker, first_name="Alex")
    w.client1 = factories.make_client(w.keyworker, first_name="Billie", last_session_kind=1)
    make_fama_session(w.client1, 1, date.today() - timedelta(days=14))
    w.client2 = factories.make_client(
        w.keyworker, first_name="Charlie", last_session_kind=2, consent_first_name=True
    )
    make_fama_session(w.client2, 1, date.today() - timedelta(days=14))
    w.client4 = factories.make_client(
        w.keyworker, first_name="Eden", last_session_kind=2, consent_first_name=True
    )
    make_fama_session(w.client4, 1, date.today() - timedelta(days=14))
    committed = next_occurrences(
        w.meeting.weekday, w.meeting.start_time, w.meeting.end_time, utcnow(), 1
    )[0][0]
    make_fama_session(
        w.client4,
        2,
        date.today(),
        commitment_meeting_id=w.meeting.id,
        commitment_at=committed,
        wants_company=True,
    )
    w.client3 = factories.make_client(
        w.keyworker, first_name="Dee", last_session_kind=2, consent_first_name=True
    )
    make_fama_session(w.client3, 1, date.today() - timedelta(days=21))
    w.session2 = make_fama_session(w.client3, 2, date.today() - timedelta(days=7))

    # An open request with a pending offer to a phone-only volunteer, and one to our volunteer.
    w.open_request = make_request(w.client3, w.meeting, weeks_ahead=1)
    w.phone_offer = make_offer(w.open_request, w.phone_volunteer)
    other_request = make_request(w.client2, w.other_meeting, state="offered", weeks_ahead=1)
    w.pending_offer = make_offer(other_request, w.volunteer)
    w.escort_offer = _accepted_offer(w.escort.id)

    with factories.context():
        goal = Goal(
            client_id=w.client3.id,
            goal="Go to one meeting",
            progress="Chose one",
            recorded_by_id=w.keyworker.id,
        )
        db.session.add(goal)
        db.session.commit()
        w.goal_id = goal.id
        w.check_id = db.session.scalar(
            db.select(SafeguardingItem.id).where(
                SafeguardingItem.volunteer_id == w.volunteer.id, SafeguardingItem.kind == "dbs"
            )
        )
        aa = db.session.scalar(db.select(Fellowship).where(Fellowship.code == "AA"))
        feed = b'[{"slug": 1, "name": "Harbour Lights", "day": 2, "time": "19:30",'
        feed += b' "location": "Quay Chapel", "postal_code": "QX1 4AB"}]'
        w.import_id = preview_import(feed, "Wrenford intergroup", aa, champion_id, "feed.json").id
    return w


def _accepted_offer(request_id: int):
    from portal.accompaniment.models import Offer

    with factories.context():
        offer = db.session.scalar(db.select(Offer).where(Offer.request_id == request_id))
        db.session.expunge(offer)
        return offer


class World:
    def __init__(self, chromium, server: LiveServer, data: SimpleNamespace, users: dict) -> None:
        self.chromium = chromium
        self.server = server
        self.data = data
        self.users = users
        self.pages: dict[str, object] = {}

    def page_for(self, role: str):
        if role not in self.pages:
            phone = role.endswith("-phone")
            context = self.chromium.new_context(
                base_url=self.server.url,
                viewport=PHONE if phone else DESKTOP,
                is_mobile=phone,
                has_touch=phone,
            )
            context.set_default_timeout(15_000)
            page = context.new_page()
            if role != "anon":
                sign_in(page, self.users[role.removesuffix("-phone")].email)
            self.pages[role] = page
        return self.pages[role]

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture(scope="module")
def world(chromium, database_template, tmp_path_factory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("a11y")
    url = database_template.new_database(folder)
    smtp = SMTPServer()
    smtp.start()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder / "instance"),
            "MAIL_SERVER": smtp.host,
            "MAIL_PORT": smtp.port,
            "MAIL_SEND_INLINE": False,
        }
    )
    factories.use_app(app)
    server = LiveServer(app)
    server.start()
    try:
        champion = make_user(roles=("champion",), name="Chris Champion")
        data = _build_world(champion.id)
        users = {
            "admin": data.admin,
            "champion": champion,
            "keyworker": data.keyworker,
            "volunteer": data.volunteer_user,
        }
        world = World(chromium, server, data, users)
        yield world
        world.close()
    finally:
        server.stop()
        factories.use_app(None)
        smtp.stop()
        with app.app_context():
            db.engine.dispose()
        database_template.drop(url)


def _endpoint_of(app, path: str) -> str:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(path.split("#", 1)[0].split("?", 1)[0], method="GET")
    except WerkzeugNotFound:
        return "error.404"
    return endpoint


def _report(page, when: str) -> list[str]:
    """Serious and critical problems, one line per element; lesser ones are only printed."""
    serious = []
    for violation in axe_violations(page, impacts=("minor", "moderate", "serious", "critical")):
        for node in violation["nodes"]:
            line = (
                f"{page.url} ({when}): [{violation['impact']}] {violation['id']} at "
                f"{node['target']}: {violation['help']} — {node['html'][:160]}"
            )
            print(line)
            if violation["impact"] in ("serious", "critical"):
                serious.append(line)
    return serious


@pytest.mark.parametrize("scan", SCANS, ids=[scan.id for scan in SCANS])
def test_page_has_no_serious_accessibility_problems(world, scan):
    app = world.server.app
    path = scan.url(world.data)
    page = world.page_for(scan.role)
    response = page.goto(path)
    assert response is not None and response.status == scan.status, (path, response.status)
    # the page scanned is the page meant: no redirect elsewhere (to sign in, to a parent page)
    landed = page.url.removeprefix(world.server.url)
    if scan.endpoint != "error.403":  # a refusal answers at the page's own address
        assert _endpoint_of(app, landed) == scan.endpoint, f"{path} went to {landed}"
    if scan.shows:
        expect(page.locator("main")).to_contain_text(scan.shows)
    found = _report(page, "as it first shows")
    if scan.submit:
        exact = isinstance(scan.submit, str)
        page.locator("main").get_by_role("button", name=scan.submit, exact=exact).first.click()
        summary = page.locator(".nhsuk-error-summary")
        expect(summary).to_be_visible()
        expect(summary).to_be_focused()
        found += _report(page, "with errors")
    assert not found, "\n".join(found)
