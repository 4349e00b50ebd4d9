"""Data protection: subject access exports, retention and erasure (UK GDPR Articles 15 and 17).

What belongs to a person is found by walking the schema, not from a list kept by hand: every
table with a chain of foreign keys up to `clients` (for a client) or to `volunteers` (for a
volunteer, and to `users` through a `user_id` column for a volunteer's own account) is part of
their record, so a table another domain adds later is exported and anonymised with no change
here. The walk takes the shortest chains only, so a volunteer's export does not wander from a
request they accepted to every other offer made for it.

Foreign keys to `users` named anything but `user_id` (recorded_by_id, created_by_id, actor_id,
keyworker_id…) say which member of staff did something; they are not the staff member's own
record and are not followed. The audit trail has no foreign key to clients: a client's audit
rows are found by their reference and record id, a volunteer's by their account and record id.

Anonymising keeps what the reports count (ids, states, dates, outcomes, which session, whether
the client went) and removes who the person was: names, phone numbers, notes, answers in their
own words, preferences, languages, where they go. The rule for each table is in ANONYMISE;
a linked table without a rule keeps its rows with every free-text column emptied.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    MetaData,
    String,
    Table,
    Text,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from ..accompaniment.models import LIVE_STATES, AccompanimentRequest
from ..audit import AuditEvent, audit, utcnow
from ..auth.models import User, new_session_token
from ..clients.models import Client
from ..errors import Conflict, InvalidChange, NotFound
from ..extensions import db
from ..settings import get_setting
from ..volunteers.models import Volunteer
from .governance_models import Anonymisation

ROOTS = {"client": "clients", "volunteer": "volunteers"}
MAX_DEPTH = 4
# Columns that hold a secret or a hash of one: never exported.
SECRET_COLUMNS = frozenset({"password_hash", "session_token", "token_hash", "calendar_token_hash"})
# Foreign keys to users that mean "this is the person's own account record".
ACCOUNT_LINK_COLUMNS = frozenset({"user_id"})
# Tables with a link to a person that the export leaves out on purpose, with the reason.
EXCLUDED: dict[str, str] = {}
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
TITLES = {
    "clients": "Client record",
    "client_consents": "Consent decisions",
    "client_fellowships": "Fellowships of interest",
    "fama_sessions": "FAMA sessions",
    "client_goals": "Goals",
    "client_journal_entries": "Journal",
    "accompaniment_requests": "Requests for a peer",
    "request_events": "Changes to requests",
    "anonymisations": "Anonymisation",
    "volunteers": "Volunteer record",
    "volunteer_fellowships": "Fellowships known",
    "volunteer_languages": "Languages",
    "safeguarding_items": "Safeguarding checks",
    "volunteer_meetings": "Meetings they go to",
    "availability_windows": "Weekly free times",
    "volunteer_time_away": "Dates away",
    "users": "Portal account",
    "user_roles": "Roles",
    "auth_tokens": "Invitation and password-reset links",
    "notifications": "Messages in the portal",
    "email_preferences": "Email choices",
}


def title_of(table: str) -> str:
    return TITLES.get(table, table.replace("_", " ").capitalize())


# --- walking the schema ----------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """Rows of `table` whose `column` holds a `parent`.`parent_column` value."""

    table: str
    column: str
    parent: str
    parent_column: str


Path = tuple[Link, ...]


def linked_tables(metadata: MetaData, roots: Iterable[str]) -> dict[str, list[Path]]:
    """Every table with a foreign-key chain to one of `roots`, with its shortest chains.

    A chain to `users` counts only through a column named in ACCOUNT_LINK_COLUMNS.
    """
    reached: dict[str, list[Path]] = {root: [()] for root in roots}
    for _depth in range(MAX_DEPTH):
        found: dict[str, list[Path]] = {}
        for table in metadata.sorted_tables:
            if table.name in reached:
                continue
            for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
                parent = fk.column.table.name
                if parent not in reached or parent == table.name:
                    continue
                if parent == "users" and fk.parent.name not in ACCOUNT_LINK_COLUMNS:
                    continue
                link = Link(table.name, fk.parent.name, parent, fk.column.name)
                for path in reached[parent]:
                    found.setdefault(table.name, []).append((link, *path))
        if not found:
            break
        reached.update(found)
    return {name: paths for name, paths in reached.items() if name not in roots}


def roots_of(kind: str, subject: Client | Volunteer) -> dict[str, list[int]]:
    """The root tables of a person's record and their row ids there."""
    if kind == "client":
        return {"clients": [subject.id]}
    roots = {"volunteers": [subject.id]}
    if subject.user_id is not None:
        roots["users"] = [subject.user_id]
    return roots


