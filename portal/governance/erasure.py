"""Anonymising a person: erasure on request (UK GDPR Article 17), or when retention ends.

Anonymising keeps what the reports count (ids, states, dates, outcomes, which session, whether
the client went) and removes who the person was: names, phone numbers, notes, answers in their
own words, preferences, languages, where they go. The rule for each table is in ANONYMISE;
a linked table without a rule keeps its rows with every free-text column emptied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, String, Table, Text, delete, func, select, update

from ..accompaniment.models import LIVE_STATES, AccompanimentRequest
from ..audit import audit, utcnow, viewing
from ..auth.models import User, new_session_token
from ..clients.models import Client
from ..clients.records import has_live_request
from ..database import add_unique
from ..errors import Conflict, InvalidChange
from ..extensions import db
from ..volunteers.models import Volunteer
from .models import Anonymisation
from .people import _account_email, get_subject, label_of
from .records import ROOTS, Path, _predicate, _table, plan_for, roots_of, title_of


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
    "text_messages": Rule("delete", "Texts sent to the person: their number and the words."),
    "received_texts": Rule("delete", "Texts the person sent to the service."),
    "text_contacts": Rule("delete", "The mobile number given for texts."),
    "text_preferences": Rule("delete", "Text choices."),
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
        "supervisions": Rule("delete", "Supervision sessions and the champions' notes on them."),
        "expense_claims": Rule(
            "delete", "Travel expense claims (their ticket photos are deleted after the commit)."
        ),
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
    # A table reached both through the account and through the volunteer row (a reply the
    # person wrote to a message sent to their volunteer row) keeps only the second way.
    plan = plan_for(kind, subject)
    plan.pop("users", None)
    kept = {
        name: [path for path in paths if not _via_users([path])] for name, paths in plan.items()
    }
    return {name: paths for name, paths in kept.items() if paths}


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
    add_unique(row, refusal=Conflict("This person's details were anonymised already."))


def _overwrite(
    kind: str,
    subject: Client | Volunteer,
    reason: str,
    actor: User | None,
    now: datetime,
    *,
    touch_account: bool,
    **values: Any,
) -> dict[str, int]:
    """Record the anonymisation, apply every table's rule, then overwrite the person's own row
    with `values` (and a new version); returns the rows changed per table."""
    _record(kind, subject, reason, actor, now)
    done = _apply_rules(kind, subject, touch_account=touch_account)
    model = type(subject)
    db.session.execute(
        update(model)
        .where(model.id == subject.id)
        .values(**values, version=model.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return done


def anonymised_on(kind: str, subject_id: int) -> Anonymisation | None:
    column = Anonymisation.client_id if kind == "client" else Anonymisation.volunteer_id
    return db.session.scalar(select(Anonymisation).where(column == subject_id))


def anonymise_client(
    client: Client, reason: str, actor: User | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Remove who the client was, keep what the reports count; audited, committed."""
    now = now or utcnow()
    if has_live_request(client.id):
        raise InvalidChange(
            "This client has a request for a peer in progress. Cancel it first, then try again."
        )
    old_reference = client.reference
    done = _overwrite(
        "client",
        client,
        reason,
        actor,
        now,
        touch_account=False,
        reference=f"ANON-{client.id}",
        first_name="Anonymised",
        gender="not_said",
        pronouns=None,
        languages=None,
        access_needs=None,
        home_district=None,
        literacy_support=False,
        consent_first_name=False,
        consent_phone=False,
        consent_texts=False,
        phone=None,
        status="closed",
        closed_at=client.closed_at if client.status == "closed" and client.closed_at else now,
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
    done = _overwrite(
        "volunteer",
        volunteer,
        reason,
        actor,
        now,
        touch_account=only_volunteer,
        preferred_name="Anonymised",
        pronouns=None,
        gender=None,
        home_area=None,
        home_district=None,
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


@dataclass
class ErasurePage:
    """What the erase page shows about one person, read as the page is drawn."""

    kind: str
    subject: Client | Volunteer
    anonymised: Anonymisation | None
    label: str  # as it was before any erasure, for the message afterwards

    def context(self) -> dict[str, Any]:
        kind, subject = self.kind, self.subject
        return {
            "kind": kind,
            "subject": subject,
            "label": label_of(kind, subject),
            "expected": subject.reference if kind == "client" else subject.preferred_name,
            "anonymised": self.anonymised,
            "steps": anonymisation_steps(kind, subject),
            "must_keep": MUST_KEEP[kind],
        }


def erasure_page(kind: str, subject_id: int) -> ErasurePage:
    """The person to erase (NotFound if none), and when they were anonymised, if they were."""
    subject = get_subject(kind, subject_id)
    reference = subject.reference if kind == "client" else None
    viewing("erasure_viewed", subject, client_ref=reference)
    return ErasurePage(kind, subject, anonymised_on(kind, subject.id), label_of(kind, subject))
