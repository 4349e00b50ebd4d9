"""Service hours and answer-before settings on the admin settings page."""

from __future__ import annotations

import re

import pytest

from portal.settings import SETTINGS, get_setting

from .test_settings_and_audit import _settings_data


def _error_by(html: str, name: str) -> str:
    """The error message shown inside the form group of field `name` ('' when none)."""
    match = re.search(
        rf'id="{name}-error">\s*<span class="nhsuk-u-visually-hidden">Error:</span>(.*?)</span>',
        html,
        re.S,
    )
    return match.group(1) if match else ""


def test_the_page_shows_service_hours_and_the_answer_before_settings(login_as, client):
    login_as("admin")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Service hours" in page
    for name in (
        "service_opens",
        "service_closes",
        "offer_answer_before_hours",
        "urgent_answer_before_hours",
    ):
        assert f'name="{name}"' in page and SETTINGS[name].label in page
    assert 'value="08:00"' in page and 'value="20:00"' in page
    assert re.search(r'id="offer_answer_before_hours"[^>]*value="24"', page)
    assert re.search(r'id="urgent_answer_before_hours"[^>]*value="4"', page)


def test_valid_hours_are_saved_as_24_hour_times(app, login_as, browser):
    login_as("admin")
    response = browser.post(
        "/admin/settings",
        _settings_data(
            service_opens="7.30",
            service_closes="21:00",
            offer_answer_before_hours=36,
            urgent_answer_before_hours=6,
        ),
    )
    assert response.status_code == 303
    with app.app_context():
        assert get_setting("service_opens") == "07:30"
        assert get_setting("service_closes") == "21:00"
        assert get_setting("offer_answer_before_hours") == 36
        assert get_setting("urgent_answer_before_hours") == 6
        from portal.service_hours import from_settings

        assert [t.strftime("%H:%M") for t in from_settings()] == ["07:30", "21:00"]
    page = browser.client.get("/admin/settings").get_data(as_text=True)
    assert 'value="07:30"' in page and "Settings saved" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("service_opens", "25:00", "enter a time on the 24-hour clock, like 08:00"),
        ("service_opens", "8am", "enter a time on the 24-hour clock, like 08:00"),
        ("service_opens", "", "enter a time on the 24-hour clock, like 08:00"),
        ("service_closes", "20:60", "enter a time on the 24-hour clock, like 08:00"),
        ("service_closes", "x" * 500, "enter a time on the 24-hour clock, like 08:00"),
        ("service_closes", "20:00\x00", "enter a time on the 24-hour clock, like 08:00"),
        ("offer_answer_before_hours", "0", "from 1 to 168"),
        ("urgent_answer_before_hours", "49", "from 1 to 48"),
        ("urgent_answer_before_hours", "soon", "whole number"),
    ],
)
def test_bad_values_are_refused_by_the_field(app, login_as, browser, field, value, message):
    login_as("admin")
    response = browser.post("/admin/settings", _settings_data(**{field: value}))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in _error_by(html, field)
    assert "There is a problem" in html
    with app.app_context():
        assert get_setting("service_opens") == "08:00"
        assert get_setting("service_closes") == "20:00"


@pytest.mark.parametrize(("opens", "closes"), [("20:00", "08:00"), ("09:00", "09:00")])
def test_opening_after_closing_is_refused(app, login_as, browser, opens, closes):
    login_as("admin")
    response = browser.post(
        "/admin/settings", _settings_data(service_opens=opens, service_closes=closes)
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "enter a time later than the opening time" in _error_by(html, "service_closes")
    assert f'value="{opens}"' in html  # what the admin typed is kept
    with app.app_context():
        assert get_setting("service_opens") == "08:00"


def test_urgent_answers_are_needed_no_earlier_than_other_answers(app, login_as, browser):
    login_as("admin")
    response = browser.post(
        "/admin/settings",
        _settings_data(offer_answer_before_hours=12, urgent_answer_before_hours=24),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "enter no more than 12" in _error_by(html, "urgent_answer_before_hours")
    with app.app_context():
        assert get_setting("offer_answer_before_hours") == 24
