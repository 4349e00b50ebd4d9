"""Every kind of message the portal sends, who may switch its email off, and its wording."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    label: str  # how the person sees it on their preferences page
    always_email: bool  # safety and security messages cannot be switched off
    email_subject: str  # reveals nothing sensitive: no names, no fellowships, no "drug"/"alcohol"


KINDS: dict[str, Kind] = {
    "invitation": Kind("Invitations", True, "You have been invited to the portal"),
    "password_reset": Kind("Password resets", True, "Reset your password"),
    "offer_made": Kind("New escort offers", False, "Can you help? A new request is waiting"),
    "offer_accepted": Kind("An escort was accepted", False, "A request has been accepted"),
    "offer_declined": Kind(
        "An offer was declined or expired", False, "A request needs another look"
    ),
    "offer_withdrawn": Kind(
        "Offers withdrawn or taken before you answered", False, "An offer has changed"
    ),
    "escort_cancelled": Kind(
        "Escorts you accepted that were called off or moved", False, "An escort has changed"
    ),
    "request_unfilled": Kind(
        "Requests still unfilled near the meeting", True, "Urgent: a request is still unfilled"
    ),
    "escort_reminder": Kind(
        "Reminders the day before an escort", False, "Reminder: you have something tomorrow"
    ),
    "outcome_recorded": Kind(
        "Outcomes recorded after a meeting", False, "An outcome has been recorded"
    ),
    "checks_expiring": Kind(
        "Safeguarding checks about to expire", False, "Checks are due for renewal"
    ),
    "meetings_stale": Kind("Meetings that need checking", False, "Some meetings need checking"),
    "checkout_overdue": Kind(
        "Overdue safety check-outs", True, "Urgent: a safety check-out is overdue"
    ),
    "help_requested": Kind(
        "A volunteer asked for help", True, "Urgent: a volunteer asked for help"
    ),
}


def optional_kinds() -> dict[str, Kind]:
    """The kinds a person may choose not to get by email."""
    return {name: kind for name, kind in KINDS.items() if not kind.always_email}