def plan_for(kind: str, subject: Client | Volunteer) -> dict[str, list[Path]]:
    """The tables that hold this person's record (the roots included, with an empty path)."""
    roots = roots_of(kind, subject)
    plan = {root: [()] for root in roots}
    for table, paths in linked_tables(db.metadata, roots).items():
        if table not in EXCLUDED:
            plan[table] = paths
    return plan


def _table(name: str) -> Table:
    return db.metadata.tables[name]


def _predicate(table: Table, paths: list[Path], roots: dict[str, list[int]]) -> Any:
    """SQL: the rows of `table` reached by any of `paths` from the person's root rows."""
    if paths == [()]:
        return table.c.id.in_(roots[table.name])
    clauses = []
    for path in paths:
        root = _table(path[-1].parent)
        inner: Any = select(root.c[path[-1].parent_column]).where(root.c.id.in_(roots[root.name]))
        # Walk back down the chain: each link's rows whose key is among the ones found above.
        for step in range(len(path) - 1, 0, -1):
            here = _table(path[step].table)
            inner = select(here.c[path[step - 1].parent_column]).where(
                here.c[path[step].column].in_(inner)
            )
        clauses.append(table.c[path[0].column].in_(inner))
    return or_(*clauses)


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


# --- subject access --------------------------------------------------------------------------


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


def get_subject(kind: str, subject_id: int) -> Client | Volunteer:
    """The client or volunteer an admin asked about, or NotFound."""
    model = {"client": Client, "volunteer": Volunteer}.get(kind)
    subject = db.session.get(model, subject_id) if model else None
    if subject is None:
        raise NotFound("No such person")
    return subject


def label_of(kind: str, subject: Client | Volunteer) -> str:
    if kind == "client":
        return subject.reference
    return f"{subject.preferred_name} (volunteer {subject.id})"


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


def _account_email(kind: str, subject: Client | Volunteer) -> str | None:
    if kind != "volunteer" or subject.user_id is None:
        return None
    return db.session.scalar(select(User.email).where(User.id == subject.user_id))


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


