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
    "auth.enter_code": PUBLIC,
    "auth.set_up_at_sign_in": PUBLIC,
    "auth.second_factor_page": SIGNED_IN,
    "auth.set_up_second_factor": SIGNED_IN,
    "auth.renew_recovery_codes": SIGNED_IN,
    "auth.turn_off_second_factor": SIGNED_IN,
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
    "admin.reset_second_factor": AD,
    "admin.reactivate": AD,
    "admin.resend_invitation": AD,
    "admin.settings": AD,
    "admin.audit_trail": AD,
    "admin.audit_export": AD,
    "notify.inbox": SIGNED_IN,
    "notify.count": SIGNED_IN,
    "notify.read": SIGNED_IN,
    "notify.read_all": SIGNED_IN,
    "notify.email_choices": SIGNED_IN,
    # volunteers: the champion's pool (a volunteer reaches only their own record, via /me)
    "volunteers.volunteer_list": CH,
    "volunteers.checks_due": CH,
    "volunteers.invite": CH,
    "volunteers.add_phone_contact": CH,
    "volunteers.detail": CH,
    "volunteers.edit": CH,
    "volunteers.change_status": CH,
    "volunteers.confirm_recovery": CH,
    "volunteers.conflict_notes": CH,
    "volunteers.add_check": CH,
    "volunteers.edit_check": CH,
    "volunteers.remove_check": CH,
    "volunteers.meetings": CH,
    "volunteers.meeting_add": CH,
    "volunteers.meeting_remove": CH,
    "volunteers.availability": CH,
    "volunteers.window_add": CH,
    "volunteers.window_remove": CH,
    "volunteers.away_add": CH,
    "volunteers.away_remove": CH,
    "volunteers.application": VOL,
    "volunteers.my_meetings": VOL,
    "volunteers.my_meeting_add": VOL,
    "volunteers.my_meeting_remove": VOL,
    "volunteers.my_availability": VOL,
    "volunteers.my_window_add": VOL,
    "volunteers.my_window_remove": VOL,
    "volunteers.my_away_add": VOL,
    "volunteers.my_away_remove": VOL,
    "volunteers.my_pause": VOL,
    "volunteers.my_resume": VOL,
    "volunteers.my_calendar": VOL,
    "volunteers.my_calendar_reset": VOL,
    # the feed is fetched by calendar apps that cannot sign in: a secret URL, nothing sensitive
    "volunteers.calendar_feed": PUBLIC,
    # meetings directory: everyone signed in finds meetings; champions and admins change them
    "meetings.search": SIGNED_IN,
    "meetings.search_csv": SIGNED_IN,
    "meetings.print_sheet": SIGNED_IN,
    "meetings.feed": PUBLIC,  # the Meeting Guide feed: only what a list publishes
    "meetings.find": PUBLIC,
    "meetings.find_meeting": PUBLIC,
    "meetings.find_calendar": PUBLIC,
    "meetings.detail": SIGNED_IN,
    "meetings.calendar": SIGNED_IN,
    "meetings.new": CH | AD,
    "meetings.edit": CH | AD,
    "meetings.deactivate": CH | AD,
    "meetings.reactivate": CH | AD,
    "meetings.mark_checked": CH | AD,
    "meetings.needs_checking": CH | AD,
    "meetings.fellowships": CH | AD,
    "meetings.fellowship_new": CH | AD,
    "meetings.fellowship_edit": CH | AD,
    "meetings.fellowship_deactivate": CH | AD,
    "meetings.fellowship_reactivate": CH | AD,
    "meetings.import_upload": CH | AD,
    "meetings.import_preview": CH | AD,
    "meetings.import_confirm": CH | AD,
    "meetings.import_discard": CH | AD,
    "clients.caseload": KW,
    "clients.add": KW,
    "clients.show": KW,
    "clients.edit": KW,
    "clients.close": KW,
    "clients.reopen": KW,
    "clients.give_consent": KW,
    "clients.withdraw_consent": KW,
    "clients.new_session": KW,
    "clients.show_session": KW,
    "clients.outcome": KW,
    "clients.new_goal": KW,
    "clients.edit_goal": KW,
    "clients.new_journal_entry": KW,
    "clients.sheet": KW,
    "clients.transfer": AD,
    "accompaniment.new": KW,
    "accompaniment.show": KW,
    "accompaniment.cancel": KW,
    "accompaniment.change_date": KW,
    # matching and coordination: the champion pairs; a volunteer answers only their own offers
    "accompaniment.queue": CH,
    "accompaniment.coordinate": CH,
    "accompaniment.offer": CH,
    "accompaniment.offer_top": CH,
    "accompaniment.record_answer": CH,
    "accompaniment.withdraw_offer": CH,
    "accompaniment.release": CH,
    "accompaniment.conflict_add": CH,
    "accompaniment.conflict_remove": CH,
    "accompaniment.proposals": CH,
    "offers.show": VOL,
    "offers.accept": VOL,
    "offers.decline": VOL,
    "offers.cannot_go": VOL,
    # reports for commissioners: champions and admins; data protection: admins only
    "reports.index": CH | AD,
    "reports.download": CH | AD,
    "governance.data_protection": AD,
    "governance.retention": AD,
    "governance.subject_access": AD,
    "governance.subject_access_json": AD,
    "governance.erase": AD,
    # safety on the day: the volunteer's own escort; the champion's Today board; outcomes
    "safety.my_escorts": VOL,
    "safety.escort": VOL,
    "safety.check_in": VOL,
    "safety.check_out": VOL,
    "safety.ask_help": VOL,
    "safety.today": CH,
    "safety.outcome": VOL | CH,
    "safety.record_check": CH,
    # texts (issue 16): Notify's callbacks check its bearer token, not a session
    "notify.text_receipt_callback": PUBLIC,
    "notify.text_received_callback": PUBLIC,
    "notify.text_problems": CH | AD,
    # geography (issue 15)
    "geography.directory": AD,
    # keyworkers' teams, for FAMA reports by team (issue 18)
    "admin.change_team": AD,
    # keyworkers' visits to open meetings (issue 18): staff record and remove only their own
    "meetings.visit_new": KW | CH | AD,
    "meetings.visit_remove": KW | CH | AD,
    "meetings.my_visits": KW | CH | AD,
    # "Volunteer with us" (issue 18): anyone may apply and confirm by the emailed link;
    # champions vet what comes in
    "volunteers.apply": PUBLIC,
    "volunteers.apply_sent": PUBLIC,
    "volunteers.apply_confirm": PUBLIC,
    "volunteers.apply_thanks": PUBLIC,
    "volunteers.applications": CH,
    "volunteers.application_invite": CH,
    "volunteers.application_decline": CH,
    # the hand-out library (issue 18): a keyworker prints their own client's; staff print blank
    # copies; admins change the wording
    "clients.handouts": KW,
    "clients.handout": KW,
    "handouts.library_page": KW | CH | AD,
    "handouts.blank": KW | CH | AD,
    "admin.handouts": AD,
    "admin.edit_handout": AD,
    "admin.handout_versions": AD,
    "admin.handout_version": AD,
    "admin.restore_handout": AD,
    # the CSV import of volunteers and keyworkers: admins only
    "admin.import_accounts": AD,
    "admin.import_template": AD,
    "admin.import_preview": AD,
    "admin.import_confirm": AD,
    # the week rota (issue 19): champions only
    "safety.rota": CH,
    # the champions' tasks (issue 19): champions only
    "tasks.task_list": CH,
    "tasks.task_new": CH,
    "tasks.task_done": CH,
    "tasks.task_reassign": CH,
    # messages from the champion (issue 19): champions write and read replies; volunteers
    # read their own and reply
    "messages.write": CH,
    "messages.edit": CH,
    "messages.preview": CH,
    "messages.send": CH,
    "messages.sent_list": CH,
    "messages.sent_detail": CH,
    "messages.inbox": VOL,
    "messages.reply": VOL,
    # check and training kinds the service defines, and supervision (issue 19): the admin
    # defines the kinds; champions keep each volunteer's supervision log
    "admin.check_kinds": AD,
    "admin.add_check_kind": AD,
    "admin.edit_check_kind": AD,
    "admin.retire_check_kind": AD,
    "admin.restore_check_kind": AD,
    "volunteers.supervision": CH,
    "volunteers.add_supervision": CH,
    "volunteers.edit_supervision": CH,
    "volunteers.remove_supervision": CH,
    # travel expenses (issue 19): volunteers claim, champions decide, champions and admins
    # take the month to finance; a ticket is the claimant's or a champion's (404 otherwise)
    "expenses.mine": VOL,
    "expenses.claim_escort": VOL,
    "expenses.withdraw": VOL,
    "expenses.ticket": VOL | CH,
    "expenses.waiting": CH,
    "expenses.review": CH,
    "expenses.approve": CH,
    "expenses.decline": CH,
    "expenses.months": CH | AD,
    "expenses.month": CH | AD,
    "expenses.month_csv": CH | AD,
    "expenses.mark_paid": CH | AD,
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
