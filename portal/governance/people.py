"""Finding the person a data-protection request is about."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from ..audit import viewing_list
from ..auth.models import User
from ..clients.models import Client
from ..errors import NotFound
from ..extensions import db
from ..volunteers.models import Volunteer
from .models import Anonymisation


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


def _account_email(kind: str, subject: Client | Volunteer) -> str | None:
    if kind != "volunteer" or subject.user_id is None:
        return None
    return db.session.scalar(select(User.email).where(User.id == subject.user_id))


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
    viewing_list("people_search", kind=kind, search=query[:60])
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
