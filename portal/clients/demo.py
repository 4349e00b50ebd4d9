"""Demo clients for the demo keyworker, one at each FAMA stage (fictional people and places)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update

from ..accompaniment.models import AccompanimentRequest, RequestEvent
from ..auth.models import User
from ..extensions import db
from ..meetings.models import Fellowship, Meeting
from ..meetings.occurrences import LONDON, at_local, next_occurrences, occurrence_dates
from .models import Client, Consent, FamaSession, Goal, JournalEntry

# Used only when the directory has no meetings yet, so the demo works in any order.
FALLBACK_MEETINGS = (
    ("Wrenford Hope Group", "AA", 2, time(19, 30), time(20, 30), "St Mark's Church Hall"),
    ("SMART Recovery Wrenford", "SMART", 4, time(18, 0), time(19, 30), "Wrenford Library"),
    ("Riverside NA", "NA", 6, time(11, 0), time(12, 0), "Riverside Community Centre"),
)


def _meetings() -> list[Meeting]:
    found = list(
        db.session.scalars(
            select(Meeting).where(Meeting.active.is_(True)).order_by(Meeting.id).limit(3)
        ).unique()
    )
    if len(found) >= 2:
        return found
    for name, code, weekday, start, end, venue in FALLBACK_MEETINGS:
        meeting = db.session.scalar(select(Meeting).where(Meeting.name == name))
        if meeting is None:
            fellowship = db.session.scalar(select(Fellowship).where(Fellowship.code == code))
            if fellowship is None:
                continue
            meeting = Meeting(
                name=name,
                fellowship_id=fellowship.id,
                weekday=weekday,
                start_time=start,
                end_time=end,
                attendance="in_person",
                venue=venue,
                address="High Street, Wrenford",
                postcode="QX1 4AB",
                area="Wrenford",
                type_codes="O",
                directions_walk="Five minutes from the bus station, past the market.",
                last_verified_at=datetime.now(UTC),
            )
            db.session.add(meeting)
            db.session.flush()
        if meeting not in found:
            found.append(meeting)
    return found


def _next(meeting: Meeting, now: datetime, days: int = 1) -> tuple[datetime, datetime]:
    return next_occurrences(
        meeting.weekday, meeting.start_time, meeting.end_time, now + timedelta(days=days), 1
    )[0]


def _last(meeting: Meeting, today: date) -> datetime:
    """The meeting's most recent occurrence before today."""
    day = next(occurrence_dates(meeting.weekday, today - timedelta(days=7)))
    if day >= today:
        day -= timedelta(days=7)
    return at_local(day, meeting.start_time)


def fama_session(client: Client, kind: int, held_on: date, by: int, **values) -> FamaSession:
    """A FAMA session with the client (lists empty unless given); it becomes their latest."""
    for name in ("handouts", "goals", "concerns", "encouragement", "participation"):
        values.setdefault(name, [])
    session = FamaSession(
        client_id=client.id, kind=kind, held_on=held_on, recorded_by_id=by, **values
    )
    db.session.add(session)
    db.session.flush()
    client.last_session_kind, client.last_session_on = kind, held_on
    return session


def commitment(
    client: Client,
    meeting: Meeting,
    at: datetime,
    held_on: date,
    by: int,
    *,
    current: bool = True,
    **values,
) -> FamaSession:
    """Session two: the client commits to `meeting` at `at` (by default, their current one)."""
    session = fama_session(
        client, 2, held_on, by, commitment_meeting_id=meeting.id, commitment_at=at, **values
    )
    if current:
        client.commitment_meeting_id, client.commitment_at = meeting.id, at
    return session


def raise_request(
    session: FamaSession, end: datetime, state: str, by: int, **values
) -> AccompanimentRequest:
    """A request for a peer to go with the client to the meeting `session` committed them to."""
    start = session.commitment_at
    request = AccompanimentRequest(
        client_id=session.client_id,
        session_id=session.id,
        meeting_id=session.commitment_meeting_id,
        meeting_date=start.astimezone(LONDON).date(),
        starts_at=start,
        ends_at=end,
        state=state,
        created_by_id=by,
        **values,
    )
    db.session.add(request)
    db.session.flush()
    return request


