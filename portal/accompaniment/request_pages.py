"""What the keyworker's request pages show: one request of their own client with its timeline,
and the form that asks for a peer. Each loads in one call, and a request or client the keyworker
may not see is NotFound (a 404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from ..audit import utcnow, viewing
from ..auth.models import User
from ..clients import picker
from ..clients import services as clients
from ..clients.models import Client, FamaSession
from ..dates import london_today, when_with_year
from ..meetings.models import Meeting
from .escorts import PeerContact, peer_contacts
from .models import PEER_GENDERS, STATES, AccompanimentRequest, RequestEvent
from .services import get_request_for, request_with_events, session_for_request
from .states import FINAL_STATES, REDATE_FROM, TRANSITIONS

DATE_WEEKS = 8
# A keyworker's changes to a request: the states each can be made from, and what to say otherwise.
CHANGES = {
    "cancel": (TRANSITIONS["cancelled"], "it cannot be cancelled"),
    "date": (REDATE_FROM, "its date cannot be changed"),
}


def meeting_dates(meeting: Meeting, now: datetime) -> list[tuple[str, str]]:
    """The meeting's dates in the coming weeks as select options (YYYY-MM-DD, in words)."""
    return [
        (london_today(start).isoformat(), when_with_year(start))
        for start, _end in picker.upcoming_dates(meeting, now, DATE_WEEKS)
    ]


@dataclass
class RequestPage:
    """One request and its client, for its page and for cancelling it or changing its date."""

    item: AccompanimentRequest
    client: Client

    @property
    def can_cancel(self) -> bool:
        return self.refusal("cancel") is None

    @property
    def can_redate(self) -> bool:
        return self.refusal("date") is None

    def refusal(self, change: str) -> str | None:
        """Why `change` ("cancel" or "date") cannot be made to the request now, else None."""
        sources, cannot = CHANGES[change]
        if self.item.state in sources:
            return None
        return f"This request is {self.item.state_label.lower()}, so {cannot}."

    @cached_property
    def dates(self) -> list[tuple[str, str]]:
        return meeting_dates(self.item.meeting, utcnow())

    def timeline(self) -> list[tuple[RequestEvent, str | None]]:
        return request_with_events(self.item)

    def peer(self) -> PeerContact | None:
        return peer_contacts([self.item.id]).get(self.item.id)

    def about(self) -> dict[str, Any]:
        """The request and its client, which every page about the request shows."""
        return {"item": self.item, "client": self.client}

    def context(self) -> dict[str, Any]:
        """The request page's template variables (read when it renders, after the look is
        recorded)."""
        return {
            "item": self.item,
            "client": self.client,
            "timeline": self.timeline(),
            "can_cancel": self.can_cancel,
            "can_redate": self.can_redate,
            "final": self.item.state in FINAL_STATES,
            "states": STATES,
            "peer": self.peer(),
        }


def request_page(user: User, request_id: int) -> RequestPage:
    """A request of one of `user`'s own clients, with that client."""
    item = get_request_for(user, request_id)
    client = clients.get_client_for(user, item.client_id)
    viewing("request_viewed", item, client_ref=client.reference)
    return RequestPage(item, client)


@dataclass
class RequestFormPage:
    """The "ask for a peer" form's setting: the client, the session holding their commitment,
    its meeting and the dates it can be moved to."""

    client: Client
    session: FamaSession
    meeting: Meeting
    dates: list[tuple[str, str]]
    now: datetime

    @property
    def committed_day(self) -> str:
        """The day the client committed to (their latest word when it is about this meeting)."""
        committed_at = self.session.commitment_at
        same_meeting = self.client.commitment_meeting_id == self.session.commitment_meeting_id
        if self.client.commitment_at and same_meeting:
            committed_at = self.client.commitment_at
        return london_today(committed_at).isoformat()

    def context(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "session": self.session,
            "meeting": self.meeting,
            "peer_genders": PEER_GENDERS,
        }


def request_form_page(
    user: User, client_id: int, session_id: int | None, now: datetime | None = None
) -> RequestFormPage:
    """One of `user`'s clients and the commitment a request would be raised from (InvalidChange
    when they have not committed to a meeting yet)."""
    now = now or utcnow()
    client = clients.get_client_for(user, client_id)
    session = session_for_request(client, session_id)
    meeting = session.commitment_meeting
    return RequestFormPage(client, session, meeting, meeting_dates(meeting, now), now)
