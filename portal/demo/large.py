"""Large demo data: a whole made-up region, for benchmarks and for seeing pages at scale.

`build_demo_large()` first builds the normal demo (accounts, small demo data), then adds, at
scale 1.0: 5,000 meetings, 3,000 volunteers, 400 keyworkers, 20,000 clients and 100,000 past
requests over two years (offers, escort slots, outcomes, safety checks, FAMA sessions, events
and audit rows), plus a present: a few hundred live requests in the next seven days.

Everything is invented: names come from lists of common British first names and surnames,
towns are made up, postcodes use the area letters QX (no real UK postcode has them), phone
numbers are in Ofcom's drama range. Rows go in with Core bulk inserts and ids allocated here,
so nothing is built as an ORM object per row. The data satisfies the schema's rules: one
accepted offer per request, no volunteer booked twice at once (escort slots), week counts
equal to the escorts held, one current request per client.
"""

from __future__ import annotations

import json
import random
import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import repeat
from operator import itemgetter

from sqlalchemy import JSON, Date, Table, Time, func, select, text

from ..accompaniment.facts import floor_slot
from ..accompaniment.models import (
    WITHDRAW_CODES,
    AccompanimentRequest,
    EscortSlot,
    Offer,
    RequestEvent,
    VolunteerWeekCount,
)
from ..audit import AuditEvent, audit, utcnow
from ..auth.models import User, UserRole
from ..auth.passwords import hash_password
from ..clients.models import Client, Consent, FamaSession, client_fellowships
from ..dbtypes import UTCDateTime
from ..extensions import db
from ..meetings.models import Fellowship, Meeting
from ..meetings.occurrences import LONDON, at_local, python_weekday
from ..safety.models import EscortCheck, EscortOutcome
from ..service_hours import answer_by
from ..volunteers.models import (
    AvailabilityWindow,
    SafeguardingItem,
    TimeAway,
    Volunteer,
    VolunteerLanguage,
    VolunteerMeeting,
    volunteer_fellowships,
)

# Counts at scale 1.0; `scale` multiplies each (at least one of each is made).
COUNTS = {
    "meetings": 5000,
    "volunteers": 3000,
    "keyworkers": 400,
    "champions": 12,
    "clients": 20000,
    "past_requests": 100000,
    "live_requests": 400,
}
REFERENCE_PREFIX = "LG-"  # large-demo clients; their presence marks a database already built
EMAIL_DOMAIN = "large.example.org"
CHUNK = 5000
SLOT = timedelta(minutes=15)


def _words(line: str) -> list[str]:
    return line.split()


FELLOWSHIP_MIX = {
    "AA": 45,
    "NA": 25,
    "CA": 10,
    "SMART": 10,
    "CMA": 3,
    "AL-ANON": 3,
    "FA": 2,
    "LOCAL": 2,
}
WOMEN = _words(
    "Olivia Amelia Isla Ava Emily Sophie Grace Lily Freya Ella Charlotte Poppy Evie Jessica "
    "Ruby Chloe Holly Megan Hannah Lucy Sarah Emma Laura Rachel Claire Joanne Nicola Karen "
    "Helen Lisa Amy Rebecca Gemma Kelly Zoe Leanne Michelle Donna Tracey Jade Aisha Priya "
    "Fatima Niamh Siobhan Bethan Kirsty Shona Anita Maria"
)
MEN = _words(
    "Oliver Harry George Jack Noah Charlie Jacob Thomas Oscar William James Leo Alfie Joshua "
    "Daniel Matthew Ryan Luke Adam Mark Paul Steven Andrew David Michael Richard Gary Darren "
    "Craig Lee Dean Wayne Neil Simon Stuart Kevin Gareth Rhys Callum Liam Connor Kieran Jamal "
    "Imran Tariq Tomasz Piotr Marcus Nathan Ben"
)
NEUTRAL = _words("Alex Sam Charlie Jamie Robin Jordan Morgan Riley Taylor Casey Ash Sky Rowan Kit")
SURNAMES = _words(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans "
    "Walker White Roberts Green Hall Wood Jackson Clarke Patel Khan Lewis Harris Martin Cooper "
    "King Lee Baker Harrison Morgan Allen Hughes Hill Moore Clark Ward Turner Carter Phillips "
    "Mitchell Parker Edwards Collins Stewart Morris Murphy Cook Rogers Bell Bailey Kelly "
    "Richardson Cox Howard Price Begum Hussain Ali Ahmed Kaur Singh Nowak Kowalski Campbell "
    "Murray Reid Graham Kennedy Owen Pritchard Hughes Byrne Doyle"
)
TOWN_STARTS = _words(
    "Ash Brack Calder Dun Elm Fern Gorse Hazel Kings Lark Mill Nether Oak Pen Rook Stan "
    "Thorn Wel Wyck Yarn"
)
TOWN_ENDS = _words("ford ley bury ham ton by well field mouth stead")
# Parts of a town: (area name pattern, the word a local venue takes from it)
QUARTERS = (
    ("North {t}", "Northside"),
    ("East {t}", "Eastfield"),
    ("West {t}", "Westgate"),
    ("South {t}", "Southbank"),
    ("{t} Riverside", "Riverside"),
    ("{t} Park", "Parkside"),
    ("Upper {t}", "Upper Green"),
)
STREETS = (
    "Church Lane",
    "High Street",
    "Station Road",
    "Mill Road",
    "Market Square",
    "Victoria Road",
    "Chapel Street",
    "Park Road",
    "Queen Street",
    "North Road",
    "Bridge Street",
    "London Road",
)
VENUES = (
    "St {saint}'s Church Hall",
    "{town} Methodist Church",
    "{town} Community Centre",
    "{town} Library",
    "{town} Recovery Hub",
    "{town} Quaker Meeting House",
    "{quarter} Scout Hut",
    "{town} Baptist Church Hall",
    "{quarter} Village Hall",
    "{town} Wellbeing Centre",
)
SAINTS = ("Mark", "John", "Peter", "Andrew", "Mary", "Luke", "Michael", "Paul", "Anne", "James")
GROUP_NAMES = {
    "AA": (
        "Just for Today",
        "Keep It Simple",
        "Serenity Group",
        "Living Sober",
        "Big Book Study",
        "Step Meeting",
        "Early Risers",
        "Lunchtime Group",
        "Newcomers' Meeting",
        "Came to Believe",
        "Happy Destiny",
        "Promises Group",
        "Friday Night Group",
        "Women's Group",
        "Men's Group",
    ),
    "NA": (
        "Clean and Serene",
        "Just for Today NA",
        "Recovery Rocks",
        "Miracles Happen",
        "Step Working Group",
        "Freedom Group",
        "Hope Group",
    ),
    "CA": ("Clear Path CA", "Solutions Group", "Cocaine Anonymous Open Meeting"),
    "CMA": ("Crystal Clear",),
    "SMART": ("SMART Recovery", "SMART Recovery Evening", "SMART Recovery Daytime"),
    "AL-ANON": ("Al-Anon Family Group",),
    "FA": ("Families Anonymous",),
    "LOCAL": ("Recovery Café", "Peer Support Group", "Walk and Talk"),
}
STARTS = (
    (time(7, 30), 3),
    (time(10), 6),
    (time(12, 30), 8),
    (time(14), 4),
    (time(18), 10),
    (time(18, 30), 12),
    (time(19), 20),
    (time(19, 30), 25),
    (time(20), 12),
)
LANGUAGES = ("Polish", "Urdu", "Punjabi", "Bengali", "Somali", "Portuguese", "Welsh", "Arabic")
CANCEL_REASONS = (
    "The client changed their mind for now",
    "The client is unwell",
    "The client went into residential rehab",
    "The client found a friend to go with",
    "Raised in error",
)
DECLINE_REASONS = (None, None, "I can't make that evening", "Too far for me this week", None)
SAFEGUARDING = ("dbs", "training", "references", "lone_working", "code_of_conduct")
VALIDITY = {"dbs": 1095, "training": 730, "lone_working": 365, "code_of_conduct": 365}


