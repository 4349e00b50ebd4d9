"""Issue 20, done as an attacker would: Meeting Guide feeds built to break the import.

A 5,000-digit number used to end in a 500 (Python refuses to convert an integer that long);
a 9.5 MB feed held a web worker for 22 s. Now numbers no field could hold skip their record
with the reason, nesting and size have limits stated by the field, and a large feed is stored
by the request and worked through by the tick, once, whatever runs it twice.
"""

from __future__ import annotations

import multiprocessing
import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.meetings.import_jobs import claim_next_job, run_job, utcnow
from portal.meetings.models import Meeting, MeetingFeedJob, MeetingImport

from ..clock import for_children
from ..meetings.feeds import (
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

HUGE = b"1" * 5000  # a 5,000-digit number


def stored_imports(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(MeetingImport))


def record_with(key: str, value: bytes) -> bytes:
    """One otherwise good record whose `key` holds `value`, raw JSON."""
    return (
        b'{"name": "Hope Group", "slug": "hope", "day": 2, "time": "19:30", '
        b'"formatted_address": "12 Church Lane, Wrenford QX1 4AB", "'
        + key.encode()
        + b'": '
        + value
        + b"}"
    )


# --- numbers no field could hold ------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("slug", HUGE, "the slug field holds a number 5,000 digits long"),
        ("day", HUGE, "the day field holds a number 5,000 digits long"),
        ("latitude", b"-" + HUGE, "the latitude field holds a number 5,000 digits long"),
        ("longitude", HUGE + b".5", "the longitude field holds a number 5,002 characters long"),
        ("latitude", b"1e999", "the latitude field holds the number 1e999, too large to use"),
        ("slug", b"NaN", "the slug field holds NaN, which is not a number"),
        ("types", b"[" + HUGE + b"]", "the types field holds a number 5,000 digits long"),
        ("day", b'"' + HUGE + b'"', "the day &#39;111111111111111111111111111111&#39; is not"),
    ],
)
def test_a_huge_number_is_refused_with_a_clear_message_not_a_500(
    app, login_as, browser, key, value, reason
):
    login_as("champion")
    response = upload(browser, b"[" + record_with(key, value) + b"]")
    assert response.status_code == 200, response.status_code
    html = text(response)
    assert "No meeting in this feed could be read, so nothing would change." in html
    assert f"Record 1 was skipped: {reason}" in html
    assert 'id="feed-error"' in html and "nhsuk-error-summary" in html
    assert stored_imports(app) == 0 and meeting_count(app) == 0


def test_a_huge_number_skips_only_its_own_record(app, login_as, browser):
    login_as("champion")
    good = feed_bytes(feed_record(1))[1:-1]
    response = upload(browser, b"[" + good + b"," + record_with("slug", HUGE) + b"]")
    assert response.status_code == 303
    page = response.headers["Location"]
    preview = text(browser.client.get(page))
    assert "The slug field holds a number 5,000 digits long" in preview
    assert re.search(r'id="count-created">\s*1<', preview)
    assert meeting_count(app) == 0  # a preview changes nothing
    browser.post(f"{page}/confirm", {}, page=page)
    assert meeting_count(app) == 1


def test_a_huge_number_in_a_large_feed_is_refused_by_the_tick_not_a_crash(app, login_as, browser):
    app.config["MEETING_IMPORT_INLINE_BYTES"] = 0
    login_as("champion")
    page = upload(browser, b"[" + record_with("slug", HUGE) + b"]").headers["Location"]
    assert work(app) == 1
    assert import_row(app, page).status == "failed"
    html = text(browser.client.get(page))
    assert "Record 1 was skipped: the slug field holds a number 5,000 digits long" in html
    assert "Nothing changed." in html and meeting_count(app) == 0


# --- nesting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 50_000 + b"]" * 50_000,  # deeper than Python's JSON reader goes
        b"[" * 50_000,  # never closed
        b"[" + record_with("notes", b"[" * 20 + b"]" * 20) + b"]",  # deep inside a record
        b'{"meetings": ' + b'{"a": ' * 12 + b"1" + b"}" * 12 + b"}",
    ],
)
def test_deeply_nested_json_is_refused_with_a_clear_message(app, login_as, browser, payload):
    login_as("champion")
    response = upload(browser, payload)
    assert response.status_code == 200
    html = text(response)
    assert "inside one another more than 8 levels deep" in html and 'id="feed-error"' in html
    assert stored_imports(app) == 0 and meeting_count(app) == 0


def test_deep_nesting_in_a_large_feed_fails_in_the_tick_with_the_reason(app, login_as, browser):
    app.config["MEETING_IMPORT_INLINE_BYTES"] = 0
    login_as("champion")
    page = upload(browser, b"[" * 50_000 + b"]" * 50_000).headers["Location"]
    work(app)
    assert import_row(app, page).status == "failed"
    assert "more than 8 levels deep" in text(browser.client.get(page))
    assert meeting_count(app) == 0


# --- size -----------------------------------------------------------------------------------


def test_a_file_over_the_limit_is_refused_by_the_field(app, login_as, browser):
    login_as("champion")
    limit = app.config["MEETING_IMPORT_MAX_BYTES"]
    response = upload(browser, b"[" + b" " * (limit - 1) + b"]")  # one byte over
    assert response.status_code == 200
    html = text(response)
    assert "The file is larger than 10 MB. Import a smaller feed." in html
    assert 'id="feed-error"' in html and "Wessex Intergroup" in html  # the answers are kept
    assert stored_imports(app) == 0 and jobs(app) == []


