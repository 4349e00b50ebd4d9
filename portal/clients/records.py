"""A client's least-data record: add, correct, close or reopen, and move to another keyworker."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..accompaniment.models import LIVE_STATES, AccompanimentRequest
from ..audit import audit, utcnow, viewing
from ..auth.models import User, UserRole
from ..errors import InvalidChange, NotFound
from ..extensions import db
from ..meetings.models import Fellowship
from ._common import _claim_version
from .models import GENDERS, Client

REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9 /._-]{0,39}$")


def keyworkers() -> list[User]:
    """Active accounts holding the keyworker role, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.role_rows.any(UserRole.role == "keyworker"))
            .order_by(User.name, User.id)
        )
    )


def normalise_reference(reference: str) -> str:
    return " ".join(reference.split()).upper()


def _check_details(details: dict) -> dict:
    """Whitelist and check the least-data fields; anything else is ignored."""
    reference = normalise_reference(details.get("reference") or "")
    if not REFERENCE.match(reference):
        raise InvalidChange(
            "Enter the case-management reference using letters, numbers, spaces and - / . _",
            field="reference",
        )
    first_name = (details.get("first_name") or "").strip()
    if not first_name or len(first_name) > 60:
        raise InvalidChange("Enter the name the client likes to be called", field="first_name")
    gender = details.get("gender")
    if gender not in GENDERS:
        raise InvalidChange("Select how the client describes their gender", field="gender")
    fellowship_ids = sorted(set(details.get("fellowship_ids") or []))
    fellowships = (
        list(db.session.scalars(select(Fellowship).where(Fellowship.id.in_(fellowship_ids))))
        if fellowship_ids
        else []
    )
    if len(fellowships) != len(fellowship_ids):
        raise InvalidChange("Select fellowships from the list", field="fellowships")
    # geography (issue 15): the postcode district only ("LS6"), never a full postcode
    district = {}
    if "home_district" in details:
        from ..geography.places import check_district

        district["home_district"] = check_district(details["home_district"], "home_district")
    return district | {
        "reference": reference,
        "first_name": first_name,
        "gender": gender,
        "pronouns": (details.get("pronouns") or "").strip()[:40] or None,
        "languages": (details.get("languages") or "").strip()[:200] or None,
        "access_needs": (details.get("access_needs") or "").strip()[:500] or None,
        "literacy_support": bool(details.get("literacy_support")),
        "fellowships": fellowships,
    }


# A reference is unique across the service, so a keyworker who types one that is taken learns
# only that it cannot be used: never whether it exists on another keyworker's caseload, whose it
# is or anything about that client. Only a client of their own is named as such.
REFERENCE_CANNOT_BE_USED = "This case reference cannot be used. Check it, or ask your admin"
REFERENCE_ON_YOUR_CASELOAD = (
    "A client on your caseload already has this reference. Search your caseload for it "
    "(closed cases too)"
)


def _check_reference_free(reference: str, actor: User, except_id: int | None = None) -> None:
    """Refuse a reference another client has, saying whose only when it is the actor's own."""
    statement = select(Client.keyworker_id).where(Client.reference == reference)
    if except_id is not None:
        statement = statement.where(Client.id != except_id)
    holders = db.session.scalars(statement.limit(1)).all()
    if not holders:
        return
    mine = holders[0] == actor.id
    message = REFERENCE_ON_YOUR_CASELOAD if mine else REFERENCE_CANNOT_BE_USED
    raise InvalidChange(message, field="reference")


def _flush_reference() -> None:
    """Flush; a reference someone saved meanwhile (the unique index) is refused by its field,
    in words that say nothing about the other client."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise InvalidChange(REFERENCE_CANNOT_BE_USED, field="reference") from None


def add_client(actor: User, **details: Any) -> Client:
    """Add a client to the actor's own caseload with the least data that does the job."""
    values = _check_details(details)
    _check_reference_free(values["reference"], actor)
    client = Client(keyworker_id=actor.id, status="active", **values)
    db.session.add(client)
    _flush_reference()
    audit("client_added", client, client_ref=client.reference, actor_id=actor.id)
    db.session.commit()
    return client


