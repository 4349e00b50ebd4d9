"""The Core tables the volunteer loader and the SQL filter read.

Statements built from Core tables rather than ORM entities are cheap to make and cache well.
"""

from __future__ import annotations

from ..geography.models import DistrictCentre
from ..meetings.models import Fellowship, Meeting
from ..volunteers.models import (
    AvailabilityWindow,
    SafeguardingItem,
    TimeAway,
    Volunteer,
    VolunteerLanguage,
    VolunteerMeeting,
    volunteer_fellowships,
)
from .models import EscortSlot, Offer, VolunteerClientConflict, VolunteerWeekCount

_V = Volunteer.__table__
_SG = SafeguardingItem.__table__
_VM = VolunteerMeeting.__table__
_AW = AvailabilityWindow.__table__
_TA = TimeAway.__table__
_ES = EscortSlot.__table__
_WC = VolunteerWeekCount.__table__
_VL = VolunteerLanguage.__table__
_VF = volunteer_fellowships
_F = Fellowship.__table__
_M = Meeting.__table__
_O = Offer.__table__
_CC = VolunteerClientConflict.__table__
_DC = DistrictCentre.__table__
