"""Requests as matching sees them: the escort's 15-minute time grid, the service's rules, and
requests loaded with their client, meeting and fellowship in one query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from ..clients.models import Client
from ..extensions import db
from ..matching.model import LONDON, RequestFacts, Rules
from ..meetings.models import Fellowship, Meeting
from .models import AccompanimentRequest
from .services import wished_peer_gender

SLOT = timedelta(minutes=15)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WEIGHT_NAMES = ("attends_meeting", "knows_fellowship", "distance", "load", "reliability")
# Escorts older than this cannot overlap a request being matched, nor share its ISO week.
ESCORT_HORIZON = timedelta(days=8)


def floor_slot(moment: datetime) -> datetime:
    """The start of the 15-minute slot holding `moment` (UTC; London's offsets are whole hours)."""
    moment = moment.astimezone(UTC)
    return moment - (moment - _EPOCH) % SLOT


def ceil_slot(moment: datetime) -> datetime:
    """The first slot boundary at or after `moment`."""
    floor = floor_slot(moment)
    return floor if floor == moment.astimezone(UTC) else floor + SLOT


def escort_slots(start: datetime, end: datetime) -> list[datetime]:
    """Every 15-minute slot an escort from `start` to `end` touches."""
    slots, slot = [], floor_slot(start)
    while slot < end:
        slots.append(slot)
        slot += SLOT
    return slots


def escort_span(request: AccompanimentRequest) -> tuple[datetime, datetime]:
    """The escort's own time: from the meeting-point time to the meeting's end."""
    return request.meeting_point_at, request.ends_at


def escort_week(request: AccompanimentRequest) -> tuple[int, int]:
    """The ISO week the weekly cap counts this escort in (as matching does)."""
    iso = request.meeting_point_at.astimezone(LONDON).date().isocalendar()
    return iso.year, iso.week


def matching_rules() -> Rules:
    """The service's matching settings: minimum recovery time and the score weights."""
    from ..settings import get_setting
    from ..volunteers.check_kinds import required_checks

    return Rules(
        min_recovery_months=int(get_setting("min_recovery_months")),
        required_checks=required_checks(),
        weights={name: float(get_setting(f"weight_{name}")) for name in WEIGHT_NAMES},
        travel_limits_km={
            mode: float(get_setting(f"travel_limit_{mode}_km"))
            for mode in ("walk", "public_transport", "car")
        },
    )


def client_gender(client: Client) -> str | None:
    """The client's gender as the volunteers' 'own gender only' rule reads it."""
    return client.gender if client.gender in ("woman", "man", "non-binary") else None


def request_facts(
    request: AccompanimentRequest, client: Client, meeting: Meeting, fellowship_code: str
) -> RequestFacts:
    """One request as matching sees it: the escort from meeting point to meeting end."""
    return RequestFacts(
        id=request.id,
        client_id=request.client_id,
        meeting_id=request.meeting_id,
        fellowship=fellowship_code,
        area=meeting.area or "",
        start=request.meeting_point_at,
        end=request.ends_at,
        lat=meeting.latitude,
        lon=meeting.longitude,
        peer_gender=wished_peer_gender(request, client),  # type: ignore[arg-type]
        language=request.language or None,
        wants_fellowship_experience=bool(request.fellowship_experience),
        client_gender=client_gender(client),
    )


@dataclass(frozen=True)
class LoadedRequest:
    """A request with what its page and matching need, loaded together."""

    request: AccompanimentRequest
    client: Client
    meeting: Meeting
    fellowship: Fellowship
    facts: RequestFacts


def requests_statement() -> Any:
    """A select of (request, client, meeting, fellowship) rows to narrow with `.where()`."""
    return (
        select(AccompanimentRequest, Client, Meeting, Fellowship)
        .join(Client, Client.id == AccompanimentRequest.client_id)
        .join(Meeting, Meeting.id == AccompanimentRequest.meeting_id)
        .join(Fellowship, Fellowship.id == Meeting.fellowship_id)
        .options(lazyload(AccompanimentRequest.meeting), lazyload(Meeting.fellowship))
    )


def loaded_from(rows: Iterable[Any]) -> list[LoadedRequest]:
    """Rows of `requests_statement()` as LoadedRequest, facts built."""
    return [
        LoadedRequest(
            request,
            client,
            meeting,
            fellowship,
            request_facts(request, client, meeting, fellowship.code),
        )
        for request, client, meeting, fellowship in rows
    ]


def load_requests(*where: Any) -> list[LoadedRequest]:
    """Requests matching `where`, with client, meeting and fellowship (one query)."""
    return loaded_from(db.session.execute(requests_statement().where(*where)).all())
