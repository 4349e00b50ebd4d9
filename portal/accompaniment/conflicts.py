"""Conflicts of interest: a volunteer who must never escort a client (champions only)."""

from __future__ import annotations

from sqlalchemy import select

from ..audit import audit
from ..auth.models import User
from ..clients.models import Client
from ..database import add_unique
from ..errors import InvalidChange, NotFound
from ..extensions import db
from ..volunteers.models import Volunteer
from ._common import _require_champion
from .models import AccompanimentRequest, VolunteerClientConflict
from .upkeep import withdraw_offers_that_no_longer_hold


def record_conflict(request_id: int, volunteer_id: int, note: str | None, actor: User) -> None:
    """Record that this volunteer must never escort this request's client (champions only)."""
    _require_champion(actor)
    note = (note or "").strip() or None
    if note and len(note) > 300:
        raise InvalidChange("Enter 300 characters or fewer", field="note")
    request = db.session.get(AccompanimentRequest, request_id)
    if request is None:
        raise NotFound("No such request")
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise InvalidChange("Choose a volunteer from the list", field="volunteer_id")
    conflict = VolunteerClientConflict(
        volunteer_id=volunteer.id, client_id=request.client_id, note=note, created_by_id=actor.id
    )
    already = f"A conflict between {volunteer.preferred_name} and this client is already recorded"
    add_unique(conflict, refusal=InvalidChange(already, field="volunteer_id"))
    client_ref = db.session.scalar(select(Client.reference).where(Client.id == request.client_id))
    audit(
        "conflict_recorded",
        volunteer,
        detail={"request_id": request.id, "note_given": bool(note)},
        client_ref=client_ref,
    )
    withdraw_offers_that_no_longer_hold(volunteer_ids=[volunteer.id], commit=False)
    db.session.commit()


def remove_conflict(request_id: int, conflict_id: int, actor: User) -> None:
    """Remove a conflict recorded by mistake (champions only)."""
    _require_champion(actor)
    request = db.session.get(AccompanimentRequest, request_id)
    conflict = db.session.get(VolunteerClientConflict, conflict_id)
    if request is None or conflict is None or conflict.client_id != request.client_id:
        raise NotFound("No such conflict")
    volunteer = db.session.get(Volunteer, conflict.volunteer_id)
    client_ref = db.session.scalar(select(Client.reference).where(Client.id == request.client_id))
    db.session.delete(conflict)
    audit("conflict_removed", volunteer, detail={"request_id": request.id}, client_ref=client_ref)
    db.session.commit()
