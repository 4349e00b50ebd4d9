"""Accompaniment's time-based work for `flask --app portal tick`.

Each job is idempotent: every message carries a dedupe key per request.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from .. import dates
from ..auth.services import champions
from ..errors import Conflict, InvalidChange
from ..extensions import db
from ..jobs import job, portal_path
from ..notify.services import notify_user
from . import offers
from .models import AccompanimentRequest
from .services import change_request_state

UNFILLED_WARNING = timedelta(hours=48)


@job("unfilled requests 48 hours before the meeting")
def alert_unfilled(now: datetime) -> int:
    """Tell every champion, urgently, about a request still without a volunteer near its day."""
    due = db.session.scalars(
        select(AccompanimentRequest).where(
            AccompanimentRequest.state.in_(("open", "offered")),
            AccompanimentRequest.starts_at > now,
            AccompanimentRequest.starts_at <= now + UNFILLED_WARNING,
        )
    ).all()
    sent = 0
    for request in due:
        for champion in champions():
            sent += notify_user(
                champion,
                "request_unfilled",
                f"Still no volunteer for {request.meeting.name}",
                body=f"The meeting is on {dates.day(request.starts_at)} at "
                f"{dates.clock(request.starts_at)}.",
                link=_request_link(request.id),
                urgent=True,
                dedupe_key=f"unfilled48:{request.id}",
            )
    return sent


@job("requests whose meeting passed with nobody accepted")
def mark_unfilled(now: datetime) -> int:
    """A request still open or offered when its meeting starts can no longer be filled."""
    passed = db.session.scalars(
        select(AccompanimentRequest).where(
            AccompanimentRequest.state.in_(("open", "offered")),
            AccompanimentRequest.starts_at <= now,
        )
    ).all()
    moved = 0
    for request in passed:
        try:
            change_request_state(
                request,
                "unfilled",
                None,
                note="The meeting passed with nobody accepted",
                commit=False,
            )
        except (Conflict, InvalidChange):
            continue  # someone (or another tick) moved it first
        moved += 1
    return moved


@job("offers nobody answered in time")
def expire_offers(now: datetime) -> int:
    """An offer past its time is expired and its request goes back to the champion."""
    return offers.expire_offers(now)


@job("offers whose volunteer no longer fits")
def withdraw_stale_offers(now: datetime) -> int:
    """A check that lapsed before the meeting, a pause, a new escort: withdraw those offers."""
    return offers.withdraw_offers_that_no_longer_hold(now)


def _request_link(request_id: int) -> str:
    return portal_path("home.champion", "/champion")
