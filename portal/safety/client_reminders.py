"""Text reminders to a client before an accepted escort, only with their consent to be texted.

Two reminders, each sent once (a dedupe key per request, acceptance and reminder):

- the day before, from 6pm London time until the service closes (an escort booked later that
  evening gets it at the next tick; one booked after closing gets only the next);
- on the day, three hours before the meeting-up time, or at opening time when that is later,
  and no later than half an hour before meeting up.

Both fall inside service hours, worked out on London dates, so the clock changes in March and
October move nothing. When an accepted escort is called off or its volunteer drops out, the
client's reminders not sent yet are cancelled and a consenting client is told the plan changed.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from ..accompaniment.models import AccompanimentRequest
from ..accompaniment.services import on_state_change
from ..audit import utcnow
from ..auth.models import User
from ..clients.models import Client
from ..clients.texts import cancel_queued_texts, text_client
from ..dates import LONDON
from ..extensions import db
from ..service_hours import at_london, from_settings
from ..settings import get_setting
from .reminders import accepted_starting_within
from .text_words import client_plan_changed, client_reminder
from .times import day_window, eve_window

ON_THE_DAY = timedelta(hours=3)  # the reminder on the day, this long before meeting up
LAST_CALL = timedelta(minutes=30)  # …and never closer to meeting up than this
LOOK_AHEAD = timedelta(hours=48)  # the escorts a tick looks at: tomorrow's at the latest


def reminder_key(request: AccompanimentRequest, which: str) -> str:
    """'client-reminder:<request>:<acceptance>:<eve|day>': once per acceptance, so an escort
    accepted again after its volunteer dropped out is reminded again (with the new peer)."""
    accepted = request.accepted_at or request.meeting_point_at
    return f"client-reminder:{request.id}:{int(accepted.timestamp())}:{which}"


def reminder_words(request: AccompanimentRequest, *, today: bool) -> str:
    """The reminder for this escort, named only as the service allows."""
    names = bool(get_setting("client_text_names_meeting"))
    return client_reminder(
        meet_at=request.meeting_point_at,
        peer=request.peer_first_name,
        point=request.meeting_point,
        meeting=request.meeting.name if names else None,
        today=today,
    )


def send_client_reminders(now: datetime) -> int:
    """Queue the reminders now due to clients who consent to texts; returns how many."""
    rows = db.session.execute(
        select(AccompanimentRequest, Client)
        .join(Client, Client.id == AccompanimentRequest.client_id)
        .where(
            *accepted_starting_within(now, LOOK_AHEAD),
            Client.consent_texts.is_(True),
            Client.status == "active",
            Client.phone.is_not(None),
        )
        .order_by(AccompanimentRequest.starts_at, AccompanimentRequest.id)
    ).all()
    if not rows:
        return 0
    opens, closes = from_settings()
    sent = 0
    for request, client in rows:
        meet_at = request.meeting_point_at
        if meet_at <= now:
            continue
        start, end = eve_window(meet_at, opens, closes)
        if start <= now < end:
            words = reminder_words(request, today=False)
            sent += text_client(
                client,
                "escort_reminder",
                words,
                reminder_key(request, "eve"),
                send_by=at_london(meet_at.astimezone(LONDON).date(), time(0, 0)),
            )
        start, end = day_window(meet_at, ON_THE_DAY, LAST_CALL, opens, closes)
        if start <= now < end:
            words = reminder_words(request, today=True)
            sent += text_client(
                client, "escort_reminder", words, reminder_key(request, "day"), send_by=meet_at
            )
    return sent


@on_state_change
def _tell_client_of_change(
    request: AccompanimentRequest, from_state: str, to_state: str, actor: User | None
) -> None:
    """An accepted escort that ends or opens again: its reminders not sent yet are cancelled,
    and, while meeting up is still ahead, a consenting client is told the plan changed. A new
    date the keyworker set is theirs to tell (the request already carries the new date)."""
    if from_state != "accepted" or to_state == "accepted":
        return
    client = db.session.get(Client, request.client_id)
    if client is None:
        return
    cancel_queued_texts(client.id, f"client-reminder:{request.id}:")
    if to_state not in ("cancelled", "open") or request.meeting_point_at <= utcnow():
        return
    if to_state == "open" and actor is not None and actor.id == client.keyworker_id:
        return
    text_client(
        client,
        "escort_cancelled",
        client_plan_changed(request.meeting_point_at),
        f"client-changed:{request.id}:{request.version}",
        send_by=request.meeting_point_at,
    )
