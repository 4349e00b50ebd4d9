"""What happened at the meeting, recorded after it by the volunteer or a champion.

Recording the outcome completes the request through `change_request_state`, so of two people
recording at once exactly one wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from .. import dates
from ..accompaniment.models import OUTCOMES, AccompanimentRequest
from ..audit import audit, utcnow, viewing
from ..auth.models import User
from ..clients.models import Client
from ..errors import InvalidChange, NotFound
from ..extensions import db
from ..jobs import portal_path
from ..notify.services import notify_user
from ..volunteers.models import Volunteer
from ._common import is_champion
from .escorts import accepted_escort
from .models import WANTS_AGAIN, WELLBEING, EscortOutcome
from .times import NotOpen, outcome_action

NOTE_LIMIT = 500


def get_outcome_request(request_id: int, actor: User) -> tuple[AccompanimentRequest, Volunteer]:
    """An accepted escort whose outcome the actor may record: their own, or any for a champion
    (who records it for phone-only contacts)."""
    request, volunteer = accepted_escort(request_id)
    if volunteer.user_id != actor.id and not is_champion(actor):
        raise NotFound("No such escort")
    return request, volunteer


@dataclass
class OutcomePage:
    """An escort whose outcome the actor may record, and whether its form is open yet."""

    request_row: AccompanimentRequest
    volunteer: Volunteer
    for_someone: bool  # a champion recording it for another volunteer (a phone-only contact)
    rule: str | None = None  # when the form is not open yet, the rule saying when it opens

    @property
    def open(self) -> bool:
        return self.rule is None


def outcome_page(request_id: int, actor: User, now: datetime | None = None) -> OutcomePage:
    """What the outcome page shows: the escort, and the form only once the meeting has started."""
    request, volunteer = get_outcome_request(request_id, actor)
    action = outcome_action(request, now or utcnow())
    for_someone = is_champion(actor) and volunteer.user_id != actor.id
    # what happened at a meeting is the client's data, even with no name on the page
    reference = db.session.scalar(select(Client.reference).where(Client.id == request.client_id))
    viewing("escort_outcome_viewed", request, client_ref=reference)
    return OutcomePage(request, volunteer, for_someone, None if action.open else action.rule)


def _yes_no(value: object) -> bool | None:
    if value in ("yes", True):
        return True
    if value in ("no", False):
        return False
    return None


def record_outcome(
    request_id: int,
    actor: User,
    *,
    came: str | None,
    together: str | None = None,
    again: str | None = None,
    note: str | None = None,
    wellbeing: str | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> AccompanimentRequest:
    """Complete the escort with what happened, and tell the client's keyworker. The peer's own
    answer to "how are you?" is kept, and "I'd like a chat" becomes a task for the champions;
    a champion recording for someone else is not asked (any answer sent is ignored)."""
    from ..accompaniment.services import change_request_state
    from ..tasks.services import open_debrief

    now = now or utcnow()
    request, volunteer = get_outcome_request(request_id, actor)
    action = outcome_action(request, now)
    if not action.open:
        raise NotOpen(action.rule)
    if came not in OUTCOMES:
        raise InvalidChange("Say whether the client came", field="came")
    if together not in (None, "", "yes", "no"):
        raise InvalidChange("Select yes or no", field="together")
    if again not in (None, "", *WANTS_AGAIN):
        raise InvalidChange("Select one of the options", field="again")
    if came == "attended" and not together:
        raise InvalidChange("Say whether you went in together", field="together")
    if wellbeing not in (None, "", *WELLBEING):
        raise InvalidChange("Select one of the options", field="wellbeing")
    if volunteer.user_id != actor.id:
        wellbeing = None  # they are not the peer: only the peer says how they are
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise InvalidChange(f"Enter {NOTE_LIMIT} characters or fewer", field="note")
    change_request_state(
        request,
        "completed",
        actor,
        note="Outcome recorded after the meeting",
        version=version,
        outcome=came,
        commit=False,
    )
    db.session.add(
        EscortOutcome(
            request_id=request.id,
            went_in_together=_yes_no(together) if came == "attended" else None,
            wants_again=again or None,
            note=note or None,
            wellbeing=wellbeing or None,
            recorded_by_id=actor.id,
            recorded_at=now,
        )
    )
    client = db.session.get(Client, request.client_id)
    audit(
        "escort_outcome_recorded",
        request,
        detail={
            "outcome": came,
            "together": together or None,
            "again": again or None,
            "wellbeing": wellbeing or None,
        },
        client_ref=client.reference if client else None,
    )
    if wellbeing == "chat":
        open_debrief(request.id, volunteer, request.starts_at, now)
    keyworker = db.session.get(User, client.keyworker_id) if client else None
    if keyworker is not None:
        notify_user(
            keyworker,
            "outcome_recorded",
            f"Outcome for {client.first_name or client.reference}: {OUTCOMES[came].lower()}",
            body=f"{request.meeting.name}, {dates.when(request.starts_at)}. "
            "It is ready to use in session three.",
            link=portal_path(
                "accompaniment.show", f"/requests/{request.id}", request_id=request.id
            ),
            dedupe_key=f"outcome:{request.id}",
        )
    db.session.commit()
    return request


def outcome_of(request_id: int) -> EscortOutcome | None:
    return db.session.get(EscortOutcome, request_id)
