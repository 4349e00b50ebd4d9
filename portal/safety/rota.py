"""The champion's week rota: every booked escort for the next seven days, by London day.

A booked escort is a request a volunteer accepted (still accepted, or already completed today);
a cancelled one has left that state. The seven days run from today in London, so a week that
crosses a clock change still has seven whole days. The rows come in one query whatever their
number; the filters narrow them in Python, so their choices are what the week holds. Like the
Today board it names no client (no view event): the meeting, the peer and the keyworker only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..accompaniment.models import AccompanimentRequest
from ..audit import utcnow
from ..auth.models import User
from ..clients.models import Client
from ..errors import NotFound
from ..extensions import db
from ..meetings.models import Fellowship, Meeting
from ..volunteers.models import Volunteer
from ._common import is_champion
from .times import london_today

ROTA_DAYS = 7
BOOKED_STATES = ("accepted", "completed")
MAX_ID = 10**9  # an id in the address beyond any real one is no filter at all


@dataclass(frozen=True)
class RotaFilters:
    fellowship_id: int | None = None
    volunteer_id: int | None = None
    area: str = ""

    @classmethod
    def from_query(
        cls, fellowship_id: int | None, volunteer_id: int | None, area: str
    ) -> RotaFilters:
        """The filters as asked for in the address; an id that cannot be is ignored."""

        def real(value: int | None) -> int | None:
            return value if value is not None and 0 < value < MAX_ID else None

        return cls(real(fellowship_id), real(volunteer_id), area)

    @property
    def any(self) -> bool:
        return bool(self.fellowship_id or self.volunteer_id or self.area)

    def query(self) -> dict[str, object]:
        """The filters as address arguments (for the print view's link)."""
        values = {"fellowship": self.fellowship_id, "volunteer": self.volunteer_id}
        values["area"] = self.area
        return {key: value for key, value in values.items() if value}

    def keeps(self, row: RotaRow) -> bool:
        if self.fellowship_id and row.fellowship_id != self.fellowship_id:
            return False
        if self.volunteer_id and row.volunteer_id != self.volunteer_id:
            return False
        return not self.area or (row.area or "").casefold() == self.area.casefold()


@dataclass(frozen=True)
class RotaRow:
    request_id: int
    day: date
    starts_at: datetime
    ends_at: datetime
    meets_at: datetime  # when the peer meets the client
    meeting_point: str
    meeting: str
    venue: str | None
    postcode: str | None
    area: str | None
    fellowship_id: int
    fellowship: str
    volunteer_id: int
    volunteer: str
    volunteer_phone: str | None
    keyworker: str
    state: str


@dataclass(frozen=True)
class RotaDay:
    day: date
    rows: list[RotaRow]


@dataclass
class RotaPage:
    """Everything the week rota shows: its days, the filters and their choices."""

    first: date
    last: date
    days: list[RotaDay]
    filters: RotaFilters
    booked: int  # escorts in the week before the filters
    fellowships: list[tuple[int, str]] = field(default_factory=list)
    volunteers: list[tuple[int, str]] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)

    @property
    def shown(self) -> int:
        return sum(len(day.rows) for day in self.days)


def rota_dates(now: datetime) -> tuple[date, date]:
    """Today and the sixth day after it, in London."""
    first = london_today(now)
    return first, first + timedelta(days=ROTA_DAYS - 1)


def booked_statement(first: date, last: date):
    """Booked escorts whose meeting falls on a London date from `first` to `last`."""
    return select(AccompanimentRequest).where(
        AccompanimentRequest.state.in_(BOOKED_STATES),
        AccompanimentRequest.volunteer_id.is_not(None),
        AccompanimentRequest.meeting_date >= first,
        AccompanimentRequest.meeting_date <= last,
    )


def booked_count(first: date, last: date) -> int:
    """How many escorts are booked from `first` to `last` (one query)."""
    statement = booked_statement(first, last).with_only_columns(func.count())
    return db.session.scalar(statement) or 0


def week_rows(first: date, last: date) -> list[RotaRow]:
    """Every booked escort of those days, soonest first (one query)."""
    keyworker = aliased(User)
    statement = (
        booked_statement(first, last)
        .with_only_columns(
            AccompanimentRequest.id,
            AccompanimentRequest.meeting_date,
            AccompanimentRequest.starts_at,
            AccompanimentRequest.ends_at,
            AccompanimentRequest.minutes_before,
            AccompanimentRequest.meeting_point,
            AccompanimentRequest.state,
            Meeting.name,
            Meeting.venue,
            Meeting.postcode,
            Meeting.area,
            Fellowship.id,
            Fellowship.name,
            Volunteer.id,
            Volunteer.preferred_name,
            Volunteer.phone,
            keyworker.name,
        )
        .join(Meeting, Meeting.id == AccompanimentRequest.meeting_id)
        .join(Fellowship, Fellowship.id == Meeting.fellowship_id)
        .join(Volunteer, Volunteer.id == AccompanimentRequest.volunteer_id)
        .join(Client, Client.id == AccompanimentRequest.client_id)
        .join(keyworker, keyworker.id == Client.keyworker_id)
        .order_by(AccompanimentRequest.starts_at, AccompanimentRequest.id)
    )
    return [
        RotaRow(
            request_id=row[0],
            day=row[1],
            starts_at=row[2],
            ends_at=row[3],
            meets_at=row[2] - timedelta(minutes=row[4] or 0),
            meeting_point=row[5],
            state=row[6],
            meeting=row[7],
            venue=row[8],
            postcode=row[9],
            area=row[10],
            fellowship_id=row[11],
            fellowship=row[12],
            volunteer_id=row[13],
            volunteer=row[14],
            volunteer_phone=row[15],
            keyworker=row[16],
        )
        for row in db.session.execute(statement)
    ]


def _choices(rows: list[RotaRow]) -> tuple[list, list, list]:
    """The filters' choices: the fellowships, volunteers and areas the week holds."""
    fellowships = sorted({(r.fellowship_id, r.fellowship) for r in rows}, key=lambda f: f[1])
    volunteers = sorted(
        {(r.volunteer_id, r.volunteer) for r in rows}, key=lambda v: (v[1].casefold(), v[0])
    )
    areas = sorted({r.area for r in rows if r.area}, key=str.casefold)
    return fellowships, volunteers, areas


def rota_page(actor: User, filters: RotaFilters, now: datetime | None = None) -> RotaPage:
    """The week rota for a champion (anyone else: NotFound), grouped by London day."""
    if not is_champion(actor):
        raise NotFound("No such page")
    first, last = rota_dates(now or utcnow())
    rows = week_rows(first, last)
    kept = [row for row in rows if filters.keeps(row)]
    days = [
        RotaDay(day, [row for row in kept if row.day == day])
        for day in (first + timedelta(days=n) for n in range(ROTA_DAYS))
    ]
    return RotaPage(first, last, days, filters, len(rows), *_choices(rows))
