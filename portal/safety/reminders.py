"""Safety's time-based work, run by jobs.py: reminders before an escort (the volunteer's by text
too, the day before and two hours before), overdue check-outs (texted to champions at once)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select

from .. import dates
from ..accompaniment.models import AccompanimentRequest
from ..auth.models import User
from ..auth.services import champions
from ..clients.models import Client
from ..extensions import db
from ..jobs import portal_path
from ..notify.services import notify_user
from ..service_hours import from_settings
from ..volunteers.models import Volunteer
from ..web import external_link
from ._common import volunteer_phone
from .models import EscortCheck
from .text_words import overdue_alert, volunteer_day_before, volunteer_soon
from .times import OVERDUE_LOOKBACK, day_window, grace

REMINDER_AHEAD = timedelta(hours=24)
SOON_AHEAD = timedelta(hours=2)  # the volunteer's reminder on the day, before meeting up
SOON_LAST_CALL = timedelta(minutes=15)  # …and not once it is this close


def accepted_starting_within(now: datetime, ahead: timedelta) -> tuple[ColumnElement[bool], ...]:
    """The conditions for an accepted escort that starts after `now` and within `ahead`: the ones
    a reminder may be due for."""
    starts_at = AccompanimentRequest.starts_at
    return AccompanimentRequest.state == "accepted", starts_at > now, starts_at <= now + ahead


def send_reminders(now: datetime) -> int:
    """24 hours before an escort: the volunteer and the keyworker, once each per request."""
    rows = db.session.execute(
        select(AccompanimentRequest, Volunteer, Client)
        .join(Volunteer, Volunteer.id == AccompanimentRequest.volunteer_id)
        .join(Client, Client.id == AccompanimentRequest.client_id)
        .where(
            *accepted_starting_within(now, REMINDER_AHEAD),
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
                link=portal_path(
                    "safety.escort", f"/safety/escorts/{request.id}", request_id=request.id
                ),
                dedupe_key=f"reminder:{request.id}",
                text=volunteer_day_before(
                    meet_at=request.meeting_point_at, point=request.meeting_point
                ),
            )
        keyworker = db.session.get(User, client.keyworker_id)
        if keyworker is not None:
            peer = request.peer_first_name or volunteer.preferred_name
            sent += notify_user(
                keyworker,
                "escort_reminder",
                f"Reminder: {peer} meets {client.first_name or client.reference} "
                f"for {request.meeting.name} {when}",
                link=portal_path(
                    "accompaniment.show", f"/requests/{request.id}", request_id=request.id
                ),
                dedupe_key=f"reminder:{request.id}",
            )
    return sent


def send_soon_reminders(now: datetime) -> int:
    """Two hours before meeting up (inside service hours, and not in the last 15 minutes): the
    volunteer, in the portal and by text, once per escort and date."""
    rows = db.session.execute(
        select(AccompanimentRequest, Volunteer)
        .join(Volunteer, Volunteer.id == AccompanimentRequest.volunteer_id)
        .where(
            *accepted_starting_within(now, SOON_AHEAD + timedelta(hours=2)),
            Volunteer.user_id.is_not(None),
        )
    ).all()
    if not rows:
        return 0
    opens, closes = from_settings()
    sent = 0
    for request, volunteer in rows:
        meet_at = request.meeting_point_at
        start, end = day_window(meet_at, SOON_AHEAD, SOON_LAST_CALL, opens, closes)
        if not start <= now < end or volunteer.user is None:
            continue
        link = portal_path("safety.escort", f"/safety/escorts/{request.id}", request_id=request.id)
        sent += notify_user(
            volunteer.user,
            "escort_soon",
            f"Today: {request.meeting.name}, meet at {request.meeting_point} at "
            f"{dates.clock(meet_at)}",
            body='Press "I\'ve met them" when you meet, and "I\'m safe" when you finish.',
            link=link,
            dedupe_key=f"reminder-soon:{request.id}:{request.meeting_date.isoformat()}",
            text=volunteer_soon(
                meet_at=meet_at, point=request.meeting_point, link=external_link(link)
            ),
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
    link = portal_path("safety.today", "/safety/today")
    for request, volunteer in rows:
        phone = f" Their phone: {volunteer.phone}." if volunteer.phone else ""
        text = overdue_alert(
            name=volunteer.preferred_name,
            ended_at=request.ends_at,
            phone=volunteer_phone(volunteer),
            link=external_link(link),
        )
        for champion in people:
            sent += notify_user(
                champion,
                "checkout_overdue",
                f"{volunteer.preferred_name} has not checked out from {request.meeting.name}",
                body=f"The meeting ended at {dates.when(request.ends_at)}.{phone} "
                "Call them to check they are safe.",
                link=link,
                urgent=True,
                dedupe_key=f"overdue:{request.id}",
                text=text,
            )
    return sent
