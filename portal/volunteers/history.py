"""A volunteer's history as the champion reads it: audited changes in plain words."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from ..audit import AuditEvent
from ..auth.models import User
from ..dates import date_words
from ..extensions import db
from ..meetings.models import Meeting
from ._common import _require_champion
from .models import SAFEGUARDING_KINDS, STATUSES, WEEKDAYS, Volunteer


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    action: str
    actor_name: str | None
    detail: str | None


AUDIT_LABELS = {
    "volunteer_invited": "Invited to use the portal",
    "volunteer_phone_contact_added": "Added as a phone-only contact",
    "volunteer_application_completed": "Completed their application",
    "volunteer_profile_updated": "Details changed",
    "volunteer_status_changed": "Status changed",
    "volunteer_recovery_confirmed": "Recovery date confirmed",
    "volunteer_conflict_notes_changed": "Conflict-of-interest notes changed",
    "safeguarding_item_added": "Check recorded",
    "safeguarding_item_changed": "Check changed",
    "safeguarding_item_removed": "Check removed",
    "volunteer_meeting_added": "Meeting added",
    "volunteer_meeting_removed": "Meeting removed",
    "availability_window_added": "Free time added",
    "availability_window_removed": "Free time removed",
    "time_away_added": "Time away added",
    "time_away_removed": "Time away removed",
    "calendar_link_reset": "Calendar link reset",
    "code_of_conduct_agreed": "Agreed to the code of conduct",
    "demo_volunteer_reset": "Demo data reset",
    "supervision_added": "Supervision recorded",
    "supervision_changed": "Supervision changed",
    "supervision_removed": "Supervision removed",
}


def volunteer_history(volunteer: Volunteer, actor: User, limit: int = 50) -> list[AuditLine]:
    """The latest audited changes to this volunteer, newest first, with who made them."""
    _require_champion(actor)
    rows = db.session.execute(
        select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.object_type == Volunteer.__tablename__,
            AuditEvent.object_id == str(volunteer.id),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()
    details = [_load_detail(event.detail) for event, _ in rows]
    meeting_ids = {d["meeting_id"] for d in details if isinstance(d.get("meeting_id"), int)}
    meeting_names = (
        dict(
            db.session.execute(
                select(Meeting.id, Meeting.name).where(Meeting.id.in_(meeting_ids))
            ).all()
        )
        if meeting_ids
        else {}
    )
    return [
        AuditLine(
            event.at,
            AUDIT_LABELS.get(event.action, event.action),
            name,
            _describe(detail, meeting_names),
        )
        for (event, name), detail in zip(rows, details, strict=True)
    ]


FIELD_LABELS = {
    "preferred_name": "name",
    "pronouns": "pronouns",
    "gender": "gender",
    "home_area": "home area",
    "home_district": "home postcode district",
    "travel_modes": "travel",
    "phone": "phone",
    "share_phone": "sharing the phone number",
    "weekly_cap": "weekly limit",
    "accompany_rule": "whom they accompany",
    "recovery_date": "recovery date",
    "languages": "languages",
    "fellowships": "fellowships",
    "conflict_notes": "notes",
    "issued_on": "issue date",
    "expires_on": "expiry date",
    "dbs_level": "level",
    "dbs_certificate_number": "certificate number",
    "dbs_update_service": "Update Service",
    "references_received": "references received",
}


def _load_detail(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _iso_day(value: Any) -> str:
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return date_words(day)


def _describe(detail: dict[str, Any], meeting_names: dict[int, str]) -> str:
    """A readable line from an audit row's detail (codes and dates only, never free text)."""
    parts = []
    if "kind" in detail:
        parts.append(SAFEGUARDING_KINDS.get(detail["kind"], str(detail["kind"])))
    if "from" in detail and "to" in detail:
        parts.append(
            f"from {STATUSES.get(detail['from'], detail['from']).lower()} "
            f"to {STATUSES.get(detail['to'], detail['to']).lower()}"
        )
    if "meeting_id" in detail:
        parts.append(meeting_names.get(detail["meeting_id"], "a meeting no longer listed"))
    for name in ("issued_on", "expires_on"):
        value = detail.get(name)
        if isinstance(value, list) and len(value) == 2:
            old, new = (_iso_day(v) if v else "none" for v in value)
            parts.append(f"{FIELD_LABELS[name]} {old} to {new}")
        elif value:
            parts.append(f"{FIELD_LABELS[name]} {_iso_day(value)}")
    fields = detail.get("fields")
    if isinstance(fields, list) and fields:
        parts.append("changed " + ", ".join(FIELD_LABELS.get(str(f), str(f)) for f in fields))
    if "first_day" in detail:
        parts.append(f"{_iso_day(detail['first_day'])} to {_iso_day(detail.get('last_day'))}")
    if "weekday" in detail and isinstance(detail["weekday"], int) and 0 <= detail["weekday"] <= 6:
        parts.append(f"{WEEKDAYS[detail['weekday']]} {detail.get('start')} to {detail.get('end')}")
    return "; ".join(parts)
