"""The public face of the meetings list: no sign-in, nothing about who uses the service.

/find searches running meetings (day, time, fellowship, online or in person, near a postcode),
/find/<id> is a meeting's page with directions and a calendar file, and /meetings.json is the
Meeting Guide feed other sites and the Meeting Guide app read. Every route is rate-limited per
address (PUBLIC_RATE_LIMIT); the feed carries an ETag and may be kept by caches for a while.
"""

from __future__ import annotations

from flask import Response, current_app, request, url_for

from ..extensions import limiter
from ..web import external_url, public, render, wants_fragment
from . import bp, services
from . import public as listing
from .meeting_types import FEATURES
from .models import WEEKDAYS

PUBLIC_LAYOUT = {"public_page": True}  # base.html: no form token, the public footer


def _limit() -> str:
    return current_app.config["PUBLIC_RATE_LIMIT"]


def _choices() -> dict:
    return {
        "days": {str(day): WEEKDAYS[day] for day in services.DAY_ORDER},
        "times": services.TIMES_OF_DAY,
        "attendances": services.ATTENDANCE_FILTERS,
        "features": FEATURES,
        **services.search_choices(),
    }


@bp.route("/find")
@public
@limiter.shared_limit(_limit, scope="public")
def find():
    filters = services.MeetingFilters.from_args(request.args)
    near = services.near_place(filters)
    page = services.search_page(filters, place=near["place"])
    page.url_for_page = lambda number: url_for("meetings.find", page=number, **filters.as_args())
    context = {"page": page, "filters": filters, **near, **PUBLIC_LAYOUT}
    if wants_fragment():
        return render("find/search.html", block="results", **context)
    return render("find/search.html", **context, **_choices())


@bp.route("/find/<int:meeting_id>")
@public
@limiter.shared_limit(_limit, scope="public")
def find_meeting(meeting_id: int):
    meeting = listing.public_meeting(meeting_id)
    return render(
        "find/meeting.html",
        meeting=meeting,
        occurrences=services.next_meeting_times(meeting),
        **PUBLIC_LAYOUT,
    )


@bp.route("/find/<int:meeting_id>/calendar.ics")
@public
@limiter.shared_limit(_limit, scope="public")
def find_calendar(meeting_id: int):
    meeting = listing.public_meeting(meeting_id)
    page = external_url("meetings.find_meeting", meeting_id=meeting.id)
    return Response(
        services.meeting_calendar(meeting, page),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="meeting-{meeting.id}.ics"'},
    )


@bp.route("/meetings.json")
@public
@limiter.shared_limit(_limit, scope="public")
def feed():
    feed = listing.cached_feed()
    response = Response(feed.body, mimetype="application/json")
    response.set_etag(feed.etag)
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["PUBLIC_FEED_MAX_AGE"]
    response.headers["Access-Control-Allow-Origin"] = "*"  # public data other sites may read
    return response.make_conditional(request)
