"""A volunteer's application, profile and status along the vetting workflow.

Every write checks who is acting, changes, audits and commits; every read that takes an id is
scoped to the person asking, so what they may not see is a NotFound.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..audit import audit, utcnow
from ..auth import services as accounts
from ..auth.models import User
from ..errors import Conflict, InvalidChange, NotAllowed, NotFound
from ..extensions import db
from ..geography.places import check_district, tidy_district
from ..meetings.models import Fellowship
from ..versioning import claim_version
from ._common import (
    _mark_active,
    _require_champion,
    _require_editor,
    _volunteer_changed,
    today_local,
)
from .models import ACCOMPANY_RULES, GENDERS, STATUSES, TRAVEL_MODES, Volunteer, VolunteerLanguage
from .safeguarding import _add_code_of_conduct, needs_code_of_conduct

CONFLICT_MESSAGE = "Someone else changed this volunteer while you were looking. Reload it."

MAX_LANGUAGES = 10
# Which states each state may be reached from.
TRANSITIONS: dict[str, frozenset[str]] = {
    "approved": frozenset({"applied", "paused", "withdrawn"}),
    "paused": frozenset({"approved"}),
    "withdrawn": frozenset({"applied", "approved", "paused"}),
    "applied": frozenset({"withdrawn"}),
}
NEEDS_REASON = frozenset({"paused", "withdrawn"})
PROFILE_FIELDS = (
    "preferred_name",
    "pronouns",
    "gender",
    "home_area",
    "home_district",
    "travel_modes",
    "phone",
    "share_phone",
    "weekly_cap",
    "accompany_rule",
    "recovery_date",
)


def own_volunteer(user: User) -> Volunteer | None:
    """The volunteer record of the signed-in person, if they have one."""
    return db.session.scalar(
        select(Volunteer)
        .where(Volunteer.user_id == user.id)
        .options(selectinload(Volunteer.fellowships), selectinload(Volunteer.language_rows))
    )


def get_volunteer(volunteer_id: int, actor: User) -> Volunteer:
    """A volunteer the actor may see: champions see all, a volunteer only themselves."""
    volunteer = db.session.scalar(
        select(Volunteer)
        .where(Volunteer.id == volunteer_id)
        .options(
            selectinload(Volunteer.fellowships),
            selectinload(Volunteer.language_rows),
            selectinload(Volunteer.user),
        )
    )
    if volunteer is None:
        raise NotFound("No such volunteer")
    _require_editor(volunteer, actor)
    return volunteer


def _clean_languages(languages: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for raw in languages:
        language = " ".join(raw.split())
        if not language:
            continue
        if len(language) > 40:
            raise InvalidChange("Enter each language in 40 characters or fewer", field="languages")
        seen.setdefault(language.casefold(), language)
    if len(seen) > MAX_LANGUAGES:
        raise InvalidChange(f"Enter up to {MAX_LANGUAGES} languages", field="languages")
    return list(seen.values())


def _check_profile(data: dict[str, Any]) -> None:
    if not data.get("preferred_name"):
        raise InvalidChange("Enter a first name", field="preferred_name")
    if data.get("gender") not in (None, "", *GENDERS):
        raise InvalidChange("Select a gender from the list", field="gender")
    if data.get("accompany_rule", "anyone") not in ACCOMPANY_RULES:
        raise InvalidChange("Select whom you will accompany", field="accompany_rule")
    if not set(data.get("travel_modes") or []) <= TRAVEL_MODES.keys():
        raise InvalidChange("Select ways of travelling from the list", field="travel_modes")
    if "home_district" in data:
        check_district(data["home_district"], field="home_district")
    cap = data.get("weekly_cap", 2)
    if not isinstance(cap, int) or cap < 0:
        raise InvalidChange("Enter 0 or more escorts a week", field="weekly_cap")
    recovery = data.get("recovery_date")
    if recovery is not None and recovery > today_local():
        raise InvalidChange("The date your recovery began must be in the past", "recovery_date")
    if data.get("share_phone") and not data.get("phone"):
        raise InvalidChange("Enter a phone number to share it with clients", field="phone")


def _apply_profile(volunteer: Volunteer, data: dict[str, Any]) -> list[str]:
    """Copy the profile answers onto the record; returns the names of fields that changed."""
    changed = []
    values = dict(data)
    values["travel_modes"] = " ".join(
        mode for mode in TRAVEL_MODES if mode in set(data.get("travel_modes") or [])
    )
    values["gender"] = data.get("gender") or None
    values["pronouns"] = data.get("pronouns") or None
    values["home_area"] = data.get("home_area") or None
    if "home_district" in data:
        values["home_district"] = tidy_district(data["home_district"])
    values["phone"] = data.get("phone") or None
    values["share_phone"] = bool(data.get("share_phone")) and bool(values["phone"])
    for name in PROFILE_FIELDS:
        if name in values and getattr(volunteer, name) != values[name]:
            setattr(volunteer, name, values[name])
            changed.append(name)
    if "recovery_date" in changed:
        volunteer.recovery_confirmed_at = None
        volunteer.recovery_confirmed_by_id = None
    if "languages" in data:
        languages = _clean_languages(data["languages"])
        if [x.casefold() for x in languages] != [x.casefold() for x in volunteer.languages]:
            volunteer.language_rows = [
                VolunteerLanguage(language=lang, folded=lang.casefold())
                for lang in sorted(languages, key=str.casefold)
            ]
            changed.append("languages")
    if "fellowship_ids" in data:
        wanted = set(data["fellowship_ids"] or [])
        if wanted != {f.id for f in volunteer.fellowships}:
            fellowships = (
                db.session.scalars(
                    select(Fellowship).where(Fellowship.id.in_(wanted), Fellowship.active.is_(True))
                ).all()
                if wanted
                else []
            )
            if len(fellowships) != len(wanted):
                raise InvalidChange("Select fellowships from the list", field="fellowship_ids")
            volunteer.fellowships = list(fellowships)
            changed.append("fellowships")
    return changed


def _claim_version(volunteer: Volunteer, version: int | None, **values: Any) -> None:
    """Advance the version only if nobody saved since `version` was read (else 409)."""
    claim_version(volunteer, version, CONFLICT_MESSAGE, updated_at=utcnow(), **values)


def complete_application(
    user: User, data: dict[str, Any], agreed: bool, version: int | None = None
) -> Volunteer:
    """The volunteer's own application (or later changes to it); creates the record if needed."""
    if not user.has_role("volunteer"):
        raise NotAllowed("Only volunteers have an application")
    volunteer = own_volunteer(user)
    must_agree = needs_code_of_conduct(volunteer)
    if must_agree and not agreed:
        raise InvalidChange("Agree to the code of conduct to volunteer", field="code_of_conduct")
    _check_profile(data)
    first_time = volunteer is None or volunteer.application_completed_at is None
    if volunteer is None:
        volunteer = Volunteer(user_id=user.id, preferred_name=data["preferred_name"])
        volunteer.language_rows = []
        volunteer.fellowships = []
        db.session.add(volunteer)
        db.session.flush()
    else:
        _claim_version(volunteer, version)
    changed = _apply_profile(volunteer, data)
    if first_time:
        volunteer.application_completed_at = utcnow()
    volunteer.last_active_at = utcnow()
    if must_agree:
        _add_code_of_conduct(volunteer, user)
    audit(
        "volunteer_application_completed" if first_time else "volunteer_profile_updated",
        volunteer,
        actor_id=user.id,
        detail={"fields": changed},
    )
    db.session.commit()
    return volunteer


