"""The postcode directory: live postcodes' points, districts' centres and the load on record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..audit import utcnow
from ..dbtypes import UTCDateTime
from ..extensions import db


class PostcodePoint(db.Model):
    """A live postcode ("LS6 3AB", as the directory's pcds writes it) and its point."""

    __tablename__ = "postcode_points"

    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)
    # The outward code ("LS6"); not indexed, so loading stays quick (districts are read from
    # district_centres, computed once per load).
    district: Mapped[str] = mapped_column(String(4))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)


class DistrictCentre(db.Model):
    """A postcode district's centre: the mean point of its live postcodes."""

    __tablename__ = "postcode_districts"

    district: Mapped[str] = mapped_column(String(4), primary_key=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    postcodes: Mapped[int] = mapped_column(Integer)


class PostcodeDirectoryLoad(db.Model):
    """One successful load; the newest row describes the directory in use."""

    __tablename__ = "postcode_directory_loads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The file's name as given (no path), and the directory's release when the name says it
    # ("NSPL_FEB_2024_UK.csv" -> "February 2024").
    source_name: Mapped[str] = mapped_column(String(200))
    released: Mapped[str | None] = mapped_column(String(40))
    rows_read: Mapped[int] = mapped_column(Integer)
    postcodes: Mapped[int] = mapped_column(Integer)
    districts: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