def _request(session: FamaSession, end: datetime, state: str, by: int, **values) -> None:
    """A request raised at `session`, with the events of the way it reached `state`."""
    request = raise_request(session, end, state, by, **values)
    db.session.add(
        RequestEvent(request_id=request.id, actor_id=by, to_state="open", note="Request raised")
    )
    path = {"accepted": ["offered", "accepted"], "completed": ["offered", "accepted", "completed"]}
    previous = "open"
    for step in path.get(state, []):
        db.session.add(
            RequestEvent(request_id=request.id, actor_id=None, from_state=previous, to_state=step)
        )
        previous = step


def _consent(client: Client, kind: str, by: int) -> None:
    db.session.add(
        Consent(
            client_id=client.id, kind=kind, given=True, recorded_by_id=by, wording_version="2026-1"
        )
    )


def _refresh_dates(now: datetime) -> None:
    """Move live demo requests whose meeting has passed to the meeting's next date."""
    rows = db.session.scalars(
        select(AccompanimentRequest)
        .join(Client, Client.id == AccompanimentRequest.client_id)
        .where(
            Client.reference.like("DEMO-%"),
            AccompanimentRequest.state.in_(("open", "offered", "accepted")),
            AccompanimentRequest.starts_at <= now,
        )
    ).unique()
    for request in rows:
        start, end = _next(request.meeting, now, 2)
        request.starts_at, request.ends_at = start, end
        request.meeting_date = start.astimezone(LONDON).date()
        client = db.session.get(Client, request.client_id)
        if request.is_current:
            client.commitment_at = start


# Demo clients' home districts (never a full postcode), in the demo region (geography.demo).
CLIENT_DISTRICTS = {
    "DEMO-0001": "QX2",
    "DEMO-0002": "QX3",
    "DEMO-0003": "QX6",
    "DEMO-0004": "QX1",
    "DEMO-0005": "QX4",
    "DEMO-0006": "QX5",
}


def build_demo_clients() -> None:
    """Create the demo caseload once; a second run only moves stale dates forward. Clients
    without a district get their demo one (also a demo made before districts existed)."""
    _build_caseload()
    for reference, district in CLIENT_DISTRICTS.items():
        db.session.execute(
            update(Client)
            .where(Client.reference == reference, Client.home_district.is_(None))
            .values(home_district=district)
        )


