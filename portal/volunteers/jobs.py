"""Volunteers' time-based work for `flask --app portal tick`: safeguarding checks running out,
and public applications never confirmed.

Each job is idempotent: every message carries a dedupe key per ISO week; the clean-up deletes
what is past its time, and finds nothing the second time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from .. import dates
from ..auth.services import champions
from ..extensions import db
from ..jobs import job, portal_path
from ..meetings.occurrences import LONDON
from ..notify.services import notify_user
from .applications import delete_stale_applications
from .models import SafeguardingItem, Volunteer

EXPIRY_HORIZON = timedelta(days=30)


@job("weekly digest of safeguarding checks about to expire")
def checks_digest(now: datetime) -> int:
    """Once a week: champions get the count; each volunteer hears about their own checks."""
    today = now.astimezone(LONDON).date()
    year, week, _ = today.isocalendar()
    horizon = today + EXPIRY_HORIZON
    rows = db.session.execute(
        select(Volunteer, func.min(SafeguardingItem.expires_on), func.count())
        .join(SafeguardingItem, SafeguardingItem.volunteer_id == Volunteer.id)
        .where(
            Volunteer.status.in_(("applied", "approved", "paused")),
            SafeguardingItem.expires_on.is_not(None),
            SafeguardingItem.expires_on >= today,
            SafeguardingItem.expires_on <= horizon,
        )
        .group_by(Volunteer.id)
    ).all()
    if not rows:
        return 0
    sent = 0
    total = sum(count for _, _, count in rows)
    for champion in champions():
        sent += notify_user(
            champion,
            "checks_expiring",
            f"{total} safeguarding {'check expires' if total == 1 else 'checks expire'} "
            "in the next 30 days",
            body=f"{len(rows)} {'volunteer is' if len(rows) == 1 else 'volunteers are'} affected.",
            link=portal_path("volunteers.checks_due", "/volunteers/checks-due"),
            dedupe_key=f"checks-digest:{year}-W{week:02d}",
        )
    for volunteer, soonest, count in rows:
        if volunteer.user is None:
            continue  # phone-only contacts hear from the champion
        sent += notify_user(
            volunteer.user,
            "checks_expiring",
            f"{count} of your checks {'needs' if count == 1 else 'need'} renewing "
            f"by {dates.date_words(soonest)}",
            body="Talk to the recovery champion so you can keep accompanying people.",
            link=portal_path("home.volunteer", "/volunteer"),
            dedupe_key=f"checks-own:{year}-W{week:02d}",
        )
    return sent


@job("delete applications to volunteer never confirmed within 7 days")
def stale_applications(now: datetime) -> int:
    """Least data: an application whose email was never confirmed goes after a week."""
    return delete_stale_applications(now)
