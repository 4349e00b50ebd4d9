"""Service settings an admin changes in the portal: stored in the database, validated, audited.

Each setting falls back to its configuration default (config.py or the environment) until an
admin saves a value, so a fresh install works and tests can still set values through config.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, g, has_app_context
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from .audit import audit, utcnow
from .dbtypes import UTCDateTime
from .errors import InvalidChange
from .extensions import db


class SettingRow(db.Model):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


YES_NO = {"yes": True, "true": True, "no": False, "false": False}
PHONE_RE = re.compile(r"^[0-9 +()-]{3,20}$")


@dataclass(frozen=True)
class Setting:
    label: str
    hint: str
    # "text", "optional_text" (may be empty), "phone", "int", "yesno" or "time" (HH:MM, UK time)
    kind: str
    default: Any = None
    config_key: str | None = None  # the configuration default, when there is one
    low: int | None = None
    high: int | None = None
    max_length: int = 100
    group: str = "Service"


def _weight(what: str, default: int) -> Setting:
    """One of the matching score's weights: points out of 100 for `what`."""
    return Setting(
        f"Weight: {what}",
        "Matching score points.",
        "int",
        default,
        low=0,
        high=100,
        group="Matching",
    )


SETTINGS: dict[str, Setting] = {
    "service_name": Setting(
        "Service name", "Shown in the header and in emails.", "text", config_key="SERVICE_NAME"
    ),
    "emergency_number": Setting(
        "Emergency number", "Shown to a volunteer who asks for help.", "phone", "999"
    ),
    "on_call_number": Setting(
        "On-call number", "The service's number for a volunteer who needs advice now.", "phone", ""
    ),
    "offer_expiry_hours": Setting(
        "Offers expire after (hours)",
        "An unanswered offer frees the request again.",
        "int",
        24,
        low=1,
        high=168,
        group="Escorts",
    ),
    "offer_answer_before_hours": Setting(
        "Answers needed before the meeting (hours)",
        "An offer's answer-by is never later than this before the meeting-up time.",
        "int",
        24,
        low=1,
        high=168,
        group="Escorts",
    ),
    "urgent_answer_before_hours": Setting(
        "Urgent requests: answers needed before the meeting (hours)",
        "For a meeting less than 48 hours away when the offer is sent. "
        "No more than the hours above.",
        "int",
        4,
        low=1,
        high=48,
        group="Escorts",
    ),
    "service_opens": Setting(
        "Service opens (UK time)",
        "24-hour clock, for example 08:00. Answer-by times and alerts to champions fall "
        "inside service hours; safety alerts go at any hour.",
        "time",
        "08:00",
        max_length=5,
        group="Service hours",
    ),
    "service_closes": Setting(
        "Service closes (UK time)",
        "24-hour clock, for example 20:00. Must be later than the opening time.",
        "time",
        "20:00",
        max_length=5,
        group="Service hours",
    ),
    "checkout_grace_minutes": Setting(
        "Check-out grace (minutes)",
        "After the meeting's end, how long before a missing check-out alerts the champion.",
        "int",
        60,
        low=15,
        high=480,
        group="Escorts",
    ),
    "checkin_opens_minutes": Setting(
        "Check-in opens (minutes before meeting up)",
        "On the day of an escort, how long before the meeting-up time the volunteer can press "
        '"I\'ve met them". Check-in closes at midnight at the end of that day.',
        "int",
        120,
        low=15,
        high=720,
        group="Escorts",
    ),
    "stale_meeting_days": Setting(
        "Meetings need checking after (days)",
        "A meeting not checked for this long is listed as needing a check.",
        "int",
        90,
        config_key="MEETING_STALE_DAYS",
        low=7,
        high=730,
        group="Meetings",
    ),
    "min_recovery_months": Setting(
        "Minimum time in recovery (months)",
        "Before a volunteer may escort anyone.",
        "int",
        12,
        config_key="VOLUNTEER_MIN_RECOVERY_MONTHS",
        low=0,
        high=120,
        group="Volunteers",
    ),
    "supervision_interval_weeks": Setting(
        "Supervision every (weeks)",
        "How long after a volunteer's supervision the next one is due.",
        "int",
        8,
        low=1,
        high=52,
        group="Volunteers",
    ),
    "client_retention_months": Setting(
        "Keep closed clients for (months)",
        "Then their personal details are anonymised; numbers for reports stay.",
        "int",
        24,
        low=6,
        high=120,
        group="Retention",
    ),
    "volunteer_retention_months": Setting(
        "Keep withdrawn volunteers for (months)",
        "Then their personal details are anonymised.",
        "int",
        12,
        low=1,
        high=120,
        group="Retention",
    ),
    "keyworker_second_factor": Setting(
        "Keyworkers need a code from an app to sign in",
        "Admins and champions always do. Keyworkers read treatment records: leave this on.",
        "yesno",
        True,
        group="Security",
    ),
    "refusal_alert_count": Setting(
        "Alert the admins after this many refused requests",
        "When one account is refused (pages or records it may not use) more times than this "
        "within the minutes below, every admin is emailed once.",
        "int",
        20,
        low=3,
        high=1000,
        group="Security",
    ),
    "refusal_alert_minutes": Setting(
        "Refused requests are counted over (minutes)",
        "The window for the alert above.",
        "int",
        10,
        low=1,
        high=1440,
        group="Security",
    ),
    "mileage_rate_pence": Setting(
        "Mileage rate for volunteers' travel (pence a mile)",
        "What a volunteer who drives to an escort is paid a mile. A claim keeps the rate of the "
        "day it was made.",
        "int",
        45,
        low=0,
        high=200,
        group="Travel expenses",
    ),
    "text_daily_cap": Setting(
        "Most texts a day",
        "Texts over this many in a day wait until the next day. Safety alerts are never held.",
        "int",
        500,
        low=0,
        high=100000,
        group="Texts",
    ),
    "client_text_sign_off": Setting(
        "Sign-off on texts to clients",
        'Added to the end of each text to a client, for example "From your keyworker". '
        "Leave it empty to add nothing: texts to clients never name the service or say what "
        "it does unless you write it here.",
        "optional_text",
        "",
        max_length=60,
        group="Texts",
    ),
    "client_text_names_meeting": Setting(
        "Texts to clients name the meeting",
        'A meeting\'s name can say which fellowship it is ("Leeds NA"), and a text shows on '
        'the phone\'s lock screen. When this is no, texts say "your meeting".',
        "yesno",
        False,
        group="Texts",
    ),
    "weight_attends_meeting": _weight("already goes to that meeting", 40),
    "weight_knows_fellowship": _weight("knows the fellowship", 20),
    "weight_distance": _weight("lives near the venue", 20),
    "weight_load": _weight("fewer escorts recently", 10),
    "weight_reliability": _weight("good record of turning up", 10),
    # geography (issue 15): the furthest from home a volunteer escorts, by how they travel
    "travel_limit_walk_km": Setting(
        "Furthest a volunteer walks to a venue (km)",
        "From the centre of their home postcode district. Further away, matching leaves them "
        "out. Used only when a postcode directory is loaded.",
        "int",
        3,
        low=1,
        high=50,
        group="Matching",
    ),
    "travel_limit_public_transport_km": Setting(
        "Furthest a volunteer goes by public transport (km)",
        "The same, for volunteers who travel by bus or train.",
        "int",
        15,
        low=1,
        high=100,
        group="Matching",
    ),
    "travel_limit_car_km": Setting(
        "Furthest a volunteer drives (km)",
        "The same, for volunteers who travel by car.",
        "int",
        25,
        low=1,
        high=150,
        group="Matching",
    ),
}