# --- anonymising -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """What anonymising does to a linked table's rows.

    keep: leave the rows as they are; delete: remove them; clear: empty every column except
    the keys and `keep` (so a column added later is emptied too); or, with `only`, empty just
    those columns (for a record that belongs to someone else, like the client's request a
    volunteer accepted).
    """

    action: str  # "keep", "delete" or "clear"
    why: str
    keep: tuple[str, ...] = ()
    only: tuple[str, ...] = ()


_SHARED: dict[str, Rule] = {
    "anonymisations": Rule("keep", "The record of this anonymisation."),
    "escort_slots": Rule("keep", "The times a volunteer was busy with an escort."),
    "volunteer_week_counts": Rule("keep", "How many escorts a volunteer had each week."),
    "volunteer_client_conflicts": Rule(
        "clear",
        "A safeguarding decision (this volunteer never escorts this client) is kept; its note "
        "goes.",
        only=("note",),
    ),
}
ANONYMISE: dict[str, dict[str, Rule]] = {
    "client": _SHARED
    | {
        "client_consents": Rule(
            "keep", "Evidence that past sharing was agreed: the decision, its date and wording."
        ),
        "client_fellowships": Rule("delete", "Fellowships the client was interested in."),
        "fama_sessions": Rule(
            "clear",
            "Answers, notes and goals go; which session it was, when, the meeting committed to "
            "and whether the client went stay for the reports.",
            keep=(
                "kind",
                "held_on",
                "recorded_at",
                "attended",
                "commitment_at",
                "wants_company",
            ),
        ),
        "client_goals": Rule("delete", "Goals in the client's own words."),
        "client_journal_entries": Rule(
            "clear",
            "Reactions, benefits and drawbacks go; the date and the meeting stay.",
            keep=("attended_on", "created_at"),
        ),
        "accompaniment_requests": Rule(
            "clear",
            "Notes, wishes and the peer's name go; the meeting, dates, state and outcome stay "
            "as anonymous counts.",
            keep=(
                "meeting_date",
                "starts_at",
                "ends_at",
                "minutes_before",
                "peer_gender",
                "fellowship_experience",
                "state",
                "outcome",
                "accepted_at",
                "is_current",
                "created_at",
                "updated_at",
                "version",
            ),
        ),
        "request_events": Rule(
            "clear",
            "Notes go; who changed the request and when stay.",
            keep=("at", "from_state", "to_state"),
        ),
        "offers": Rule(
            "keep", "Offers to volunteers: the volunteers' records, nothing of the client's."
        ),
    },
    "volunteer": _SHARED
    | {
        "volunteer_fellowships": Rule("delete", "Fellowships the volunteer knows."),
        "volunteer_languages": Rule("delete", "Languages the volunteer speaks."),
        "volunteer_meetings": Rule("delete", "Meetings the volunteer goes to."),
        "availability_windows": Rule("delete", "When the volunteer is free."),
        "volunteer_time_away": Rule("delete", "Dates the volunteer is away."),
        "safeguarding_items": Rule(
            "clear",
            "Safeguarding decisions are kept (the check, its level and dates); the DBS "
            "certificate number goes.",
            only=("dbs_certificate_number",),
        ),
        "accompaniment_requests": Rule(
            "clear",
            "The requests they accepted belong to the clients' records and stay; the peer's "
            "first name goes.",
            only=("peer_first_name",),
        ),
        "request_events": Rule("keep", "Changes to requests belong to the clients' records."),
        "offers": Rule(
            "clear",
            "Offers and answers stay as counts; reasons given in words go.",
            only=("decline_reason", "withdraw_reason"),
        ),
        "user_roles": Rule("keep", "Which roles the account had."),
        "auth_tokens": Rule("delete", "Invitation and password-reset links."),
        "notifications": Rule("delete", "Messages in the portal."),
        "email_preferences": Rule("delete", "Email choices."),
    },
}
DEFAULT_RULE = Rule("clear", "Kept, with every free-text answer emptied (no reviewed rule yet).")
# What must be kept however the person asks, and why; shown before an erasure.
MUST_KEEP = {
    "client": [
        (
            "The audit trail",
            "Who looked at or changed this client's records, and when, including their old "
            "reference. The law asks us to be able to show how personal data was handled "
            "(UK GDPR Article 5(2)), and the database refuses to change these records.",
        ),
        (
            "Consent decisions",
            "When consent to share was given or withdrawn, and the wording: evidence that "
            "past sharing was agreed. Nothing in them says who the client was.",
        ),
        (
            "Request outcomes and FAMA session results, as anonymous counts",
            "Dates, states, outcomes and whether the client went, with every note removed, so "
            "that the numbers reported to commissioners stay true.",
        ),
    ],
    "volunteer": [
        (
            "The audit trail",
            "What the volunteer did in the portal and what was changed about them, and when. "
            "The database refuses to change these records.",
        ),
        (
            "Safeguarding decisions",
            "The checks made before they met clients (DBS level and dates, training, "
            "references), kept to show each escort was safe. The certificate number goes.",
        ),
        (
            "Escorts, as anonymous counts",
            "Which requests they accepted and how they ended, for the reports.",
        ),
    ],
}


def _is_free_text(column: Any) -> bool:
    kind = column.type
    return isinstance(kind, Text) or (isinstance(kind, String) and (kind.length or 1000) > 40)


def _cleared_values(table: Table, rule: Rule) -> dict[str, Any]:
    """The blank value of every column the rule does not keep (keys and ids always stay)."""
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.primary_key or column.foreign_keys or column.computed is not None:
            continue
        if rule.only:
            if column.name not in rule.only:
                continue
        elif rule is DEFAULT_RULE:
            if not (_is_free_text(column) and column.nullable):
                continue
        elif column.name in rule.keep:
            continue
        if column.nullable:
            values[column.name] = None
        elif isinstance(column.type, JSON):
            values[column.name] = []
        elif isinstance(column.type, Boolean):
            values[column.name] = False
        elif isinstance(column.type, String | Text):
            values[column.name] = ""
    return values


@dataclass
class Step:
    table: str
    title: str
    action: str
    why: str
    rows: int


def anonymisation_steps(kind: str, subject: Client | Volunteer) -> list[Step]:
    """What anonymising this person would do to each table, with the rows it touches."""
    roots = roots_of(kind, subject)
    plan = plan_for(kind, subject)
    if kind == "volunteer" and not _account_is_only_volunteer(subject):
        plan = _plan_without_account(kind, subject)
    steps = []
    for name, paths in plan.items():
        if name in ROOTS.values() or name == "users":
            rule = Rule("clear", _ROOT_WHY[name])
        else:
            rule = ANONYMISE[kind].get(name, DEFAULT_RULE)
        table = _table(name)
        count = db.session.scalar(
            select(func.count()).select_from(table).where(_predicate(table, paths, roots))
        )
        steps.append(Step(name, title_of(name), rule.action, rule.why, count or 0))
    if kind == "volunteer" and _account_is_only_volunteer(subject):
        outbox = _table("outbox_messages")
        count = db.session.scalar(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.to_address == _account_email(kind, subject))
        )
        steps.append(
            Step(
                "outbox_messages", "Emails sent to them", "delete", "Copies of emails.", count or 0
            )
        )
    return steps


_ROOT_WHY = {
    "clients": (
        "Name, reference (becomes ANON-<id>), pronouns, gender, languages, access needs, "
        "phone and consents go; the FAMA stage, outcome and dates stay."
    ),
    "volunteers": (
        "Name, pronouns, gender, area, phone, travel, notes and recovery date go; status and "
        "dates stay."
    ),
    "users": "The sign-in email and name go and the account can no longer sign in.",
}


def _via_users(paths: list[Path]) -> bool:
    return all(path and path[-1].parent == "users" for path in paths)


def _account_is_only_volunteer(volunteer: Volunteer) -> bool:
    if volunteer.user_id is None:
        return False
    user = db.session.get(User, volunteer.user_id)
    return user is not None and user.roles <= {"volunteer"}


def _apply_rules(kind: str, subject: Client | Volunteer, touch_account: bool) -> dict[str, int]:
    roots = roots_of(kind, subject)
    if not touch_account:
        roots.pop("users", None)
    plan = plan_for(kind, subject) if touch_account else _plan_without_account(kind, subject)
    done: dict[str, int] = {}
    # Deepest tables first, so nothing is deleted while a row below still points at it.
    for name, paths in sorted(plan.items(), key=lambda item: -len(item[1][0])):
        if name in ROOTS.values() or name == "users":
            continue
        rule = ANONYMISE[kind].get(name, DEFAULT_RULE)
        table = _table(name)
        where = _predicate(table, paths, roots)
        if rule.action == "delete":
            result = db.session.execute(delete(table).where(where))
        elif rule.action == "clear":
            values = _cleared_values(table, rule)
            if not values:
                continue
            result = db.session.execute(update(table).where(where).values(**values))
        else:
            continue
        if result.rowcount:
            done[name] = result.rowcount
    return done


def _plan_without_account(kind: str, subject: Client | Volunteer) -> dict[str, list[Path]]:
    plan = plan_for(kind, subject)
    plan.pop("users", None)
    return {name: paths for name, paths in plan.items() if not _via_users(paths)}


def _record(
    kind: str, subject: Client | Volunteer, reason: str, actor: User | None, now: datetime
) -> None:
    row = Anonymisation(
        client_id=subject.id if kind == "client" else None,
        volunteer_id=subject.id if kind == "volunteer" else None,
        reason=reason,
        at=now,
        actor_id=actor.id if actor is not None else None,
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("This person's details were anonymised already.") from None


def anonymised_on(kind: str, subject_id: int) -> Anonymisation | None:
    column = Anonymisation.client_id if kind == "client" else Anonymisation.volunteer_id
    return db.session.scalar(select(Anonymisation).where(column == subject_id))


def anonymise_client(
    client: Client, reason: str, actor: User | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Remove who the client was, keep what the reports count; audited, committed."""
    now = now or utcnow()
    live = db.session.scalar(
        select(func.count())
        .select_from(AccompanimentRequest)
        .where(
            AccompanimentRequest.client_id == client.id,
            AccompanimentRequest.state.in_(LIVE_STATES),
        )
    )
    if live:
        raise InvalidChange(
            "This client has a request for a peer in progress. Cancel it first, then try again."
        )
    old_reference = client.reference
    _record("client", client, reason, actor, now)
    done = _apply_rules("client", client, touch_account=False)
    db.session.execute(
        update(Client)
        .where(Client.id == client.id)
        .values(
            reference=f"ANON-{client.id}",
            first_name="Anonymised",
            gender="not_said",
            pronouns=None,
            languages=None,
            access_needs=None,
            literacy_support=False,
            consent_first_name=False,
            consent_phone=False,
            phone=None,
            status="closed",
            closed_at=client.closed_at if client.status == "closed" and client.closed_at else now,
            version=Client.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    audit(
        "client_anonymised",
        client,
        actor_id=actor.id if actor is not None else None,
        detail={"reason": reason, "tables": done},
        client_ref=old_reference,
    )
    db.session.commit()
    return done


def anonymise_volunteer(
    volunteer: Volunteer, reason: str, actor: User | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Remove who the volunteer was, keep safeguarding decisions and counts; audited."""
    now = now or utcnow()
    accepted_by = AccompanimentRequest.__table__.c.get("volunteer_id")
    if accepted_by is not None:
        live = db.session.scalar(
            select(func.count())
            .select_from(AccompanimentRequest)
            .where(accepted_by == volunteer.id, AccompanimentRequest.state.in_(LIVE_STATES))
        )
        if live:
            raise InvalidChange(
                "This volunteer has an escort coming up. Find someone else for it first."
            )
    only_volunteer = _account_is_only_volunteer(volunteer)
    _record("volunteer", volunteer, reason, actor, now)
    done = _apply_rules("volunteer", volunteer, touch_account=only_volunteer)
    db.session.execute(
        update(Volunteer)
        .where(Volunteer.id == volunteer.id)
        .values(
            preferred_name="Anonymised",
            pronouns=None,
            gender=None,
            home_area=None,
            travel_modes="",
            phone=None,
            share_phone=False,
            status="withdrawn",
            status_changed_at=(
                volunteer.status_changed_at
                if volunteer.status == "withdrawn" and volunteer.status_changed_at
                else now
            ),
            status_reason=None,
            recovery_date=None,
            conflict_notes=None,
            calendar_token_hash=None,
            version=Volunteer.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if only_volunteer:
        outbox = _table("outbox_messages")
        removed = db.session.execute(
            delete(outbox).where(outbox.c.to_address == _account_email("volunteer", volunteer))
        ).rowcount
        if removed:
            done["outbox_messages"] = removed
        db.session.execute(
            update(User)
            .where(User.id == volunteer.user_id)
            .values(
                email=f"anonymised-{volunteer.user_id}@invalid",
                name="Anonymised",
                password_hash=None,
                active=False,
                session_token=new_session_token(),
                version=User.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
    audit(
        "volunteer_anonymised",
        volunteer,
        actor_id=actor.id if actor is not None else None,
        detail={"reason": reason, "tables": done, "account": only_volunteer},
    )
    db.session.commit()
    return done


def erase_subject(
    kind: str, subject: Client | Volunteer, actor: User, confirmation: str
) -> dict[str, int]:
    """Erasure on request: the admin types the person's reference (or name) to confirm."""
    if anonymised_on(kind, subject.id) is not None:
        raise InvalidChange("This person's details were anonymised already.")
    expected = subject.reference if kind == "client" else subject.preferred_name
    if confirmation.strip().casefold() != expected.strip().casefold():
        raise InvalidChange(f"Type {expected} exactly as shown to confirm", field="confirmation")
    if kind == "client":
        return anonymise_client(subject, "erasure", actor)
    return anonymise_volunteer(subject, "erasure", actor)


# --- retention -------------------------------------------------------------------------------


def months_before(now: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (31 March − 1 month = 28/29 February)."""
    import calendar

    year, month0 = divmod(now.month - 1 - months, 12)
    year += now.year
    day = min(now.day, calendar.monthrange(year, month0 + 1)[1])
    return now.replace(year=year, month=month0 + 1, day=day)


@dataclass(frozen=True)
class Due:
    kind: str
    id: int
    label: str
    since: datetime


@dataclass
class RetentionResult:
    clients: list[Due]
    volunteers: list[Due]
    dry_run: bool
    skipped: list[tuple[Due, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.clients) + len(self.volunteers)


def due_for_retention(now: datetime | None = None) -> tuple[list[Due], list[Due]]:
    """Closed clients and withdrawn volunteers past their retention period, not yet anonymised."""
    now = now or utcnow()
    client_cutoff = months_before(now, int(get_setting("client_retention_months")))
    volunteer_cutoff = months_before(now, int(get_setting("volunteer_retention_months")))
    closed = func.coalesce(Client.closed_at, Client.updated_at)
    clients = db.session.execute(
        select(Client.id, Client.reference, closed)
        .where(
            Client.status == "closed",
            closed < client_cutoff,
            ~exists().where(Anonymisation.client_id == Client.id),
        )
        .order_by(closed, Client.id)
    ).all()
    withdrawn = func.coalesce(Volunteer.status_changed_at, Volunteer.updated_at)
    volunteers = db.session.execute(
        select(Volunteer.id, withdrawn)
        .where(
            Volunteer.status == "withdrawn",
            withdrawn < volunteer_cutoff,
            ~exists().where(Anonymisation.volunteer_id == Volunteer.id),
        )
        .order_by(withdrawn, Volunteer.id)
    ).all()
    return (
        [Due("client", id_, reference, _aware(since)) for id_, reference, since in clients],
        [Due("volunteer", id_, f"Volunteer {id_}", _aware(since)) for id_, since in volunteers],
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def run_retention(
    now: datetime | None = None, dry_run: bool = False, actor: User | None = None
) -> RetentionResult:
    """Anonymise everyone past their retention period (or, with dry_run, only list them)."""
    now = now or utcnow()
    clients, volunteers = due_for_retention(now)
    result = RetentionResult(clients, volunteers, dry_run)
    if dry_run:
        db.session.rollback()
        return result
    for due in [*clients, *volunteers]:
        subject = get_subject(due.kind, due.id)
        try:
            if due.kind == "client":
                anonymise_client(subject, "retention", actor, now)
            else:
                anonymise_volunteer(subject, "retention", actor, now)
        except (InvalidChange, Conflict) as error:
            db.session.rollback()
            result.skipped.append((due, error.message))
    done = [due for due in [*clients, *volunteers] if due not in {d for d, _ in result.skipped}]
    result.clients = [due for due in done if due.kind == "client"]
    result.volunteers = [due for due in done if due.kind == "volunteer"]
    audit(
        "retention_run",
        actor_id=actor.id if actor is not None else None,
        detail={
            "clients": len(result.clients),
            "volunteers": len(result.volunteers),
            "skipped": len(result.skipped),
        },
    )
    db.session.commit()
    return result


# --- finding the person ----------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    kind: str
    id: int
    label: str
    status: str
    anonymised: bool


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_people(kind: str, query: str, limit: int = 20) -> list[Found]:
    """Clients whose reference starts with `query`, or volunteers by name or number."""
    query = query.strip()
    if kind == "client":
        rows = db.session.execute(
            select(Client.id, Client.reference, Client.status, Anonymisation.id)
            .outerjoin(Anonymisation, Anonymisation.client_id == Client.id)
            .where(func.upper(Client.reference).like(_like(query.upper()) + "%", escape="\\"))
            .order_by(Client.reference)
            .limit(limit)
        ).all()
        return [
            Found("client", id_, ref, status, mark is not None) for id_, ref, status, mark in rows
        ]
    condition = func.lower(Volunteer.preferred_name).like(
        "%" + _like(query.lower()) + "%", escape="\\"
    )
    if query.isdigit() and len(query) < 10:
        condition = or_(condition, Volunteer.id == int(query))
    rows = db.session.execute(
        select(Volunteer.id, Volunteer.preferred_name, Volunteer.status, Anonymisation.id)
        .outerjoin(Anonymisation, Anonymisation.volunteer_id == Volunteer.id)
        .where(condition)
        .order_by(Volunteer.preferred_name, Volunteer.id)
        .limit(limit)
    ).all()
    return [
        Found("volunteer", id_, f"{name} (volunteer {id_})", status, mark is not None)
        for id_, name, status, mark in rows
    ]
