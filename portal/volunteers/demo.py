"""Demo volunteers: a small, realistic, fictional pool, recreated the same way every time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy import delete, select

from ..audit import audit, utcnow
from ..auth.models import User, UserRole
from ..extensions import db
from ..matching.model import add_months
from ..meetings.models import Fellowship, Meeting
from .models import (
    AvailabilityWindow,
    SafeguardingItem,
    TimeAway,
    Volunteer,
    VolunteerLanguage,
    VolunteerMeeting,
)
from .services import today_local


@dataclass(frozen=True)
class DemoVolunteer:
    name: str
    # The part of the email address before @ (the demo accounts' domain is added); "volunteer" is
    # the demo volunteer account itself; None is a phone-only contact.
    email: str | None
    gender: str
    languages: tuple[str, ...]
    fellowships: tuple[str, ...]
    area: str
    travel: str
    status: str = "approved"
    phone: str | None = None
    accompany: str = "anyone"
    cap: int = 2
    # kind -> days until expiry (negative: lapsed); missing kinds get the usual validity
    expiring: dict[str, int] = field(default_factory=dict)
    vetted: bool = True
    windows: tuple[tuple[int, time, time], ...] = ()
    meetings: int = 0  # how many listed meetings they go to
    away_in_days: int | None = None
    reason: str | None = None


# The demo region's postcode districts (portal/geography/demo.py): Kelby is a walk of 7 km
# from the town, Thornby 20 km, so the ranking shows who is too far for how they travel.
DEMO_DISTRICTS = {
    "Town centre": "QX1",
    "Riverside": "QX2",
    "Northgate": "QX3",
    "Eastfield": "QX4",
    "Hollins Park": "QX5",
    "Kelby": "QX6",
    "Ashby Parva": "QX7",
    "Thornby": "QX8",
}

DEMO_VOLUNTEERS = (
    DemoVolunteer(
        "Sam",
        "volunteer",
        "man",
        ("English",),
        ("AA", "CA"),
        "Town centre",
        "walk public_transport",
        phone="07700 900101",
        windows=((1, time(18), time(21, 30)), (5, time(10), time(14))),
        meetings=2,
    ),
    DemoVolunteer(
        "Priya",
        "priya.volunteer",
        "woman",
        ("English", "Punjabi", "Hindi"),
        ("NA", "SMART"),
        "Northgate",
        "public_transport car",
        phone="07700 900102",
        expiring={"dbs": 12},
        windows=((0, time(18), time(21)), (3, time(18), time(21))),
        meetings=1,
    ),
    DemoVolunteer(
        "Tomasz",
        "tomasz.volunteer",
        "man",
        ("Polish", "English"),
        ("AA",),
        "Riverside",
        "walk car",
        cap=3,
        expiring={"training": 20},
        windows=((2, time(17, 30), time(22)),),
        away_in_days=40,
    ),
    DemoVolunteer(
        "Grace",
        "grace.volunteer",
        "woman",
        ("English",),
        ("AL-ANON", "SMART"),
        "Thornby",
        "public_transport",
        accompany="same_gender",
        expiring={"code_of_conduct": 5},
        windows=((6, time(11), time(17)),),
    ),
    DemoVolunteer(
        "Jordan",
        "jordan.volunteer",
        "non-binary",
        ("English", "British Sign Language"),
        ("CMA", "NA"),
        "Hollins Park",
        "walk",
        status="paused",
        reason="Asked for a break until after their exams",
        windows=((4, time(19), time(22)),),
    ),
    DemoVolunteer(
        "Dave",
        None,
        "man",
        ("English",),
        ("AA",),
        "Ashby Parva",
        "car",
        phone="07700 900106",
        windows=((1, time(19), time(22)),),
        meetings=1,
    ),
    DemoVolunteer(
        "Amina",
        "amina.volunteer",
        "woman",
        ("English", "Arabic", "Somali"),
        ("SMART",),
        "Kelby",
        "walk",
        status="applied",
        vetted=False,
    ),
)
VALIDITY_DAYS = {"dbs": 900, "training": 600, "lone_working": 200, "code_of_conduct": 250}


def _user_for(demo: DemoVolunteer) -> User | None:
    from ..demo import demo_user

    if demo.email is None:
        return None
    account = demo_user("volunteer")
    if demo.email == "volunteer":
        return account
    email = f"{demo.email}@{account.email.partition('@')[2]}"
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=demo.name)
        user.role_rows = [UserRole(role="volunteer")]
        db.session.add(user)
        db.session.flush()
    return user


def _volunteer_for(demo: DemoVolunteer, user: User | None) -> Volunteer:
    if user is not None:
        volunteer = db.session.scalar(select(Volunteer).where(Volunteer.user_id == user.id))
    else:
        volunteer = db.session.scalar(
            select(Volunteer).where(
                Volunteer.phone_only.is_(True),
                Volunteer.preferred_name == demo.name,
                Volunteer.phone == demo.phone,
            )
        )
    if volunteer is None:
        volunteer = Volunteer(user_id=user.id if user else None, preferred_name=demo.name)
        db.session.add(volunteer)
        db.session.flush()
    return volunteer


def _reset_children(volunteer: Volunteer) -> None:
    for model in (SafeguardingItem, AvailabilityWindow, TimeAway, VolunteerMeeting):
        db.session.execute(delete(model).where(model.volunteer_id == volunteer.id))


def _items(volunteer: Volunteer, demo: DemoVolunteer, today: date) -> None:
    if demo.vetted:
        for kind in ("dbs", "training", "lone_working", "code_of_conduct"):
            expires = today + timedelta(days=demo.expiring.get(kind, VALIDITY_DAYS[kind]))
            years = {"dbs": 36, "training": 36}.get(kind, 12)
            issued = add_months(expires, -years)
            db.session.add(
                SafeguardingItem(
                    volunteer_id=volunteer.id,
                    kind=kind,
                    issued_on=min(issued, today),
                    expires_on=expires,
                    dbs_level="enhanced" if kind == "dbs" else None,
                    dbs_certificate_number=f"0012{volunteer.id:08d}" if kind == "dbs" else None,
                    dbs_update_service=(volunteer.id % 2 == 0) if kind == "dbs" else None,
                )
            )
    # References: both long in for a vetted volunteer; one of two just in for a new applicant.
    received, days_ago = (2, 400) if demo.vetted else (1, 3)
    db.session.add(
        SafeguardingItem(
            volunteer_id=volunteer.id,
            kind="references",
            issued_on=today - timedelta(days=days_ago),
            references_received=received,
        )
    )


def build_demo_volunteers() -> None:
    """Create or reset the demo pool; running it twice leaves the same state."""
    today = today_local()
    now = utcnow()
    from ..demo import demo_user

    champion = demo_user("champion")
    fellowships = {f.code: f for f in db.session.scalars(select(Fellowship))}
    meetings = list(
        db.session.scalars(
            select(Meeting).where(Meeting.active.is_(True)).order_by(Meeting.id).limit(3)
        )
    )
    for demo in DEMO_VOLUNTEERS:
        user = _user_for(demo)
        volunteer = _volunteer_for(demo, user)
        _reset_children(volunteer)
        volunteer.preferred_name = demo.name
        volunteer.gender = demo.gender
        volunteer.home_area = demo.area
        volunteer.home_district = DEMO_DISTRICTS.get(demo.area)
        volunteer.travel_modes = demo.travel
        volunteer.phone = demo.phone
        volunteer.share_phone = demo.phone is not None and demo.email is not None
        volunteer.weekly_cap = demo.cap
        volunteer.accompany_rule = demo.accompany
        volunteer.phone_only = demo.email is None
        volunteer.status = demo.status
        volunteer.status_reason = demo.reason
        volunteer.status_changed_at = now if demo.status != "applied" else None
        volunteer.status_changed_by_id = champion.id if champion else None
        approved = demo.status in ("approved", "paused")
        volunteer.approved_at = now if approved else None
        volunteer.approved_by_id = champion.id if champion and approved else None
        volunteer.recovery_date = date(today.year - 3, 3, 14)
        volunteer.recovery_confirmed_at = now if demo.vetted else None
        volunteer.recovery_confirmed_by_id = champion.id if champion and demo.vetted else None
        volunteer.code_of_conduct_agreed_at = now if demo.vetted else None
        volunteer.application_completed_at = now if user is not None else None
        volunteer.last_active_at = now
        volunteer.language_rows = [
            VolunteerLanguage(language=lang, folded=lang.casefold()) for lang in demo.languages
        ]
        volunteer.fellowships = [fellowships[c] for c in demo.fellowships if c in fellowships]
        db.session.flush()
        _items(volunteer, demo, today)
        for weekday, start, end in demo.windows:
            db.session.add(
                AvailabilityWindow(
                    volunteer_id=volunteer.id, weekday=weekday, start_time=start, end_time=end
                )
            )
        for meeting in meetings[: demo.meetings]:
            db.session.add(
                VolunteerMeeting(volunteer_id=volunteer.id, meeting_id=meeting.id, weeks="every")
            )
        if demo.away_in_days is not None:
            first = today + timedelta(days=demo.away_in_days)
            db.session.add(
                TimeAway(
                    volunteer_id=volunteer.id, first_day=first, last_day=first + timedelta(days=13)
                )
            )
        db.session.flush()
        audit("demo_volunteer_reset", volunteer)
