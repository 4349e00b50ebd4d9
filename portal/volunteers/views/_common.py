"""Helpers every volunteers' view module uses."""

from __future__ import annotations

from typing import Any

from flask import request

from ...errors import Conflict
from ...web import me, render
from .. import services as volunteers
from ..models import (
    ACCOMPANY_RULES,
    DBS_LEVELS,
    GENDERS,
    SAFEGUARDING_KINDS,
    STATUSES,
    TRAVEL_MODES,
    Volunteer,
)

CHAMPION = "champion"
VOLUNTEER = "volunteer"


def conflict_page(error: Conflict, back: str) -> tuple[str, int]:
    """The volunteers' own 409 page: says nothing was saved and links back to try again (which
    is why their views catch `Conflict` rather than leave it to the registered handler)."""
    return render("volunteers/conflict.html", message=error.message, back=back), 409


def labels() -> dict[str, Any]:
    return {
        "statuses": STATUSES,
        "genders": GENDERS,
        "travel_modes": TRAVEL_MODES,
        "accompany_rules": ACCOMPANY_RULES,
        "dbs_levels": DBS_LEVELS,
        "check_kinds": SAFEGUARDING_KINDS,
    }


def text_arg(name: str, length: int) -> str:
    """A search word from the address, without control characters (PostgreSQL refuses NUL)."""
    value = request.args.get(name, "")[:length]
    return "".join(ch for ch in value if ch.isprintable()).strip()


def int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def champion_volunteer(volunteer_id: int) -> Volunteer:
    return volunteers.get_volunteer(volunteer_id, me())


def list_filters() -> volunteers.VolunteerFilters:
    """The volunteer list's filters as the address gives them (the list and a message to its
    rows read them alike); a value that makes no sense is ignored."""
    return volunteers.VolunteerFilters(
        query=text_arg("q", 100),
        status=request.args.get("status", "") if request.args.get("status") in STATUSES else "",
        fellowship_id=int_arg("fellowship"),
        area=text_arg("area", 100),
        language=text_arg("language", 40),
        expiring=request.args.get("checks") == "expiring",
        inactive=request.args.get("activity") == "inactive",
    )
