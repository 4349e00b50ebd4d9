"""Helpers for the volunteers tests: meetings to pick, and signed-in volunteers."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.meetings.models import Fellowship, Meeting

from .. import factories


def make_meeting(**overrides: object) -> Meeting:
    """A meeting in the directory (AA, Tuesday 7:30pm, in Leeds unless told otherwise)."""
    code = overrides.pop("fellowship", "AA")
    with factories.context():
        fellowship = db.session.scalar(select(Fellowship).where(Fellowship.code == code))
        values: dict = {
            "name": "Tuesday Step Group",
            "fellowship_id": fellowship.id,
            "weekday": 2,
            "start_time": time(19, 30),
            "end_time": time(21),
            "venue": "St Mary's Church Hall",
            "postcode": "LS1 1AA",
            "area": "Leeds city centre",
        }
        values.update(overrides)
        meeting = factories.saved(Meeting(**values))
        return meeting


@pytest.fixture
def meeting():
    return make_meeting


@pytest.fixture
def signed_in_volunteer(login_as):
    """Sign in as a volunteer with an approved, vetted record; returns (user, volunteer)."""

    def sign_in(**overrides: object):
        user = login_as("volunteer")
        volunteer = factories.make_vetted_volunteer(user, **overrides)
        return user, volunteer

    return sign_in
