"""A client's consents to share their first name and phone with a volunteer, and withdrawals."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..audit import audit, utcnow
from ..auth.models import User
from ..errors import InvalidChange, NotFound
from ..extensions import db
from ._common import _claim_version
from .models import CONSENTS, Client, Consent

PHONE = re.compile(r"^\+?[0-9 ()-]{7,25}$")
ConsentListener = Callable[[Client, str, User], None]
_consent_listeners: list[ConsentListener] = []


def on_consent_withdrawn(listener: ConsentListener) -> ConsentListener:
    """Register `listener(client, kind, actor)`, called inside the withdrawal's transaction
    (matching uses it to withdraw offers that showed the data)."""
    _consent_listeners.append(listener)
    return listener


def shared_with_volunteer(client: Client) -> dict[str, str | None]:
    """What a volunteer on an escort may be told: each item only while its consent holds."""
    return {
        "first_name": client.first_name if client.consent_first_name else None,
        "phone": client.phone if client.consent_phone and client.phone else None,
    }


def give_consent(
    client: Client, actor: User, kind: str, version: int | None, phone: str | None = None
) -> None:
    """Record the client's consent (with the wording version shown); the phone comes with it."""
    if kind not in CONSENTS:
        raise NotFound("No such consent")
    if kind == "share_phone":
        phone = (phone or "").strip()
        if not PHONE.match(phone) or sum(ch.isdigit() for ch in phone) < 7:
            raise InvalidChange("Enter a phone number, like 07700 900123", field="phone")
    _claim_version(client, version)
    db.session.add(
        Consent(
            client_id=client.id,
            kind=kind,
            given=True,
            at=utcnow(),
            recorded_by_id=actor.id,
            wording_version=CONSENTS[kind]["version"],
        )
    )
    if kind == "share_first_name":
        client.consent_first_name = True
    else:
        client.consent_phone = True
        client.phone = phone
    audit(
        "consent_given",
        client,
        detail={"kind": kind},
        client_ref=client.reference,
        actor_id=actor.id,
    )
    db.session.commit()


def withdraw_consent(client: Client, actor: User, kind: str, version: int | None) -> None:
    """Record a withdrawal: it holds at once, and a withdrawn phone consent removes the phone."""
    if kind not in CONSENTS:
        raise NotFound("No such consent")
    _claim_version(client, version)
    db.session.add(
        Consent(
            client_id=client.id,
            kind=kind,
            given=False,
            at=utcnow(),
            recorded_by_id=actor.id,
            wording_version=CONSENTS[kind]["version"],
        )
    )
    if kind == "share_first_name":
        client.consent_first_name = False
    else:
        client.consent_phone = False
        client.phone = None
    for listener in _consent_listeners:
        listener(client, kind, actor)
    audit(
        "consent_withdrawn",
        client,
        detail={"kind": kind},
        client_ref=client.reference,
        actor_id=actor.id,
    )
    db.session.commit()
