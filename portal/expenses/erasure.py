"""Anonymising a volunteer removes their claims and the photos of their tickets.

Governance (portal/governance/erasure.py) anonymises a volunteer by recording an Anonymisation
and emptying free text; it has no hook for files kept on disk. So this module listens for that
record being written: in the same transaction it deletes the volunteer's claims, and once the
transaction commits it deletes their ticket files (a rollback keeps both).
"""

from __future__ import annotations

from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session, object_session

from ..governance.models import Anonymisation
from .models import ExpenseClaim
from .tickets import remove_ticket

PENDING = "expense_tickets_to_remove"


@event.listens_for(Anonymisation, "after_insert")
def _forget_claims(mapper, connection, target: Anonymisation) -> None:  # noqa: ARG001
    if target.volunteer_id is None:
        return
    mine = ExpenseClaim.volunteer_id == target.volunteer_id
    names = connection.execute(
        select(ExpenseClaim.ticket_file).where(mine, ExpenseClaim.ticket_file.is_not(None))
    ).scalars()
    session = object_session(target)
    if session is not None:
        session.info.setdefault(PENDING, []).extend(names)
    connection.execute(delete(ExpenseClaim).where(mine))


@event.listens_for(Session, "after_commit")
def _remove_files(session: Session) -> None:
    for name in session.info.pop(PENDING, []):
        remove_ticket(name)


@event.listens_for(Session, "after_rollback")
def _keep_files(session: Session) -> None:
    session.info.pop(PENDING, None)
