"""Every kind of message the portal sends, who may switch its email off, and its wording."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    label: str  # how the person sees it on their preferences page
    always_email: bool  # safety and security messages cannot be switched off
    email_subject: str  # reveals nothing sensitive: no names, no fellowships, no "drug"/"alcohol"
    # Safety alerts and a person's own security links go at once at any hour.
    at_any_hour: bool = False
    # The champion's work (answers to offers, unfilled requests, digests): its email to a
    # champion waits for service hours, while the portal shows it at once. Kinds meant for a
    # volunteer or keyworker go at once even to someone who is also a champion.
    champion_work: bool = False
    # The email's template in templates/email/: the usual one names only the kind and links to
    # the portal; a person's own security messages say what changed in the email itself.
    email_template: str = "notification"
    # Texts (portal/notify/texts.py), when the caller gives one: "choice" kinds go by text to a
    # person who gave a mobile unless they switch it off (on by default); "always" kinds (safety)
    # go whenever they gave a mobile; "" kinds are never texted.
    by_text: str = ""


KINDS: dict[str, Kind] = {
    "invitation": Kind(
        "Invitations", True, "You have been invited to the portal", at_any_hour=True
    ),
    "password_reset": Kind("Password resets", True, "Reset your password", at_any_hour=True),
    "security_change": Kind(
        "Changes to your password or how you sign in",
        True,
        "Your sign-in details were changed",
        at_any_hour=True,
        email_template="security_change",
    ),
    "offer_made": Kind(
        "New escort offers", False, "Can you help? A new request is waiting", by_text="choice"
    ),
    "offer_accepted": Kind(
        "An escort was accepted", False, "A request has been accepted", champion_work=True
    ),
    "offer_declined": Kind(
        "An offer was declined or expired",
        False,
        "A request needs another look",
        champion_work=True,
    ),
    "offer_withdrawn": Kind(
        "Offers withdrawn or taken before you answered",
        False,
        "An offer has changed",
        by_text="choice",
    ),
    "escort_cancelled": Kind(
        "Escorts you accepted that were called off or moved",
        False,
        "An escort has changed",
        by_text="choice",
    ),
    "request_unfilled": Kind(
        "Requests still unfilled near the meeting",
        True,
        "Urgent: a request is still unfilled",
        champion_work=True,
    ),
    "escort_reminder": Kind(
        "Reminders the day before an escort",
        False,
        "Reminder: you have something tomorrow",
        by_text="choice",
    ),
    "escort_soon": Kind(
        "Reminders two hours before an escort",
        False,
        "Reminder: you have something today",
        by_text="choice",
    ),
    "outcome_recorded": Kind(
        "Outcomes recorded after a meeting", False, "An outcome has been recorded"
    ),
    "checks_expiring": Kind(
        "Safeguarding checks about to expire",
        False,
        "Checks are due for renewal",
        champion_work=True,
    ),
    "meetings_stale": Kind(
        "Meetings that need checking", False, "Some meetings need checking", champion_work=True
    ),
    "checkout_overdue": Kind(
        "Overdue safety check-outs",
        True,
        "Urgent: a safety check-out is overdue",
        at_any_hour=True,
        by_text="always",
    ),
    "help_requested": Kind(
        "A volunteer asked for help",
        True,
        "Urgent: a volunteer asked for help",
        at_any_hour=True,
        by_text="always",
    ),
    "text_unhandled": Kind(
        "Texts the portal could not answer",
        False,
        "A text message needs a look",
        champion_work=True,
    ),
    # The portal's own answers to a text someone sent (STOP, START, YES 4821…): text only,
    # queued at any hour by portal/notify/text_inbox.py (never through notify_user).
    "text_reply": Kind("Answers to texts you send", True, "Your text was received"),
    "refusals_alert": Kind(
        "An account refused again and again (admins)",
        True,
        "Security: an account needs checking",
        at_any_hour=True,
    ),
    # To the champions when someone confirms an application from the public "Volunteer with
    # us" form (portal/volunteers/applications.py).
    "volunteer_applied": Kind(
        "New applications to volunteer", False, "Someone has applied to volunteer"
    ),
    # portal/messages: a champion's message to volunteers, and a volunteer's reply to it.
    "champion_message": Kind(
        "Messages from the champion", False, "You have a new message", by_text="choice"
    ),
    "message_reply": Kind(
        "Replies from volunteers to messages", False, "A volunteer replied", champion_work=True
    ),
    # To a volunteer when their travel claim is approved, declined or paid (portal/expenses/).
    "expense_claim": Kind(
        "Decisions on your travel expense claims", False, "News about your travel expenses"
    ),
    # To the champions: a task for them, e.g. a volunteer's request for a chat after an escort
    # (portal/tasks/services.py). The email names nobody.
    "task_added": Kind(
        "Tasks for champions", False, "A task is waiting for you", champion_work=True
    ),
    # To each champion on Monday morning: the week's escorts and what needs doing, as counts
    # (portal/safety/digest.py).
    "rota_digest": Kind(
        "The Monday summary of the week's escorts",
        False,
        "Your week ahead",
        champion_work=True,
    ),
}


def waits_for_service_hours(kind: str, roles: set[str]) -> bool:
    """An email of this kind to a person with these roles is held until service hours."""
    found = KINDS[kind]
    return "champion" in roles and found.champion_work and not found.at_any_hour


def text_choice_kinds() -> dict[str, Kind]:
    """The kinds a person may choose to have by text, or not."""
    return {name: kind for name, kind in KINDS.items() if kind.by_text == "choice"}


def optional_kinds() -> dict[str, Kind]:
    """The kinds a person may choose not to get by email."""
    return {name: kind for name, kind in KINDS.items() if not kind.always_email}
