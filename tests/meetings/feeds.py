"""Meeting Guide feeds for the import tests, and the champion's upload through the real form."""

from __future__ import annotations

import io
import json

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.audit import AuditEvent
from portal.extensions import db
from portal.meetings.models import Meeting, MeetingFeedJob, MeetingImport

from ..factories import fellowship_id


def feed_record(slug: object, **fields: object) -> dict:
    base: dict = {
        "name": f"Meeting {slug}",
        "slug": slug,
        "day": 2,
        "time": "19:30",
        "formatted_address": "12 Church Lane, Wrenford QX1 4AB",
        "types": ["O"],
    }
    base.update(fields)
    return base


def feed_bytes(*records: object) -> bytes:
    return json.dumps(list(records)).encode()


def big_feed(count: int, start: int = 0, **fields: object) -> bytes:
    """`count` realistic records (about 400 bytes each: 2,500 make 1 MB)."""
    return feed_bytes(
        *(
            feed_record(
                f"big-{n}",
                name=f"Hope Group {n}",
                day=n % 7,
                location="St Mark's Church Hall",
                region="Wrenford",
                notes="Tea &amp; biscuits after the meeting. Ring the bell at the side door.",
                latitude=52.4862,
                longitude=-1.8904,
                updated="2026-10-01 09:00:00",
                **fields,
            )
            for n in range(start, start + count)
        )
    )


def upload(
    browser,
    payload: bytes,
    source: str = "Wessex Intergroup",
    code: str = "AA",
    **kwargs: object,
):
    """The upload form sent as a browser sends it. The body is encoded here, in memory: the test
    client would spool a large one to a temporary file it never closes."""
    boundary, body = encode_multipart(
        {
            "csrf_token": browser.token("/meetings/import"),
            "feed": FileStorage(io.BytesIO(payload), "feed.json", content_type="application/json"),
            "source": source,
            "fellowship_id": str(fellowship_id(code)),
        }
    )
    return browser.client.post(
        "/meetings/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        **kwargs,
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def import_row(app, page: str) -> MeetingImport:
    with app.app_context():
        run = db.session.get(MeetingImport, page.rsplit("/", 1)[1])
        db.session.expunge(run)
        return run


def jobs(app) -> list[tuple[str, str, int, int]]:
    """(kind, state, done, total) of every job, oldest first."""
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                select(
                    MeetingFeedJob.kind,
                    MeetingFeedJob.state,
                    MeetingFeedJob.done,
                    MeetingFeedJob.total,
                ).order_by(MeetingFeedJob.id)
            )
        ]


def meeting_count(app, source: str | None = None) -> int:
    with app.app_context():
        statement = select(func.count()).select_from(Meeting)
        if source is not None:
            statement = statement.where(Meeting.source == source)
        return db.session.scalar(statement)


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        )


def work(app) -> int:
    """What the tick does for imports, until no job is waiting; how many jobs ran."""
    from portal.meetings.import_jobs import run_feed_jobs

    with app.app_context():
        ran = 0
        while found := run_feed_jobs():
            ran += found
        return ran