def test_an_upload_far_over_the_limit_is_cut_off_with_a_friendly_page(app, login_as, browser):
    """The request says it is sending 1 GB: refused before a byte of it is read."""
    login_as("champion")
    response = upload(
        browser,
        feed_bytes(feed_record(1)),
        environ_overrides={"CONTENT_LENGTH": str(1024 * 1024 * 1024)},
    )
    assert response.status_code == 413
    html = text(response)
    assert "The file is larger than 10 MB. Import a smaller feed, or split it." in html
    assert "<h1>Import a Meeting Guide feed</h1>" in html and "Traceback" not in html
    assert stored_imports(app) == 0


def test_a_large_body_sent_anywhere_else_is_refused_with_a_friendly_page(app, login_as, browser):
    login_as("champion")
    response = browser.post(
        "/meetings/new",
        {"name": "x" * (11 * 1024 * 1024)},
        page="/meetings/new",
    )
    assert response.status_code == 413
    assert "That is too large" in text(response)
    assert meeting_count(app) == 0


def test_more_meetings_than_allowed_are_refused_by_the_field(app, login_as, browser):
    app.config["MEETING_IMPORT_MAX_MEETINGS"] = 10
    login_as("champion")
    response = upload(
        browser,
        feed_bytes(
            feed_record(1, day=[0, 1, 2, 3, 4, 5, 6]),
            *[feed_record(n, day=[0, 1]) for n in range(2, 5)],
        ),
    )
    assert response.status_code == 200
    assert "The feed holds more than 10 meetings by record 3" in text(response)
    assert stored_imports(app) == 0


# --- time: a large feed goes to the tick ----------------------------------------------------


@pytest.mark.slow
def test_a_large_feed_is_queued_at_once_then_read_and_applied_by_the_tick(
    app, login_as, browser, runner
):
    login_as("champion")
    payload = big_feed(8_000)
    assert len(payload) > 2.5 * 1024 * 1024
    response = upload(browser, payload)
    assert response.status_code == 303
    page = response.headers["Location"]
    assert import_row(app, page).status == "reading"
    assert jobs(app) == [("read", "queued", 0, 8_000)]
    assert meeting_count(app) == 0
    waiting = text(browser.client.get(page, headers={"HX-Request": "true"}))
    assert "Waiting to start" in waiting and "<html" not in waiting

    assert runner.invoke(args=["tick"]).exit_code == 0
    assert import_row(app, page).status == "preview"
    preview = text(browser.client.get(page))
    assert re.search(r'id="count-created">\s*8,000<', preview)
    assert "And 7,800 more." in preview  # the lists stop at 200

    browser.post(f"{page}/confirm", {}, page=page)
    assert import_row(app, page).status == "applying"
    with app.app_context():  # one batch of the tick's work, as if its share of time ran out
        run_job(*claim_next_job(utcnow()), deadline=0)
    assert jobs(app)[-1] == ("apply", "queued", 500, 8_000)
    progress = text(browser.client.get(page, headers={"HX-Request": "true"}))
    assert "Saved 500 of 8,000 meetings." in progress

    assert runner.invoke(args=["tick"]).exit_code == 0
    assert import_row(app, page).status == "applied"
    done = text(browser.client.get(page))
    assert "<h1>Import done</h1>" in done
    assert re.search(r'id="done-created">\s*8,000<', done)
    assert meeting_count(app, "Wessex Intergroup") == 8_000
    assert audit_count(app, "meeting_imported") == 8_000


# --- running the job twice, or from two processes ------------------------------------------


def queue_apply(app, browser, records: int) -> str:
    app.config["MEETING_IMPORT_INLINE_BYTES"] = 0
    app.config["MEETING_IMPORT_INLINE_MEETINGS"] = 0
    page = upload(browser, big_feed(records)).headers["Location"]
    work(app)
    browser.post(f"{page}/confirm", {}, page=page)
    assert import_row(app, page).status == "applying"
    return page


def test_running_the_job_again_imports_nothing_twice(app, login_as, browser, runner):
    login_as("champion")
    page = queue_apply(app, browser, 1_200)
    with app.app_context():
        job_id, claim = claim_next_job(utcnow())
        run_job(job_id, claim)
        run_job(job_id, claim)  # the same worker again, with its old claim
    for _ in range(2):
        assert runner.invoke(args=["tick"]).exit_code == 0
    assert import_row(app, page).status == "applied"
    assert meeting_count(app) == 1_200
    assert audit_count(app, "meeting_imported") == 1_200
    assert audit_count(app, "meetings_import_applied") == 1
    assert jobs(app)[-1] == ("apply", "done", 1_200, 1_200)


def _tick_imports(config: dict, ready) -> int:
    from portal import create_app
    from portal.meetings.import_jobs import run_feed_jobs

    app = create_app(config)
    with app.app_context():
        ready.wait(60)  # both processes start their work together
        ran = 0
        while found := run_feed_jobs():
            ran += found
        db.engine.dispose()
    return ran


@pytest.mark.slow
def test_two_processes_working_at_once_import_the_feed_once(app, app_config, login_as, browser):
    login_as("champion")
    page = queue_apply(app, browser, 3_000)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(2, **for_children()) as pool:
        ready = manager.Barrier(2)
        ran = pool.starmap(_tick_imports, [(app_config, ready), (app_config, ready)])
    assert sorted(ran) == [0, 1]  # one of them took the job, the other found it taken
    assert import_row(app, page).status == "applied"
    with app.app_context():
        slugs = db.session.scalars(select(Meeting.source_slug)).all()
        assert len(slugs) == len(set(slugs)) == 3_000
        assert (
            db.session.scalar(select(MeetingFeedJob.attempts).where(MeetingFeedJob.kind == "apply"))
            == 1
        )
    assert audit_count(app, "meeting_imported") == 3_000
    assert audit_count(app, "meetings_import_applied") == 1
