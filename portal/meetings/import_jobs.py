"""Large Meeting Guide feeds, read and applied by the tick instead of the web request.

A feed up to MEETING_IMPORT_INLINE_BYTES is read while the champion waits, as before. A larger
one is stored with a job (MeetingFeedJob) and the request answers at once; `flask --app portal
tick` reads it into the usual preview, committing its progress every few thousand records.
Confirming a preview of more than MEETING_IMPORT_INLINE_MEETINGS meetings queues a second job,
which applies the feed in batches: each batch locks and compares its own meetings, writes them
with their audit rows and moves the job's position on, all in one transaction. So a batch is
applied once or not at all, and a job whose worker died carries on from the last batch.

Two workers never apply the same batch: a worker takes a job by writing a fresh `claim` into
it, and every batch starts by updating the job row where the claim is still its own (the row
lock, on PostgreSQL, or SQLite's write lock, orders them); a worker that lost its claim rolls
its batch back and stops. A job stops cleanly, with the reason on the import's page, when it
has worked longer than MEETING_IMPORT_TIME_BUDGET seconds in all.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from datetime import datetime, timedelta
from typing import Any, Literal

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from ..audit import audit, utcnow
from ..errors import Conflict, InvalidChange
from ..extensions import db
from .feed import FeedError, FeedResult, decode_feed, is_mentioned, parse_feed
from .imports import (
    IMPORT_BATCH,
    ImportPlan,
    apply_plan,
    clean_source,
    confirm_import,
    import_summary,
    max_meetings,
    meetings_in_preview,
    new_import,
    plan_import,
    preview_expired,
    preview_import,
    record_count,
    store_preview,
    stored_feed,
)
from .models import Fellowship, Meeting, MeetingFeedJob, MeetingImport

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # a claim not renewed for this long is a dead worker's
# Reading commits its progress about once a second, not every so many records: on SQLite each
# commit rewrites the job's row, stored feed and all.
READ_STEP = 500  # records read between two looks at the clock
PROGRESS_SECONDS = 1.0
MAX_ATTEMPTS = 3  # a job whose worker died this many times is not tried again
IN_PROGRESS = ("reading", "applying")
CHANGED = (
    "The directory changed since this preview was made. Check the new figures, then confirm again."
)


class _Lost(Exception):
    """Another worker holds the job now; what this one was doing is rolled back."""


class _OverBudget(Exception):
    """The job has worked for longer than the time budget."""


# --- what the web request does --------------------------------------------------------------


def start_import(
    payload: bytes,
    source: str,
    fellowship: Fellowship,
    actor_id: int | None,
    filename: str | None = None,
) -> MeetingImport:
    """Read a small feed into a preview now; store a large one for the tick to read.

    Either way the import's page is where to go next: a preview, or the progress of the
    reading. Only what can be seen at a glance is checked here (the file looks like JSON).
    """
    if len(payload) <= current_app.config["MEETING_IMPORT_INLINE_BYTES"]:
        return preview_import(payload, source, fellowship, actor_id, filename)
    source = clean_source(source)
    start = payload[:64].removeprefix(b"\xef\xbb\xbf").lstrip()
    if start[:1] not in (b"[", b"{"):
        raise InvalidChange(
            "The file is not valid JSON, so it cannot be a Meeting Guide feed "
            "(problem near line 1).",
            field="feed",
        )
    run = new_import(source, fellowship, actor_id, filename, "reading")
    db.session.add(
        MeetingFeedJob(
            import_id=run.id,
            kind="read",
            created_by_id=actor_id,
            payload=payload,
            total=record_count(payload),
            counts="",
        )
    )
    audit(
        "meetings_import_queued",
        actor_id=actor_id,
        detail={"source": source, "bytes": len(payload)},
    )
    db.session.commit()
    return run


def confirm_upload(
    run: MeetingImport, actor_id: int | None
) -> Literal["applied", "changed", "queued"]:
    """Apply a preview now when it is small, else hand it to the tick.

    "changed": the directory changed since the preview, whose figures are now refreshed.
    """
    if run.status in IN_PROGRESS:
        raise InvalidChange("This import is under way already: this page shows how far it has got.")
    if run.status != "preview":
        raise InvalidChange("This import has already been applied or discarded.")
    if preview_expired(run):
        raise InvalidChange("This preview is more than a day old. Upload the feed again.")
    meetings = meetings_in_preview(run)
    deactivated = (import_summary(run).get("counts") or {}).get("deactivated", 0)
    if meetings + deactivated <= current_app.config["MEETING_IMPORT_INLINE_MEETINGS"]:
        return "applied" if confirm_import(run, actor_id) else "changed"
    if not _move(run, "preview", "applying"):
        raise Conflict("This import was confirmed a moment ago, perhaps in another tab.")
    job = db.session.scalar(
        select(MeetingFeedJob).where(
            MeetingFeedJob.import_id == run.id, MeetingFeedJob.kind == "apply"
        )
    )
    if job is None:  # else: an earlier try found the directory changed; this one starts over
        job = MeetingFeedJob(import_id=run.id, kind="apply")
        db.session.add(job)
    _reset(job, actor_id, total=meetings)
    audit("meetings_import_confirmed", actor_id=actor_id, detail={"source": run.source})
    db.session.commit()
    db.session.refresh(run)
    return "queued"


def _move(run: MeetingImport, before: str, after: str) -> bool:
    """Move the import from `before` to `after` only if no one else has moved it meanwhile
    (a conditional UPDATE); False, with the transaction rolled back, when someone had."""
    moved = db.session.execute(
        update(MeetingImport)
        .where(MeetingImport.id == run.id, MeetingImport.status == before)
        .values(status=after)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        db.session.rollback()
        return False
    return True


def _reset(job: MeetingFeedJob, actor_id: int | None, total: int) -> None:
    job.state = "queued"
    job.created_by_id = actor_id
    job.created_at = utcnow()
    job.started_at = job.finished_at = job.claim = job.claimed_until = job.error = None
    job.attempts = job.done = 0
    job.seconds = 0.0
    job.total = total
    job.counts = ""


def import_job(run: MeetingImport) -> MeetingFeedJob | None:
    """The job working on an import now, or the last one that did (None when it had none)."""
    return db.session.scalar(
        select(MeetingFeedJob)
        .where(MeetingFeedJob.import_id == run.id)
        .order_by(MeetingFeedJob.kind == "read")  # the apply job, when there is one
        .limit(1)
    )


def job_counts(job: MeetingFeedJob | None) -> dict[str, int]:
    return json.loads(job.counts) if job is not None and job.counts else {}


def cancel_reading(run: MeetingImport, actor_id: int | None) -> bool:
    """Stop reading a large feed before its preview is ready; False when it is too late."""
    if not _move(run, "reading", "discarded"):
        return False
    db.session.execute(
        update(MeetingFeedJob)
        .where(MeetingFeedJob.import_id == run.id, MeetingFeedJob.kind == "read")
        .values(state="failed", payload=None, finished_at=utcnow(), error="Discarded.")
    )
    audit("meetings_import_discarded", actor_id=actor_id, detail={"source": run.source})
    db.session.commit()
    db.session.refresh(run)
    return True


# --- what the worker does -------------------------------------------------------------------


def run_feed_jobs(now: datetime | None = None, seconds: float | None = None) -> int:
    """Work through queued imports, oldest first, for up to `seconds`; how many jobs ran.

    A job still running at the end of `seconds` stops between two batches and waits for the
    next call; one started never stops in the middle of a batch.
    """
    deadline = None if seconds is None else time.perf_counter() + seconds
    ran = 0
    while deadline is None or time.perf_counter() < deadline:
        claimed = claim_next_job(now or utcnow())
        if claimed is None:
            break
        run_job(*claimed, deadline=deadline)
        ran += 1
    return ran


def claim_next_job(now: datetime) -> tuple[int, str] | None:
    """Take the oldest job that is waiting, or whose worker died; (id, claim) or None."""
    waiting = db.session.execute(
        select(
            MeetingFeedJob.id,
            MeetingFeedJob.state,
            MeetingFeedJob.claim,
            MeetingFeedJob.attempts,
        )
        .where(
            or_(
                MeetingFeedJob.state == "queued",
                and_(MeetingFeedJob.state == "running", MeetingFeedJob.claimed_until < now),
            )
        )
        .order_by(MeetingFeedJob.created_at, MeetingFeedJob.id)
        .limit(10)
    ).all()
    db.session.commit()
    for job_id, state, old_claim, attempts in waiting:
        same_claim = (
            MeetingFeedJob.claim.is_(None)
            if old_claim is None
            else MeetingFeedJob.claim == old_claim
        )
        if state == "running" and attempts >= MAX_ATTEMPTS:
            _give_up(job_id, same_claim, attempts)
            continue
        claim = secrets.token_hex(16)
        taken = db.session.execute(
            update(MeetingFeedJob)
            .where(MeetingFeedJob.id == job_id, MeetingFeedJob.state == state, same_claim)
            .values(
                state="running",
                claim=claim,
                claimed_until=now + LEASE,
                attempts=MeetingFeedJob.attempts + 1,
                started_at=func.coalesce(MeetingFeedJob.started_at, now),
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if taken.rowcount == 1:
            return job_id, claim
    return None


def _give_up(job_id: int, same_claim: Any, attempts: int) -> None:
    """A job whose worker died MAX_ATTEMPTS times is ended, not tried again."""
    job = db.session.execute(
        select(MeetingFeedJob.import_id, MeetingFeedJob.kind).where(MeetingFeedJob.id == job_id)
    ).one()
    ended = db.session.execute(
        update(MeetingFeedJob)
        .where(MeetingFeedJob.id == job_id, MeetingFeedJob.state == "running", same_claim)
        .values(state="failed", claim=None, payload=None, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if ended.rowcount == 1:
        _end_import(
            job_id,
            job.import_id,
            job.kind,
            f"The import stopped {attempts} times before it could finish (the server may "
            "have restarted), so it was not tried again. Upload the feed again.",
        )
    db.session.commit()


def run_job(job_id: int, claim: str, deadline: float | None = None) -> None:
    """Carry a claimed job on from where it stands, until it ends or `deadline` passes."""
    worker = _Worker(job_id, claim, deadline)
    try:
        worker.run()
    except _Lost:
        db.session.rollback()
        log.info("meeting feed job %s was taken over by another worker", job_id)
    except Exception:
        db.session.rollback()
        log.exception("meeting feed job %s failed", job_id)
        try:
            worker.fail(
                "Something went wrong on the server while importing. Nothing more will change; "
                "try again later, or ask your admin to look at the server's log."
            )
        except Exception:  # the claim runs out and another worker tries (MAX_ATTEMPTS)
            db.session.rollback()
            log.exception("meeting feed job %s could not be marked as failed", job_id)


class _Worker:
    """One claimed job: its budget, its checkpoints and its ending.

    It keeps plain values, not ORM objects, between transactions: an import's stored records
    run to megabytes and are read once, not again after every commit.
    """

    def __init__(self, job_id: int, claim: str, deadline: float | None) -> None:
        self.job_id = job_id
        self.claim = claim
        self.deadline = deadline
        self.started = time.perf_counter()
        self.budget = float(current_app.config["MEETING_IMPORT_TIME_BUDGET"])
        self.spent_before = 0.0
        self.kind = ""
        self.import_id = ""

    @property
    def spent(self) -> float:
        return self.spent_before + time.perf_counter() - self.started

    def checkpoint(self, **values: object) -> None:
        """Renew the claim and record progress, first thing in the transaction it opens or
        joins; _Lost when the claim is no longer this worker's."""
        moved = db.session.execute(
            update(MeetingFeedJob)
            .where(
                MeetingFeedJob.id == self.job_id,
                MeetingFeedJob.claim == self.claim,
                MeetingFeedJob.state == "running",
            )
            .values({"claimed_until": utcnow() + LEASE, "seconds": self.spent, **values})
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:
            raise _Lost

    def over_budget(self) -> bool:
        return self.spent > self.budget

    def past_deadline(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    def check_budget(self) -> None:
        if self.over_budget():
            raise _OverBudget

    def end(self, reason: str | None = None, **values: object) -> None:
        """Finish the job (failed when there is a reason) in the open transaction."""
        state = "failed" if reason else "done"
        self.checkpoint(state=state, claim=None, payload=None, finished_at=utcnow(), **values)
        if reason:
            _end_import(self.job_id, self.import_id, self.kind, reason)

    def fail(self, reason: str) -> None:
        self.end(reason)
        db.session.commit()

    # the work

    def run(self) -> None:
        job = db.session.get(MeetingFeedJob, self.job_id)
        if job is None:
            return
        self.spent_before = job.seconds
        self.kind, self.import_id = job.kind, job.import_id
        run = db.session.get(MeetingImport, job.import_id)
        if self.kind == "read":
            self.read(job, run)
        else:
            self.apply(job, run)

    def read(self, job: MeetingFeedJob, run: MeetingImport) -> None:
        payload = job.payload or b""
        actor_id, source, fellowship = job.created_by_id, run.source, run.fellowship
        db.session.expunge(job)  # the payload goes with it once read
        db.session.commit()  # reading takes no lock: the transaction ends here
        try:
            records = decode_feed(payload)
            del payload
            limit = max_meetings()
            if len(records) > limit:  # parse_feed refuses it, in its own words
                parse_feed(records, max_meetings=limit)
            self.checkpoint(total=len(records))
            db.session.commit()
            read = 0
            shown = time.perf_counter()

            def progress(step: int) -> None:
                nonlocal read, shown
                read += step
                if read % READ_STEP:
                    return
                self.check_budget()
                if time.perf_counter() - shown > PROGRESS_SECONDS:
                    self.checkpoint(done=read)
                    db.session.commit()
                    shown = time.perf_counter()

            feed = parse_feed(records, progress, limit)
            del records
            self.check_budget()
            plan = plan_import(feed, source, fellowship, lock=False)
        except FeedError as error:
            db.session.rollback()
            self.fail(f"{error} Nothing changed.")
            return
        except _OverBudget:
            db.session.rollback()
            self.fail(
                f"Reading the feed took longer than {self.budget:g} seconds, so it was "
                "stopped. Nothing changed. Split the feed, for example by area, and import "
                "each part."
            )
            return
        self.end(done=feed.records)
        ready = db.session.execute(
            update(MeetingImport)
            .where(MeetingImport.id == self.import_id, MeetingImport.status == "reading")
            .values(status="preview")
            .execution_options(synchronize_session=False)
        )
        if ready.rowcount == 1:  # else it was discarded while being read
            run = db.session.get(MeetingImport, self.import_id, populate_existing=True)
            store_preview(run, feed, plan)
            audit("meetings_import_previewed", actor_id=actor_id, detail={"source": source})
        db.session.commit()

    def apply(self, job: MeetingFeedJob, run: MeetingImport) -> None:
        if run.status != "applying":  # confirmed, then ended some other way: nothing to do
            self.end()
            db.session.commit()
            return
        actor_id, source, fellowship = job.created_by_id, run.source, run.fellowship
        position = first = job.done
        total = job.total
        counts = {"created": 0, "updated": 0, "unchanged": 0, "deactivated": 0}
        counts.update(job_counts(job))
        seen = import_summary(run).get("counts")
        feed = stored_feed(run)
        db.session.expunge(run)
        db.session.commit()
        if position == 0:  # the same check as a confirmation in the request makes
            plan = plan_import(feed, source, fellowship, lock=False)
            if plan.counts != seen:
                self.end(error=CHANGED)
                db.session.execute(
                    update(MeetingImport)
                    .where(MeetingImport.id == self.import_id)
                    .values(status="preview", summary=json.dumps(plan.summary()))
                )
                db.session.commit()
                return
            del plan
            db.session.commit()
        meetings = feed.meetings
        while position < len(meetings):
            if self.over_budget():
                self.stop(source, counts, position, total, actor_id)
                return
            if position > first and self.past_deadline():  # one batch at least, each time
                self.checkpoint(state="queued", claim=None, claimed_until=None)
                db.session.commit()
                return
            batch = meetings[position : position + IMPORT_BATCH]
            position += len(batch)
            self.checkpoint(done=position)  # first: the job row is held for this batch
            part = plan_import(
                FeedResult(batch, [], len(batch)), source, fellowship, listed_only=True
            )
            apply_plan(part, actor_id, summary=False)
            for key in ("created", "updated", "unchanged"):
                counts[key] += part.counts[key]
            self.checkpoint(counts=json.dumps(counts))
            db.session.commit()
        self.finish_apply(source, feed, counts, actor_id)

    def finish_apply(
        self, source: str, feed: FeedResult, counts: dict[str, int], actor_id: int | None
    ) -> None:
        """Deactivate what the feed no longer lists and mark the import applied, at once."""
        self.checkpoint()
        mentioned = feed.mentioned_slugs
        gone = [
            (meeting_id, name)
            for meeting_id, name, slug in db.session.execute(
                select(Meeting.id, Meeting.name, Meeting.source_slug)
                .where(Meeting.source == source, Meeting.active.is_(True))
                .with_for_update()
            )
            if not is_mentioned(slug or "", mentioned)
        ]
        apply_plan(ImportPlan(source, 0, feed.records, deactivated=gone), actor_id, summary=False)
        counts |= {
            "deactivated": counts["deactivated"] + len(gone),
            "records": feed.records,
            "skipped": len(feed.skipped),
        }
        self.end(counts=json.dumps(counts))
        db.session.execute(
            update(MeetingImport)
            .where(MeetingImport.id == self.import_id)
            .values(status="applied", applied_at=utcnow(), records="")
        )
        audit("meetings_import_applied", actor_id=actor_id, detail={"source": source, **counts})
        db.session.commit()

    def stop(
        self, source: str, counts: dict[str, int], saved: int, total: int, actor_id: int | None
    ) -> None:
        """Over the time budget: what is saved stays, and the import says so."""
        self.end(
            f"Importing took longer than {self.budget:g} seconds, so it stopped after saving "
            f"{saved:,} of {total:,} meetings; the rest were not imported. Upload the feed "
            "again to finish: meetings already saved will show as unchanged.",
            counts=json.dumps(counts),
        )
        audit(
            "meetings_import_stopped",
            actor_id=actor_id,
            detail={"source": source, "saved": saved, "of": total},
        )
        db.session.commit()


def _end_import(job_id: int, import_id: str, kind: str, reason: str) -> None:
    """A failed job's reason, and its import's end: unreadable ("failed") or part-applied."""
    db.session.execute(
        update(MeetingFeedJob).where(MeetingFeedJob.id == job_id).values(error=reason[:1000])
    )
    before, after = ("reading", "failed") if kind == "read" else ("applying", "stopped")
    db.session.execute(
        update(MeetingImport)
        .where(MeetingImport.id == import_id, MeetingImport.status == before)
        .values(status=after, records="")
    )