def update_client(client: Client, actor: User, version: int | None, **details: Any) -> Client:
    """Correct the client's details."""
    values = _check_details(details)
    _check_reference_free(values["reference"], actor, except_id=client.id)
    _claim_version(client, version)
    changed = sorted(k for k, v in values.items() if getattr(client, k) != v)
    for key, value in values.items():
        setattr(client, key, value)
    _flush_reference()
    audit(
        "client_updated",
        client,
        detail={"fields": changed},
        client_ref=client.reference,
        actor_id=actor.id,
    )
    db.session.commit()
    return client


def has_live_request(client_id: int) -> bool:
    """A request for a peer still in progress: the case cannot be closed or erased yet."""
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(AccompanimentRequest)
            .where(
                AccompanimentRequest.client_id == client_id,
                AccompanimentRequest.state.in_(LIVE_STATES),
            )
        )
    )


def set_client_status(client: Client, actor: User, status: str, version: int | None) -> None:
    """Close a case (it leaves the caseload) or reopen it."""
    if status not in ("active", "closed"):
        raise InvalidChange("Choose open or closed")
    if client.status == status:
        return
    if status == "closed" and has_live_request(client.id):
        raise InvalidChange(
            "This client has a request for a peer in progress. Cancel it before closing the case."
        )
    _claim_version(client, version)
    client.status = status
    client.closed_at = utcnow() if status == "closed" else None
    audit(
        "client_closed" if status == "closed" else "client_reopened",
        client,
        client_ref=client.reference,
        actor_id=actor.id,
    )
    db.session.commit()


def transfer_client(client: Client, keyworker_id: int, actor: User, version: int | None) -> None:
    """Move a client to another keyworker's caseload (admins only; audited)."""
    if not actor.has_role("admin"):
        raise NotFound("No such client")
    target = db.session.get(User, keyworker_id)
    if target is None or not target.active or not target.has_role("keyworker"):
        raise InvalidChange("Choose a keyworker from the list", field="keyworker_id")
    if target.id == client.keyworker_id:
        raise InvalidChange(
            "The client is already on this keyworker's caseload", field="keyworker_id"
        )
    _claim_version(client, version)
    before = client.keyworker_id
    client.keyworker_id = target.id
    audit(
        "client_transferred",
        client,
        detail={"from_keyworker": before, "to_keyworker": target.id},
        client_ref=client.reference,
        actor_id=actor.id,
    )
    db.session.commit()


def find_client_by_reference(reference: str | None) -> Client | None:
    """For the admin's transfer page only."""
    normal = normalise_reference(reference or "")
    if not normal or len(normal) > 40:
        return None
    return db.session.scalar(select(Client).where(Client.reference == normal))


@dataclass
class TransferPage:
    """The admin's transfer page: the client a reference names and the keyworkers there are."""

    client: Client | None
    keyworkers: list[User]

    def keyworker_name(self, missing: str) -> str:
        """The name of the client's keyworker, or `missing` when they are no keyworker now."""
        names = {keyworker.id: keyworker.name for keyworker in self.keyworkers}
        return names.get(self.client.keyworker_id, missing) if self.client else missing

    @property
    def current_name(self) -> str | None:
        return self.keyworker_name("a keyworker who has left") if self.client else None

    @property
    def choices(self) -> list[tuple[str, str]]:
        """The keyworkers the client may move to: all but their own."""
        if self.client is None:
            return []
        return [(str(k.id), k.name) for k in self.keyworkers if k.id != self.client.keyworker_id]


def transfer_page(reference: str | None, *, required: bool = False) -> TransferPage:
    """The client with this reference (NotFound when `required` and there is none) and the
    keyworkers they could move to."""
    client = find_client_by_reference(reference)
    if client is None and required:
        raise NotFound("No such client")
    if client is not None:
        viewing("client_looked_up", client, client_ref=client.reference)
    return TransferPage(client, keyworkers())
