"""Large Meeting Guide feeds: stored by the request, read and applied by the tick in batches,
with the progress on the import's page; limits on size, meetings and time."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.extensions import db
from portal.meetings import import_jobs, services
from portal.meetings.import_jobs import claim_next_job, run_feed_jobs, run_job
from portal.meetings.models import Meeting, MeetingFeedJob, MeetingImport

from ..factories import make_user
from .feeds import (
    audit_count,
    big_feed,
    feed_bytes,
    feed_record,
    import_row,
    jobs,
    meeting_count,
    text,
    upload,
    work,
)


@pytest.fixture
def queued(app):
    """Every feed goes to the tick, and every preview is applied by it: small feeds keep the
    tests quick."""
    app.config["MEETING_IMPORT_INLINE_BYTES"] = 0
    app.config["MEETING_IMPORT_INLINE_MEETINGS"] = 0
    return app


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(import_jobs, "IMPORT_BATCH", 2)


def confirm(browser, page: str):
    return browser.post(f"{page}/confirm", {}, page=page)


# --- the request hands a large feed over and answers at once ------------------------------


def test_a_large_feed_is_stored_for_the_tick_and_the_page_says_so(queued, login_as, browser):
    app = queued
    login_as("champion")
    response = upload(browser, feed_bytes(feed_record(1), feed_record(2)))
    assert response.status_code == 303
    page = response.headers["Location"]
    assert import_row(app, page).status == "reading"
    assert jobs(app) == [("read", "queued", 0, 2)]
    assert meeting_count(app) == 0
    html = text(browser.client.get(page))
    assert "<h1>Reading the feed</h1>" in html
    assert "Waiting to start" in html and "Stop and discard" in html
    assert f'hx-get="{page.removeprefix("http://portal.test")}"' in html
    assert 'hx-trigger="every 2s"' in html
    assert '<noscript><meta http-equiv="refresh" content="6"></noscript>' in html


def test_the_progress_is_an_htmx_fragment_until_the_work_is_done(queued, login_as, browser):
    app = queued
    login_as("champion")
    page = upload(browser, feed_bytes(feed_record(1))).headers["Location"]
    poll = browser.client.get(page, headers={"HX-Request": "true"})
    assert poll.status_code == 200 and "<html" not in text(poll)
    assert 'id="import-progress"' in text(poll) and "Waiting to start" in text(poll)
    assert work(app) == 1
    done = browser.client.get(page, headers={"HX-Request": "true"})
    assert done.status_code == 204 and done.headers["HX-Refresh"] == "true"
    html = text(browser.client.get(page))
    assert "<h1>Check the import</h1>" in html and 'id="import-progress"' not in html
    assert re.search(r'id="count-created">\s*1<', html)


def test_the_page_shows_how_far_the_tick_has_got(queued, login_as, browser, small_batches):
    app = queued
    login_as("champion")
    page = upload(browser, feed_bytes(*(feed_record(n) for n in range(5)))).headers["Location"]
    work(app)
    confirm(browser, page)
    with app.app_context():
        run_job(*claim_next_job(import_jobs.utcnow()), deadline=0)  # one batch, then its turn ends
    assert jobs(app)[-1] == ("apply", "queued", 2, 5)
    html = text(browser.client.get(page, headers={"HX-Request": "true"}))
    assert "Saved 2 of 5 meetings." in html
    assert (
        '<progress id="import-bar" aria-labelledby="import-state" max="5" value="2">40%</progress>'
        in html
    )
    assert meeting_count(app) == 2
    work(app)
    assert import_row(app, page).status == "applied" and meeting_count(app) == 5


def test_the_tick_reads_then_applies_a_large_feed(queued, login_as, browser, runner):
    app = queued
    login_as("champion")
    page = upload(browser, feed_bytes(feed_record(1), feed_record(2, day="Funday"))).headers[
        "Location"
    ]
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0 and "large Meeting Guide imports: 1" in result.output
    assert import_row(app, page).status == "preview"
    assert jobs(app) == [("read", "done", 2, 2)]
    with app.app_context():
        assert db.session.scalar(select(MeetingFeedJob.payload)) is None  # the upload is gone
    preview = text(browser.client.get(page))
    assert "The day &#39;Funday&#39; is not a weekday" in preview
    answer = confirm(browser, page)
    assert answer.status_code == 303
    html = text(browser.client.get(answer.headers["Location"]))
    assert "The import has started" in html and "<h1>Importing the meetings</h1>" in html
    assert "once it has started, the import cannot be stopped" in html
    assert meeting_count(app) == 0
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert import_row(app, page).status == "applied"
    html = text(browser.client.get(page))
    assert "<h1>Import done</h1>" in html
    assert re.search(r'id="done-created">\s*1<', html)
    assert meeting_count(app, "Wessex Intergroup") == 1
    assert audit_count(app, "meeting_imported") == 1
    assert audit_count(app, "meetings_import_applied") == 1
    runner.invoke(args=["tick"])  # again: nothing more happens
    assert meeting_count(app) == 1 and audit_count(app, "meetings_import_applied") == 1


def test_a_small_feed_is_still_previewed_and_applied_in_the_request(app, login_as, browser):
    login_as("champion")
    page = upload(browser, feed_bytes(feed_record(1))).headers["Location"]
    assert import_row(app, page).status == "preview" and jobs(app) == []
    confirm(browser, page)
    assert import_row(app, page).status == "applied" and jobs(app) == []


def test_a_re_import_updates_and_deactivates_in_batches(queued, login_as, browser, small_batches):
    app = queued
    login_as("champion")
    first = upload(browser, feed_bytes(*(feed_record(n) for n in range(5)))).headers["Location"]
    work(app)
    confirm(browser, first)
    work(app)
    changed = [feed_record(0, time="20:00"), *(feed_record(n) for n in (1, 2, 5))]
    second = upload(browser, feed_bytes(*changed)).headers["Location"]
    work(app)
    confirm(browser, second)
    work(app)
    assert import_row(app, second).status == "applied"
    html = text(browser.client.get(second))
    for key, number in (("created", 1), ("updated", 1), ("deactivated", 2), ("unchanged", 2)):
        assert re.search(rf'id="done-{key}">\s*{number}<', html), key
    with app.app_context():
        active = db.session.scalars(
            select(Meeting.source_slug).where(Meeting.active.is_(True)).order_by(Meeting.id)
        ).all()
        assert active == ["0", "1", "2", "5"]
        moved = db.session.scalar(select(Meeting).where(Meeting.source_slug == "0"))
        assert moved.start_time.hour == 20 and moved.version == 2


def test_an_unreadable_large_feed_fails_with_the_reason_and_changes_nothing(
    queued, login_as, browser
):
    app = queued
    login_as("champion")
    page = upload(browser, b"[{oops").headers["Location"]
    work(app)
    assert import_row(app, page).status == "failed"
    html = text(browser.client.get(page))
    assert "<h1>The feed could not be imported</h1>" in html
    assert "not valid JSON" in html and "Nothing changed." in html
    assert jobs(app) == [("read", "failed", 0, 1)]


def test_a_file_that_cannot_be_json_is_refused_at_once(queued, login_as, browser):
    app = queued
    login_as("champion")
    response = upload(browser, b"name,slug\nHope,1\n")
    assert response.status_code == 200 and "not valid JSON" in text(response)
    assert jobs(app) == []


def test_reading_can_be_stopped_and_discarded(queued, login_as, browser):
    app = queued
    login_as("champion")
    page = upload(browser, feed_bytes(feed_record(1))).headers["Location"]
    answer = browser.post(f"{page}/discard", {}, page=page)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/meetings/import")
    assert import_row(app, page).status == "discarded"
    assert work(app) == 0
    assert jobs(app) == [("read", "failed", 0, 1)] and meeting_count(app) == 0


def test_a_second_confirmation_queues_nothing_more(queued, login_as, browser):
    app = queued
    login_as("champion")
    page = upload(browser, feed_bytes(feed_record(1))).headers["Location"]
    work(app)
    confirm(browser, page)
    again = confirm(browser, page)
    assert "under way already" in text(browser.client.get(again.headers["Location"]))
    assert [kind for kind, *_ in jobs(app)] == ["read", "apply"]
    work(app)
    assert meeting_count(app) == 1


def test_a_preview_overtaken_by_another_import_is_shown_again(queued, login_as, browser):
    app = queued
    login_as("champion")
    payload = feed_bytes(feed_record(1), feed_record(2))
    first = upload(browser, payload).headers["Location"]
    second = upload(browser, payload).headers["Location"]
    work(app)
    confirm(browser, first)
    confirm(browser, second)
    work(app)
    assert import_row(app, first).status == "applied"
    assert import_row(app, second).status == "preview"
    html = text(browser.client.get(second))
    assert "The directory changed since this preview was made" in html
    assert re.search(r'id="count-unchanged">\s*2<', html)
    confirm(browser, second)  # the job starts over
    work(app)
    assert import_row(app, second).status == "applied" and meeting_count(app) == 2


def test_imports_belong_to_their_creator_while_they_run(queued, login_as, browser, client):
    login_as("champion")
    page = upload(browser, feed_bytes(feed_record(1))).headers["Location"]
    client.post("/sign-out", data={"csrf_token": browser.token("/meetings")})
    login_as("champion")
    assert client.get(page).status_code == 404
    assert client.get(page, headers={"HX-Request": "true"}).status_code == 404
    assert browser.post(f"{page}/discard", {}, page="/meetings").status_code == 404


# --- limits -------------------------------------------------------------------------------


def test_the_upload_page_states_the_limits(app, login_as, client):
    login_as("champion")
    html = text(client.get("/meetings/import"))
    assert "Up to 10 MB and 50,000 meetings" in html


@pytest.mark.parametrize("inline", [True, False])
def test_a_feed_with_more_meetings_than_allowed_is_refused_whole(app, login_as, browser, inline):
    app.config["MEETING_IMPORT_MAX_MEETINGS"] = 3
    if not inline:
        app.config["MEETING_IMPORT_INLINE_BYTES"] = 0
    login_as("champion")
    for payload, said in (
        (feed_bytes(*(feed_record(n) for n in range(4))), "lists 4 records"),
        (feed_bytes(feed_record(1, day=[0, 1, 2, 3])), "more than 3 meetings by record 1"),
    ):
        response = upload(browser, payload)
        if not inline:
            work(app)
            response = browser.client.get(response.headers["Location"])
        assert said in text(response), text(response)
        assert "Split the feed" in text(response)
    assert meeting_count(app) == 0


def test_reading_stops_cleanly_over_the_time_budget(queued, login_as, browser):
    app = queued
    app.config["MEETING_IMPORT_TIME_BUDGET"] = 0
    login_as("champion")
    page = upload(browser, big_feed(600)).headers["Location"]
    work(app)
    assert import_row(app, page).status == "failed"
    html = text(browser.client.get(page))
    assert "Reading the feed took longer than 0 seconds, so it was stopped" in html
    assert meeting_count(app) == 0


def test_applying_stops_cleanly_over_the_time_budget(
    queued, login_as, browser, small_batches, monkeypatch
):
    app = queued
    login_as("champion")
    page = upload(browser, feed_bytes(*(feed_record(n) for n in range(5)))).headers["Location"]
    work(app)
    confirm(browser, page)
    looks = iter([False, False, True])  # over the budget after two batches
    monkeypatch.setattr(import_jobs._Worker, "over_budget", lambda self: next(looks))
    work(app)
    assert import_row(app, page).status == "stopped"
    html = text(browser.client.get(page))
    assert "<h1>The import stopped part-way</h1>" in html
    assert "stopped after saving 4 of 5 meetings; the rest were not imported" in html
    assert re.search(r'id="done-created">\s*4<', html)
    assert meeting_count(app) == 4 and audit_count(app, "meetings_import_stopped") == 1
    assert audit_count(app, "meetings_import_applied") == 0


# --- workers ------------------------------------------------------------------------------


def queue_apply(app, browser, count: int = 5) -> str:
    page = upload(browser, feed_bytes(*(feed_record(n) for n in range(count)))).headers["Location"]
    work(app)
    confirm(browser, page)
    return page


def test_a_job_is_claimed_by_one_worker_at_a_time(queued, login_as, browser):
    app = queued
    login_as("champion")
    queue_apply(app, browser)
    with app.app_context():
        first = claim_next_job(import_jobs.utcnow())
        assert first is not None
        assert claim_next_job(import_jobs.utcnow()) is None  # held, and its claim is fresh


def test_a_worker_that_lost_its_claim_changes_nothing(queued, login_as, browser, small_batches):
    app = queued
    login_as("champion")
    page = queue_apply(app, browser)
    with app.app_context():
        now = import_jobs.utcnow()
        slow = claim_next_job(now)
        later = now + import_jobs.LEASE + timedelta(seconds=1)
        fresh = claim_next_job(later)  # the first worker's claim has run out
        assert fresh is not None and fresh[0] == slow[0] and fresh[1] != slow[1]
        run_job(*slow)  # wakes up: its first batch finds the job is not its own
        assert meeting_count(app) == 0
        run_job(*fresh)
    assert import_row(app, page).status == "applied"
    assert meeting_count(app) == 5 and audit_count(app, "meeting_imported") == 5


def test_a_worker_that_died_mid_import_is_followed_from_its_last_batch(
    queued, login_as, browser, small_batches
):
    app = queued
    login_as("champion")
    page = queue_apply(app, browser)
    with app.app_context():
        job_id, claim = claim_next_job(import_jobs.utcnow())
        run_job(job_id, claim, deadline=0)  # one batch committed…
        db.session.execute(  # …then its process died holding the job
            update(MeetingFeedJob)
            .where(MeetingFeedJob.kind == "apply")
            .values(
                state="running",
                claim="dead",
                claimed_until=import_jobs.utcnow() - timedelta(minutes=1),
            )
        )
        db.session.commit()
    assert meeting_count(app) == 2
    work(app)
    assert import_row(app, page).status == "applied"
    assert meeting_count(app) == 5 and audit_count(app, "meeting_imported") == 5


def test_a_job_whose_worker_keeps_dying_is_given_up(queued, login_as, browser):
    app = queued
    login_as("champion")
    page = queue_apply(app, browser)
    with app.app_context():
        db.session.execute(
            update(MeetingFeedJob)
            .where(MeetingFeedJob.kind == "apply")
            .values(
                state="running",
                claim="dead",
                attempts=import_jobs.MAX_ATTEMPTS,
                claimed_until=import_jobs.utcnow() - timedelta(minutes=1),
            )
        )
        db.session.commit()
    assert work(app) == 0
    assert import_row(app, page).status == "stopped"
    assert "so it was not tried again" in text(browser.client.get(page))


def test_an_error_in_a_job_ends_it_with_a_message_not_a_crash(
    queued, login_as, browser, monkeypatch
):
    app = queued
    login_as("champion")
    page = upload(browser, feed_bytes(feed_record(1))).headers["Location"]

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(import_jobs, "plan_import", broken)
    assert work(app) == 1
    assert import_row(app, page).status == "failed"
    html = text(browser.client.get(page))
    assert "Something went wrong on the server while importing" in html
    assert "disk" not in html


def test_the_tick_gives_imports_a_share_of_its_time(queued, login_as, browser, small_batches):
    app = queued
    login_as("champion")
    queue_apply(app, browser)
    with app.app_context():
        assert run_feed_jobs(seconds=0) == 0  # no time left: nothing is started
        assert run_feed_jobs(seconds=60) == 1
    assert meeting_count(app) == 5


# --- the services, called directly --------------------------------------------------------


def test_start_import_keeps_a_small_feed_in_the_request(app):
    with app.app_context():
        aa = services.fellowship_by_code("AA")
        user = make_user(roles=("champion",))
        small = services.start_import(feed_bytes(feed_record(1)), "Wessex", aa, user.id)
        assert small.status == "preview"
        app.config["MEETING_IMPORT_INLINE_BYTES"] = 10
        large = services.start_import(feed_bytes(feed_record(1)), " Wessex\x00 ", aa, user.id)
        assert large.status == "reading" and large.source == "Wessex"
        job = services.import_job(large)
        assert (job.kind, job.state, job.created_by_id) == ("read", "queued", user.id)
    assert audit_count(app, "meetings_import_queued") == 1


def test_old_unconfirmed_and_failed_imports_are_cleared_with_their_jobs(queued, clock):
    app = queued
    with app.app_context():
        aa = services.fellowship_by_code("AA")
        failed = services.start_import(b"[oops", "Wessex", aa, None)
        work(app)
        assert db.session.get(MeetingImport, failed.id, populate_existing=True).status == "failed"
        failed_id = failed.id
    clock.shift(timedelta(days=2))
    with app.app_context():
        services.start_import(feed_bytes(feed_record(1)), "Wessex", aa, None)
        assert db.session.get(MeetingImport, failed_id) is None
        assert (
            db.session.scalar(
                select(MeetingFeedJob.id).where(MeetingFeedJob.import_id == failed_id)
            )
            is None
        )