class LargeDataExists(Exception):
    """The database already holds large demo data: build it on an empty database instead."""


def has_large_data() -> bool:
    return (
        db.session.scalar(
            select(Client.id).where(Client.reference.like(REFERENCE_PREFIX + "%")).limit(1)
        )
        is not None
    )


def build_demo_large(
    scale: float = 1.0, seed: int = 1, now: datetime | None = None
) -> dict[str, int]:
    """Build the normal demo, then a large region on top; returns rows added per table.

    Refused in production (DemoRefused), and (LargeDataExists) when the database already
    holds large demo data. The same seed, scale and `now` give the same data.
    """
    from . import build_demo, demo_user, refuse_in_production

    refuse_in_production()
    if has_large_data():
        raise LargeDataExists(
            "This database already holds the large demo data. Build it on a new, empty "
            "database (flask --app portal db upgrade first)."
        )
    build_demo()
    builder = _Builder(scale, random.Random(seed), now or utcnow())
    builder.demo = {role: demo_user(role) for role in ("keyworker", "champion", "volunteer")}
    counts = builder.build()
    audit(
        "demo_large_built",
        None,
        detail={"scale": scale, "seed": seed, "rows": sum(counts.values())},
    )
    db.session.commit()
    return counts


def _convert_column(kind: object, values: Sequence, sqlite: bool) -> Sequence:
    """One column's values as SQLAlchemy's column type would store them."""
    if isinstance(kind, UTCDateTime):
        if sqlite:  # the text SQLAlchemy's SQLite dialect stores: microseconds always written
            return [
                None
                if v is None
                else v.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
                for v in values
            ]
        return [None if v is None else v.astimezone(UTC).replace(tzinfo=None) for v in values]
    if isinstance(kind, JSON):
        return [None if v is None else json.dumps(v) for v in values]
    if sqlite and isinstance(kind, Date):
        return [None if v is None else v.isoformat() for v in values]
    if sqlite and isinstance(kind, Time):
        return [None if v is None else v.strftime("%H:%M:%S.%f") for v in values]
    return values


def _n(scale: float, key: str) -> int:
    return max(1, round(COUNTS[key] * scale))


def _weighted(rng: random.Random, mix: dict) -> str:
    return rng.choices(list(mix), list(mix.values()))[0]


def _withdraw(offer: dict, code: str, at: datetime) -> None:
    """The offer row withdrawn at `at`, for one of `WITHDRAW_CODES`."""
    offer.update(
        state="withdrawn",
        withdraw_code=code,
        withdraw_reason=WITHDRAW_CODES[code],
        ended_at=at,
        version=2,
    )


