"""Retention: anonymise closed clients and withdrawn volunteers once their period has ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, func, select

from ..audit import audit, utcnow, viewing_list
from ..auth.models import User
from ..clients.models import Client
from ..errors import Conflict, InvalidChange
from ..extensions import db
from ..settings import get_setting
from ..volunteers.models import Volunteer
from .erasure import anonymise_client, anonymise_volunteer
from .models import Anonymisation
from .people import get_subject


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

    def summary(self) -> str:
        """What a run did, in a sentence for the admin who ran it."""
        message = f"Anonymised {len(self.clients)} clients and {len(self.volunteers)} volunteers."
        if self.skipped:
            message += f" {len(self.skipped)} could not be done yet: see the list."
        return message


def retention_page() -> dict[str, Any]:
    """The retention page: who is due now, and the periods the service set."""
    clients, volunteers = due_for_retention()
    viewing_list("retention_due", clients=len(clients), volunteers=len(volunteers))
    return {
        "clients": clients,
        "volunteers": volunteers,
        "client_months": get_setting("client_retention_months"),
        "volunteer_months": get_setting("volunteer_retention_months"),
    }


def _past(
    model: type[Client] | type[Volunteer], status: str, since: Any, cutoff: datetime, *shown: Any
) -> list[Any]:
    """(id, *shown, since) of each `model` row in `status` since before `cutoff` and not yet
    anonymised, the longest waiting first."""
    anonymised = Anonymisation.client_id if model is Client else Anonymisation.volunteer_id
    return db.session.execute(
        select(model.id, *shown, since)
        .where(model.status == status, since < cutoff, ~exists().where(anonymised == model.id))
        .order_by(since, model.id)
    ).all()


def due_for_retention(now: datetime | None = None) -> tuple[list[Due], list[Due]]:
    """Closed clients and withdrawn volunteers past their retention period, not yet anonymised."""
    now = now or utcnow()
    client_cutoff = months_before(now, int(get_setting("client_retention_months")))
    volunteer_cutoff = months_before(now, int(get_setting("volunteer_retention_months")))
    closed = func.coalesce(Client.closed_at, Client.updated_at)
    clients = _past(Client, "closed", closed, client_cutoff, Client.reference)
    withdrawn = func.coalesce(Volunteer.status_changed_at, Volunteer.updated_at)
    volunteers = _past(Volunteer, "withdrawn", withdrawn, volunteer_cutoff)
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
