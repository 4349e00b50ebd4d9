"""Subject access (UK GDPR Article 15): everything held about one person, as a page or JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, or_, select

from ..audit import AuditEvent, utcnow
from ..auth.models import User
from ..clients.models import Client
from ..extensions import db
from ..volunteers.models import Volunteer
from .people import _account_email, label_of
from .records import Path, _predicate, _table, linked_tables, plan_for, roots_of, title_of

# Columns that hold a secret or a hash of one: never exported.
SECRET_COLUMNS = frozenset({"password_hash", "session_token", "token_hash", "calendar_token_hash"})
# Columns written about someone else that a volunteer's export leaves out (third-party data).
THIRD_PARTY_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "volunteer": {
        "accompaniment_requests": (
            "note_for_champion",
            "cancel_reason",
            "language",
            "peer_gender",
            "fellowship_experience",
        ),
        "request_events": ("note",),
        "volunteer_client_conflicts": ("note",),
    },
    "client": {
        "offers": ("decline_reason", "withdraw_reason"),
        "volunteer_client_conflicts": ("note",),
    },
}
NOT_INCLUDED = [
    (
        "Records this person made as a member of staff",
        "Sessions, notes and changes they recorded about other people are those people's "
        "records, not theirs.",
    ),
    (
        "Addresses in the audit trail",
        "The network address of each look or change is about the staff member's device.",
    ),
    (
        "Failed sign-in attempts",
        "Kept for a few minutes only, to slow down password guessing.",
    ),
]


def _omitted(kind: str, table: Table, plan: dict[str, list[Path]]) -> set[str]:
    """Columns the export leaves out: secrets, and ids and notes of the other person."""
    other = "volunteers" if kind == "client" else "clients"
    other_tables = set(linked_tables(db.metadata, [other])) | {other}
    left_out = {c.name for c in table.columns if c.name in SECRET_COLUMNS}
    for fk in table.foreign_keys:
        if fk.column.table.name in other_tables and fk.column.table.name not in plan:
            left_out.add(fk.parent.name)
    left_out.update(THIRD_PARTY_COLUMNS.get(kind, {}).get(table.name, ()))
    return left_out


@dataclass
class Section:
    table: str
    title: str
    columns: list[str]
    rows: list[dict[str, Any]]
    omitted: list[str]


@dataclass
class SubjectExport:
    kind: str
    subject_id: int
    label: str
    generated_at: datetime
    sections: list[Section]
    audit: list[dict[str, Any]]
    not_included: list[tuple[str, str]] = field(default_factory=lambda: list(NOT_INCLUDED))

    @property
    def record_count(self) -> int:
        return sum(len(section.rows) for section in self.sections) + len(self.audit)

    def as_json(self) -> dict[str, Any]:
        return {
            "subject": {"kind": self.kind, "id": self.subject_id, "label": self.label},
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "tables": {
                section.table: {
                    "title": section.title,
                    "rows": section.rows,
                    "columns_left_out": section.omitted,
                }
                for section in self.sections
            },
            "audit_trail": self.audit,
            "not_included": [{"what": what, "why": why} for what, why in self.not_included],
        }


def plain(value: Any) -> Any:
    """A value as JSON can hold it."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return None
    return value


def collect_export(kind: str, subject: Client | Volunteer) -> SubjectExport:
    """Everything held about one person: each linked table's rows, and their audit trail."""
    roots = roots_of(kind, subject)
    plan = plan_for(kind, subject)
    sections = []
    for name, paths in plan.items():
        table = _table(name)
        left_out = _omitted(kind, table, plan)
        columns = [c for c in table.columns if c.name not in left_out]
        rows = db.session.execute(
            select(*columns).where(_predicate(table, paths, roots)).order_by(*table.primary_key)
        ).mappings()
        sections.append(
            Section(
                name,
                title_of(name),
                [c.name for c in columns],
                [{key: plain(value) for key, value in row.items()} for row in rows],
                sorted(left_out),
            )
        )
    email = _account_email(kind, subject)
    if email is not None:
        # The outbox keys mail by address, not by a foreign key: found by the account's email.
        outbox = _table("outbox_messages")
        columns = [
            outbox.c.created_at,
            outbox.c.kind,
            outbox.c.subject,
            outbox.c.body_text,
            outbox.c.sent_at,
        ]
        rows = db.session.execute(
            select(*columns).where(outbox.c.to_address == email).order_by(outbox.c.id)
        ).mappings()
        sections.append(
            Section(
                "outbox_messages",
                "Emails sent to them",
                [c.name for c in columns],
                [{key: plain(value) for key, value in row.items()} for row in rows],
                [],
            )
        )
    return SubjectExport(
        kind,
        subject.id,
        label_of(kind, subject),
        utcnow(),
        sections,
        _audit_rows(kind, subject),
    )


def _audit_rows(kind: str, subject: Client | Volunteer) -> list[dict[str, Any]]:
    if kind == "client":
        about = or_(
            AuditEvent.client_ref == subject.reference,
            (AuditEvent.object_type == "clients") & (AuditEvent.object_id == str(subject.id)),
        )
    else:
        about = (AuditEvent.object_type == "volunteers") & (AuditEvent.object_id == str(subject.id))
        if subject.user_id is not None:
            about = or_(about, AuditEvent.actor_id == subject.user_id)
    rows = db.session.execute(
        select(
            AuditEvent.at,
            User.name.label("who"),
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.client_ref,
            AuditEvent.detail,
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(about)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).mappings()
    return [{key: plain(value) for key, value in row.items()} for row in rows]


def export_subject(kind: str, subject: Client | Volunteer, fmt: str) -> SubjectExport:
    """Collect the export and record that it was made (an audit row, committed at once)."""
    from ..audit import audit_view

    export = collect_export(kind, subject)
    audit_view(
        "subject_access_json" if fmt == "json" else "subject_access_viewed",
        subject,
        client_ref=subject.reference if kind == "client" else None,
    )
    return export


def export_json(export: SubjectExport) -> str:
    return json.dumps(export.as_json(), indent=2, ensure_ascii=False, default=str)