def invite_volunteer(email: str, name: str, actor: User) -> Volunteer:
    """Email an invitation to use the portal and open their record as 'applied'."""
    _require_champion(actor)
    user = accounts.invite_user(email, name, ["volunteer"], actor)
    volunteer = Volunteer(
        user_id=user.id,
        preferred_name=name.strip(),
        status="applied",
        created_by_id=actor.id,
    )
    db.session.add(volunteer)
    db.session.flush()
    audit("volunteer_invited", volunteer)
    db.session.commit()
    return volunteer


def add_phone_contact(data: dict[str, Any], actor: User) -> Volunteer:
    """Record a group member who takes newcomers but does not use the portal."""
    _require_champion(actor)
    _check_profile(data)
    if not data.get("phone"):
        raise InvalidChange("Enter their phone number", field="phone")
    volunteer = Volunteer(
        preferred_name=data["preferred_name"],
        phone_only=True,
        status="applied",
        created_by_id=actor.id,
        last_active_at=utcnow(),
    )
    volunteer.language_rows = []
    volunteer.fellowships = []
    db.session.add(volunteer)
    db.session.flush()
    _apply_profile(volunteer, data)
    audit("volunteer_phone_contact_added", volunteer)
    db.session.commit()
    return volunteer


def update_profile(
    volunteer: Volunteer, data: dict[str, Any], actor: User, version: int | None
) -> list[str]:
    """A champion's change to a volunteer's details (a phone-only contact's, usually)."""
    _require_champion(actor)
    _check_profile(data)
    if volunteer.phone_only and not data.get("phone"):
        raise InvalidChange("Enter their phone number", field="phone")
    _claim_version(volunteer, version)
    changed = _apply_profile(volunteer, data)
    _mark_active(volunteer, actor)
    audit("volunteer_profile_updated", volunteer, detail={"fields": changed})
    db.session.commit()
    return changed