def _default(name: str) -> Any:
    spec = SETTINGS[name]
    if spec.config_key and has_app_context() and spec.config_key in current_app.config:
        return current_app.config[spec.config_key]
    return spec.default


def _saved() -> dict[str, Any]:
    """Every saved value, read once per request or job."""
    if "settings" not in g:
        rows = db.session.execute(select(SettingRow.key, SettingRow.value)).all()
        g.settings = {key: json.loads(value) for key, value in rows if key in SETTINGS}
    return g.settings


def get_setting(name: str) -> Any:
    """The value in force: what an admin saved, else the configured default."""
    saved = _saved()
    return saved[name] if name in saved else _default(name)


def all_settings() -> dict[str, Any]:
    return {name: get_setting(name) for name in SETTINGS}


def check_value(name: str, raw: object) -> Any:
    """Turn a submitted value into the stored one, or raise InvalidChange naming the field."""
    spec = SETTINGS[name]
    text = str(raw if raw is not None else "").strip()
    if spec.kind == "int":
        try:
            number = int(text)
        except ValueError:
            raise InvalidChange(f"{spec.label}: enter a whole number", field=name) from None
        if (spec.low is not None and number < spec.low) or (
            spec.high is not None and number > spec.high
        ):
            raise InvalidChange(
                f"{spec.label}: enter a number from {spec.low} to {spec.high}", field=name
            )
        return number
    if spec.kind == "time":
        return _check_time(spec, name, text)
    if spec.kind == "yesno":
        if text.lower() not in YES_NO:
            raise InvalidChange(f"{spec.label}: select yes or no", field=name)
        return YES_NO[text.lower()]
    if len(text) > spec.max_length:
        raise InvalidChange(
            f"{spec.label}: enter {spec.max_length} characters or fewer", field=name
        )
    if spec.kind == "phone" and text and not PHONE_RE.match(text):
        raise InvalidChange(f"{spec.label}: enter a phone number, like 0161 496 0000", field=name)
    if spec.kind == "text" and not text:
        raise InvalidChange(f"{spec.label}: enter a value", field=name)
    return text