class _Builder:
    def __init__(self, scale: float, rng: random.Random, now: datetime) -> None:
        self.scale, self.rng, self.now = scale, rng, now.astimezone(UTC)
        self.today = self.now.astimezone(LONDON).date()
        self.counts: dict[str, int] = defaultdict(int)
        self.demo: dict = {}
        # Escort bookkeeping: busy slots and week counts per volunteer, as the app keeps them.
        self.busy: set[tuple[int, datetime]] = set()
        self.weeks: dict[tuple[int, int, int], int] = defaultdict(int)
        self.slots: list[dict] = []

    def _next_id(self, table: Table) -> int:
        return (db.session.scalar(select(func.max(table.c.id))) or 0) + 1

    def _insert(self, table: Table, rows: list[dict]) -> None:
        """Insert rows (dicts with the same keys) in the build's transaction, fast.

        Below SQLAlchemy: values are converted here the way its column types store them
        (instants as naive UTC), then go to the driver in one executemany (SQLite) or COPY
        (PostgreSQL). Columns left out get their Python-side defaults.
        """
        if not rows:
            return
        given = list(rows[0])
        defaults = {
            column.name: column.default
            for column in table.columns
            if column.name not in rows[0] and column.default is not None
        }
        names = given + list(defaults)
        # Column by column (the per-value work in one comprehension each), then back to rows.
        pick = itemgetter(*given)
        picked = map(pick, rows) if len(given) > 1 else ((pick(row),) for row in rows)
        columns_of = list(zip(*picked, strict=True))
        for i, name in enumerate(given):
            columns_of[i] = _convert_column(table.c[name].type, columns_of[i], self.sqlite)
        for d in defaults.values():
            value = (
                (d.arg if d.is_scalar else d.arg(None)) if d.is_scalar or d.is_callable else None
            )
            columns_of.append(repeat(_convert_column(d.column.type, [value], self.sqlite)[0]))
        values = list(zip(*columns_of, strict=False))  # the repeated defaults never run out
        cursor = db.session.connection().connection.driver_connection.cursor()
        columns = ", ".join(names)
        if self.sqlite:
            marks = ", ".join("?" * len(names))
            statement = f"INSERT INTO {table.name} ({columns}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(statement, values)
        else:
            with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        cursor.close()
        self.counts[table.name] += len(rows)

    def _name(self, gender: str) -> str:
        pool = {"woman": WOMEN, "man": MEN}.get(gender, NEUTRAL + WOMEN[:5] + MEN[:5])
        return self.rng.choice(pool)

    def _at(self, days_ago: float) -> datetime:
        return self.now - timedelta(days=days_ago)

    def build(self) -> dict[str, int]:
        sqlite = self.sqlite = db.session.get_bind().dialect.name == "sqlite"
        connection = db.session.connection()
        if sqlite:  # a bigger page cache for the big indexes, for this build only
            connection.exec_driver_sql("PRAGMA cache_size=-200000")
        try:
            self.password_hash = hash_password(secrets.token_urlsafe(32))
            self.fellowships = {
                code: fid
                for code, fid in db.session.execute(select(Fellowship.code, Fellowship.id))
            }
            self.towns = self._towns()
            self._postcodes()
            self._meetings()
            self._staff()
            self._volunteers()
            self._clients()
            self._preload_demo_volunteer()
            self._requests()
            self._finish_escorts()
            if not sqlite:
                self._fix_sequences()
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA cache_size=-2000")
        return dict(self.counts)

    def _towns(self) -> list[dict]:
        names = [s + e for s in TOWN_STARTS for e in TOWN_ENDS]
        self.rng.shuffle(names)
        towns = []
        for i, name in enumerate(names[:25]):
            lat, lon = 52.4 + self.rng.random() * 1.2, -2.2 + self.rng.random() * 1.6
            quarters = self.rng.sample(QUARTERS, self.rng.randrange(2, 5))
            towns.append(
                {
                    "name": name,
                    "district": 10 + i * 3,
                    "lat": lat,
                    "lon": lon,
                    "areas": [f"{name} town centre"] + [q.format(t=name) for q, _ in quarters],
                    "quarters": {q.format(t=name): word for q, word in quarters},
                }
            )
        return towns

    def _postcodes(self) -> None:
        """The region's postcode directory (issue 15): the small demo's Wrenford and, round
        each town, its three districts' postcodes, loaded as a service loads the real one.
        A generator of its own, so the rest of the data stay as they were."""
        import tempfile
        from pathlib import Path

        from ..geography.demo import demo_rows, directory_row, write_rows
        from ..geography.loader import load_directory

        rng = random.Random(15_000 + len(self.towns))
        rows = demo_rows()
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        for town in self.towns:
            for k in range(3):
                outward = f"QX{town['district'] + k}"
                lat0 = town["lat"] + (k - 1) * 0.015
                lon0 = town["lon"] + (k - 1) * 0.025
                seen: set[str] = set()
                while len(seen) < 40:
                    inward = f"{rng.randrange(1, 10)}{rng.choice(letters)}{rng.choice(letters)}"
                    if inward in seen:
                        continue
                    seen.add(inward)
                    rows.append(
                        directory_row(
                            f"{outward} {inward}",
                            lat0 + rng.uniform(-0.01, 0.01),
                            lon0 + rng.uniform(-0.015, 0.015),
                        )
                    )
        with tempfile.TemporaryDirectory() as folder:
            path = write_rows(Path(folder) / "demo_large_postcodes.csv", rows)
            load_directory(path, released="Demo region (made up, large)", commit=False)

    def _meetings(self) -> None:
        rng, table = self.rng, Meeting.__table__
        first = self._next_id(table)
        rows, self.meetings = [], []
        starts, start_weights = zip(*STARTS, strict=True)
        for i in range(_n(self.scale, "meetings")):
            town = rng.choice(self.towns)
            code = _weighted(rng, FELLOWSHIP_MIX)
            area = rng.choice(town["areas"])
            quarter = town["quarters"].get(area)
            start = rng.choices(starts, start_weights)[0]
            length = rng.choice((60, 60, 90, 90, 120))
            end = (datetime.combine(date(2000, 1, 1), start) + timedelta(minutes=length)).time()
            attendance = rng.choices(("in_person", "hybrid", "online"), (85, 10, 5))[0]
            venue = rng.choice(VENUES).format(
                town=town["name"], quarter=quarter or town["name"], saint=rng.choice(SAINTS)
            )
            postcode = (
                f"QX{town['district'] + rng.randrange(3)} "
                f"{rng.randrange(1, 10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            )
            codes = {"O" if rng.random() < 0.75 else "C"}
            for extra, share in (("BE", 0.25), ("X", 0.5), ("D", 0.4), ("SP", 0.2), ("ST", 0.2)):
                if rng.random() < share:
                    codes.add(extra)
            group = rng.choice(GROUP_NAMES[code])
            if group in ("Women's Group", "Men's Group"):
                codes.add("W" if group.startswith("Women") else "M")
            in_person = attendance != "online"
            row = {
                "id": first + i,
                "name": f"{town['name']} {group}" if rng.random() < 0.6 else f"{group} ({area})",
                "fellowship_id": self.fellowships[code],
                "weekday": rng.randrange(7),
                "start_time": start,
                "end_time": end,
                "attendance": attendance,
                "venue": venue if in_person else None,
                "address": (
                    f"{rng.randrange(1, 120)} {rng.choice(STREETS)}, {town['name']}"
                    if in_person
                    else None
                ),
                "postcode": postcode if in_person else None,
                "area": area if in_person else None,
                "latitude": town["lat"] + rng.uniform(-0.03, 0.03) if in_person else None,
                "longitude": town["lon"] + rng.uniform(-0.05, 0.05) if in_person else None,
                "online_url": (
                    f"https://meet.example.org/large-{first + i}"
                    if not in_person or attendance == "hybrid"
                    else None
                ),
                "type_codes": " ".join(sorted(codes)),
                "active": rng.random() > 0.02,
                "last_verified_at": self._at(rng.randrange(0, 240)) if rng.random() < 0.9 else None,
                "created_at": self._at(rng.randrange(760, 1500)),
                "updated_at": self._at(rng.randrange(0, 700)),
            }
            rows.append(row)
            if in_person:
                self.meetings.append(
                    (row["id"], code, row["weekday"], start, end, town["name"], row["active"])
                )
        self._insert(table, rows)
        self.by_town: dict[str, list[tuple]] = defaultdict(list)
        self.by_town_code: dict[tuple[str, str], list[tuple]] = defaultdict(list)
        for m in self.meetings:
            self.by_town[m[5]].append(m)
            self.by_town_code[(m[5], m[1])].append(m)

    def _users(self, specs: list[tuple[str, str, str]]) -> list[int]:
        """Accounts (name, email, role) with one shared unusable password; returns ids."""
        users, roles = User.__table__, UserRole.__table__
        first = self._next_id(users)
        rows = [
            {
                "id": first + i,
                "email": email,
                "name": name,
                "password_hash": self.password_hash,
                "active": True,
                "session_token": secrets.token_urlsafe(32),
                "created_at": self._at(self.rng.randrange(30, 1400)),
                "last_sign_in_at": self._at(self.rng.random() * 30),
                "version": 1,
            }
            for i, (name, email, _) in enumerate(specs)
        ]
        self._insert(users, rows)
        self._insert(
            roles,
            [{"user_id": first + i, "role": role} for i, (_, _, role) in enumerate(specs)],
        )
        return [first + i for i in range(len(specs))]

    def _email(self, first: str, surname: str, n: int, kind: str) -> str:
        local = f"{first}.{surname}".lower().replace("'", "")
        return f"{local}.{kind}{n}@{EMAIL_DOMAIN}"

    def _staff(self) -> None:
        self.keyworkers = self._staff_users("keyworkers", "kw", "keyworker")
        self.champions = self._staff_users("champions", "rc", "champion")
        if self.demo.get("champion") is not None:
            self.champions.append(self.demo["champion"].id)
        # Each keyworker works from one town; their clients live there.
        self.kw_town = {kw: self.rng.choice(self.towns)["name"] for kw in self.keyworkers}
        if self.demo.get("keyworker") is not None:
            self.kw_town[self.demo["keyworker"].id] = self.towns[0]["name"]

    def _staff_users(self, count: str, tag: str, role: str) -> list[int]:
        """Made-up staff accounts in one role: `COUNTS[count]` of them, emails marked `tag`."""
        specs = []
        for i in range(_n(self.scale, count)):
            first, surname = (
                self._name(self.rng.choice(("woman", "man"))),
                self.rng.choice(SURNAMES),
            )
            specs.append((f"{first} {surname}", self._email(first, surname, i, tag), role))
        return self._users(specs)

    def _volunteers(self) -> None:
        rng, n = self.rng, _n(self.scale, "volunteers")
        people = []
        for _ in range(n):
            gender = rng.choices(("woman", "man", "non-binary", "not_said"), (50, 44, 4, 2))[0]
            first, surname = self._name(gender), rng.choice(SURNAMES)
            people.append((gender, first, surname, rng.random() < 0.1))
        with_account = [(i, p) for i, p in enumerate(people) if not p[3]]
        user_ids = self._users(
            [
                (f"{p[1]} {p[2]}", self._email(p[1], p[2], i, "v"), "volunteer")
                for i, p in with_account
            ]
        )
        account = {i: uid for (i, _), uid in zip(with_account, user_ids, strict=True)}
        table = Volunteer.__table__
        first_id = self._next_id(table)
        rows, links, langs, items, attends, windows, away = [], [], [], [], [], [], []
        self.volunteers: dict[int, dict] = {}
        self.vols_by_town: dict[str, list[int]] = defaultdict(list)
        champion = self.champions[0]
        for i, (gender, first, _surname, phone_only) in enumerate(people):
            vid = first_id + i
            status = rng.choices(("approved", "applied", "paused", "withdrawn"), (82, 7, 6, 5))[0]
            town = rng.choice(self.towns)
            vetted = status != "applied"
            joined = self._at(rng.randrange(60, 1400))
            approved = joined + timedelta(days=rng.randrange(14, 60)) if vetted else None
            rule = "same_gender" if rng.random() < 0.15 else "anyone"
            rows.append(
                {
                    "id": vid,
                    "user_id": account.get(i),
                    "preferred_name": first,
                    "pronouns": None,
                    "gender": gender,
                    "home_area": rng.choice(town["areas"]),
                    # one of the town's three postcode districts (its own generator)
                    "home_district": f"QX{town['district'] + random.Random(vid).randrange(3)}",
                    "travel_modes": " ".join(
                        rng.choice(
                            (
                                ("walk",),
                                ("walk", "public_transport"),
                                ("public_transport",),
                                ("car",),
                                ("walk", "car"),
                            )
                        )
                    ),
                    "phone": f"07700 900{rng.randrange(1000):03d}"
                    if phone_only or rng.random() < 0.6
                    else None,
                    "share_phone": not phone_only and rng.random() < 0.5,
                    "weekly_cap": rng.choice((1, 2, 2, 2, 3)),
                    "accompany_rule": rule,
                    "phone_only": phone_only,
                    "status": status,
                    "status_changed_at": approved,
                    "status_changed_by_id": champion if vetted else None,
                    "approved_at": approved,
                    "approved_by_id": champion if vetted else None,
                    "recovery_date": self.today - timedelta(days=rng.randrange(400, 8000)),
                    "recovery_confirmed_at": approved,
                    "recovery_confirmed_by_id": champion if vetted else None,
                    "code_of_conduct_agreed_at": approved,
                    "application_completed_at": joined if not phone_only else None,
                    "last_active_at": self._at(rng.random() * 60),
                    "created_at": joined,
                    "created_by_id": champion if phone_only else None,
                    "updated_at": approved or joined,
                }
            )
            self.volunteers[vid] = {
                "gender": gender,
                "rule": rule,
                "cap": rows[-1]["weekly_cap"],
                "name": first,
                "user_id": account.get(i),
                "status": status,
            }
            if status in ("approved", "paused", "withdrawn"):
                self.vols_by_town[town["name"]].append(vid)
            codes = {_weighted(rng, FELLOWSHIP_MIX) for _ in range(rng.choice((1, 1, 2, 3)))}
            links += [{"volunteer_id": vid, "fellowship_id": self.fellowships[c]} for c in codes]
            spoken = {"English"} | ({rng.choice(LANGUAGES)} if rng.random() < 0.12 else set())
            langs += [{"volunteer_id": vid, "language": s, "folded": s.casefold()} for s in spoken]
            items += self._safeguarding(vid, vetted, approved, champion)
            seen = set()
            for code in codes:
                pool = self.by_town_code.get((town["name"], code)) or []
                for meeting in rng.sample(pool, min(len(pool), rng.randrange(0, 3))):
                    if meeting[0] not in seen:
                        seen.add(meeting[0])
                        attends.append(
                            {
                                "volunteer_id": vid,
                                "meeting_id": meeting[0],
                                "weeks": "every" if rng.random() < 0.75 else "1,3",
                                "created_at": joined,
                            }
                        )
            for weekday in rng.sample(range(7), rng.choice((1, 2, 2, 3, 4))):
                start, end = (
                    (time(rng.choice((17, 18))), time(rng.choice((21, 22))))
                    if rng.random() < 0.7
                    else (time(rng.choice((9, 10))), time(rng.choice((13, 14, 15))))
                )
                windows.append(
                    {"volunteer_id": vid, "weekday": weekday, "start_time": start, "end_time": end}
                )
            if rng.random() < 0.04:
                begins = self.today + timedelta(days=rng.randrange(-5, 30))
                away.append(
                    {
                        "volunteer_id": vid,
                        "first_day": begins,
                        "last_day": begins + timedelta(days=rng.randrange(1, 14)),
                    }
                )
        self._insert(table, rows)
        self._insert(volunteer_fellowships, links)
        self._insert(VolunteerLanguage.__table__, langs)
        self._insert(SafeguardingItem.__table__, items)
        self._insert(VolunteerMeeting.__table__, attends)
        self._insert(AvailabilityWindow.__table__, windows)
        if away:
            self._insert(TimeAway.__table__, away)
        self.all_escorting = [v for vs in self.vols_by_town.values() for v in vs]
        self.approved_by_town = {
            town: [v for v in vids if self.volunteers[v]["status"] == "approved"]
            for town, vids in self.vols_by_town.items()
        }
        self.all_approved = [v for vs in self.approved_by_town.values() for v in vs]

    def _safeguarding(
        self, vid: int, vetted: bool, approved: datetime | None, champion: int
    ) -> list[dict]:
        rng = self.rng
        base = {
            "volunteer_id": vid,
            "dbs_level": None,
            "dbs_certificate_number": None,
            "dbs_update_service": None,
            "references_received": None,
            "recorded_by_id": champion,
        }
        if not vetted or approved is None:
            return [
                base
                | {
                    "kind": "references",
                    "issued_on": self.today - timedelta(days=rng.randrange(1, 30)),
                    "expires_on": None,
                    "references_received": 1,
                    "recorded_by_id": champion,
                }
            ]
        issued = approved.astimezone(LONDON).date() - timedelta(days=7)
        rows = []
        for kind in SAFEGUARDING:
            row = base | {"kind": kind, "issued_on": issued, "expires_on": None}
            if kind == "references":
                row["references_received"] = 2
            else:
                # renewed whenever it lapsed, so most are valid; a few lapse soon or have lapsed
                expires = issued + timedelta(days=VALIDITY[kind])
                while expires < self.today and rng.random() < 0.97:
                    row["issued_on"] = expires - timedelta(days=rng.randrange(0, 20))
                    expires = row["issued_on"] + timedelta(days=VALIDITY[kind])
                row["expires_on"] = max(expires, row["issued_on"])
            if kind == "dbs":
                row["dbs_level"] = "enhanced"
                row["dbs_certificate_number"] = f"00{vid:010d}"
                row["dbs_update_service"] = rng.random() < 0.5
            rows.append(row)
        return rows

    def _clients(self) -> None:
        rng, n = self.rng, _n(self.scale, "clients")
        table = Client.__table__
        first_id = self._next_id(table)
        demo_kw = self.demo.get("keyworker")
        caseload = min(40, n // 2) if demo_kw is not None else 0
        rows, links, consents = [], [], []
        self.clients: list[dict] = []
        for i in range(n):
            cid = first_id + i
            kw = demo_kw.id if i < caseload else rng.choice(self.keyworkers)
            gender = rng.choices(("man", "woman", "non-binary", "not_said"), (57, 38, 2, 3))[0]
            consent_name = rng.random() < 0.8
            consent_phone = consent_name and rng.random() < 0.5
            joined = self._at(rng.uniform(14, 745))
            row = {
                "id": cid,
                "reference": f"{REFERENCE_PREFIX}{i + 1:06d}",
                "first_name": self._name(gender),
                "gender": gender,
                "pronouns": None,
                "languages": rng.choice(LANGUAGES) if rng.random() < 0.06 else None,
                "access_needs": (
                    rng.choice(("Uses a wheelchair", "Hard of hearing", "Prefers step-free"))
                    if rng.random() < 0.05
                    else None
                ),
                "literacy_support": rng.random() < 0.08,
                "keyworker_id": kw,
                "status": "active",
                "consent_first_name": consent_name,
                "consent_phone": consent_phone,
                "phone": f"07700 900{rng.randrange(1000):03d}" if consent_phone else None,
                "last_session_kind": 1,
                "last_session_on": joined.astimezone(LONDON).date(),
                "commitment_meeting_id": None,
                "commitment_at": None,
                "fama_outcome": None,
                "fama_outcome_on": None,
                "created_at": joined,
                "updated_at": joined,
                "closed_at": None,
            }
            rows.append(row)
            codes = {_weighted(rng, FELLOWSHIP_MIX) for _ in range(rng.choice((1, 1, 2)))}
            row["_codes"] = sorted(codes)
            row["_town"] = self.kw_town[kw]
            links += [{"client_id": cid, "fellowship_id": self.fellowships[c]} for c in codes]
            for kind, given in (("share_first_name", consent_name), ("share_phone", consent_phone)):
                if given:
                    consents.append(
                        {
                            "client_id": cid,
                            "kind": kind,
                            "given": True,
                            "at": joined,
                            "recorded_by_id": kw,
                            "wording_version": "2026-1",
                        }
                    )
        self.clients = rows
        self.caseload = caseload
        self.client_links, self.consents = links, consents

    def _insert_clients(self) -> None:
        """Clients go in once their history is known (where they are in FAMA, commitments)."""
        self._insert(
            Client.__table__,
            [{k: v for k, v in r.items() if not k.startswith("_")} for r in self.clients],
        )
        self._insert(client_fellowships, self.client_links)
        self._insert(Consent.__table__, self.consents)

    def _preload_demo_volunteer(self) -> None:
        """The demo volunteer joins the pool, with the escorts the small demo gave them."""
        self.sam = None
        user = self.demo.get("volunteer")
        if user is None:
            return
        row = db.session.execute(
            select(
                Volunteer.id, Volunteer.gender, Volunteer.weekly_cap, Volunteer.preferred_name
            ).where(Volunteer.user_id == user.id)
        ).first()
        if row is None:
            return
        self.sam = row.id
        self.volunteers[row.id] = {
            "gender": row.gender,
            "rule": "anyone",
            "cap": row.weekly_cap,
            "name": row.preferred_name,
            "user_id": user.id,
            "status": "approved",
        }
        for slot in db.session.scalars(
            select(EscortSlot.slot_start).where(EscortSlot.volunteer_id == row.id)
        ):
            self.busy.add((row.id, slot))
        # Escorts the small demo completed with them may hold no slots: keep clear of them too.
        AR = AccompanimentRequest
        for begins, minutes, ends in db.session.execute(
            select(AR.starts_at, AR.minutes_before, AR.ends_at).where(
                AR.volunteer_id == row.id, AR.state.in_(("accepted", "completed"))
            )
        ):
            slot = floor_slot(begins - timedelta(minutes=minutes or 0))
            while slot < ends:
                self.busy.add((row.id, slot))
                slot += SLOT
        self.sam_weeks = {
            (row.id, w.iso_year, w.iso_week): w.n
            for w in db.session.scalars(
                select(VolunteerWeekCount).where(VolunteerWeekCount.volunteer_id == row.id)
            )
        }
        self.weeks.update(self.sam_weeks)

    def _occurrence(self, meeting: tuple, day: date) -> tuple[date, datetime, datetime]:
        """The meeting's date on or after `day`, with its start and end instants."""
        _, _, weekday, start, end, _, _ = meeting
        day = day + timedelta(days=(python_weekday(weekday) - day.weekday()) % 7)
        begins = at_local(day, start)
        ends = at_local(day if end > start else day + timedelta(days=1), end)
        return day, begins, ends

    def _book(self, vid: int, request: dict) -> bool:
        """Hold the volunteer for this escort when free and under their weekly cap."""
        point = request["starts_at"] - timedelta(minutes=request["minutes_before"])
        slots, slot = [], floor_slot(point)
        while slot < request["ends_at"]:
            slots.append(slot)
            slot += SLOT
        if any((vid, s) in self.busy for s in slots):
            return False
        iso = point.astimezone(LONDON).date().isocalendar()
        week = (vid, iso.year, iso.week)
        if self.weeks[week] >= self.volunteers[vid]["cap"]:
            return False
        self.weeks[week] += 1
        for s in slots:
            self.busy.add((vid, s))
            self.slots.append({"volunteer_id": vid, "slot_start": s, "request_id": request["id"]})
        return True

    def _fits(self, vid: int, client: dict, peer_gender: str) -> bool:
        v = self.volunteers[vid]
        wished = client["gender"] if peer_gender == "same" else peer_gender
        if wished not in ("any", "not_said", "other") and v["gender"] != wished:
            return False
        return v["rule"] == "anyone" or v["gender"] == client["gender"]

    def _pool(self, town: str, live: bool) -> list[int]:
        if live:
            return self.approved_by_town.get(town) or self.all_approved
        return self.vols_by_town.get(town) or self.all_escorting

    def _pick(
        self,
        town: str,
        client: dict,
        request: dict,
        prefer: int | None = None,
        live: bool = False,
    ) -> int | None:
        pool = self._pool(town, live)
        tries = ([prefer] if prefer else []) + [
            self.rng.choice(pool) for _ in range(6 if pool else 0)
        ]
        for vid in tries:
            if self._fits(vid, client, request["peer_gender"]) and self._book(vid, request):
                return vid
        return None

    def _others(self, town: str, exclude: set[int], k: int, live: bool = False) -> list[int]:
        """Up to k volunteers to offer to, other than `exclude` (fewer in a tiny region)."""
        found: list[int] = []
        for pool in (self._pool(town, live), self.all_approved if live else self.all_escorting):
            for _ in range(k * 3 if pool else 0):
                vid = self.rng.choice(pool)
                if vid not in exclude and vid not in found:
                    found.append(vid)
                if len(found) == k:
                    return found
        return found

    def _requests(self) -> None:
        rng = self.rng
        table = AccompanimentRequest.__table__
        self.request_id = self._next_id(table)
        self.offer_id = self._next_id(Offer.__table__)
        self.session_id = self._next_id(FamaSession.__table__)
        self.rows = {
            "requests": [],
            "offers": [],
            "events": [],
            "audit": [],
            "sessions": [],
            "checks": [],
            "outcomes": [],
        }
        n_past, n_live = _n(self.scale, "past_requests"), _n(self.scale, "live_requests")
        clients = self.clients
        # Clients with a live request: active ones, the demo keyworker's caseload among them.
        live_clients = list(range(len(clients)))
        rng.shuffle(live_clients)
        live_clients = live_clients[:n_live]
        live_set = set(live_clients)
        # Past requests: every client's history ends before its live request, if any.
        owners = [rng.randrange(len(clients)) for _ in range(n_past)]
        # The demo caseload: most have a history, so the keyworker's pages show one.
        for i in range(min(self.caseload, n_past)):
            owners[i] = i
        sam_every = max(1, n_past // 15) if self.sam else 0
        per_client: dict[int, list[int]] = defaultdict(list)
        past = []
        for k, owner in enumerate(owners):
            client = clients[owner]
            meeting = self._meeting_for(client, live=False)
            if meeting is None:
                continue
            lo = client["created_at"].astimezone(LONDON).date() + timedelta(days=7)
            span = (self.today - timedelta(days=2) - lo).days
            if span < 0:
                continue
            day, begins, ends = self._occurrence(meeting, lo + timedelta(days=rng.randrange(span)))
            if begins >= self.now - timedelta(days=1):
                day, begins, ends = self._occurrence(meeting, day - timedelta(days=7))
            if begins < client["created_at"] + timedelta(days=2):
                continue
            prefer = self.sam if sam_every and k % sam_every == 0 else None
            request = self._past_request(client, meeting, day, begins, ends, prefer)
            past.append(request)
            per_client[owner].append(len(past) - 1)
        for n, index in enumerate(live_clients):
            self._live_request(index, for_sam=bool(self.sam) and n < 3)
        # One current request per client: the live one, else the latest past one.
        for owner, indexes in per_client.items():
            latest = max(indexes, key=lambda j: past[j]["starts_at"])
            if owner not in live_set:
                past[latest]["is_current"] = True
                self._commit_client(clients[owner], past[latest])
        self._fama()
        self._insert_clients()
        self._insert(FamaSession.__table__, self.rows["sessions"])
        self._insert(table, self.rows["requests"])
        self._insert(Offer.__table__, self.rows["offers"])
        self._insert(RequestEvent.__table__, self.rows["events"])
        self._insert(EscortOutcome.__table__, self.rows["outcomes"])
        self._insert(EscortCheck.__table__, self.rows["checks"])
        self._insert(AuditEvent.__table__, self.rows["audit"])

    def _meeting_for(self, client: dict, live: bool) -> tuple | None:
        rng = self.rng
        code = rng.choice(client["_codes"])
        pool = self.by_town_code.get((client["_town"], code)) or self.by_town.get(client["_town"])
        if not pool:
            pool = self.meetings
        if live:
            pool = [m for m in pool if m[6]] or [m for m in self.meetings if m[6]]
        return rng.choice(pool) if pool else None

    def _new_request(
        self, client: dict, meeting: tuple, day: date, begins: datetime, ends: datetime
    ) -> dict:
        rng = self.rng
        created = begins - timedelta(hours=rng.uniform(30, 24 * 14))
        created = max(created, client["created_at"] + timedelta(hours=1))
        request = {
            "id": self.request_id,
            "client_id": client["id"],
            "session_id": None,
            "meeting_id": meeting[0],
            "meeting_date": day,
            "starts_at": begins,
            "ends_at": ends,
            "meeting_point": "Outside the main entrance",
            "minutes_before": rng.choice((15, 15, 20, 30)),
            "peer_gender": rng.choices(("any", "same", "woman", "man"), (65, 20, 10, 5))[0],
            "language": None,
            "fellowship_experience": rng.random() < 0.3,
            "note_for_champion": None,
            "note_for_volunteer": None,
            "state": "open",
            "outcome": None,
            "cancel_reason": None,
            "peer_first_name": None,
            "volunteer_id": None,
            "accepted_at": None,
            "is_current": False,
            "created_by_id": client["keyworker_id"],
            "created_at": created,
            "updated_at": created,
            "version": 1,
        }
        self.request_id += 1
        self.rows["requests"].append(request)
        self._event(request, created, client["keyworker_id"], None, "open", "Request raised")
        self._audit(
            "request_raised",
            request,
            created,
            client["keyworker_id"],
            {"meeting_id": meeting[0], "date": day.isoformat()},
            client,
        )
        return request

    def _event(
        self,
        request: dict,
        at: datetime,
        actor: int | None,
        old: str | None,
        new: str,
        note: str | None,
    ) -> None:
        self.rows["events"].append(
            {
                "request_id": request["id"],
                "at": at,
                "actor_id": actor,
                "from_state": old,
                "to_state": new,
                "note": note,
            }
        )
        if old is not None:
            request["state"], request["updated_at"] = new, at
            request["version"] += 1

    def _audit(
        self, action: str, request: dict, at: datetime, actor: int | None, detail: dict, client
    ) -> None:
        self.rows["audit"].append(
            {
                "at": at,
                "actor_id": actor,
                "action": action,
                "object_type": "accompaniment_requests",
                "object_id": str(request["id"]),
                "client_ref": client["reference"],
                "ip": None,
                "detail": json.dumps(detail, sort_keys=True, default=str),
            }
        )

    def _offer(
        self, request: dict, vid: int, at: datetime, champion: int, broadcast: str | None
    ) -> dict:
        offer = {
            "id": self.offer_id,
            "request_id": request["id"],
            "volunteer_id": vid,
            "state": "pending",
            "decline_reason": None,
            "withdraw_code": None,
            "withdraw_reason": None,
            "expires_at": answer_by(
                at, request["starts_at"] - timedelta(minutes=request["minutes_before"])
            ),
            "broadcast_id": broadcast,
            "created_by_id": champion,
            "answered_by_id": None,
            "created_at": at,
            "answered_at": None,
            "ended_at": None,
            "version": 1,
        }
        if offer["expires_at"] <= at:
            offer["expires_at"] = at + timedelta(hours=1)
        self.offer_id += 1
        self.rows["offers"].append(offer)
        return offer

    def _make_offers(
        self, request: dict, client: dict, vids: list[int], at: datetime, champion: int
    ) -> list[dict]:
        broadcast = f"{self.rng.getrandbits(64):016x}" if len(vids) > 1 else None
        offers = [self._offer(request, vid, at, champion, broadcast) for vid in vids]
        self._event(request, at, champion, request["state"], "offered", "Offered to a volunteer")
        self._audit(
            "offers_made",
            request,
            at,
            champion,
            {
                "volunteers": vids,
                "broadcast": bool(broadcast),
                "expires_at": offers[0]["expires_at"],
            },
            client,
        )
        return offers

    def _decline(self, offer: dict, request: dict, client: dict, at: datetime) -> None:
        volunteer = self.volunteers[offer["volunteer_id"]]
        if self.rng.random() < 0.6:
            offer.update(
                state="declined",
                decline_reason=self.rng.choice(DECLINE_REASONS),
                answered_at=at,
                answered_by_id=volunteer["user_id"] or offer["created_by_id"],
                ended_at=at,
                version=2,
            )
            self._audit(
                "offer_declined",
                request,
                at,
                offer["answered_by_id"],
                {
                    "offer_id": offer["id"],
                    "volunteer_id": offer["volunteer_id"],
                    "reason_given": bool(offer["decline_reason"]),
                },
                client,
            )
        else:
            offer.update(state="expired", ended_at=offer["expires_at"], version=2)

    def _past_request(
        self,
        client: dict,
        meeting: tuple,
        day: date,
        begins: datetime,
        ends: datetime,
        prefer: int | None,
    ) -> dict:
        rng = self.rng
        request = self._new_request(client, meeting, day, begins, ends)
        champion = rng.choice(self.champions)
        kw = client["keyworker_id"]
        fate = rng.choices(("completed", "unfilled", "cancelled"), (76, 10, 14))[0]
        offered_at = request["created_at"] + timedelta(hours=rng.uniform(1, 20))
        if fate == "cancelled":
            at = offered_at
            vids = self._others(client["_town"], set(), 1) if rng.random() < 0.5 else []
            if vids:
                (offer,) = self._make_offers(request, client, vids, offered_at, champion)
                at = offered_at + timedelta(hours=rng.uniform(1, 20))
                _withdraw(offer, "request_closed", at)
            at = min(at, begins - timedelta(hours=1))
            reason = rng.choice(CANCEL_REASONS)
            request["cancel_reason"] = reason
            self._close(request, client, at, kw, "cancelled", reason)
            return request
        vid = self._pick(client["_town"], client, request, prefer) if fate == "completed" else None
        if vid is None:  # nobody could go: offers declined or expired, then unfilled
            vids = self._others(client["_town"], set(), rng.choice((1, 2, 3)))
            if vids and rng.random() < 0.7:
                offers = self._make_offers(request, client, vids, offered_at, champion)
                for offer in offers:
                    self._decline(offer, request, client, offered_at + timedelta(hours=2))
                last = max(offer["ended_at"] for offer in offers)
                self._event(request, last, None, "offered", "open", "No volunteer could go")
            self._close(request, client, ends + timedelta(hours=1), None, "unfilled", None)
            return request
        asked_first = self._others(client["_town"], {vid}, 1) if rng.random() < 0.25 else []
        if asked_first:  # a first volunteer said no, or did not answer in time
            (first,) = self._make_offers(request, client, asked_first, offered_at, champion)
            self._decline(first, request, client, offered_at + timedelta(hours=3))
            self._event(request, first["ended_at"], None, "offered", "open", None)
            offered_at = first["ended_at"] + timedelta(hours=1)
        others = self._others(client["_town"], {vid}, 2) if rng.random() < 0.15 else []
        offers = self._make_offers(request, client, [vid, *others], offered_at, champion)
        accepted_at = min(
            offered_at + timedelta(hours=rng.uniform(0.2, 10)), begins - timedelta(minutes=45)
        )
        self._accept(request, client, offers, accepted_at)
        outcome = rng.choices(
            ("attended", "client_did_not_come", "volunteer_could_not_go"), (82, 14, 4)
        )[0]
        self._after(request, client, outcome, champion)
        request["outcome"] = outcome
        recorded = ends + timedelta(hours=rng.uniform(0.5, 30))
        self._close(
            request, client, recorded, kw if rng.random() < 0.5 else None, "completed", None
        )
        return request

    def _accept(self, request: dict, client: dict, offers: list[dict], at: datetime) -> None:
        first = offers[0]
        volunteer = self.volunteers[first["volunteer_id"]]
        answered_by = volunteer["user_id"] or first["created_by_id"]
        first.update(state="accepted", answered_at=at, answered_by_id=answered_by, version=2)
        for other in offers[1:]:
            _withdraw(other, "taken", at)
        request.update(
            volunteer_id=first["volunteer_id"],
            accepted_at=at,
            peer_first_name=volunteer["name"],
        )
        self._event(
            request, at, answered_by, "offered", "accepted", f"Accepted by {volunteer['name']}"
        )
        self._audit(
            "offer_accepted",
            request,
            at,
            answered_by,
            {
                "offer_id": first["id"],
                "volunteer_id": first["volunteer_id"],
                "on_behalf": volunteer["user_id"] is None,
            },
            client,
        )

    def _after(self, request: dict, client: dict, outcome: str, champion: int) -> None:
        """Safety checks on the day and what the volunteer said afterwards."""
        rng = self.rng
        vid = request["volunteer_id"]
        by = self.volunteers[vid]["user_id"] or champion
        point = request["starts_at"] - timedelta(minutes=request["minutes_before"])
        if outcome == "attended":
            self.rows["checks"].append(
                {
                    "request_id": request["id"],
                    "volunteer_id": vid,
                    "kind": "checkin",
                    "at": point + timedelta(minutes=rng.uniform(0, 10)),
                    "by_id": by,
                }
            )
        if outcome != "volunteer_could_not_go":
            self.rows["checks"].append(
                {
                    "request_id": request["id"],
                    "volunteer_id": vid,
                    "kind": "checkout",
                    "at": (request["ends_at"] if outcome == "attended" else point)
                    + timedelta(minutes=rng.uniform(5, 40)),
                    "by_id": by,
                }
            )
        together = outcome == "attended" and rng.random() < 0.85
        again = (
            rng.choices(("yes", "not_sure", "no"), (60, 28, 12))[0]
            if outcome == "attended"
            else None
        )
        recorded = request["ends_at"] + timedelta(minutes=rng.uniform(20, 600))
        self.rows["outcomes"].append(
            {
                "request_id": request["id"],
                "went_in_together": together if outcome == "attended" else None,
                "wants_again": again,
                "note": None,
                "recorded_by_id": by,
                "recorded_at": recorded,
            }
        )
        self._audit(
            "escort_outcome_recorded",
            request,
            recorded,
            by,
            {"outcome": outcome, "together": together or None, "again": again},
            client,
        )

    def _close(
        self,
        request: dict,
        client: dict,
        at: datetime,
        actor: int | None,
        state: str,
        note: str | None,
    ) -> None:
        old = request["state"]
        self._event(request, at, actor, old, state, note)
        self._audit(
            "request_state_changed",
            request,
            at,
            actor,
            {"from": old, "to": state, "outcome": request["outcome"]},
            client,
        )

    def _live_request(self, index: int, for_sam: bool = False) -> None:
        """A request in the next seven days: open, offered (offers pending) or accepted.

        The first few are escorts booked with the demo volunteer, over the next fortnight.
        """
        rng = self.rng
        client = self.clients[index]
        meeting = self._meeting_for(client, live=True)
        if meeting is None:
            return
        kind = rng.choices(("open", "offered", "accepted"), (50, 25, 25))[0]
        if for_sam:
            kind = "accepted"
        start_day = self.today + timedelta(days=0 if kind == "accepted" else 1)
        spread = 13 if for_sam else 6
        day, begins, ends = self._occurrence(
            meeting, start_day + timedelta(days=rng.randrange(spread))
        )
        if begins > self.now + timedelta(days=14 if for_sam else 7, hours=12):
            day, begins, ends = self._occurrence(meeting, day - timedelta(days=7))
        if begins < self.now + timedelta(hours=3) and kind != "accepted":
            day, begins, ends = self._occurrence(meeting, day + timedelta(days=1))
        request = self._new_request(client, meeting, day, begins, ends)
        request["created_at"] = min(request["created_at"], self.now - timedelta(hours=1))
        self.rows["events"][-1]["at"] = self.rows["audit"][-1]["at"] = request["created_at"]
        request["updated_at"] = request["created_at"]
        request["is_current"] = True
        if for_sam:
            request["peer_gender"] = "any"
        champion = rng.choice(self.champions)
        offered_at = request["created_at"] + timedelta(minutes=30)
        offered_at = min(offered_at, self.now - timedelta(minutes=10))
        if kind == "offered":
            vids = self._others(client["_town"], set(), rng.choice((1, 1, 2, 3)), live=True)
            offers = self._make_offers(request, client, vids, offered_at, champion) if vids else []
            point = request["starts_at"] - timedelta(minutes=request["minutes_before"])
            for offer in offers:  # still waiting for an answer: closes later than now
                if offer["expires_at"] <= self.now + timedelta(hours=1):
                    offer["expires_at"] = answer_by(self.now, point)
        elif kind == "accepted":
            prefer = self.sam if for_sam else None
            vid = self._pick(client["_town"], client, request, prefer, live=True)
            if vid is not None:
                offers = self._make_offers(request, client, [vid], offered_at, champion)
                self._accept(
                    request, client, offers, min(self.now, offered_at + timedelta(hours=1))
                )
        self._commit_client(client, request)

    def _commit_client(self, client: dict, request: dict) -> None:
        client["commitment_meeting_id"] = request["meeting_id"]
        client["commitment_at"] = request["starts_at"]
        request["is_current"] = True

    def _fama(self) -> None:
        """Session 1 when the client joined, a session 2 before each request, a 3 after."""
        rng = self.rng
        by_client: dict[int, list[dict]] = defaultdict(list)
        for request in self.rows["requests"]:
            by_client[request["client_id"]].append(request)
        sessions = self.rows["sessions"]
        blank = {
            "past_experience": None,
            "journal_given": None,
            "literacy_support": None,
            "preferred_group": None,
            "attended": None,
            "attended_meeting_id": None,
            "commitment_meeting_id": None,
            "commitment_at": None,
            "wants_company": None,
        }

        def add(client: dict, kind: int, at: datetime, **values: object) -> int:
            sid = self.session_id
            self.session_id += 1
            sessions.append(
                blank
                | {
                    "id": sid,
                    "client_id": client["id"],
                    "kind": kind,
                    "held_on": at.astimezone(LONDON).date(),
                    "recorded_by_id": client["keyworker_id"],
                    "recorded_at": at,
                }
                | values
            )
            client["last_session_kind"] = kind
            client["last_session_on"] = at.astimezone(LONDON).date()
            return sid

        for client in self.clients:
            add(
                client,
                1,
                client["created_at"],
                past_experience=rng.choice(("none", "none", "some", "a_lot")),
                journal_given=True,
                literacy_support="offered" if client["literacy_support"] else "not_needed",
            )
            for request in sorted(by_client.get(client["id"], ()), key=lambda r: r["starts_at"]):
                held = request["created_at"] - timedelta(minutes=5)
                request["session_id"] = add(
                    client,
                    2,
                    held,
                    preferred_group="smart" if rng.random() < 0.15 else "twelve_step",
                    commitment_meeting_id=request["meeting_id"],
                    commitment_at=request["starts_at"],
                    wants_company=True,
                )
                if request["outcome"] in ("attended", "client_did_not_come"):
                    review = request["ends_at"] + timedelta(days=rng.uniform(2, 9))
                    if review < self.now:
                        went = request["outcome"] == "attended"
                        add(
                            client,
                            3,
                            review,
                            attended=went,
                            attended_meeting_id=request["meeting_id"] if went else None,
                        )
            if client["last_session_kind"] == 3 and rng.random() < 0.3:
                client["fama_outcome"] = rng.choice(("engaged", "engaged", "not_attending"))
                client["fama_outcome_on"] = client["last_session_on"]
                if (
                    rng.random() < 0.5
                    and client["commitment_at"] is not None
                    and (client["commitment_at"] < self.now - timedelta(days=60))
                ):
                    client["status"] = "closed"
                    client["closed_at"] = client["commitment_at"] + timedelta(days=30)

    def _finish_escorts(self) -> None:
        self.slots.sort(key=lambda s: (s["volunteer_id"], s["slot_start"]))
        self._insert(EscortSlot.__table__, self.slots)
        table = VolunteerWeekCount.__table__
        if self.sam is not None and getattr(self, "sam_weeks", None):
            db.session.execute(table.delete().where(table.c.volunteer_id == self.sam))
        self._insert(
            table,
            [
                {"volunteer_id": v, "iso_year": y, "iso_week": w, "n": n}
                for (v, y, w), n in sorted(self.weeks.items())
                if n
            ],
        )

    def _fix_sequences(self) -> None:
        """Ids were given here, so PostgreSQL's sequences move past them."""
        for table in (
            User.__table__,
            UserRole.__table__,
            Meeting.__table__,
            Volunteer.__table__,
            Client.__table__,
            AccompanimentRequest.__table__,
            Offer.__table__,
            FamaSession.__table__,
        ):
            db.session.execute(
                # table names from our own metadata, never from input
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"
                )
            )