def allowed_next(volunteer: Volunteer) -> list[str]:
    """The states a champion may move this volunteer to."""
    return [state for state, sources in TRANSITIONS.items() if volunteer.status in sources]


def change_status(
    volunteer: Volunteer, to: str, reason: str, actor: User, version: int | None
) -> None:
    """Move a volunteer along the vetting workflow, with who, when and why.

    One conditional UPDATE on (state, version): of two changes made at once, one wins and the
    other gets a Conflict.
    """
    _require_champion(actor)
    _set_status(volunteer, to, reason, actor, version)
    db.session.commit()


def _set_status(
    volunteer: Volunteer, to: str, reason: str, actor: User, version: int | None
) -> None:
    if to not in TRANSITIONS:
        raise InvalidChange("Choose a status from the list", field="status")
    sources = TRANSITIONS[to]
    reason = (reason or "").strip()
    if to in NEEDS_REASON and not reason:
        raise InvalidChange("Enter the reason", field="reason")
    if len(reason) > 500:
        raise InvalidChange("Enter a reason of 500 characters or fewer", field="reason")
    if version is not None and version != volunteer.version:
        raise Conflict(CONFLICT_MESSAGE)
    if volunteer.status not in sources:
        raise InvalidChange(
            f"A volunteer who is {volunteer.status_label.lower()} cannot become "
            f"{STATUSES[to].lower()}"
        )
    before = volunteer.status
    now = utcnow()
    values: dict[str, Any] = {
        "status": to,
        "status_changed_at": now,
        "status_changed_by_id": actor.id,
        "status_reason": reason or None,
        "updated_at": now,
    }
    if to == "approved":
        values |= {"approved_at": now, "approved_by_id": actor.id}
    # The status moves only from an allowed one: of two champions acting at once, one wins.
    where = [Volunteer.status.in_(sources)]
    claim_version(volunteer, version, CONFLICT_MESSAGE, where=where, **values)
    _mark_active(volunteer, actor)
    audit("volunteer_status_changed", volunteer, detail={"from": before, "to": to})
    _volunteer_changed(volunteer.id, "status")


def can_resume_self(volunteer: Volunteer) -> bool:
    """A volunteer may come back from a pause they chose, not one the champion made."""
    return (
        volunteer.status == "paused"
        and volunteer.user_id is not None
        and volunteer.status_changed_by_id == volunteer.user_id
    )


def pause_self(volunteer: Volunteer, actor: User) -> None:
    """The volunteer takes a break: no offers until they come back."""
    if volunteer.user_id != actor.id:
        raise NotFound("No such volunteer")
    if volunteer.status != "approved":
        raise InvalidChange("Only an approved volunteer can pause")
    _set_status(volunteer, "paused", "Paused by the volunteer", actor, None)
    db.session.commit()


def resume_self(volunteer: Volunteer, actor: User) -> None:
    """The volunteer comes back from a pause they chose themselves."""
    if volunteer.user_id != actor.id:
        raise NotFound("No such volunteer")
    if not can_resume_self(volunteer):
        raise InvalidChange("Talk to your recovery champion to come back")
    _set_status(volunteer, "approved", "", actor, None)
    db.session.commit()


def confirm_recovery(volunteer: Volunteer, actor: User, version: int | None) -> None:
    """The champion confirms the recovery date the volunteer stated."""
    _require_champion(actor)
    if volunteer.recovery_date is None:
        raise InvalidChange("There is no recovery date to confirm yet")
    _claim_version(
        volunteer, version, recovery_confirmed_at=utcnow(), recovery_confirmed_by_id=actor.id
    )
    audit("volunteer_recovery_confirmed", volunteer, detail={"date": volunteer.recovery_date})
    db.session.commit()


def set_conflict_notes(volunteer: Volunteer, notes: str, actor: User, version: int | None) -> None:
    """Champion-only notes on conflicts of interest ("knows client X")."""
    _require_champion(actor)
    notes = (notes or "").strip()
    if len(notes) > 2000:
        raise InvalidChange("Enter notes of 2,000 characters or fewer", field="notes")
    _claim_version(volunteer, version, conflict_notes=notes or None)
    audit("volunteer_conflict_notes_changed", volunteer, detail={"fields": ["conflict_notes"]})
    db.session.commit()
