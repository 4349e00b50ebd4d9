"""Meeting Guide imports: read a feed, preview what it would change, then apply it at once.

A browser upload is kept server-side as a preview until its creator confirms it; the CLI reads,
plans, asks and applies in one transaction. Re-imports from the same source update, not
duplicate, and meetings the feed no longer mentions are deactivated, never deleted. A large
upload is read, and a large preview applied, by the tick instead (import_jobs.py), with the
same functions. Limits: MEETING_IMPORT_MAX_BYTES and MEETING_IMPORT_MAX_MEETINGS (config.py),
numbers and nesting (feed.py), MEETING_IMPORT_TIME_BUDGET (import_jobs.py).
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import lazyload

from ..audit import audit, audit_many, audit_row, utcnow
from ..database import write_transaction
from ..errors import Conflict, InvalidChange, NotFound
from ..extensions import db
from .directory import MEETING_FIELDS
from .feed import (
    CONTROL,
    PORTAL_EXTRAS,
    FeedError,
    FeedMeeting,
    FeedResult,
    Skipped,
    is_mentioned,
    parse_feed,
)
from .models import WEEKDAYS, Fellowship, Meeting, MeetingImport
from .places import fill_meeting_points

Progress = Callable[[int], None]

# The portal's own fields: the fellowship is chosen for a whole feed, and directions change
# only when the feed carries them as extra keys.
PORTAL_FIELDS = frozenset(
    {"fellowship_id", "directions_walk", "directions_car", "directions_public_transport"}
)
# Fields a feed owns: a re-import sets them to the feed's values.
FEED_FIELDS = tuple(name for name in MEETING_FIELDS if name not in PORTAL_FIELDS)
PREVIEW_LIFETIME = timedelta(days=1)
SHOWN_PER_LIST = 200


@dataclass
class ImportPlan:
    """What applying a feed would do, worked out against the database as it is now."""

    source: str
    fellowship_id: int
    records: int
    created: list[tuple[FeedMeeting, int]] = field(default_factory=list)
    updated: list[tuple[int, FeedMeeting, int, list[str]]] = field(default_factory=list)
    deactivated: list[tuple[int, str]] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    versions: dict[int, int] = field(default_factory=dict)  # of the meetings to update

    @property
    def counts(self) -> dict[str, int]:
        return {
            "records": self.records,
            "created": len(self.created),
            "updated": len(self.updated),
            "deactivated": len(self.deactivated),
            "unchanged": len(self.unchanged),
            "skipped": len(self.skipped),
        }

    @property
    def changes_anything(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)

    def summary(self) -> dict[str, Any]:
        """Counts and the first few of each list, as the preview page and the CLI show them."""
        from ..dates import clock

        def when(meeting: FeedMeeting) -> str:
            return f"{WEEKDAYS[meeting.weekday]} {clock(meeting.start_time)}"

        warnings = [
            {"record": m.record, "slug": m.slug, "name": m.name, "warning": warning}
            for m in ([m for m, _ in self.created] + [m for _, m, _, _ in self.updated])
            for warning in m.warnings
        ]
        return {
            "counts": self.counts,
            "created": [
                {"name": m.name, "when": when(m), "slug": m.slug}
                for m, _ in self.created[:SHOWN_PER_LIST]
            ],
            "updated": [
                {"id": mid, "name": m.name, "when": when(m), "fields": fields}
                for mid, m, _, fields in self.updated[:SHOWN_PER_LIST]
            ],
            "deactivated": [
                {"id": mid, "name": name} for mid, name in self.deactivated[:SHOWN_PER_LIST]
            ],
            "skipped": [
                {"record": s.record, "slug": s.slug, "name": s.name, "reason": s.reason}
                for s in self.skipped[:SHOWN_PER_LIST]
            ],
            "warnings": warnings[:SHOWN_PER_LIST],
            "warning_count": len(warnings),
        }


def _feed_values(meeting: FeedMeeting) -> dict[str, Any]:
    values = {key: getattr(meeting, key) for key in FEED_FIELDS}
    values.update({key: meeting.extras[key] for key in PORTAL_EXTRAS if key in meeting.extras})
    if meeting.last_verified_at is not None:
        values["last_verified_at"] = meeting.last_verified_at
    return values


def plan_import(
    feed: FeedResult,
    source: str,
    fellowship: Fellowship,
    progress: Progress | None = None,
    *,
    lock: bool = True,
    listed_only: bool = False,
) -> ImportPlan:
    """Compare a read feed with the meetings already imported from the same source.

    `lock=False` for a look that will not be applied (a preview). `listed_only` compares only
    the meetings the feed lists and deactivates nothing: one batch of a longer import.
    """
    if not feed.meetings:
        raise FeedError(_nothing_readable(feed))
    statement = select(Meeting).where(Meeting.source == source)
    if listed_only:
        statement = statement.where(_listed([m.slug for m in feed.meetings]))
    if lock:
        # Locked until the plan is applied (PostgreSQL; SQLite's write transaction does the same).
        statement = statement.with_for_update(of=Meeting)
    existing = {
        m.source_slug: m
        for m in db.session.scalars(statement.options(lazyload(Meeting.fellowship)))
    }
    by_code = {f.code: f.id for f in db.session.scalars(select(Fellowship))}
    plan = ImportPlan(source, fellowship.id, feed.records, skipped=list(feed.skipped))
    for record in feed.meetings:
        fellowship_id = by_code.get(record.fellowship_code or "", fellowship.id)
        meeting = existing.get(record.slug)
        if meeting is None:
            plan.created.append((record, fellowship_id))
        else:
            values = _feed_values(record) | {"fellowship_id": fellowship_id}
            if meeting.located_from_directory and values.get("latitude") is None:
                # no point in the feed: the directory's point is not a change to apply
                values.pop("latitude", None)
                values.pop("longitude", None)
            changed = [key for key, value in values.items() if getattr(meeting, key) != value]
            if meeting.removed_from_source and not meeting.active:
                changed.append("active")
            if changed:
                plan.updated.append((meeting.id, record, fellowship_id, changed))
                plan.versions[meeting.id] = meeting.version
            else:
                plan.unchanged.append(meeting.id)
        if progress:
            progress(1)
    if listed_only:
        return plan
    mentioned = feed.mentioned_slugs
    for slug, meeting in existing.items():
        if meeting.active and not is_mentioned(slug or "", mentioned):
            plan.deactivated.append((meeting.id, meeting.name))
    return plan


def _listed(slugs: list[str]) -> Any:
    """The condition "one of these slugs", for a batch of a few hundred."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Plan each batch with its own slugs: after five runs psycopg prepares the statement,
        # and PostgreSQL's generic plan then tests every row against the list one slug at a
        # time (a third of a second a batch at 25,000 meetings, instead of 10 ms).
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    return Meeting.source_slug.in_(slugs)