def _build_caseload() -> None:
    from ..demo import DEMO_ACCOUNTS

    email = next(a.email for a in DEMO_ACCOUNTS if "keyworker" in a.roles)
    keyworker = db.session.scalar(select(User).where(User.email == email))
    if keyworker is None:
        return
    now = datetime.now(UTC)
    today = now.astimezone(LONDON).date()
    if db.session.scalar(select(Client.id).where(Client.reference == "DEMO-0001")) is not None:
        _refresh_dates(now)
        return
    meetings = _meetings()
    if not meetings:
        return
    first, second = meetings[0], meetings[1 % len(meetings)]
    by = keyworker.id

    def client(reference: str, name: str, gender: str, **values) -> Client:
        row = Client(reference=reference, first_name=name, gender=gender, keyworker_id=by, **values)
        db.session.add(row)
        db.session.flush()
        return row

    client("DEMO-0001", "Jo", "woman", pronouns="she/her", languages="English")

    ali = client("DEMO-0002", "Ali", "man", languages="English, Urdu", consent_first_name=True)
    _consent(ali, "share_first_name", by)
    fama_session(
        ali,
        1,
        today - timedelta(days=6),
        by,
        past_experience="none",
        handouts=["1", "2", "3", "4", "5", "6"],
        journal_given=True,
        literacy_support="not_needed",
        goals=["read_handouts", "think_meeting"],
    )

    priya = client(
        "DEMO-0003",
        "Priya",
        "woman",
        pronouns="she/her",
        languages="English, Punjabi",
        consent_first_name=True,
        consent_phone=True,
        phone="07700 900123",
        access_needs="Prefers a seat near the door.",
    )
    _consent(priya, "share_first_name", by)
    _consent(priya, "share_phone", by)
    fama_session(
        priya,
        1,
        today - timedelta(days=14),
        by,
        past_experience="some",
        experience_note="Went to a few meetings some years ago.",
        handouts=["1", "2", "3", "4", "5", "6"],
        journal_given=True,
        goals=["read_handouts"],
    )
    start, end = _next(first, now, 2)
    s2 = commitment(
        priya,
        first,
        start,
        today - timedelta(days=1),
        by,
        handouts=["3", "5"],
        last_goal_met="yes",
        concerns=["know_each_other", "introduce_myself"],
        preferred_group="twelve_step",
        wants_company=True,
    )
    _request(
        s2,
        end,
        "open",
        by,
        peer_gender="same",
        language="Punjabi",
        fellowship_experience=True,
        note_for_champion="Quite anxious about walking in alone.",
        note_for_volunteer="Priya will be wearing a green coat.",
    )

    dan = client(
        "DEMO-0004",
        "Dan",
        "man",
        pronouns="he/him",
        consent_first_name=True,
        consent_texts=True,  # reminders of his escort by text (Ofcom's drama range number)
        phone="+447700900982",
    )
    _consent(dan, "share_first_name", by)
    _consent(dan, "texts", by)
    fama_session(
        dan,
        1,
        today - timedelta(days=20),
        by,
        past_experience="a_lot",
        journal_given=True,
        goals=["attend_this_week"],
    )
    start, end = _next(second, now, 1)
    s2 = commitment(
        dan,
        second,
        start,
        today - timedelta(days=3),
        by,
        concerns=["god_talk"],
        preferred_group="smart",
        wants_company=True,
    )
    _request(s2, end, "accepted", by, peer_first_name="Sam", fellowship_experience=True)

    lee = client("DEMO-0005", "Lee", "non-binary", pronouns="they/them")
    fama_session(lee, 1, today - timedelta(days=21), by, past_experience="none", journal_given=True)
    past = _last(first, today)
    commitment(
        lee,
        first,
        past,
        today - timedelta(days=10),
        by,
        concerns=["groups_hard"],
        wants_company=False,
    )

    morgan = client("DEMO-0006", "Morgan", "woman", consent_first_name=True)
    _consent(morgan, "share_first_name", by)
    fama_session(
        morgan, 1, today - timedelta(days=35), by, past_experience="none", journal_given=True
    )
    went = _last(second, today - timedelta(days=14))
    s2 = commitment(
        morgan, second, went, today - timedelta(days=28), by, current=False, wants_company=True
    )
    _request(
        s2,
        went + timedelta(hours=1),
        "completed",
        by,
        outcome="attended",
        peer_first_name="Sam",
        is_current=False,
    )
    s3 = fama_session(
        morgan,
        3,
        today - timedelta(days=7),
        by,
        attended=True,
        attended_meeting_id=second.id,
        reactions="Nervous at first, then glad.",
        benefits="People were friendly.",
        drawbacks="Long bus ride.",
        participation=["home_group", "swap_numbers"],
    )
    db.session.add(
        JournalEntry(
            client_id=morgan.id,
            session_id=s3.id,
            attended_on=went.astimezone(LONDON).date(),
            meeting_id=second.id,
            recorded_by_id=by,
            **s3.thoughts(),
        )
    )
    db.session.add(
        Goal(
            client_id=morgan.id,
            goal="Make this my home group",
            progress="Has been three weeks running.",
            remaining="Ask about sponsorship: Sam may help.",
            recorded_by_id=by,
        )
    )
    morgan.fama_outcome, morgan.fama_outcome_on = "engaged", today - timedelta(days=7)

    chris = client("DEMO-0007", "Chris", "man")
    fama_session(chris, 1, today - timedelta(days=40), by, past_experience="some")
    fama_session(chris, 2, today - timedelta(days=33), by, concerns=["not_that_bad", "for_real"])
    fama_session(
        chris, 3, today - timedelta(days=26), by, attended=False, encouragement=["another_meeting"]
    )
    chris.fama_outcome, chris.fama_outcome_on = "not_attending", today - timedelta(days=26)
    db.session.flush()
