"""A client's consents to share their first name and phone with a volunteer and to be texted
reminders, and withdrawals. The phone is kept only while a consent that needs it holds."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..audit import audit, utcnow
from ..auth.models import User
from ..errors import InvalidChange, NotFound
from ..extensions import db
from ..notify.texts import BadNumber, normalise_mobile, shown_mobile
from ._common import _claim_version
from .models import CONSENT_FLAGS, CONSENTS, PHONE_CONSENTS, Client, Consent
from .texts import cancel_queued_texts

PHONE = re.compile(r"^\+?[0-9 ()-]{7,25}$")
ConsentListener = Callable[[Client, str, User], None]
_consent_listeners: list[ConsentListener] = []


# The consents that share something with a volunteer: their withdrawal tells the listeners.
SHARED_WITH_VOLUNTEER = ("share_first_name", "share_phone")


def on_consent_withdrawn(listener: ConsentListener) -> ConsentListener:
    """Register `listener(client, kind, actor)`, called inside the withdrawal's transaction of
    a consent that shares something with a volunteer (matching uses it to withdraw offers that
    showed the data); the consent to texts is not one."""
    _consent_listeners.append(listener)
    return listener


def shared_with_volunteer(client: Client) -> dict[str, str | None]:
    """What a volunteer on an escort may be told: each item only while its consent holds."""
    return {
        "first_name": client.first_name if client.consent_first_name else None,
        "phone": shown_mobile(client.phone) if client.consent_phone and client.phone else None,
    }


def consent_wording(kind: str) -> dict:
    """The words a consent of `kind` is asked with; an unknown kind is NotFound."""
    if kind not in CONSENTS:
        raise NotFound("No such consent")
    return CONSENTS[kind]


def give_consent(
    client: Client, actor: User, kind: str, version: int | None, phone: str | None = None
) -> None:
    """Record the client's consent (with the wording version shown); the phone comes with the
    consents that need it, as a mobile in E.164 ("+447700900123") while texts are consented."""
    consent_wording(kind)
    phone = _checked_phone(client, kind, phone) if kind in PHONE_CONSENTS else None
    _record_consent(client, actor, kind, True, version, phone)


def _checked_phone(client: Client, kind: str, raw: str | None) -> str:
    """The phone as it is kept, or InvalidChange by the field: texts need a mobile."""
    phone = (raw or "").strip()
    if kind == "texts" or client.consent_texts:
        try:
            return normalise_mobile(phone)
        except BadNumber as error:
            message = str(error)
            if kind != "texts":
                message = f"{message.rstrip('.')}: text reminders go to this number too"
            raise InvalidChange(message, field="phone") from None
    if not PHONE.match(phone) or sum(ch.isdigit() for ch in phone) < 7:
        raise InvalidChange("Enter a phone number, like 07700 900123", field="phone")
    return phone


def withdraw_consent(client: Client, actor: User, kind: str, version: int | None) -> None:
    """Record a withdrawal: it holds at once. The phone goes when no consent that needs it
    holds; a withdrawn consent to texts cancels the client's texts not sent yet."""
    _record_consent(client, actor, kind, False, version)


def _record_consent(
    client: Client,
    actor: User,
    kind: str,
    given: bool,
    version: int | None,
    phone: str | None = None,
) -> None:
    """One consent row and the client's flag from it; the phone is kept only while a consent
    that needs it holds, and a withdrawal of something shared with a volunteer tells the
    listeners before it is audited and committed."""
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
    setattr(client, CONSENT_FLAGS[kind], given)
    if kind in PHONE_CONSENTS:
        if given:
            client.phone = phone
        elif not any(getattr(client, CONSENT_FLAGS[other]) for other in PHONE_CONSENTS):
            client.phone = None
    detail: dict = {"kind": kind}
    if not given and kind in SHARED_WITH_VOLUNTEER:
        for listener in _consent_listeners:
            listener(client, kind, actor)
    if not given and kind == "texts":
        detail["texts_cancelled"] = cancel_queued_texts(client.id)
    audit(
        "consent_given" if given else "consent_withdrawn",
        client,
        detail=detail,
        client_ref=client.reference,
        actor_id=actor.id,
    )
    db.session.commit()
