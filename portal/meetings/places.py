"""Meetings' points from the postcode directory: a venue without a point of its own gets its
postcode's (or its district's centre), after an import and whenever a new directory loads."""

from __future__ import annotations

from sqlalchemy import select, update

from ..extensions import db
from ..geography.services import district_points, on_directory_loaded, postcode_points
from .models import Meeting


def fill_meeting_points(refresh: bool = False) -> int:
    """Give every meeting with a postcode and no point of its own the directory's point (its
    postcode's, else its district's centre); a point a champion or a feed gave stays. With
    `refresh` (a new directory), points the directory gave before are read again. Returns how
    many meetings were placed; the caller commits."""
    unplaced = Meeting.latitude.is_(None)
    if refresh:
        unplaced = unplaced | Meeting.located_from_directory.is_(True)
    rows = db.session.execute(
        select(Meeting.id, Meeting.postcode).where(Meeting.postcode.is_not(None), unplaced)
    ).all()
    if not rows:
        return 0
    points = postcode_points(p for _, p in rows)
    centres = district_points(p.split(" ", 1)[0] for _, p in rows if p not in points)
    updates = []
    for meeting_id, postcode in rows:
        point = points.get(postcode) or centres.get(postcode.split(" ", 1)[0])
        updates.append(
            {
                "id": meeting_id,
                "latitude": point[0] if point else None,
                "longitude": point[1] if point else None,
                "located_from_directory": point is not None,
            }
        )
    changes = [u for u in updates if u["located_from_directory"] or refresh]
    if changes:
        db.session.execute(update(Meeting), changes)
    return sum(1 for u in updates if u["located_from_directory"])


@on_directory_loaded
def place_meetings_again() -> dict[str, int]:
    """A new directory may move or add points: read again those the directory gave."""
    return {"meetings_located": fill_meeting_points(refresh=True)}