def _nothing_readable(feed: FeedResult) -> str:
    """Why nothing would change, naming the first reason a record was skipped."""
    message = "No meeting in this feed could be read, so nothing would change."
    if not feed.skipped:
        return f"{message} Check it is the right file."
    first = feed.skipped[0]
    more = len(feed.skipped) - 1
    others = f" ({more:,} other {'record was' if more == 1 else 'records were'} skipped too)"
    return f"{message} Record {first.record:,} was skipped: {first.reason}{others if more else ''}."


IMPORT_BATCH = 500


def apply_plan(
    plan: ImportPlan,
    actor_id: int | None,
    progress: Progress | None = None,
    *,
    summary: bool = True,
) -> None:
    """Carry a plan out in the caller's transaction, auditing every meeting it touches.

    Writes go in batches (one INSERT or UPDATE statement per few hundred meetings), so a feed
    of thousands applies in well under a second. The rows were locked when the plan was made.
    """
    now = utcnow()
    audit_rows: list[dict] = []
    for batch in _batches(plan.created):
        rows = [
            _full_values(record)
            | {
                "fellowship_id": fellowship_id,
                "source": plan.source,
                "source_slug": record.slug,
                "active": True,
                "removed_from_source": False,
                "located_from_directory": False,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for record, fellowship_id in batch
        ]
        # Many rows, one statement, then their ids for the audit rows: INSERT … RETURNING of
        # 500 rows of 30 columns makes psycopg parse 15,000 placeholders, three times slower.
        db.session.execute(insert(Meeting), rows)
        for meeting_id in db.session.scalars(
            select(Meeting.id).where(
                Meeting.source == plan.source, _listed([record.slug for record, _ in batch])
            )
        ):
            audit_rows.append(_audit_row("meeting_imported", meeting_id, actor_id, plan.source))
        _advance(progress, len(batch))
    for batch in _batches(plan.updated):
        rows = []
        for meeting_id, record, fellowship_id, changed in batch:
            row = _feed_values(record) | {"id": meeting_id, "fellowship_id": fellowship_id}
            # a point from the feed is the feed's; none, and the directory places it below
            row["located_from_directory"] = False
            if "active" in changed:
                row |= {"active": True, "removed_from_source": False}
            rows.append(row | {"version": plan.versions[meeting_id] + 1, "updated_at": now})
            audit_rows.append(
                _audit_row("meeting_import_changed", meeting_id, actor_id, None, changed)
            )
        db.session.execute(update(Meeting), rows)
        _advance(progress, len(batch))
    for batch in _batches(plan.deactivated):
        ids = [meeting_id for meeting_id, _ in batch]
        db.session.execute(
            update(Meeting)
            .where(Meeting.id.in_(ids))
            .values(
                active=False,
                removed_from_source=True,
                version=Meeting.version + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        audit_rows += [_audit_row("meeting_import_deactivated", i, actor_id) for i in ids]
        _advance(progress, len(batch))
    for batch in _batches(audit_rows):
        audit_many(batch)
    fill_meeting_points()
    if summary:
        audit(
            "meetings_import_applied",
            actor_id=actor_id,
            detail={"source": plan.source, **plan.counts},
        )
    db.session.flush()


def _full_values(record: FeedMeeting) -> dict[str, Any]:
    """Every column a new meeting gets from a record (the same keys for each, for batching)."""
    values = {key: getattr(record, key) for key in FEED_FIELDS}
    values.update({key: record.extras.get(key) for key in PORTAL_EXTRAS})
    values["last_verified_at"] = record.last_verified_at
    return values


def _audit_row(
    action: str,
    meeting_id: int,
    actor_id: int | None,
    source: str | None = None,
    fields: list[str] | None = None,
) -> dict:
    detail = {"source": source} if source else ({"fields": fields} if fields else None)
    return audit_row(action, _Ref(meeting_id), actor_id, detail, None)


@dataclass(frozen=True)
class _Ref:
    """Stands in for a meeting in an audit row when only its id is at hand."""

    id: int
    __tablename__ = "meetings"


def _batches(items: list) -> Iterator[list]:
    for start in range(0, len(items), IMPORT_BATCH):
        yield items[start : start + IMPORT_BATCH]


def _advance(progress: Progress | None, steps: int) -> None:
    if progress:
        progress(steps)


def max_meetings() -> int:
    """The most meetings one feed may hold (MEETING_IMPORT_MAX_MEETINGS)."""
    return int(current_app.config["MEETING_IMPORT_MAX_MEETINGS"])


def read_feed(payload: bytes, progress: Progress | None = None) -> FeedResult:
    try:
        return parse_feed(payload, progress, max_meetings())
    except FeedError as error:
        raise InvalidChange(str(error), field="feed") from None


def clean_source(source: str) -> str:
    source = " ".join(CONTROL.sub("", source or "").split())[:255]
    if not source:
        raise InvalidChange("Enter where this feed comes from", field="source")
    return source


def new_import(
    source: str, fellowship: Fellowship, actor_id: int | None, filename: str | None, status: str
) -> MeetingImport:
    """A new import row (added, not committed), clearing away previews nobody confirmed."""
    db.session.execute(
        delete(MeetingImport).where(
            MeetingImport.status.in_(("preview", "failed")),
            MeetingImport.created_at < utcnow() - PREVIEW_LIFETIME,
        )
    )
    run = MeetingImport(
        id=secrets.token_urlsafe(24),
        created_by_id=actor_id,
        source=source,
        fellowship_id=fellowship.id,
        filename=" ".join(CONTROL.sub("", filename or "").split())[:255] or None,
        status=status,
        records="",
        summary="",
    )
    db.session.add(run)
    db.session.flush()  # before any job refers to it
    return run


def store_preview(run: MeetingImport, feed: FeedResult, plan: ImportPlan) -> None:
    """Keep the clean records and what applying them would do on the import (not committed)."""
    run.records = json.dumps(
        {
            "records": feed.records,
            "meetings": [m.to_json() for m in feed.meetings],
            "skipped": [s.__dict__ for s in feed.skipped],
        }
    )
    run.summary = json.dumps(plan.summary())
    run.status = "preview"


def preview_import(
    payload: bytes,
    source: str,
    fellowship: Fellowship,
    actor_id: int | None,
    filename: str | None = None,
) -> MeetingImport:
    """Read a feed and keep what an import would do, server-side, until someone confirms."""
    source = clean_source(source)
    feed = read_feed(payload)
    try:
        plan = plan_import(feed, source, fellowship, lock=False)
    except FeedError as error:
        raise InvalidChange(str(error), field="feed") from None
    run = new_import(source, fellowship, actor_id, filename, "preview")
    store_preview(run, feed, plan)
    audit("meetings_import_previewed", actor_id=actor_id, detail={"source": source})
    db.session.commit()
    return run


def get_import(import_id: str, user_id: int) -> MeetingImport:
    """An import run its own creator may look at; anyone else's is a 404."""
    run = db.session.get(MeetingImport, import_id[:43]) if import_id else None
    if run is None or run.created_by_id != user_id:
        raise NotFound("No such import")
    return run


def import_summary(run: MeetingImport) -> dict[str, Any]:
    return json.loads(run.summary) if run.summary else {}


def meetings_in_preview(run: MeetingImport) -> int:
    """How many meetings applying this preview would go through (each one is compared)."""
    counts = import_summary(run).get("counts") or {}
    return sum(counts.get(key, 0) for key in ("created", "updated", "unchanged"))


def preview_expired(run: MeetingImport) -> bool:
    return run.status == "preview" and run.created_at < utcnow() - PREVIEW_LIFETIME


def stored_feed(run: MeetingImport) -> FeedResult:
    data = json.loads(run.records)
    return FeedResult(
        [FeedMeeting.from_json(m) for m in data["meetings"]],
        [Skipped(**s) for s in data["skipped"]],
        data["records"],
    )


def confirm_import(run: MeetingImport, actor_id: int | None) -> bool:
    """Apply a previewed import in one transaction.

    The plan is worked out again first; if the meetings changed since the preview, nothing is
    applied, the preview is refreshed and False comes back so the person can look again.
    """
    if run.status != "preview":
        raise InvalidChange("This import has already been applied or discarded.")
    if preview_expired(run):
        raise InvalidChange("This preview is more than a day old. Upload the feed again.")
    seen = import_summary(run).get("counts")
    try:
        plan = plan_import(stored_feed(run), run.source, run.fellowship)
    except FeedError as error:
        raise InvalidChange(str(error)) from None
    if plan.counts != seen:
        run.summary = json.dumps(plan.summary())
        db.session.commit()
        return False
    claimed = db.session.execute(
        update(MeetingImport)
        .where(MeetingImport.id == run.id, MeetingImport.status == "preview")
        .values(status="applied", applied_at=utcnow(), records="")
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise Conflict("This import was confirmed a moment ago, perhaps in another tab.")
    apply_plan(plan, actor_id)
    db.session.commit()
    db.session.refresh(run)
    return True


def discard_import(run: MeetingImport, actor_id: int | None) -> None:
    """Throw a preview away; nothing about the meetings changes."""
    if run.status != "preview":
        return
    run.status = "discarded"
    run.records = ""
    audit("meetings_import_discarded", actor_id=actor_id, detail={"source": run.source})
    db.session.commit()


def recent_imports(limit: int = 10) -> list[MeetingImport]:
    return db.session.scalars(
        select(MeetingImport)
        .where(MeetingImport.status == "applied")
        .order_by(MeetingImport.applied_at.desc())
        .limit(limit)
    ).all()


def known_sources() -> list[str]:
    return db.session.scalars(
        select(Meeting.source)
        .where(Meeting.source.is_not(None))
        .distinct()
        .order_by(Meeting.source)
    ).all()


@dataclass
class CommandImport:
    plan: ImportPlan
    applied: bool


def import_from_command(
    payload: bytes,
    source: str,
    fellowship: Fellowship,
    confirm: Callable[[ImportPlan], bool],
    progress_factory: Callable[[str, int], Any] | None = None,
) -> CommandImport:
    """The CLI's import: read, plan, show it to `confirm`, then apply in one transaction."""
    bar = progress_factory or (lambda label, length: _NoBar())
    with bar("Reading meetings", record_count(payload)) as reading:
        feed = parse_feed(payload, reading.update, max_meetings())
    with write_transaction():
        with bar("Comparing with the directory", len(feed.meetings)) as comparing:
            plan = plan_import(feed, source, fellowship, comparing.update)
        if not confirm(plan) or not plan.changes_anything:
            db.session.rollback()
            return CommandImport(plan, applied=False)
        steps = len(plan.created) + len(plan.updated) + len(plan.deactivated)
        with bar("Saving changes", steps) as saving:
            apply_plan(plan, None, saving.update)
        db.session.commit()
    return CommandImport(plan, applied=True)


def record_count(payload: bytes) -> int:
    # A cheap estimate for the progress bar: one "slug" key per record.
    return max(payload.count(b'"slug"'), 1)


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


def fetch_feed(location: str, max_bytes: int, timeout: float) -> tuple[bytes, str]:
    """The feed's bytes from a web address or a file path, refusing anything over `max_bytes`."""
    limit_text = (
        f"{max_bytes / 1024 / 1024:.0f} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes} bytes"
    )
    if location.lower().startswith(("http://", "https://")):
        request = urllib.request.Request(  # noqa: S310  (the scheme is checked just above)
            location, headers={"User-Agent": "peer-accompaniment-portal meetings import"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FeedError(f"The feed is larger than {limit_text}.")
                payload = response.read(max_bytes + 1)
        except urllib.error.HTTPError as error:
            error.close()
            raise FeedError(
                f"The feed could not be fetched: the server said {error.code}."
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise FeedError(f"The feed could not be fetched: {reason}") from None
        name = location
    else:
        path = Path(location)
        try:
            if path.stat().st_size > max_bytes:
                raise FeedError(f"The file is larger than {limit_text}.")
            with path.open("rb") as handle:
                payload = handle.read(max_bytes + 1)
        except OSError as error:
            raise FeedError(f"The file could not be read: {error.strerror or error}") from None
        name = path.name
    if len(payload) > max_bytes:
        raise FeedError(f"The feed is larger than {limit_text}.")
    return payload, name
