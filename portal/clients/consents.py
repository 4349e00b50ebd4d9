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


def consent_wording(kind: str) -> dict:
    """The words a consent of `kind` is asked with; an unknown kind is NotFound."""
    if kind not in CONSENTS:
        raise NotFound("No such consent")
    return CONSENTS[kind]


def give_consent(
    client: Client, actor: User, kind: str, version: int | None, phone: str | None = None
) -> None:
    """Record the client's consent (with the wording version shown); the phone comes with it."""
    if kind == "share_phone":
        phone = (phone or "").strip()
        if not PHONE.match(phone) or sum(ch.isdigit() for ch in phone) < 7:
            raise InvalidChange("Enter a phone number, like 07700 900123", field="phone")
    _record_consent(client, actor, kind, True, version, phone)


def withdraw_consent(client: Client, actor: User, kind: str, version: int | None) -> None:
    """Record a withdrawal: it holds at once, and a withdrawn phone consent removes the phone."""
    _record_consent(client, actor, kind, False, version)


def _record_consent(
    client: Client,
    actor: User,
    kind: str,
    given: bool,
    version: int | None,
    phone: str | None = None,
) -> None:
    """One consent row and the client's flag from it; the phone is kept only while its consent
    holds, and a withdrawal tells the listeners before it is audited and committed."""
    wording = consent_wording(kind)
    _claim_version(client, version)
    db.session.add(
        Consent(
            client_id=client.id,
            kind=kind,
            given=given,
            at=utcnow(),
            recorded_by_id=actor.id,
            wording_version=wording["version"],
        )
    )
    if kind == "share_first_name":
        client.consent_first_name = given
    else:
        client.consent_phone = given
        client.phone = phone if given else None
    if not given:
        for listener in _consent_listeners:
            listener(client, kind, actor)
    audit(
        "consent_given" if given else "consent_withdrawn",
        client,
        detail={"kind": kind},
        client_ref=client.reference,
        actor_id=actor.id,
    )
    db.session.commit()
