"""Safety's time-based work, run by jobs.py: reminders before an escort, overdue check-outs."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from .. import dates
from ..accompaniment.models import AccompanimentRequest
from ..auth.models import User
from ..clients.models import Client
from ..extensions import db
from ..notify.services import notify_user
from ..volunteers.models import Volunteer
from ._common import _path, champions
from .models import EscortCheck
from .times import OVERDUE_LOOKBACK, grace

REMINDER_AHEAD = timedelta(hours=24)


def send_reminders(now: datetime) -> int:
    """24 hours before an escort: the volunteer and the keyworker, once each per request."""
    rows = db.session.execute(
        select(AccompanimentRequest, Volunteer, Client)
        .join(Volunteer, Volunteer.id == AccompanimentRequest.volunteer_id)
        .join(Client, Client.id == AccompanimentRequest.client_id)
        .where(
            AccompanimentRequest.state == "accepted",
            AccompanimentRequest.starts_at > now,
            AccompanimentRequest.starts_at <= now + REMINDER_AHEAD,
        )
    ).all()
    sent = 0
    for request, volunteer, client in rows:
        when = dates.when(request.meeting_point_at)
        if volunteer.user is not None:
            sent += notify_user(
                volunteer.user,
                "escort_reminder",
                f"Reminder: {request.meeting.name}, meet at {request.meeting_point} {when}",
                body='On the day, press "I\'ve met them" when you meet, and '
                '"I\'m safe" when you finish.',
                link=_path("safety.escort", f"/safety/escorts/{request.id}", request_id=request.id),
                dedupe_key=f"reminder:{request.id}",
            )
        keyworker = db.session.get(User, client.keyworker_id)
        if keyworker is not None:
            peer = request.peer_first_name or volunteer.preferred_name
            sent += notify_user(
                keyworker,
                "escort_reminder",
                f"Reminder: {peer} meets {client.first_name or client.reference} "
                f"for {request.meeting.name} {when}",
                link=_path("accompaniment.show", f"/requests/{request.id}", request_id=request.id),
                dedupe_key=f"reminder:{request.id}",
            )
    return sent


def alert_overdue(now: datetime) -> int:
    """No check-out by the meeting's end plus the grace period: every champion, urgently, once."""
    cutoff = now - grace()
    rows = db.session.execute(
        select(AccompanimentRequest, Volunteer)
        .join(Volunteer, Volunteer.id == AccompanimentRequest.volunteer_id)
        .where(
            AccompanimentRequest.state == "accepted",
            AccompanimentRequest.ends_at <= cutoff,
            AccompanimentRequest.ends_at > now - OVERDUE_LOOKBACK,
            ~select(EscortCheck.id)
            .where(
                EscortCheck.request_id == AccompanimentRequest.id,
                EscortCheck.kind == "checkout",
            )
            .exists(),
        )
    ).all()
    if not rows:
        return 0
    sent = 0
    people = champions()
    for request, volunteer in rows:
        phone = f" Their phone: {volunteer.phone}." if volunteer.phone else ""
        for champion in people:
            sent += notify_user(
                champion,
                "checkout_overdue",
                f"{volunteer.preferred_name} has not checked out from {request.meeting.name}",
                body=f"The meeting ended at {dates.when(request.ends_at)}.{phone} "
                "Call them to check they are safe.",
                link=_path("safety.today", "/safety/today"),
                urgent=True,
                dedupe_key=f"overdue:{request.id}",
            )
    return sent