def _check_time(spec: Setting, name: str, text: str) -> str:
    """A 24-hour wall-clock time, stored as HH:MM ("8.30" becomes "08:30")."""
    from .service_hours import parse_time

    try:
        return parse_time(text).strftime("%H:%M")
    except ValueError:
        raise InvalidChange(
            f"{spec.label}: enter a time on the 24-hour clock, like 08:00", field=name
        ) from None


def check_together(checked: dict[str, Any]) -> None:
    """Rules between settings: the service opens before it closes; urgent answers come no
    later than usual ones."""
    opens, closes = checked.get("service_opens"), checked.get("service_closes")
    if opens and closes and not opens < closes:  # HH:MM strings compare as times
        raise InvalidChange(
            f"{SETTINGS['service_closes'].label}: enter a time later than the opening time "
            f"({opens})",
            field="service_closes",
        )
    usual = checked.get("offer_answer_before_hours")
    urgent = checked.get("urgent_answer_before_hours")
    if usual is not None and urgent is not None and urgent > usual:
        raise InvalidChange(
            f"{SETTINGS['urgent_answer_before_hours'].label}: enter no more than "
            f"{usual}, the hours for other requests",
            field="urgent_answer_before_hours",
        )


def save_settings(values: dict[str, object], actor_id: int) -> list[str]:
    """Validate every value first, then store the changed ones; returns the names changed."""
    checked = {name: check_value(name, values.get(name)) for name in SETTINGS}
    check_together(checked)
    changed = [name for name, value in checked.items() if value != get_setting(name)]
    for name in changed:
        row = db.session.get(SettingRow, name)
        if row is None:
            row = SettingRow(key=name)
            db.session.add(row)
        row.value = json.dumps(checked[name])
        row.updated_at = utcnow()
        row.updated_by = actor_id
    if changed:
        audit("settings_changed", detail={name: checked[name] for name in changed})
    db.session.commit()
    g.pop("settings", None)
    return changed
