"""Places from the postcode directory: districts, points and distances in words.

Other domains call these (re-exported by `services`): `directory_status`, `tidy_district`,
`check_district`, `find_place`, `district_points`, `postcode_points`, `distances_km`,
`about_km`. Meetings place their venues themselves (`meetings.places`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from ..errors import InvalidChange
from ..extensions import db
from ..matching.scoring import haversine_km
from .loader import tidy_postcode
from .models import DistrictCentre, PostcodeDirectoryLoad, PostcodePoint

DISTRICT_SHAPE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
DISTRICT_MAX = 4


@dataclass(frozen=True)
class Place:
    """Where a search is measured from: a postcode's point or a district's centre."""

    label: str  # "LS6 3AB" or "LS6"
    latitude: float
    longitude: float
    is_district: bool


def directory_status() -> PostcodeDirectoryLoad | None:
    """The directory in use (its newest load), or None when none has been loaded."""
    return db.session.scalar(
        select(PostcodeDirectoryLoad).order_by(PostcodeDirectoryLoad.id.desc()).limit(1)
    )


def directory_loaded() -> bool:
    """True when a postcode directory is loaded."""
    return db.session.scalar(select(PostcodeDirectoryLoad.id).limit(1)) is not None


def tidy_district(value: str | None) -> str | None:
    """' ls6 ' -> 'LS6'; None when blank or not the shape of a postcode district."""
    if not isinstance(value, str):
        return None
    compact = "".join(value.split()).upper()
    if not compact or len(compact) > DISTRICT_MAX or not DISTRICT_SHAPE.match(compact):
        return None
    return compact


def check_district(value: str | None, field: str = "home_district") -> str | None:
    """A postcode district as stored (upper case), None when blank; InvalidChange by `field`
    when it is not a district's shape, or when a directory is loaded and it has no such
    district. A full postcode is refused: only the district is kept about a person."""
    if value is None or not str(value).strip():
        return None
    district = tidy_district(value)
    if district is None:
        if tidy_postcode(str(value)) is not None:
            raise InvalidChange(
                "Enter only the first part of the postcode, like LS6, not the full postcode",
                field=field,
            )
        raise InvalidChange("Enter a postcode district, like LS6", field=field)
    if directory_loaded() and db.session.get(DistrictCentre, district) is None:
        raise InvalidChange(
            f"There is no postcode district {district}: check it, like LS6", field=field
        )
    return district


def find_place(value: str, field: str = "near") -> Place | None:
    """A full postcode's point or a district's centre; None when no directory is loaded.

    InvalidChange by `field` when it is neither shape, or the directory does not know it.
    """
    district = tidy_district(value)
    postcode = None if district else tidy_postcode(value)
    if district is None and postcode is None:
        raise InvalidChange("Enter a postcode or the first part of one, like LS6", field=field)
    if not directory_loaded():
        return None
    if postcode is not None:
        point = db.session.get(PostcodePoint, postcode)
        if point is None:
            raise InvalidChange(f"No postcode {postcode} in the postcode directory", field=field)
        return Place(postcode, point.latitude, point.longitude, False)
    centre = db.session.get(DistrictCentre, district)
    if centre is None:
        raise InvalidChange(f"There is no postcode district {district}", field=field)
    return Place(str(district), centre.latitude, centre.longitude, True)


def district_points(districts: Iterable[str]) -> dict[str, tuple[float, float]]:
    """Centres of these districts, in one query (unknown ones are left out)."""
    wanted = sorted({d for d in districts if d})
    if not wanted:
        return {}
    rows = db.session.execute(
        select(DistrictCentre.district, DistrictCentre.latitude, DistrictCentre.longitude).where(
            DistrictCentre.district.in_(wanted)
        )
    )
    return {district: (lat, lon) for district, lat, lon in rows}


def postcode_points(postcodes: Iterable[str]) -> dict[str, tuple[float, float]]:
    """Points of these full postcodes, in one query per 500 (unknown ones are left out)."""
    wanted = sorted({p for p in postcodes if p})
    found: dict[str, tuple[float, float]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for postcode, lat, lon in db.session.execute(
            select(PostcodePoint.postcode, PostcodePoint.latitude, PostcodePoint.longitude).where(
                PostcodePoint.postcode.in_(chunk)
            )
        ):
            found[postcode] = (lat, lon)
    return found


def point_for_postcode(postcode: str | None) -> tuple[float, float] | None:
    """A venue's point: its postcode's, else its district's centre; None when unknown."""
    tidy = tidy_postcode(postcode or "")
    if tidy is None:
        return None
    point = db.session.get(PostcodePoint, tidy)
    if point is not None:
        return point.latitude, point.longitude
    centre = db.session.get(DistrictCentre, tidy.split(" ", 1)[0])
    return (centre.latitude, centre.longitude) if centre is not None else None


def distances_km(lat: float, lon: float, points: Iterable[tuple[float, float] | None]) -> list:
    """Kilometres from (lat, lon) to each point (None where a point is unknown)."""
    points = list(points)
    known = [i for i, p in enumerate(points) if p is not None]
    result: list[float | None] = [None] * len(points)
    if known:
        km = haversine_km(
            np.full(len(known), lat, dtype=np.float64),
            np.full(len(known), lon, dtype=np.float64),
            np.array([points[i][0] for i in known], dtype=np.float64),  # type: ignore[index]
            np.array([points[i][1] for i in known], dtype=np.float64),  # type: ignore[index]
        )
        for i, value in zip(known, km.tolist(), strict=True):
            result[i] = value
    return result


def about_km(km: float | None) -> str:
    """'About 2.3 km' (to a tenth of a kilometre; 'Under 0.1 km' when at the door)."""
    if km is None:
        return "Distance unknown"
    if km < 0.05:
        return "Under 0.1 km"
    return f"About {km:.1f} km"
