"""Demo meetings in Wrenford, a made-up market town: every fellowship, day and kind of meeting.

The postcodes use the area letters QX, which no real UK postcode has, so nothing here points at
a real place or group. Running it again resets the same meetings to the same state.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import delete, select

from ..audit import audit, utcnow
from ..dates import london_today
from ..extensions import db
from .models import Fellowship, KeyworkerVisit, Meeting

ST_MARKS = (
    "St Mark's Church Hall",
    "12 Church Lane, Wrenford",
    "QX1 4AB",
    "Town centre",
    (52.8012, -1.2043),
)
QUAKERS = (
    "Wrenford Quaker Meeting House",
    "3 Friar Street, Wrenford",
    "QX1 2DL",
    "Town centre",
    (52.8025, -1.2069),
)
HUB = (
    "Wrenford Recovery Hub",
    "8 Market Square, Wrenford",
    "QX1 1MS",
    "Town centre",
    (52.8019, -1.2055),
)
RIVERSIDE = (
    "Riverside Community Centre",
    "Mill Road, Wrenford",
    "QX2 7RT",
    "Riverside",
    (52.7968, -1.1981),
)
NORTHGATE = (
    "Northgate Methodist Church",
    "41 Northgate, Wrenford",
    "QX3 1NG",
    "Northgate",
    (52.8091, -1.2072),
)
EASTFIELD = (
    "Eastfield Library",
    "2 Station Approach, Eastfield, Wrenford",
    "QX4 3EF",
    "Eastfield",
    (52.8037, -1.1902),
)
HOLLINS = (
    "Hollins Park Scout Hut",
    "Hollins Park Road, Wrenford",
    "QX5 6HP",
    "Hollins Park",
    (52.7931, -1.2164),
)
ONLINE = None

DIRECTIONS = {
    "St Mark's Church Hall": (
        "Five minutes from the Market Square: walk up Church Lane past the post office. The hall "
        "is behind the church; use the green door on the left.",
        "Free parking in the church car park after 6pm. Otherwise Church Lane pay and display.",
        "Buses 3, 7 and 12 stop at Market Square. Wrenford station is a 10-minute walk.",
    ),
    "Wrenford Quaker Meeting House": (
        "From the Market Square take Friar Street (by the bank); it is the brick building with a "
        "garden on the right.",
        "No parking on site. Use the Friar Street car park (free after 6pm).",
        "Buses 3 and 7 to Market Square, then a 3-minute walk.",
    ),
    "Wrenford Recovery Hub": (
        "On the north side of the Market Square, next to the pharmacy. Ring the bell marked Hub.",
        "Market Square car park, 2 minutes away.",
        "Every town-centre bus stops at Market Square.",
    ),
    "Riverside Community Centre": (
        "Follow the river path east from the town bridge for about 10 minutes; the centre is "
        "opposite the old mill.",
        "Large free car park at the centre.",
        "Bus 12 to Mill Road (stop: Riverside Centre).",
    ),
    "Northgate Methodist Church": (
        "Walk north from the Market Square along Northgate for about 12 minutes. Use the side "
        "entrance on Chapel Row.",
        "Street parking on Chapel Row.",
        "Buses 5 and 9 to Northgate (stop: Methodist Church).",
    ),
    "Eastfield Library": (
        "Right outside Eastfield station, across the forecourt.",
        "Station car park (pay on entry), free after 7pm.",
        "Trains to Eastfield every 30 minutes; buses 4 and 12 stop at the station.",
    ),
    "Hollins Park Scout Hut": (
        "Enter Hollins Park by the main gates and follow the path past the play area; the hut is "
        "beside the tennis courts.",
        "Free parking on Hollins Park Road.",
        "Bus 9 to Hollins Park Gates.",
    ),
}

# name, fellowship, weekday (0 = Sunday), start, end, place (or ONLINE), types, days since
# checked (None = never), online link, hybrid, notes on the room
MEETINGS = (
    ("Wrenford Tuesday Night Group", "AA", 2, (19, 30), (20, 30), ST_MARKS, "O D X BE", 12),
    ("Lunchtime Big Book", "AA", 1, (12, 30), (13, 30), QUAKERS, "C B", 30),
    ("Women's Step Group", "AA", 4, (19, 0), (20, 30), RIVERSIDE, "C W ST X", 45),
    ("Sunday Morning Serenity", "AA", 0, (10, 30), (11, 30), NORTHGATE, "O SP BE", 20),
    ("Early Risers", "AA", 6, (7, 30), (8, 30), ONLINE, "O D", 10),
    ("Friday Night Discussion", "AA", 5, (20, 0), (21, 0), ST_MARKS, "O D X", 130),
    ("Polish-speaking AA", "AA", 3, (18, 30), (19, 30), EASTFIELD, "C POL", 60),
    ("Men's Big Book", "AA", 3, (20, 0), (21, 0), ST_MARKS, "C M B", 95),
    ("Young People's AA", "AA", 5, (19, 0), (20, 0), EASTFIELD, "O Y X", 15),
    ("Rainbow Recovery", "AA", 0, (17, 0), (18, 0), HUB, "O LGBTQ D X", 25),
    ("Hope on Hollins", "NA", 1, (19, 0), (20, 30), HOLLINS, "O BE", 40),
    ("Just for Today", "NA", 3, (12, 0), (13, 0), HUB, "O D X", 200),
    ("Clean and Serene", "NA", 6, (18, 0), (19, 30), RIVERSIDE, "C ST", 55),
    ("NA Newcomers Online", "NA", 4, (20, 0), (21, 0), ONLINE, "O BE", 7),
    ("Last Meeting of the Night", "NA", 6, (23, 0), (0, 0), ONLINE, "O D", 33),
    ("CA Wrenford Thursday", "CA", 4, (19, 30), (21, 0), NORTHGATE, "C SP", 70),
    ("CA Sunday Evening", "CA", 0, (18, 30), (19, 30), ST_MARKS, "O", None),
    ("CMA Wrenford", "CMA", 2, (18, 0), (19, 0), HUB, "C LGBTQ", 110),
    ("SMART Recovery at the Hub", "SMART", 1, (14, 0), (15, 30), HUB, "O X", 5),
    ("SMART Recovery Eastfield", "SMART", 3, (18, 0), (19, 30), EASTFIELD, "O X", 28),
    ("SMART Recovery Online", "SMART", 5, (11, 0), (12, 30), ONLINE, "O", 14),
    ("Al-Anon Wrenford Family Group", "AL-ANON", 2, (19, 30), (21, 0), QUAKERS, "O", 50),
    ("Al-Anon Saturday Morning", "AL-ANON", 6, (10, 0), (11, 30), NORTHGATE, "O", 150),
    ("Families Anonymous Wrenford", "FA", 4, (19, 30), (21, 0), RIVERSIDE, "O X", 35),
    ("Wrenford Recovery Café", "LOCAL", 6, (11, 0), (13, 0), HUB, "O BE CF X", 3),
    ("Walk and Talk Recovery", "LOCAL", 0, (10, 0), (11, 30), HOLLINS, "O OUT", 18),
)
HYBRID = {"Friday Night Discussion", "Rainbow Recovery", "SMART Recovery Eastfield"}
CLOSED_FOR_NOW = "Old Market Hall Group"  # a meeting that stopped: deactivated, not deleted


def _online_link(name: str) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
    return f"https://meet.example.org/wrenford-{slug}"


# What a champion might write about each fellowship, in plain words a client can read (shown
# on meeting pages, the picker and printed lists). Given only where none is written yet.
DESCRIPTIONS = {
    "AA": "A group for people who want to stop drinking. People take turns to talk about their "
    "own drinking and what helps. You can just listen. It is free and you only give a first name.",
    "NA": "A group for people who want to stop using drugs, whatever the drug. Members talk about "
    "what helped them stay clean. You can just listen. It is free.",
    "CA": "A group for people who want to stop using cocaine, crack or other drugs. Members talk "
    "about their own experience. You do not have to speak. It is free.",
    "CMA": "A group for people who want to stop using crystal meth. People share their own story "
    "in turn. You do not have to speak. It is free.",
    "SMART": "A meeting led by a trained helper. The group uses practical tools to handle urges "
    "and plan the week ahead. People say what is working for them. It is free.",
    "AL-ANON": "A group for family and friends of someone who drinks. People talk about how it "
    "affects them and what helps. You can just listen.",
    "FA": "A group for family and friends of someone who uses drugs. Members support each other "
    "and share what has helped. You can just listen.",
    "LOCAL": "A group run by people in recovery in this area. Each one is different: ask the "
    "group, or your keyworker, what a meeting is like. You are welcome to just listen.",
}


def build_demo_meetings() -> None:
    """Create or reset the Wrenford demo meetings (about 25); running twice changes nothing."""
    for fellowship in db.session.scalars(select(Fellowship)):
        if fellowship.description is None and fellowship.code in DESCRIPTIONS:
            fellowship.description = DESCRIPTIONS[fellowship.code]
    fellowships = {f.code: f.id for f in db.session.scalars(select(Fellowship))}
    existing = {
        m.name: m
        for m in db.session.scalars(
            select(Meeting).where(Meeting.source.is_(None), Meeting.name.in_(_names()))
        )
    }
    now = utcnow()
    for name, code, weekday, start, end, place, codes, checked in MEETINGS:
        meeting = existing.get(name) or Meeting(name=name)
        if meeting.id is None:
            db.session.add(meeting)
        online = place is ONLINE or name in HYBRID
        meeting.fellowship_id = fellowships[code]
        meeting.weekday = weekday
        meeting.start_time = time(*start)
        meeting.end_time = time(*end)
        meeting.attendance = "online" if place is ONLINE else ("hybrid" if online else "in_person")
        meeting.type_codes = " ".join(sorted(codes.split()))
        meeting.online_url = _online_link(name) if online else None
        meeting.online_notes = (
            "The link opens at the start time. Camera on or off." if online else None
        )
        meeting.last_verified_at = None if checked is None else now - timedelta(days=checked)
        meeting.active = True
        meeting.removed_from_source = False
        _set_place(meeting, place)
        meeting.notes = (
            "First time? Say so when you arrive; someone will show you round."
            if "BE" in codes
            else None
        )
    _closed_meeting(existing.get(CLOSED_FOR_NOW), fellowships["AA"], now)
    db.session.flush()
    audit("demo_meetings_reset", detail={"meetings": len(MEETINGS) + 1})
    _demo_visits(now)


def _names() -> list[str]:
    return [row[0] for row in MEETINGS] + [CLOSED_FOR_NOW]


def _set_place(meeting: Meeting, place: tuple | None) -> None:
    if place is None:
        meeting.venue = meeting.address = meeting.postcode = None
        meeting.latitude = meeting.longitude = None
        meeting.area = None
        meeting.location_notes = None
        meeting.directions_walk = meeting.directions_car = None
        meeting.directions_public_transport = None
        return
    venue, address, postcode, area, (lat, lon) = place
    meeting.venue, meeting.address, meeting.postcode, meeting.area = venue, address, postcode, area
    meeting.latitude, meeting.longitude = lat, lon
    walk, car, transport = DIRECTIONS[venue]
    meeting.directions_walk, meeting.directions_car = walk, car
    meeting.directions_public_transport = transport
    meeting.location_notes = (
        "Step-free entrance at the side. The room is signed on the day."
        if "X" in meeting.codes
        else "Follow the signs for the meeting room."
    )


def _closed_meeting(meeting: Meeting | None, fellowship_id: int, now) -> None:
    if meeting is None:
        meeting = Meeting(name=CLOSED_FOR_NOW)
        db.session.add(meeting)
    meeting.fellowship_id = fellowship_id
    meeting.weekday, meeting.start_time, meeting.end_time = 4, time(12, 0), time(13, 0)
    meeting.attendance = "in_person"
    meeting.type_codes = "O"
    meeting.online_url = meeting.online_notes = None
    _set_place(meeting, ST_MARKS)
    meeting.venue = "Old Market Hall"
    meeting.address = "Market Square, Wrenford"
    meeting.notes = "The group stopped meeting when the hall closed."
    meeting.last_verified_at = now - timedelta(days=20)
    meeting.active = False
    meeting.removed_from_source = False


# The demo keyworker's own visits: two in the last year and one older (days ago, their note).
DEMO_VISITS = (
    (
        "Wrenford Tuesday Night Group",
        24,
        "Welcoming, about 15 people. Tea before it starts. Step-free by the green side door.",
    ),
    (
        "SMART Recovery at the Hub",
        61,
        "About 8 people round a table with a trained facilitator. Nobody had to speak. "
        "Lift to the first floor.",
    ),
    (
        "Hope on Hollins",
        410,
        "Relaxed, about 10 people. The hut is cold in winter. Two steps at the door.",
    ),
)


def _demo_visits(now: datetime) -> None:
    """The demo keyworker's visits to three meetings, dated from today: made afresh each run."""
    from ..demo import demo_user  # the demo package runs this builder: import it late

    keyworker = demo_user("keyworker")
    if keyworker is None:
        return
    meetings = {
        m.name: m.id
        for m in db.session.scalars(
            select(Meeting).where(
                Meeting.source.is_(None), Meeting.name.in_([row[0] for row in DEMO_VISITS])
            )
        )
    }
    db.session.execute(
        delete(KeyworkerVisit).where(
            KeyworkerVisit.visitor_id == keyworker.id,
            KeyworkerVisit.meeting_id.in_(meetings.values()),
        )
    )
    today = london_today(now)
    for name, days_ago, note in DEMO_VISITS:
        db.session.add(
            KeyworkerVisit(
                meeting_id=meetings[name],
                visitor_id=keyworker.id,
                visited_on=today - timedelta(days=days_ago),
                note=note,
            )
        )
    db.session.flush()
